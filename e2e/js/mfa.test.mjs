// Amplify JS v6 MFA against Cognate: a software token set up by a signed-in
// user (setUpTOTP, verifyTOTPSetup, updateMFAPreference, fetchMFAPreference)
// then asked for at sign-in, and set up during the sign-in of a pool that
// requires MFA (MFA_SETUP). Codes are computed here, as an authenticator app
// would (RFC 6238).
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Amplify } from 'aws-amplify';
import {
	confirmSignIn,
	fetchMFAPreference,
	setUpTOTP,
	signIn,
	signOut,
	updateMFAPreference,
	verifyTOTPSetup,
} from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';

import { COGNATE_URL, MapStorage, cognito, newConfirmedUser, newPool, totp } from './helpers.mjs';

const storage = new MapStorage();

async function mfaPool(mode) {
	const pool = await newPool();
	await cognito('SetUserPoolMfaConfig', {
		UserPoolId: pool.poolId,
		MfaConfiguration: mode,
		SoftwareTokenMfaConfiguration: { Enabled: true },
	});
	Amplify.configure({
		Auth: { Cognito: { userPoolId: pool.poolId, userPoolClientId: pool.clientId, userPoolEndpoint: COGNATE_URL } },
	});
	cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);
	return pool;
}

afterEach(async () => {
	await signOut().catch(() => {});
	await storage.clear();
});

describe('Amplify MFA', () => {
	test('setUpTOTP, verifyTOTPSetup and updateMFAPreference, then a TOTP code at sign-in', async () => {
		const pool = await mfaPool('OPTIONAL');
		const { username, password } = await newConfirmedUser(pool.poolId);
		let r = await signIn({ username, password });
		assert.equal(r.isSignedIn, true, 'OPTIONAL without a factor: signed in directly');

		const details = await setUpTOTP();
		assert.equal(details.sharedSecret.length, 32);
		const uri = details.getSetupUri('Cognate tests', username).toString();
		assert.ok(uri.startsWith('otpauth://totp/'), uri);
		const used = totp(details.sharedSecret);
		await verifyTOTPSetup({ code: used });
		await updateMFAPreference({ totp: 'PREFERRED' });
		assert.deepEqual(await fetchMFAPreference(), { enabled: ['TOTP'], preferred: 'TOTP' });
		await signOut();

		r = await signIn({ username, password });
		assert.equal(r.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_TOTP_CODE');
		// The code verifyTOTPSetup used is spent; the next step's is not.
		await assert.rejects(confirmSignIn({ challengeResponse: used }), (e) =>
			['ExpiredCodeException', 'CodeMismatchException'].includes(e.name));
		r = await confirmSignIn({ challengeResponse: totp(details.sharedSecret, 1) });
		assert.equal(r.isSignedIn, true);
	});

	test('MFA_SETUP: a pool that requires MFA sets the token up during sign-in', async () => {
		const pool = await mfaPool('ON');
		const { username, password } = await newConfirmedUser(pool.poolId);
		let r = await signIn({ username, password });
		assert.equal(r.nextStep.signInStep, 'CONTINUE_SIGN_IN_WITH_TOTP_SETUP');
		const secret = r.nextStep.totpSetupDetails.sharedSecret;
		r = await confirmSignIn({ challengeResponse: totp(secret) });
		assert.equal(r.isSignedIn, true);
		const user = await cognito('AdminGetUser', { UserPoolId: pool.poolId, Username: username });
		assert.deepEqual(user.UserMFASettingList, ['SOFTWARE_TOKEN_MFA']);
	});
});
