// amazon-cognito-identity-js 6.3.x MFA against Cognate: a signed-in user
// sets up a software token (associateSoftwareToken, verifySoftwareToken,
// setUserMfaPreference), then signs in again through the totpRequired
// callback and sendMFACode (a wrong code first); and, in a pool that
// requires MFA, a user without a factor sets one up during the sign-in
// (mfaSetup). Codes are computed here, as an authenticator app would
// (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import identity from 'amazon-cognito-identity-js';

import { COGNATE_URL, SyncMapStorage, claims, cognito, newConfirmedUser, newPool, totp } from './helpers.mjs';

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = identity;

async function mfaPool(mode) {
	const pool = await newPool();
	await cognito('SetUserPoolMfaConfig', {
		UserPoolId: pool.poolId,
		MfaConfiguration: mode,
		SoftwareTokenMfaConfiguration: { Enabled: true },
	});
	return pool;
}

/** A CognitoUser of its own pool object and storage (a fresh "device"). */
function cognitoUser(pool, username) {
	const Storage = new SyncMapStorage();
	const userPool = new CognitoUserPool({ UserPoolId: pool.poolId, ClientId: pool.clientId, endpoint: COGNATE_URL + '/', Storage });
	return new CognitoUser({ Username: username, Pool: userPool, Storage });
}

/**
 * authenticateUser as a promise: resolves { session } or the challenge
 * callback that was called ({ totpRequired }, { mfaSetup }).
 */
function authenticate(user, username, pass) {
	return new Promise((resolve, reject) => {
		user.authenticateUser(new AuthenticationDetails({ Username: username, Password: pass }), {
			onSuccess: (session) => resolve({ session }),
			onFailure: reject,
			totpRequired: (challengeName, challengeParameters) => resolve({ totpRequired: { challengeName, challengeParameters } }),
			mfaSetup: (challengeName, challengeParameters) => resolve({ mfaSetup: { challengeName, challengeParameters } }),
			mfaRequired: () => reject(new Error('unexpected mfaRequired')),
			selectMFAType: () => reject(new Error('unexpected selectMFAType')),
			newPasswordRequired: () => reject(new Error('unexpected newPasswordRequired')),
			customChallenge: () => reject(new Error('unexpected customChallenge')),
		});
	});
}

const associate = (user) =>
	new Promise((resolve, reject) => user.associateSoftwareToken({ associateSecretCode: resolve, onFailure: reject }));

const verify = (user, code, name) =>
	new Promise((resolve, reject) => user.verifySoftwareToken(code, name, { onSuccess: resolve, onFailure: reject }));

const sendMFACode = (user, code) =>
	new Promise((resolve, reject) => user.sendMFACode(code, { onSuccess: resolve, onFailure: reject }, 'SOFTWARE_TOKEN_MFA'));

describe('amazon-cognito-identity-js software-token MFA', () => {
	test('set up signed in, then totpRequired and sendMFACode at sign-in', async () => {
		const pool = await mfaPool('OPTIONAL');
		const { username, password } = await newConfirmedUser(pool.poolId);

		const user = cognitoUser(pool, username);
		const first = await authenticate(user, username, password);
		assert.ok(first.session?.isValid(), 'no MFA yet: tokens at once');
		const secret = await associate(user);
		assert.match(secret, /^[A-Z2-7]{16,}$/);
		const status = await verify(user, totp(secret), 'js-phone');
		assert.equal(status.Status ?? status, 'SUCCESS');
		await new Promise((resolve, reject) =>
			user.setUserMfaPreference(null, { Enabled: true, PreferredMfa: true }, (err, res) => (err ? reject(err) : resolve(res))),
		);
		const got = await cognito('AdminGetUser', { UserPoolId: pool.poolId, Username: username });
		assert.equal(got.PreferredMfaSetting, 'SOFTWARE_TOKEN_MFA');

		const again = cognitoUser(pool, username);
		const ch = await authenticate(again, username, password);
		assert.equal(ch.totpRequired?.challengeName, 'SOFTWARE_TOKEN_MFA');
		assert.equal(ch.totpRequired.challengeParameters.FRIENDLY_DEVICE_NAME, 'js-phone');
		const wrong = totp(secret, -5);
		await assert.rejects(sendMFACode(again, wrong), (err) => {
			assert.equal(err.code ?? err.name, 'CodeMismatchException');
			return true;
		});
		// The step verified at setup is used: the next one signs in.
		const session = await sendMFACode(again, totp(secret, 1));
		assert.ok(session.isValid());
		assert.equal(claims(session.getAccessToken().getJwtToken()).username, username);
	});

	test('mfaSetup during the sign-in of a pool that requires MFA', async () => {
		const pool = await mfaPool('ON');
		const { username, password } = await newConfirmedUser(pool.poolId);
		const user = cognitoUser(pool, username);
		const ch = await authenticate(user, username, password);
		assert.equal(ch.mfaSetup?.challengeName, 'MFA_SETUP');
		const secret = await associate(user);
		const session = await verify(user, totp(secret), 'js-setup');
		assert.ok(session.isValid(), 'verifySoftwareToken answers MFA_SETUP and signs in');
		assert.equal(claims(session.getIdToken().getJwtToken())['cognito:username'], username);
	});
});
