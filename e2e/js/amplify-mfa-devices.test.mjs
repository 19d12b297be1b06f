// Amplify JS v6 where MFA and remembered devices meet (its own process:
// Amplify is a singleton). A pool with optional software-token MFA and
// device tracking (devices remembered without asking): a sign-in on the
// remembered device skips the TOTP step, signOut keeps the device, and once
// the device is forgotten the next sign-in asks for the code again.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Amplify } from 'aws-amplify';
import {
	confirmSignIn,
	fetchDevices,
	forgetDevice,
	setUpTOTP,
	signIn,
	signOut,
	updateMFAPreference,
	verifyTOTPSetup,
} from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';

import { COGNATE_URL, MapStorage, cognito, exchangeSince, newConfirmedUser, totp, unique, wire } from './helpers.mjs';

const storage = new MapStorage();
let pool; // { poolId, clientId }

// Amplify confirms a device only where navigator exists (Node 21 and later).
if (typeof globalThis.navigator === 'undefined') {
	globalThis.navigator = { userAgent: 'node' };
}

before(async () => {
	const { UserPool } = await cognito('CreateUserPool', {
		PoolName: unique('amplify-mfa-devices'),
		DeviceConfiguration: { ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: false },
	});
	await cognito('SetUserPoolMfaConfig', {
		UserPoolId: UserPool.Id,
		MfaConfiguration: 'OPTIONAL',
		SoftwareTokenMfaConfiguration: { Enabled: true },
	});
	const { UserPoolClient } = await cognito('CreateUserPoolClient', {
		UserPoolId: UserPool.Id,
		ClientName: 'amplify-mfa-devices',
		ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
	});
	pool = { poolId: UserPool.Id, clientId: UserPoolClient.ClientId };
	Amplify.configure({
		Auth: { Cognito: { userPoolId: pool.poolId, userPoolClientId: pool.clientId, userPoolEndpoint: COGNATE_URL } },
	});
	cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);
});

/** The challenges Amplify answered since mark. */
const challengesSince = (mark) =>
	wire.slice(mark).filter((e) => e.op === 'RespondToAuthChallenge').map((e) => e.request.ChallengeName);

describe('Amplify JS v6: MFA and remembered devices', () => {
	test('a remembered device skips the TOTP step; a forgotten one does not', async () => {
		const { username, password } = await newConfirmedUser(pool.poolId, unique('amd'));

		// No factor yet: signed in at once, on a new device Amplify confirms.
		let mark = wire.length;
		let r = await signIn({ username, password });
		assert.equal(r.isSignedIn, true, exchangeSince(mark));
		assert.ok(wire.slice(mark).some((e) => e.op === 'ConfirmDevice' && e.status === 200), 'the device is confirmed');
		const details = await setUpTOTP();
		await verifyTOTPSetup({ code: totp(details.sharedSecret) });
		await updateMFAPreference({ totp: 'PREFERRED' });
		const [device] = await fetchDevices();
		assert.equal(device.attributes.device_remembered_status, 'remembered');
		await signOut();

		// The remembered device: device SRP, and no TOTP step.
		mark = wire.length;
		r = await signIn({ username, password });
		let where = '\n' + exchangeSince(mark);
		assert.equal(r.isSignedIn, true, 'signed in without the TOTP code' + where);
		assert.deepEqual(challengesSince(mark), ['PASSWORD_VERIFIER', 'DEVICE_SRP_AUTH', 'DEVICE_PASSWORD_VERIFIER'], where);

		// Forgotten: the next sign-in asks for the code, and brings a new device.
		await forgetDevice();
		await signOut().catch(() => {});
		mark = wire.length;
		r = await signIn({ username, password });
		where = '\n' + exchangeSince(mark);
		assert.equal(r.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_TOTP_CODE', where);
		r = await confirmSignIn({ challengeResponse: totp(details.sharedSecret, 1) });
		where = '\n' + exchangeSince(mark);
		assert.equal(r.isSignedIn, true, where);
		const confirmed = wire.slice(mark).filter((e) => e.op === 'ConfirmDevice');
		assert.equal(confirmed.length, 1, 'the sign-in through the TOTP step was offered a device' + where);
		assert.notEqual(confirmed[0].request.DeviceKey, device.id, where);
		await signOut();
	});
});
