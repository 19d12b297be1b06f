// amazon-cognito-identity-js 6.3.x against Cognate through its custom
// `endpoint`. Each "device" is its own CognitoUserPool with its own storage,
// so two sessions of one user live side by side in this process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import identity from 'amazon-cognito-identity-js';

import {
	COGNATE_URL,
	SyncMapStorage,
	assertAccessRefused,
	assertRefreshRefused,
	assertSessionLive,
	claims,
	cognito,
	exchangeSince,
	newConfirmedUser,
	newPool,
	opsSince,
	password,
	unique,
	wire,
} from './helpers.mjs';

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = identity;

let pool; // { poolId, clientId }

before(async () => {
	pool = await newPool();
});

after(() => {
	if (process.exitCode) console.log('amazon-cognito-identity-js ↔ Cognate exchange:\n' + exchangeSince(0));
});

/** A device: its own user pool object and storage. */
function device() {
	const storage = new SyncMapStorage();
	const userPool = new CognitoUserPool({ UserPoolId: pool.poolId, ClientId: pool.clientId, endpoint: COGNATE_URL + '/', Storage: storage });
	return { storage, userPool, user: (username) => new CognitoUser({ Username: username, Pool: userPool, Storage: storage }) };
}

/** authenticateUser as a promise: resolves { session } or { newPasswordRequired: {userAttributes, requiredAttributes} }. */
function authenticate(user, username, pass) {
	return new Promise((resolve, reject) => {
		user.authenticateUser(new AuthenticationDetails({ Username: username, Password: pass }), {
			onSuccess: (session) => resolve({ session }),
			onFailure: reject,
			newPasswordRequired: (userAttributes, requiredAttributes) => resolve({ newPasswordRequired: { userAttributes, requiredAttributes } }),
			mfaRequired: () => reject(new Error('unexpected mfaRequired')),
			totpRequired: () => reject(new Error('unexpected totpRequired')),
			customChallenge: () => reject(new Error('unexpected customChallenge')),
			mfaSetup: () => reject(new Error('unexpected mfaSetup')),
			selectMFAType: () => reject(new Error('unexpected selectMFAType')),
		});
	});
}

/** Signs a user in on a device with SRP and checks the exchange; returns the session's tokens. */
async function srpSignIn(dev, username, pass) {
	const user = dev.user(username);
	const mark = wire.length;
	const { session } = await authenticate(user, username, pass);
	assert.ok(session, 'authenticateUser succeeded without a challenge');
	const ex = wire.slice(mark);
	const where = '\n' + exchangeSince(mark);
	assert.deepEqual(ex.map((e) => e.op), ['InitiateAuth', 'RespondToAuthChallenge'], where);
	assert.equal(ex[0].request.AuthFlow, 'USER_SRP_AUTH', 'authenticateUser uses SRP by default' + where);
	assert.equal(ex[0].response.ChallengeName, 'PASSWORD_VERIFIER', where);
	assert.equal(ex[1].request.ChallengeName, 'PASSWORD_VERIFIER', where);
	assert.equal(ex[1].status, 200, where);
	const result = ex[1].response.AuthenticationResult;
	assert.equal(session.getAccessToken().getJwtToken(), result.AccessToken);
	assert.equal(session.getIdToken().getJwtToken(), result.IdToken);
	assert.equal(session.getRefreshToken().getToken(), result.RefreshToken);
	assert.equal(session.isValid(), true);
	return { user, tokens: { accessToken: result.AccessToken, idToken: result.IdToken, refreshToken: result.RefreshToken } };
}

const call = (fn) => new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

describe('amazon-cognito-identity-js with a custom endpoint', () => {
	test('authenticateUser (SRP), getSession from storage, refreshSession, getUserAttributes', async () => {
		const { username, password: pass } = await newConfirmedUser(pool.poolId, unique('ian'));
		const dev = device();
		const { tokens } = await srpSignIn(dev, username, pass);
		const at = claims(tokens.accessToken);
		assert.equal(at.username, username);
		assert.equal(at.client_id, pool.clientId);
		assert.ok(at.origin_jti, 'origin_jti makes the session revocable');
		assert.equal(claims(tokens.idToken)['cognito:username'], username);
		assert.equal(dev.storage.tokenKeys().length, 3, 'the three tokens are cached');

		// A fresh CognitoUser from the pool's storage gets the same session without asking the server.
		let mark = wire.length;
		const current = dev.userPool.getCurrentUser();
		assert.equal(current.getUsername(), username);
		const cached = await call((cb) => current.getSession(cb));
		assert.equal(cached.getAccessToken().getJwtToken(), tokens.accessToken);
		assert.deepEqual(opsSince(mark), [], 'getSession of a valid cached session makes no call');

		// getUserAttributes is GetUser with that access token; the server answers the user's attributes.
		mark = wire.length;
		const attrs = await call((cb) => current.getUserAttributes(cb));
		assert.deepEqual(opsSince(mark), ['GetUser']);
		assert.equal(wire[mark].status, 200, exchangeSince(mark));
		const byName = Object.fromEntries(attrs.map((a) => [a.getName(), a.getValue()]));
		assert.equal(byName.email, `${username}@example.com`);
		assert.equal(byName.sub, at.sub);

		// refreshSession is REFRESH_TOKEN_AUTH (with DEVICE_KEY null); the server mints a new access token.
		mark = wire.length;
		const refreshed = await call((cb) => current.refreshSession(cached.getRefreshToken(), cb));
		assert.deepEqual(opsSince(mark), ['InitiateAuth'], exchangeSince(mark));
		assert.equal(wire[mark].request.AuthFlow, 'REFRESH_TOKEN_AUTH');
		assert.equal(wire[mark].request.AuthParameters.REFRESH_TOKEN, tokens.refreshToken);
		assert.equal(wire[mark].status, 200, exchangeSince(mark));
		const newAccess = refreshed.getAccessToken().getJwtToken();
		assert.notEqual(newAccess, tokens.accessToken);
		assert.equal(newAccess, wire[mark].response.AuthenticationResult.AccessToken);
		assert.equal(refreshed.getRefreshToken().getToken(), tokens.refreshToken, 'the refresh token is kept');
		assert.equal(claims(newAccess).origin_jti, at.origin_jti);
		await assertSessionLive(pool.clientId, { accessToken: newAccess, refreshToken: tokens.refreshToken }, username);

		// A wrong password is refused by the server with its own error.
		mark = wire.length;
		await assert.rejects(authenticate(device().user(username), username, pass + 'x'), (err) => {
			assert.equal(err.code, 'NotAuthorizedException');
			assert.equal(err.message, 'Incorrect username or password.');
			return true;
		});
		assert.equal(wire.at(-1).status, 400, exchangeSince(mark));
	});

	test('revokeTokens and signOut(callback) revoke only their own device', async () => {
		const { username, password: pass } = await newConfirmedUser(pool.poolId, unique('rita'));
		const a = device();
		const b = device();
		const c = device();
		const sa = await srpSignIn(a, username, pass);
		const sb = await srpSignIn(b, username, pass);
		const sc = await srpSignIn(c, username, pass);

		// Device A: revokeTokens() → RevokeToken with A's refresh token.
		let mark = wire.length;
		await call((cb) => sa.user.revokeTokens((err) => cb(err)));
		assert.deepEqual(opsSince(mark), ['RevokeToken'], exchangeSince(mark));
		assert.deepEqual(wire[mark].request, { Token: sa.tokens.refreshToken, ClientId: pool.clientId });
		assert.equal(wire[mark].status, 200, exchangeSince(mark));
		await assertRefreshRefused(pool.clientId, sa.tokens.refreshToken);
		await assertAccessRefused(sa.tokens.accessToken);
		// The library sees the refusal too: GetUser with A's access token fails with the server's error.
		await assert.rejects(call((cb) => sa.user.getUserAttributes(cb)), (err) => {
			assert.equal(err.code, 'NotAuthorizedException');
			assert.equal(err.message, 'Access Token has been revoked');
			return true;
		});
		await assertSessionLive(pool.clientId, sb.tokens, username);
		await assertSessionLive(pool.clientId, sc.tokens, username);

		// Device B: signOut(callback) revokes (origin_jti is present) and clears B's storage.
		mark = wire.length;
		await call((cb) => sb.user.signOut((err) => cb(err)));
		assert.deepEqual(opsSince(mark), ['RevokeToken'], exchangeSince(mark));
		assert.deepEqual(wire[mark].request, { Token: sb.tokens.refreshToken, ClientId: pool.clientId });
		assert.equal(wire[mark].status, 200, exchangeSince(mark));
		assert.deepEqual(b.storage.tokenKeys(), [], "B's tokens are cleared");
		assert.equal(b.userPool.getCurrentUser(), null);
		await assertRefreshRefused(pool.clientId, sb.tokens.refreshToken);
		await assertAccessRefused(sb.tokens.accessToken);

		// Device C never signed out: still live, and its library still works.
		await assertSessionLive(pool.clientId, sc.tokens, username);
		const attrs = await call((cb) => sc.user.getUserAttributes(cb));
		assert.ok(attrs.some((x) => x.getName() === 'email'));
	});

	test('globalSignOut ends every device\'s session', async () => {
		const { username, password: pass } = await newConfirmedUser(pool.poolId, unique('gina'));
		const a = device();
		const b = device();
		const sa = await srpSignIn(a, username, pass);
		const sb = await srpSignIn(b, username, pass);
		await assertSessionLive(pool.clientId, sb.tokens, username);

		let mark = wire.length;
		await new Promise((resolve, reject) => sa.user.globalSignOut({ onSuccess: resolve, onFailure: reject }));
		assert.deepEqual(opsSince(mark), ['GlobalSignOut'], exchangeSince(mark));
		assert.deepEqual(wire[mark].request, { AccessToken: sa.tokens.accessToken });
		assert.equal(wire[mark].status, 200, exchangeSince(mark));
		assert.deepEqual(a.storage.tokenKeys(), [], "A's tokens are cleared");

		// The server refuses both devices' refresh and access tokens.
		await assertRefreshRefused(pool.clientId, sb.tokens.refreshToken);
		await assertAccessRefused(sb.tokens.accessToken);
		await assertRefreshRefused(pool.clientId, sa.tokens.refreshToken);
		await assertAccessRefused(sa.tokens.accessToken);

		// Device B's library learns it from the server: GetUser is refused...
		mark = wire.length;
		await assert.rejects(call((cb) => sb.user.getUserAttributes(cb)), (err) => {
			assert.equal(err.code, 'NotAuthorizedException');
			assert.equal(err.message, 'Access Token has been revoked');
			return true;
		});
		// ...and so is its refresh (the library retries every error, then gives up and clears B's cache).
		const started = Date.now();
		await assert.rejects(call((cb) => sb.user.refreshSession(sb.user.getSignInUserSession().getRefreshToken(), cb)), (err) => {
			assert.equal(err.code, 'NotAuthorizedException');
			assert.equal(err.message, 'Refresh Token has been revoked');
			return true;
		});
		assert.ok(Date.now() - started < 15000, 'refreshSession gave up within 15 s');
		assert.deepEqual(b.storage.tokenKeys(), [], "B's library cleared its cache after NotAuthorizedException");
		for (const e of wire.slice(mark)) assert.equal(e.response.__type, 'NotAuthorizedException', exchangeSince(mark));

		// Signing in again right away works.
		const again = await srpSignIn(b, username, pass);
		await assertSessionLive(pool.clientId, again.tokens, username);
	});

	test('newPasswordRequired → completeNewPasswordChallenge', async () => {
		const username = unique('noah');
		const temporary = password();
		const chosen = password();
		await cognito('AdminCreateUser', {
			UserPoolId: pool.poolId, Username: username, TemporaryPassword: temporary, MessageAction: 'SUPPRESS',
			UserAttributes: [{ Name: 'email', Value: `${username}@example.com` }],
		});
		const dev = device();
		const user = dev.user(username);
		const first = await authenticate(user, username, temporary);
		assert.ok(first.newPasswordRequired, 'the server asks for a new password');
		assert.deepEqual(first.newPasswordRequired.requiredAttributes, []);
		assert.equal(first.newPasswordRequired.userAttributes.email, `${username}@example.com`);

		const mark = wire.length;
		const session = await new Promise((resolve, reject) =>
			user.completeNewPasswordChallenge(chosen, {}, { onSuccess: resolve, onFailure: reject }));
		assert.deepEqual(opsSince(mark), ['RespondToAuthChallenge'], exchangeSince(mark));
		assert.equal(wire[mark].request.ChallengeName, 'NEW_PASSWORD_REQUIRED');
		assert.equal(wire[mark].status, 200, exchangeSince(mark));
		assert.equal(session.getAccessToken().getJwtToken(), wire[mark].response.AuthenticationResult.AccessToken);
		const admin = await cognito('AdminGetUser', { UserPoolId: pool.poolId, Username: username });
		assert.equal(admin.UserStatus, 'CONFIRMED');
		await assertSessionLive(pool.clientId, { accessToken: session.getAccessToken().getJwtToken(), refreshToken: session.getRefreshToken().getToken() }, username);
		await srpSignIn(device(), username, chosen);
	});
});
