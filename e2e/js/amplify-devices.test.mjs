// Remembered devices with Amplify JS v6 (its own process: Amplify is a
// singleton). A pool with device tracking: signIn confirms the device it is
// given, keeps it across signOut, and proves it at the next signIn
// (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER); fetchDevices, rememberDevice
// and forgetDevice act on it.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Amplify } from 'aws-amplify';
import { fetchAuthSession, fetchDevices, forgetDevice, rememberDevice, signIn, signOut } from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';

import { COGNATE_URL, MapStorage, claims, cognito, exchangeSince, newConfirmedUser, unique, wire } from './helpers.mjs';

let pool; // { poolId, clientId }
const storage = new MapStorage();

// Amplify names the device it confirms after navigator's user agent, which
// Node versions before 21 lack: without one it silently skips ConfirmDevice.
if (typeof globalThis.navigator === 'undefined') {
	globalThis.navigator = { userAgent: 'node' };
}

before(async () => {
	const { UserPool } = await cognito('CreateUserPool', {
		PoolName: unique('amplify-devices'),
		DeviceConfiguration: { ChallengeRequiredOnNewDevice: false, DeviceOnlyRememberedOnUserPrompt: true },
	});
	const { UserPoolClient } = await cognito('CreateUserPoolClient', {
		UserPoolId: UserPool.Id,
		ClientName: 'amplify-devices',
		ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
	});
	pool = { poolId: UserPool.Id, clientId: UserPoolClient.ClientId };
	Amplify.configure({
		Auth: { Cognito: { userPoolId: pool.poolId, userPoolClientId: pool.clientId, userPoolEndpoint: COGNATE_URL } },
	});
	cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);
});

const accessToken = async () => (await fetchAuthSession()).tokens.accessToken.toString();

describe('Amplify JS v6 remembered devices', () => {
	test('signIn confirms the device, signOut keeps it, the next signIn proves it; rememberDevice, fetchDevices, forgetDevice', async () => {
		const { username, password: pass } = await newConfirmedUser(pool.poolId, unique('amp'));

		let mark = wire.length;
		let r = await signIn({ username, password: pass });
		let where = '\n' + exchangeSince(mark);
		assert.equal(r.isSignedIn, true, where);
		const confirm = wire.slice(mark).find((e) => e.op === 'ConfirmDevice');
		assert.ok(confirm, 'Amplify confirms the new device' + where);
		assert.equal(confirm.status, 200, where);
		assert.equal(confirm.response.UserConfirmationNecessary, true, where);
		const deviceKey = confirm.request.DeviceKey;
		assert.equal(claims(await accessToken()).device_key, deviceKey);

		let devices = await fetchDevices();
		assert.equal(devices.length, 1);
		assert.equal(devices[0].id, deviceKey);
		assert.equal(devices[0].attributes.device_remembered_status, 'not_remembered');
		await rememberDevice();
		devices = await fetchDevices();
		assert.equal(devices[0].attributes.device_remembered_status, 'remembered');

		await signOut();
		mark = wire.length;
		r = await signIn({ username, password: pass });
		where = '\n' + exchangeSince(mark);
		assert.equal(r.isSignedIn, true, where);
		const names = wire.slice(mark).filter((e) => e.op === 'RespondToAuthChallenge').map((e) => e.request.ChallengeName);
		assert.deepEqual(names, ['PASSWORD_VERIFIER', 'DEVICE_SRP_AUTH', 'DEVICE_PASSWORD_VERIFIER'], where);
		assert.equal(wire.slice(mark).filter((e) => e.op === 'ConfirmDevice').length, 0, where);
		const at = await accessToken();
		assert.equal(claims(at).device_key, deviceKey);

		await forgetDevice();
		const err = await cognito('GetUser', { AccessToken: at }).then(() => null, (e) => e);
		assert.equal(err?.type, 'NotAuthorizedException', 'forgetting the device ended its session');
		const left = await cognito('AdminListDevices', { UserPoolId: pool.poolId, Username: username });
		assert.deepEqual(left.Devices, []);
		await signOut().catch(() => {});
	});
});
