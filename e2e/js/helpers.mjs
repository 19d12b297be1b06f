// Shared helpers of the JavaScript client tests: the raw Cognito JSON API (to
// set up pools and users and to ask the server what it thinks of a token),
// unique names, JWT decoding, and a recorder of what the client libraries
// send over the wire.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';

export const COGNATE_URL = (() => {
	const url = process.env.COGNATE_URL;
	if (!url) {
		throw new Error('COGNATE_URL is not set: run these tests through `go test ./e2e -run TestJSClients`, ' +
			'or start `cognate serve` and set COGNATE_URL=http://127.0.0.1:PORT');
	}
	return url.replace(/\/+$/, '');
})();

/** An error answered by the server: name is the Cognito error (__type). */
export class CognitoError extends Error {
	constructor(op, status, type, message, body) {
		super(`${op}: ${status} ${type}: ${message}`);
		this.name = type;
		this.op = op;
		this.status = status;
		this.type = type;
		this.serverMessage = message;
		this.body = body;
	}
}

/** POSTs one operation of the Cognito JSON API; throws CognitoError unless 200. */
export async function cognito(op, body) {
	const resp = await fetchUnrecorded(COGNATE_URL + '/', {
		method: 'POST',
		headers: {
			'Content-Type': 'application/x-amz-json-1.1',
			'X-Amz-Target': 'AWSCognitoIdentityProviderService.' + op,
		},
		body: JSON.stringify(body),
	});
	const text = await resp.text();
	let data;
	try {
		data = text ? JSON.parse(text) : {};
	} catch {
		throw new Error(`${op}: ${resp.status}, body is not JSON: ${text.slice(0, 300)}`);
	}
	if (resp.status !== 200) {
		const type = String(data.__type ?? resp.headers.get('x-amzn-errortype') ?? 'UnknownError').split('#').pop().split(':')[0];
		throw new CognitoError(op, resp.status, type, data.message ?? data.Message ?? '', data);
	}
	return data;
}

/**
 * Calls op and asserts that the server refuses it with the given error type
 * and, when given, exactly that message (a string) or a message matching it
 * (a RegExp). Returns the error.
 */
export async function cognitoRefuses(op, body, type, message) {
	let err;
	try {
		const data = await cognito(op, body);
		assert.fail(`${op} succeeded (${JSON.stringify(data).slice(0, 200)}), want ${type}`);
	} catch (e) {
		if (!(e instanceof CognitoError)) throw e;
		err = e;
	}
	assert.equal(err.type, type, `${op}: error type (message ${JSON.stringify(err.serverMessage)})`);
	assert.equal(err.status, 400, `${op}: HTTP status of ${type}`);
	if (typeof message === 'string') assert.equal(err.serverMessage, message, `${op}: message`);
	else if (message instanceof RegExp) assert.match(err.serverMessage, message, `${op}: message`);
	return err;
}

export const unique = (prefix) => `${prefix}-${randomUUID().slice(0, 8)}`;

// A password that satisfies the default policy (upper, lower, digit, symbol, 8+).
export const password = () => `Pw-${randomUUID().slice(0, 12)}!aA1`;

/** Creates a user pool and a public app client that allows SRP, password and refresh auth. */
export async function newPool(name = unique('js')) {
	const { UserPool } = await cognito('CreateUserPool', {
		PoolName: name,
		AutoVerifiedAttributes: ['email'],
		Schema: [{ Name: 'email', AttributeDataType: 'String', Required: false, Mutable: true }],
	});
	assert.match(UserPool.Id, /^[\w-]+_[0-9A-Za-z]+$/, 'pool id shape');
	const { UserPoolClient } = await cognito('CreateUserPoolClient', {
		UserPoolId: UserPool.Id,
		ClientName: 'js-tests',
		GenerateSecret: false,
		ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
	});
	assert.equal(UserPoolClient.ClientSecret, undefined, 'a public client has no secret');
	return { poolId: UserPool.Id, clientId: UserPoolClient.ClientId };
}

/** Creates a CONFIRMED user with a permanent password (no message sent). */
export async function newConfirmedUser(poolId, username = unique('user'), pass = password()) {
	await cognito('AdminCreateUser', {
		UserPoolId: poolId,
		Username: username,
		MessageAction: 'SUPPRESS',
		UserAttributes: [{ Name: 'email', Value: `${username}@example.com` }, { Name: 'email_verified', Value: 'true' }],
	});
	await cognito('AdminSetUserPassword', { UserPoolId: poolId, Username: username, Password: pass, Permanent: true });
	const user = await cognito('AdminGetUser', { UserPoolId: poolId, Username: username });
	assert.equal(user.UserStatus, 'CONFIRMED');
	return { username, password: pass };
}

/** Signs in through the raw API (USER_PASSWORD_AUTH): another "device". */
export async function passwordSignIn(clientId, username, pass) {
	const out = await cognito('InitiateAuth', {
		AuthFlow: 'USER_PASSWORD_AUTH',
		ClientId: clientId,
		AuthParameters: { USERNAME: username, PASSWORD: pass },
	});
	assert.equal(out.ChallengeName, undefined, `sign-in of ${username} answered a challenge`);
	const r = out.AuthenticationResult;
	assert.ok(r?.AccessToken && r.IdToken && r.RefreshToken, 'sign-in returns the three tokens');
	return r;
}

/** Mints tokens from a refresh token with GetTokensFromRefreshToken (what Amplify v6 calls). */
export const refreshWithGetTokens = (clientId, refreshToken) =>
	cognito('GetTokensFromRefreshToken', { ClientId: clientId, RefreshToken: refreshToken });

/** Mints tokens from a refresh token with InitiateAuth REFRESH_TOKEN_AUTH. */
export const refreshWithInitiateAuth = (clientId, refreshToken) =>
	cognito('InitiateAuth', { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: clientId, AuthParameters: { REFRESH_TOKEN: refreshToken } });

/** Asserts the server still honours a session: its refresh token mints tokens and its access token reads the user. */
export async function assertSessionLive(clientId, { accessToken, refreshToken }, username) {
	const user = await cognito('GetUser', { AccessToken: accessToken });
	assert.equal(user.Username, username, 'GetUser with the access token');
	const viaGetTokens = await refreshWithGetTokens(clientId, refreshToken);
	assert.ok(viaGetTokens.AuthenticationResult?.AccessToken, 'GetTokensFromRefreshToken returns an access token');
	const viaInitiate = await refreshWithInitiateAuth(clientId, refreshToken);
	assert.ok(viaInitiate.AuthenticationResult?.AccessToken, 'REFRESH_TOKEN_AUTH returns an access token');
	assert.equal(viaInitiate.AuthenticationResult.RefreshToken, undefined, 'REFRESH_TOKEN_AUTH returns no new refresh token');
	const fresh = await cognito('GetUser', { AccessToken: viaGetTokens.AuthenticationResult.AccessToken });
	assert.equal(fresh.Username, username, 'GetUser with the refreshed access token');
}

/** Asserts the server refuses a refresh token through both refresh operations. */
export async function assertRefreshRefused(clientId, refreshToken, message = 'Refresh Token has been revoked') {
	await cognitoRefuses('GetTokensFromRefreshToken', { ClientId: clientId, RefreshToken: refreshToken }, 'NotAuthorizedException', message);
	await cognitoRefuses('InitiateAuth', { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: clientId, AuthParameters: { REFRESH_TOKEN: refreshToken } },
		'NotAuthorizedException', message);
}

/** Asserts GetUser refuses an access token. */
export const assertAccessRefused = (accessToken, message = 'Access Token has been revoked') =>
	cognitoRefuses('GetUser', { AccessToken: accessToken }, 'NotAuthorizedException', message);

/** Decodes (without verifying) a JWT's payload. */
export function claims(jwt) {
	const parts = String(jwt).split('.');
	assert.equal(parts.length, 3, 'a JWS has three segments');
	return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

// ---- wire recorder ---------------------------------------------------------
// Both client libraries call the global fetch at request time, so wrapping it
// shows every request they send to Cognate and every answer: tests assert on
// the operations used (e.g. that sign-in really was SRP) and a failure prints
// the exchange as evidence.

const realFetch = globalThis.fetch;
const fetchUnrecorded = (...args) => realFetch(...args);

/** @type {{op: string, request: any, status: number, response: any}[]} */
export const wire = [];

globalThis.fetch = async function recordingFetch(input, init = {}) {
	const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
	const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
	const target = headers.get('x-amz-target');
	if (!target || !url.startsWith(COGNATE_URL)) return realFetch(input, init);
	const entry = { op: target.split('.').pop(), request: parse(init.body), status: 0, response: undefined };
	wire.push(entry);
	const resp = await realFetch(input, init);
	entry.status = resp.status;
	entry.response = parse(await resp.clone().text());
	return resp;
};

function parse(body) {
	if (typeof body !== 'string') return body;
	try {
		return JSON.parse(body);
	} catch {
		return body;
	}
}

/** The operations recorded since mark (an index into wire). */
export const opsSince = (mark) => wire.slice(mark).map((e) => e.op);

/** The recorded exchange since mark, printable (tokens shortened). */
export function exchangeSince(mark) {
	const short = (_k, v) => (typeof v === 'string' && v.length > 60 ? v.slice(0, 24) + '…' + v.slice(-8) : v);
	return wire.slice(mark).map((e) => `${e.op} ${JSON.stringify(e.request, short)}\n  → ${e.status} ${JSON.stringify(e.response, short)}`).join('\n');
}

/** A Map-backed key-value storage whose contents a test can read. */
export class MapStorage {
	constructor() {
		this.map = new Map();
	}
	async setItem(key, value) {
		this.map.set(key, value);
	}
	async getItem(key) {
		return this.map.has(key) ? this.map.get(key) : null;
	}
	async removeItem(key) {
		this.map.delete(key);
	}
	async clear() {
		this.map.clear();
	}
	/** The value of the one key ending with suffix (undefined if none). */
	find(suffix) {
		const keys = [...this.map.keys()].filter((k) => k.endsWith(suffix));
		assert.ok(keys.length <= 1, `more than one key ends with ${suffix}: ${keys}`);
		return keys.length ? this.map.get(keys[0]) : undefined;
	}
}

/**
 * amazon-cognito-identity-js's synchronous storage interface over a Map a
 * test can read (the library's own default is the browser's localStorage).
 */
export class SyncMapStorage {
	constructor() {
		this.map = new Map();
	}
	setItem(k, v) {
		this.map.set(k, String(v));
	}
	getItem(k) {
		return this.map.has(k) ? this.map.get(k) : null;
	}
	removeItem(k) {
		this.map.delete(k);
	}
	clear() {
		this.map.clear();
	}
	/** The keys under which the library keeps tokens. */
	tokenKeys() {
		return [...this.map.keys()].filter((k) => /\.(idToken|accessToken|refreshToken)$/.test(k));
	}
}

/** Decodes RFC 4648 base32 (the software-token secrets' encoding). */
function base32Decode(s) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = 0;
	let value = 0;
	const out = [];
	for (const c of s.replace(/=+$/, '')) {
		value = (value << 5) | alphabet.indexOf(c);
		bits += 5;
		if (bits >= 8) {
			out.push((value >>> (bits - 8)) & 0xff);
			bits -= 8;
		}
	}
	return Buffer.from(out);
}

/**
 * The 6-digit RFC 6238 code (HMAC-SHA1, 30-second steps) of a base32 secret,
 * steps after the current time step, as an authenticator app computes it.
 */
export function totp(secret, steps = 0) {
	const counter = Buffer.alloc(8);
	counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + steps));
	const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
	const off = mac[mac.length - 1] & 0x0f;
	return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}
