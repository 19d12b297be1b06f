// Amplify JS v6 on a pool made the way Amplify makes one — e-mail as the
// username, e-mail verified automatically, recovery by verified e-mail,
// usernames case-insensitive — through the whole account life cycle, with
// every code read from the server's development outbox. Then
// amazon-cognito-identity-js's forgotPassword and confirmPassword.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Amplify } from 'aws-amplify';
import {
	autoSignIn,
	confirmResetPassword,
	confirmSignUp,
	confirmUserAttribute,
	deleteUserAttributes,
	fetchAuthSession,
	fetchUserAttributes,
	resendSignUpCode,
	resetPassword,
	signIn,
	signOut,
	signUp,
	updatePassword,
	updateUserAttributes,
} from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';
import identity from 'amazon-cognito-identity-js';

import {
	COGNATE_URL,
	MapStorage,
	assertAccessRefused,
	claims,
	cognito,
	exchangeSince,
	password,
	unique,
} from './helpers.mjs';

// Amplify's signUp with autoSignIn arms a three-minute timer that it never
// clears, which would keep this test process alive after its last test.
// Long timers here are only such give-up timers: let them not hold the
// process open. Short ones (retries, debounces) are left as they are.
const setTimeoutAsIs = globalThis.setTimeout;
globalThis.setTimeout = (fn, ms, ...args) => {
	const t = setTimeoutAsIs(fn, ms, ...args);
	if (ms >= 60_000) t.unref?.();
	return t;
};

let pool; // { poolId, clientId }
const storage = new MapStorage();

/** The newest message the server sent to destination, of kind. */
async function outboxCode(destination, kind) {
	const url = new URL(COGNATE_URL + '/_dev/outbox');
	url.searchParams.set('poolId', pool.poolId);
	url.searchParams.set('destination', destination);
	const resp = await fetch(url);
	assert.equal(resp.status, 200, 'the development outbox answers');
	const { messages } = await resp.json();
	const m = messages.find((x) => x.kind === kind);
	assert.ok(m, `a ${kind} message to ${destination} in ${JSON.stringify(messages.map((x) => x.kind))}`);
	assert.equal(m.channel, 'EMAIL');
	assert.ok(m.body.includes(m.code), 'the body carries the code');
	return m.code;
}

before(async () => {
	const { UserPool } = await cognito('CreateUserPool', {
		PoolName: unique('amplify'),
		UsernameAttributes: ['email'],
		AutoVerifiedAttributes: ['email'],
		UsernameConfiguration: { CaseSensitive: false },
		AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
		Schema: [{ Name: 'email', AttributeDataType: 'String', Required: true, Mutable: true }],
	});
	const { UserPoolClient } = await cognito('CreateUserPoolClient', {
		UserPoolId: UserPool.Id,
		ClientName: 'amplify-app',
		ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_CUSTOM_AUTH'],
	});
	pool = { poolId: UserPool.Id, clientId: UserPoolClient.ClientId };
	Amplify.configure({
		Auth: { Cognito: { userPoolId: pool.poolId, userPoolClientId: pool.clientId, userPoolEndpoint: COGNATE_URL,
			loginWith: { email: true }, signUpVerificationMethod: 'code' } },
	});
	cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);
});

afterEach(async () => {
	await signOut().catch(() => {});
	await storage.clear();
});

after(() => {
	if (process.exitCode) console.log('Amplify ↔ Cognate exchange:\n' + exchangeSince(0));
});

async function accessToken() {
	const { tokens } = await fetchAuthSession();
	assert.ok(tokens?.accessToken, 'signed in');
	return tokens.accessToken.toString();
}

describe('Amplify JS on an Amplify pool', () => {
	test('sign-up by e-mail, confirmation from the outbox, auto sign-in, case-insensitive sign-in', async () => {
		const email = `${unique('ann')}@example.com`;
		const pw = password();
		const up = await signUp({ username: email, password: pw, options: { userAttributes: { email }, autoSignIn: true } });
		assert.equal(up.isSignUpComplete, false);
		assert.equal(up.nextStep.signUpStep, 'CONFIRM_SIGN_UP');
		assert.equal(up.nextStep.codeDeliveryDetails.deliveryMedium, 'EMAIL');
		assert.match(up.nextStep.codeDeliveryDetails.destination, /^.\*\*\*@.\*\*\*$/);

		// An expired or lost code can be sent again; the old one stops working.
		const first = await outboxCode(email, 'SIGN_UP');
		const again = await resendSignUpCode({ username: email });
		assert.equal(again.deliveryMedium, 'EMAIL');
		const code = await outboxCode(email, 'RESEND');
		if (code !== first) {
			await assert.rejects(confirmSignUp({ username: email, confirmationCode: first }), { name: 'CodeMismatchException' });
		}

		const confirmed = await confirmSignUp({ username: email, confirmationCode: code });
		assert.equal(confirmed.isSignUpComplete, true);
		assert.equal(confirmed.nextStep.signUpStep, 'COMPLETE_AUTO_SIGN_IN');
		const auto = await autoSignIn();
		assert.equal(auto.isSignedIn, true);
		const at = await accessToken();
		assert.equal(claims(at).sub, up.userId);
		assert.equal(claims(at).username, up.userId, 'the username is the generated id');

		const attrs = await fetchUserAttributes();
		assert.equal(attrs.email, email);
		assert.equal(attrs.email_verified, 'true');
		await signOut();

		const again2 = await signIn({ username: email.toUpperCase(), password: pw });
		assert.equal(again2.isSignedIn, true, 'the address signs in in any case');
	});

	test('resetPassword and confirmResetPassword end the old sessions', async () => {
		const email = `${unique('bea')}@example.com`;
		const pw = password();
		await signUp({ username: email, password: pw, options: { userAttributes: { email } } });
		await confirmSignUp({ username: email, confirmationCode: await outboxCode(email, 'SIGN_UP') });
		await signIn({ username: email, password: pw });
		const old = await accessToken();
		await signOut({ global: false });

		const reset = await resetPassword({ username: email });
		assert.equal(reset.isPasswordReset, false);
		assert.equal(reset.nextStep.resetPasswordStep, 'CONFIRM_RESET_PASSWORD_WITH_CODE');
		assert.equal(reset.nextStep.codeDeliveryDetails.attributeName, 'email');
		const newPw = password();
		await confirmResetPassword({ username: email, confirmationCode: await outboxCode(email, 'FORGOT_PASSWORD'), newPassword: newPw });

		await assertAccessRefused(old);
		await assert.rejects(signIn({ username: email, password: pw }), { name: 'NotAuthorizedException' });
		assert.equal((await signIn({ username: email, password: newPw })).isSignedIn, true);
	});

	test('updatePassword, updateUserAttributes with confirmUserAttribute, deleteUserAttributes', async () => {
		const email = `${unique('cam')}@example.com`;
		const pw = password();
		await signUp({ username: email, password: pw, options: { userAttributes: { email, name: 'Cam' } } });
		await confirmSignUp({ username: email, confirmationCode: await outboxCode(email, 'SIGN_UP') });
		await signIn({ username: email, password: pw });

		const newPw = password();
		await updatePassword({ oldPassword: pw, newPassword: newPw });

		const moved = `${unique('cam-new')}@example.com`;
		const out = await updateUserAttributes({ userAttributes: { email: moved } });
		assert.equal(out.email.isUpdated, false);
		assert.equal(out.email.nextStep.updateAttributeStep, 'CONFIRM_ATTRIBUTE_WITH_CODE');
		let attrs = await fetchUserAttributes();
		assert.equal(attrs.email, moved);
		assert.equal(attrs.email_verified, 'false', 'a changed address is unverified');
		await confirmUserAttribute({ userAttributeKey: 'email', confirmationCode: await outboxCode(moved, 'VERIFY_ATTRIBUTE') });
		attrs = await fetchUserAttributes();
		assert.equal(attrs.email_verified, 'true');

		await deleteUserAttributes({ userAttributeKeys: ['name'] });
		attrs = await fetchUserAttributes();
		assert.equal(attrs.name, undefined);
		await signOut();

		assert.equal((await signIn({ username: moved, password: newPw })).isSignedIn, true, 'the new address and password sign in');
	});
});

describe('amazon-cognito-identity-js', () => {
	test('forgotPassword and confirmPassword', async () => {
		const email = `${unique('dan')}@example.com`;
		const pw = password();
		await cognito('AdminCreateUser', { UserPoolId: pool.poolId, Username: email, MessageAction: 'SUPPRESS',
			UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' }] });
		await cognito('AdminSetUserPassword', { UserPoolId: pool.poolId, Username: email, Password: pw, Permanent: true });

		const userPool = new identity.CognitoUserPool({ UserPoolId: pool.poolId, ClientId: pool.clientId, endpoint: COGNATE_URL + '/' });
		const user = new identity.CognitoUser({ Username: email, Pool: userPool });
		const delivery = await new Promise((resolve, reject) => {
			user.forgotPassword({ onSuccess: resolve, onFailure: reject, inputVerificationCode: resolve });
		});
		assert.equal(delivery.CodeDeliveryDetails.AttributeName, 'email');
		const code = await outboxCode(email, 'FORGOT_PASSWORD');
		const newPw = password();
		await new Promise((resolve, reject) => {
			user.confirmPassword(code, newPw, { onSuccess: resolve, onFailure: reject });
		});
		const { AuthenticationResult } = await cognito('AdminInitiateAuth', { UserPoolId: pool.poolId, ClientId: pool.clientId,
			AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD: newPw } }).catch(async (e) => {
			// The client allows SRP only; check the new password through SRP instead.
			if (e.name !== 'InvalidParameterException') throw e;
			const session = await new Promise((resolve, reject) => {
				user.authenticateUser(new identity.AuthenticationDetails({ Username: email, Password: newPw }),
					{ onSuccess: resolve, onFailure: reject });
			});
			return { AuthenticationResult: { AccessToken: session.getAccessToken().getJwtToken() } };
		});
		assert.ok(AuthenticationResult.AccessToken, 'the new password signs in');
	});
});
