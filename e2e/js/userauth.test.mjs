// Amplify JS v6's choice-based sign-in (authFlowType USER_AUTH) against
// Cognate: a passwordless sign-in with an e-mail code read from the
// server's development outbox, and PASSWORD_SRP as the preferred challenge.
import { afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Amplify } from 'aws-amplify';
import { autoSignIn, confirmSignIn, confirmSignUp, fetchAuthSession, signIn, signOut, signUp } from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';

import { COGNATE_URL, MapStorage, cognito, newConfirmedUser, opsSince, password, unique, wire } from './helpers.mjs';

// Amplify's signUp with autoSignIn arms a give-up timer that it never
// clears: let long timers not hold the test process open.
const setTimeoutAsIs = globalThis.setTimeout;
globalThis.setTimeout = (fn, ms, ...args) => {
	const t = setTimeoutAsIs(fn, ms, ...args);
	if (ms >= 60_000) t.unref?.();
	return t;
};

let pool; // { poolId, clientId }
const storage = new MapStorage();

/** The newest sign-in code the server sent to destination. */
async function signInCode(destination, kind = 'MFA') {
	const url = new URL(COGNATE_URL + '/_dev/outbox');
	url.searchParams.set('poolId', pool.poolId);
	url.searchParams.set('destination', destination);
	const resp = await fetch(url);
	assert.equal(resp.status, 200, 'the development outbox answers');
	const { messages } = await resp.json();
	const m = messages.find((x) => x.kind === kind);
	assert.ok(m, `a sign-in code to ${destination} in ${JSON.stringify(messages.map((x) => x.kind))}`);
	return m.code;
}

before(async () => {
	const { UserPool } = await cognito('CreateUserPool', {
		PoolName: unique('userauth'),
		AutoVerifiedAttributes: ['email'],
		Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } },
	});
	assert.deepEqual(UserPool.Policies.SignInPolicy.AllowedFirstAuthFactors, ['PASSWORD', 'EMAIL_OTP']);
	const { UserPoolClient } = await cognito('CreateUserPoolClient', {
		UserPoolId: UserPool.Id,
		ClientName: 'amplify-userauth',
		ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
	});
	pool = { poolId: UserPool.Id, clientId: UserPoolClient.ClientId };
	Amplify.configure({
		Auth: { Cognito: { userPoolId: pool.poolId, userPoolClientId: pool.clientId, userPoolEndpoint: COGNATE_URL } },
	});
	cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);
});

afterEach(async () => {
	await signOut().catch(() => {});
	await storage.clear();
});

async function signedInAs(username) {
	const { tokens } = await fetchAuthSession();
	assert.ok(tokens?.accessToken, 'signed in');
	const user = await cognito('GetUser', { AccessToken: tokens.accessToken.toString() });
	assert.equal(user.Username, username);
}

describe('Amplify JS USER_AUTH', () => {
	test('passwordless: EMAIL_OTP code from the outbox', async () => {
		const { username } = await newConfirmedUser(pool.poolId);
		const mark = wire.length;
		const out = await signIn({ username, options: { authFlowType: 'USER_AUTH', preferredChallenge: 'EMAIL_OTP' } });
		assert.equal(out.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
		assert.equal(out.nextStep.codeDeliveryDetails?.deliveryMedium, 'EMAIL');
		const code = await signInCode(`${username}@example.com`);
		const done = await confirmSignIn({ challengeResponse: code });
		assert.equal(done.isSignedIn, true);
		assert.equal(done.nextStep.signInStep, 'DONE');
		assert.deepEqual(opsSince(mark).slice(0, 2), ['InitiateAuth', 'RespondToAuthChallenge']);
		assert.equal(wire[mark].request.AuthFlow, 'USER_AUTH');
		await signedInAs(username);
	});

	test('a wrong code is refused, the right one still signs in', async () => {
		const { username } = await newConfirmedUser(pool.poolId);
		const out = await signIn({ username, options: { authFlowType: 'USER_AUTH', preferredChallenge: 'EMAIL_OTP' } });
		assert.equal(out.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
		const code = await signInCode(`${username}@example.com`);
		await assert.rejects(confirmSignIn({ challengeResponse: code === '000000' ? '111111' : '000000' }), { name: 'CodeMismatchException' });
		const done = await confirmSignIn({ challengeResponse: code });
		assert.equal(done.isSignedIn, true);
	});

	test('PASSWORD_SRP as the preferred challenge', async () => {
		const { username, password } = await newConfirmedUser(pool.poolId);
		const mark = wire.length;
		const out = await signIn({ username, password, options: { authFlowType: 'USER_AUTH', preferredChallenge: 'PASSWORD_SRP' } });
		assert.equal(out.isSignedIn, true);
		assert.equal(wire[mark].request.AuthFlow, 'USER_AUTH');
		assert.equal(wire[mark].response.ChallengeName, 'PASSWORD_VERIFIER');
		await signedInAs(username);
	});

	test('autoSignIn after confirmSignUp uses the Session of ConfirmSignUp (USER_AUTH)', async () => {
		const username = unique('auto');
		const email = `${username}@example.com`;
		const up = await signUp({ username, password: password(), options: { userAttributes: { email }, autoSignIn: { authFlowType: 'USER_AUTH' } } });
		assert.equal(up.nextStep.signUpStep, 'CONFIRM_SIGN_UP');
		const mark = wire.length;
		const confirmed = await confirmSignUp({ username, confirmationCode: await signInCode(email, 'SIGN_UP') });
		assert.equal(confirmed.nextStep.signUpStep, 'COMPLETE_AUTO_SIGN_IN');
		assert.ok(wire[mark].response.Session, 'ConfirmSignUp returns a Session');
		const out = await autoSignIn();
		assert.equal(out.isSignedIn, true);
		const init = wire.slice(mark).find((e) => e.op === 'InitiateAuth');
		assert.equal(init.request.AuthFlow, 'USER_AUTH');
		assert.equal(init.request.Session, wire[mark].response.Session);
		await signedInAs(username);
	});
});
