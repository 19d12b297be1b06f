// Amplify JS v6 and custom authentication (CUSTOM_AUTH): the pool's
// DefineAuthChallenge / CreateAuthChallenge / VerifyAuthChallengeResponse
// functions are served by the Go test that runs this file
// (e2e/customauth_test.go: triggertest.ChallengeFuncs, question "2+2?",
// answer "4"), named by LAMBDA_ARN_PREFIX + name (triggers-helpers.mjs). Not a *.test.mjs: it needs
// those functions, so TestJSClients does not run it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Amplify } from 'aws-amplify';
import { confirmSignIn, fetchAuthSession, signIn, signOut } from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';

import { COGNATE_URL, MapStorage, claims, exchangeSince, newConfirmedUser, wire } from './helpers.mjs';
import { newCustomAuthPool } from './triggers-helpers.mjs';

let pool; // { poolId, clientId }
const storage = new MapStorage();

before(async () => {
	pool = await newCustomAuthPool();
	Amplify.configure({
		Auth: { Cognito: { userPoolId: pool.poolId, userPoolClientId: pool.clientId, userPoolEndpoint: COGNATE_URL } },
	});
	cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);
});

after(async () => {
	await signOut().catch(() => {});
	if (process.exitCode) console.log('Amplify ↔ Cognate exchange:\n' + exchangeSince(0));
});

describe('Amplify JS v6: custom challenges', () => {
	test('CUSTOM_WITHOUT_SRP: a question, a wrong answer, the right one', async () => {
		const { username } = await newConfirmedUser(pool.poolId);
		const mark = wire.length;
		let res = await signIn({ username, options: { authFlowType: 'CUSTOM_WITHOUT_SRP' } });
		assert.equal(res.isSignedIn, false, exchangeSince(mark));
		assert.equal(res.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE', exchangeSince(mark));
		assert.equal(res.nextStep.additionalInfo?.question, '2+2?');
		assert.equal(wire[mark].request.AuthFlow, 'CUSTOM_AUTH');

		res = await confirmSignIn({ challengeResponse: '5' });
		assert.equal(res.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE', 'a wrong answer asks again');
		res = await confirmSignIn({ challengeResponse: '4' });
		assert.equal(res.isSignedIn, true, exchangeSince(mark));
		assert.equal(res.nextStep.signInStep, 'DONE');

		const { tokens } = await fetchAuthSession();
		assert.ok(tokens?.accessToken && tokens.idToken, 'fetchAuthSession returns tokens');
		assert.equal(claims(tokens.accessToken.toString()).username, username);
		assert.equal(tokens.idToken.payload['cognito:username'], username);
		const answers = wire.slice(mark).filter((e) => e.op === 'RespondToAuthChallenge');
		assert.deepEqual(answers.map((e) => e.request.ChallengeName), ['CUSTOM_CHALLENGE', 'CUSTOM_CHALLENGE']);
		assert.deepEqual(answers.map((e) => e.request.ChallengeResponses.ANSWER), ['5', '4']);
		await signOut();
	});

	test('CUSTOM_WITH_SRP: the password (SRP), then the question', async () => {
		const { username, password } = await newConfirmedUser(pool.poolId);
		const mark = wire.length;
		let res = await signIn({ username, password, options: { authFlowType: 'CUSTOM_WITH_SRP' } });
		assert.equal(res.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE', exchangeSince(mark));
		const init = wire[mark].request;
		assert.equal(init.AuthFlow, 'CUSTOM_AUTH');
		assert.equal(init.AuthParameters.CHALLENGE_NAME, 'SRP_A');
		assert.ok(wire.slice(mark).some((e) => e.op === 'RespondToAuthChallenge' && e.request.ChallengeName === 'PASSWORD_VERIFIER'),
			'the password was proven with SRP');
		res = await confirmSignIn({ challengeResponse: '4' });
		assert.equal(res.isSignedIn, true, exchangeSince(mark));
		const { tokens } = await fetchAuthSession();
		assert.equal(tokens.idToken.payload['cognito:username'], username);
		await signOut();
	});

	test('CUSTOM_WITH_SRP with a wrong password is refused', async () => {
		const { username } = await newConfirmedUser(pool.poolId);
		await assert.rejects(signIn({ username, password: 'Wr0ng-password!', options: { authFlowType: 'CUSTOM_WITH_SRP' } }),
			(e) => e.name === 'NotAuthorizedException' && e.message === 'Incorrect username or password.');
	});
});
