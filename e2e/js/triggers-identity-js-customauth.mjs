// amazon-cognito-identity-js 6.3.x and custom authentication: the
// customChallenge callback, with initiateAuth (no password) and with
// authenticateUser under authenticationFlowType CUSTOM_AUTH (SRP first).
// The challenge functions are served by the Go test that runs this file
// (e2e/customauth_test.go).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import identity from 'amazon-cognito-identity-js';

import { COGNATE_URL, SyncMapStorage, exchangeSince, newConfirmedUser, wire } from './helpers.mjs';
import { newCustomAuthPool } from './triggers-helpers.mjs';

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = identity;

/**
 * Runs the custom flow with answers given in turn to each customChallenge
 * callback; resolves { session, challenges } or rejects with the failure.
 */
function customSignIn(user, details, answers, srp) {
	const challenges = [];
	return new Promise((resolve, reject) => {
		const callbacks = {
			onSuccess: (session) => resolve({ session, challenges }),
			onFailure: reject,
			customChallenge(params) {
				challenges.push(params);
				user.sendCustomChallengeAnswer(answers.shift(), this);
			},
			mfaRequired: () => reject(new Error('unexpected mfaRequired')),
			totpRequired: () => reject(new Error('unexpected totpRequired')),
			newPasswordRequired: () => reject(new Error('unexpected newPasswordRequired')),
		};
		user.setAuthenticationFlowType('CUSTOM_AUTH');
		if (srp) user.authenticateUser(details, callbacks);
		else user.initiateAuth(details, callbacks);
	});
}

describe('amazon-cognito-identity-js: custom challenges', () => {
	test('initiateAuth + customChallenge: a wrong answer, then the right one', async () => {
		const pool = await newCustomAuthPool();
		const { username } = await newConfirmedUser(pool.poolId);
		const storage = new SyncMapStorage();
		const userPool = new CognitoUserPool({ UserPoolId: pool.poolId, ClientId: pool.clientId, endpoint: COGNATE_URL + '/', Storage: storage });
		const user = new CognitoUser({ Username: username, Pool: userPool, Storage: storage });
		const mark = wire.length;
		const { session, challenges } = await customSignIn(user, new AuthenticationDetails({ Username: username }), ['5', '4'], false);
		assert.equal(challenges.length, 2, exchangeSince(mark));
		assert.equal(challenges[0].question, '2+2?');
		assert.ok(session.isValid());
		assert.equal(session.getIdToken().decodePayload()['cognito:username'], username);
	});

	test('authenticateUser with CUSTOM_AUTH: SRP, then customChallenge', async () => {
		const pool = await newCustomAuthPool();
		const { username, password } = await newConfirmedUser(pool.poolId);
		const storage = new SyncMapStorage();
		const userPool = new CognitoUserPool({ UserPoolId: pool.poolId, ClientId: pool.clientId, endpoint: COGNATE_URL + '/', Storage: storage });
		const user = new CognitoUser({ Username: username, Pool: userPool, Storage: storage });
		const mark = wire.length;
		const { session } = await customSignIn(user, new AuthenticationDetails({ Username: username, Password: password }), ['4'], true);
		assert.ok(session.isValid(), exchangeSince(mark));
		assert.equal(wire[mark].request.AuthParameters.CHALLENGE_NAME, 'SRP_A');
		assert.deepEqual(wire.slice(mark).map((e) => e.request.ChallengeName).filter(Boolean), ['PASSWORD_VERIFIER', 'CUSTOM_CHALLENGE']);
	});
});
