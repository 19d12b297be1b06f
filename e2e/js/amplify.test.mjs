// Amplify JS v6 (aws-amplify) against Cognate, configured with
// userPoolEndpoint. Amplify is a singleton per process, so its "device" is the
// only Amplify session here; the second device signs in through the raw API.
// Amplify swallows the remote errors of signOut, so every sign-out is judged
// by asking the server, never by the promise.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Amplify } from 'aws-amplify';
import {
	confirmSignIn,
	confirmSignUp,
	fetchAuthSession,
	getCurrentUser,
	signIn,
	signOut,
	signUp,
} from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';

import {
	COGNATE_URL,
	MapStorage,
	assertAccessRefused,
	assertRefreshRefused,
	assertSessionLive,
	claims,
	cognito,
	cognitoRefuses,
	exchangeSince,
	newConfirmedUser,
	newPool,
	opsSince,
	password,
	passwordSignIn,
	unique,
	wire,
} from './helpers.mjs';

let pool; // { poolId, clientId }
const storage = new MapStorage();

before(async () => {
	pool = await newPool();
	Amplify.configure({
		Auth: { Cognito: { userPoolId: pool.poolId, userPoolClientId: pool.clientId, userPoolEndpoint: COGNATE_URL } },
	});
	cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);
});

// Leave Amplify signed out for the next test whatever happened (a no-op when
// the test already signed out).
afterEach(async () => {
	await signOut().catch(() => {});
	await storage.clear();
});

after(() => {
	// On a failure, the exchange is the evidence to report.
	if (process.exitCode) console.log('Amplify ↔ Cognate exchange:\n' + exchangeSince(0));
});

/** The tokens Amplify holds now: access and id from fetchAuthSession, refresh from its storage. */
async function amplifyTokens() {
	const { tokens } = await fetchAuthSession();
	assert.ok(tokens?.accessToken && tokens.idToken, 'fetchAuthSession returns access and id tokens');
	const refreshToken = storage.find('.refreshToken');
	assert.ok(refreshToken, "Amplify's storage holds a refresh token");
	return { accessToken: tokens.accessToken.toString(), idToken: tokens.idToken.toString(), refreshToken };
}

/** Asserts the recorded exchange since mark is an SRP sign-in that the server accepted. */
function assertSRPSignIn(mark, username) {
	const ex = wire.slice(mark);
	const where = '\n' + exchangeSince(mark);
	assert.deepEqual(ex.slice(0, 2).map((e) => e.op), ['InitiateAuth', 'RespondToAuthChallenge'], where);
	assert.equal(ex[0].request.AuthFlow, 'USER_SRP_AUTH', 'signIn defaults to SRP' + where);
	assert.equal(ex[0].request.AuthParameters.USERNAME, username, where);
	assert.match(ex[0].request.AuthParameters.SRP_A, /^[0-9a-f]+$/, where);
	assert.equal(ex[0].status, 200, where);
	assert.equal(ex[0].response.ChallengeName, 'PASSWORD_VERIFIER', where);
	const params = ex[0].response.ChallengeParameters;
	for (const k of ['SALT', 'SRP_B', 'SECRET_BLOCK', 'USERNAME', 'USER_ID_FOR_SRP']) assert.ok(params[k], `challenge lacks ${k}` + where);
	assert.equal(ex[1].request.ChallengeName, 'PASSWORD_VERIFIER', where);
	assert.equal(ex[1].request.ChallengeResponses.USERNAME, params.USER_ID_FOR_SRP, where);
	assert.ok(ex[1].request.ChallengeResponses.PASSWORD_CLAIM_SIGNATURE, where);
	assert.equal(ex[1].status, 200, 'the server accepted the password claim' + where);
	return ex[1].response;
}

describe('aws-amplify v6 with userPoolEndpoint', () => {
	test('signUp, confirmSignUp, SRP signIn, fetchAuthSession, signOut revokes only this device', async () => {
		const username = unique('amy');
		const pass = password();
		const email = `${username}@example.com`;

		// signUp: the server creates an UNCONFIRMED user and says a code was sent.
		let mark = wire.length;
		const up = await signUp({ username, password: pass, options: { userAttributes: { email } } });
		assert.equal(up.isSignUpComplete, false);
		assert.equal(up.nextStep.signUpStep, 'CONFIRM_SIGN_UP');
		assert.equal(up.nextStep.codeDeliveryDetails?.deliveryMedium, 'EMAIL', 'code delivered by email');
		assert.equal(up.nextStep.codeDeliveryDetails?.attributeName, 'email');
		assert.deepEqual(opsSince(mark), ['SignUp']);
		const signUpAnswer = wire[mark].response;
		assert.equal(signUpAnswer.UserConfirmed, false);
		assert.equal(up.userId, signUpAnswer.UserSub, 'userId is the server-assigned sub');

		let admin = await cognito('AdminGetUser', { UserPoolId: pool.poolId, Username: username });
		assert.equal(admin.UserStatus, 'UNCONFIRMED');
		assert.deepEqual(Object.fromEntries(admin.UserAttributes.map((a) => [a.Name, a.Value])).email, email);
		const code = admin.CognateConfirmationCode;
		assert.match(code ?? '', /^\d{6}$/, 'dev mode exposes the pending confirmation code');

		// A wrong code is refused by the server, and Amplify reports the server's error.
		const wrong = code === '000000' ? '111111' : '000000';
		await assert.rejects(confirmSignUp({ username, confirmationCode: wrong }), (err) => {
			assert.equal(err.name, 'CodeMismatchException');
			return true;
		});
		// Signing in before confirmation: the server refuses the password claim with
		// UserNotConfirmedException, which Amplify turns into a CONFIRM_SIGN_UP step.
		mark = wire.length;
		const early = await signIn({ username, password: pass });
		assert.equal(early.isSignedIn, false);
		assert.equal(early.nextStep.signInStep, 'CONFIRM_SIGN_UP');
		assert.deepEqual(opsSince(mark), ['InitiateAuth', 'RespondToAuthChallenge'], exchangeSince(mark));
		assert.equal(wire.at(-1).status, 400, exchangeSince(mark));
		assert.equal(wire.at(-1).response.__type, 'UserNotConfirmedException', exchangeSince(mark));

		mark = wire.length;
		const confirmed = await confirmSignUp({ username, confirmationCode: code });
		assert.equal(confirmed.isSignUpComplete, true);
		assert.equal(confirmed.nextStep.signUpStep, 'DONE');
		assert.deepEqual(opsSince(mark), ['ConfirmSignUp']);
		admin = await cognito('AdminGetUser', { UserPoolId: pool.poolId, Username: username });
		assert.equal(admin.UserStatus, 'CONFIRMED');
		assert.equal(admin.CognateConfirmationCode, undefined, 'the code is used up');

		// Device 2 signs in through the raw API before Amplify does.
		const device2 = await passwordSignIn(pool.clientId, username, pass);

		// signIn defaults to SRP; the server's PASSWORD_VERIFIER answer carries the tokens.
		mark = wire.length;
		const res = await signIn({ username, password: pass });
		assert.equal(res.isSignedIn, true);
		assert.equal(res.nextStep.signInStep, 'DONE');
		const auth = assertSRPSignIn(mark, username).AuthenticationResult;
		assert.equal(auth.TokenType, 'Bearer');
		assert.equal(auth.ExpiresIn, 3600);

		const current = await getCurrentUser();
		assert.equal(current.username, username);
		assert.equal(current.userId, signUpAnswer.UserSub);

		// fetchAuthSession hands out exactly the tokens the server issued.
		const tokens = await amplifyTokens();
		assert.equal(tokens.accessToken, auth.AccessToken);
		assert.equal(tokens.idToken, auth.IdToken);
		assert.equal(tokens.refreshToken, auth.RefreshToken);
		const at = claims(tokens.accessToken);
		assert.equal(at.token_use, 'access');
		assert.equal(at.username, username);
		assert.equal(at.sub, signUpAnswer.UserSub);
		assert.equal(at.client_id, pool.clientId);
		assert.ok(at.origin_jti, 'the access token carries origin_jti (revocation enabled)');
		const id = claims(tokens.idToken);
		assert.equal(id['cognito:username'], username);
		assert.equal(id.email, email);
		assert.equal(id.aud, pool.clientId);
		const session = await fetchAuthSession();
		assert.equal(session.userSub, signUpAnswer.UserSub);
		// The server accepts Amplify's session.
		const me = await cognito('GetUser', { AccessToken: tokens.accessToken });
		assert.equal(me.Username, username);

		// A forced refresh goes through GetTokensFromRefreshToken and yields new tokens of the same session.
		mark = wire.length;
		const refreshed = await fetchAuthSession({ forceRefresh: true });
		assert.deepEqual(opsSince(mark), ['GetTokensFromRefreshToken'], exchangeSince(mark));
		assert.equal(wire[mark].status, 200, exchangeSince(mark));
		assert.equal(wire[mark].request.RefreshToken, tokens.refreshToken);
		const newAccess = refreshed.tokens.accessToken.toString();
		assert.notEqual(newAccess, tokens.accessToken, 'a refresh mints a new access token');
		assert.equal(newAccess, wire[mark].response.AuthenticationResult.AccessToken);
		assert.equal(claims(newAccess).origin_jti, at.origin_jti, 'same refresh-token family');
		const afterRefresh = await amplifyTokens();

		// signOut(): Amplify revokes its refresh token (and says nothing if that fails).
		mark = wire.length;
		await signOut();
		assert.deepEqual(opsSince(mark), ['RevokeToken'], exchangeSince(mark));
		assert.deepEqual(wire[mark].request, { ClientId: pool.clientId, Token: afterRefresh.refreshToken });
		assert.equal(wire[mark].status, 200, exchangeSince(mark));
		assert.equal(storage.find('.refreshToken'), undefined, 'Amplify cleared its tokens');
		await assert.rejects(getCurrentUser(), { name: 'UserUnAuthenticatedException' });

		// The server refuses the revoked refresh token and the access tokens of its family...
		await assertRefreshRefused(pool.clientId, afterRefresh.refreshToken);
		await assertAccessRefused(tokens.accessToken);
		await assertAccessRefused(afterRefresh.accessToken);
		// ...while device 2's session is untouched.
		await assertSessionLive(pool.clientId, { accessToken: device2.AccessToken, refreshToken: device2.RefreshToken }, username);
	});

	test('signOut({ global: true }) on one device ends the other device\'s session', async () => {
		const { username, password: pass } = await newConfirmedUser(pool.poolId, unique('gus'));
		const device2 = await passwordSignIn(pool.clientId, username, pass);

		let mark = wire.length;
		const res = await signIn({ username, password: pass });
		assert.equal(res.isSignedIn, true);
		assertSRPSignIn(mark, username);
		const mine = await amplifyTokens();
		await assertSessionLive(pool.clientId, mine, username);
		await assertSessionLive(pool.clientId, { accessToken: device2.AccessToken, refreshToken: device2.RefreshToken }, username);

		mark = wire.length;
		await signOut({ global: true });
		assert.deepEqual(opsSince(mark), ['GlobalSignOut'], exchangeSince(mark));
		assert.deepEqual(wire[mark].request, { AccessToken: mine.accessToken });
		assert.equal(wire[mark].status, 200, exchangeSince(mark));
		assert.equal(storage.find('.refreshToken'), undefined, 'Amplify cleared its tokens');

		// The other device can neither refresh nor read the user; neither can this one.
		await assertRefreshRefused(pool.clientId, device2.RefreshToken);
		await assertAccessRefused(device2.AccessToken);
		await assertRefreshRefused(pool.clientId, mine.refreshToken);
		await assertAccessRefused(mine.accessToken);

		// A sign-in right after the global sign-out is valid (no one-second race).
		mark = wire.length;
		assert.equal((await signIn({ username, password: pass })).isSignedIn, true);
		assertSRPSignIn(mark, username);
		await assertSessionLive(pool.clientId, await amplifyTokens(), username);
		await signOut();
	});

	test('NEW_PASSWORD_REQUIRED through confirmSignIn', async () => {
		const username = unique('nina');
		const temporary = password();
		const chosen = password();
		await cognito('AdminCreateUser', {
			UserPoolId: pool.poolId,
			Username: username,
			TemporaryPassword: temporary,
			MessageAction: 'SUPPRESS',
			UserAttributes: [{ Name: 'email', Value: `${username}@example.com` }],
		});
		let admin = await cognito('AdminGetUser', { UserPoolId: pool.poolId, Username: username });
		assert.equal(admin.UserStatus, 'FORCE_CHANGE_PASSWORD');

		let mark = wire.length;
		const res = await signIn({ username, password: temporary });
		assert.equal(res.isSignedIn, false);
		assert.equal(res.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED');
		const challenge = assertSRPSignIn(mark, username);
		assert.equal(challenge.ChallengeName, 'NEW_PASSWORD_REQUIRED', exchangeSince(mark));
		assert.ok(challenge.Session, 'the challenge carries a Session');
		assert.equal(challenge.AuthenticationResult, undefined);
		assert.deepEqual(res.nextStep.missingAttributes ?? [], [], 'no required attribute is missing');
		// Not signed in yet, on either side.
		await assert.rejects(getCurrentUser(), { name: 'UserUnAuthenticatedException' });

		mark = wire.length;
		const done = await confirmSignIn({ challengeResponse: chosen });
		assert.equal(done.isSignedIn, true);
		assert.equal(done.nextStep.signInStep, 'DONE');
		assert.deepEqual(opsSince(mark), ['RespondToAuthChallenge'], exchangeSince(mark));
		const answer = wire[mark];
		assert.equal(answer.request.ChallengeName, 'NEW_PASSWORD_REQUIRED');
		assert.equal(answer.request.ChallengeResponses.NEW_PASSWORD, chosen);
		assert.equal(answer.request.Session, challenge.Session);
		assert.equal(answer.status, 200, exchangeSince(mark));
		assert.ok(answer.response.AuthenticationResult?.RefreshToken);

		// The server changed the password and confirmed the user.
		admin = await cognito('AdminGetUser', { UserPoolId: pool.poolId, Username: username });
		assert.equal(admin.UserStatus, 'CONFIRMED');
		const tokens = await amplifyTokens();
		assert.equal(tokens.accessToken, answer.response.AuthenticationResult.AccessToken);
		assert.equal((await getCurrentUser()).username, username);
		await assertSessionLive(pool.clientId, tokens, username);
		await passwordSignIn(pool.clientId, username, chosen);
		await cognitoRefuses('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: pool.clientId, AuthParameters: { USERNAME: username, PASSWORD: temporary } },
			'NotAuthorizedException', 'Incorrect username or password.');

		// A used challenge session cannot be replayed.
		await cognitoRefuses('RespondToAuthChallenge', {
			ClientId: pool.clientId,
			ChallengeName: 'NEW_PASSWORD_REQUIRED',
			Session: challenge.Session,
			ChallengeResponses: { USERNAME: username, NEW_PASSWORD: password() },
		}, 'NotAuthorizedException');
		await signOut();
		await assertRefreshRefused(pool.clientId, tokens.refreshToken);
	});

	test('signIn with USER_PASSWORD_AUTH, and a wrong password refused with the server\'s error', async () => {
		const { username, password: pass } = await newConfirmedUser(pool.poolId, unique('pat'));

		let mark = wire.length;
		await assert.rejects(signIn({ username, password: pass + 'x' }), (err) => {
			assert.equal(err.name, 'NotAuthorizedException');
			assert.equal(err.message, 'Incorrect username or password.');
			return true;
		});
		assert.deepEqual(opsSince(mark), ['InitiateAuth', 'RespondToAuthChallenge'], exchangeSince(mark));
		assert.equal(wire.at(-1).status, 400, exchangeSince(mark));
		await assert.rejects(getCurrentUser(), { name: 'UserUnAuthenticatedException' });

		mark = wire.length;
		const res = await signIn({ username, password: pass, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
		assert.equal(res.isSignedIn, true);
		assert.deepEqual(opsSince(mark), ['InitiateAuth'], exchangeSince(mark));
		assert.equal(wire[mark].request.AuthFlow, 'USER_PASSWORD_AUTH');
		assert.equal(wire[mark].status, 200);
		const tokens = await amplifyTokens();
		assert.equal(tokens.accessToken, wire[mark].response.AuthenticationResult.AccessToken);
		await assertSessionLive(pool.clientId, tokens, username);
		await signOut();
		await assertRefreshRefused(pool.clientId, tokens.refreshToken);
	});
});
