// Remembered devices with amazon-cognito-identity-js 6.3.x: the library
// confirms the device a sign-in is given, then proves it at the next sign-in
// (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER) with the secret it keeps.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import identity from 'amazon-cognito-identity-js';

import { COGNATE_URL, SyncMapStorage, claims, cognito, exchangeSince, newConfirmedUser, unique, wire } from './helpers.mjs';

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = identity;

let pool; // { poolId, clientId }

before(async () => {
	const { UserPool } = await cognito('CreateUserPool', {
		PoolName: unique('js-devices'),
		DeviceConfiguration: { ChallengeRequiredOnNewDevice: false, DeviceOnlyRememberedOnUserPrompt: false },
	});
	const { UserPoolClient } = await cognito('CreateUserPoolClient', {
		UserPoolId: UserPool.Id,
		ClientName: 'js-devices',
		ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
	});
	pool = { poolId: UserPool.Id, clientId: UserPoolClient.ClientId };
});

function signIn(userPool, storage, username, pass) {
	const user = new CognitoUser({ Username: username, Pool: userPool, Storage: storage });
	return new Promise((resolve, reject) => {
		user.authenticateUser(new AuthenticationDetails({ Username: username, Password: pass }), {
			onSuccess: (session, userConfirmationNecessary) => resolve({ user, session, userConfirmationNecessary }),
			onFailure: reject,
			newPasswordRequired: () => reject(new Error('unexpected newPasswordRequired')),
			mfaRequired: () => reject(new Error('unexpected mfaRequired')),
		});
	});
}

const call = (fn) => new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

describe('amazon-cognito-identity-js remembered devices', () => {
	test('confirmDevice on the first sign-in, device SRP on the next, listDevices, forgetDevice', async () => {
		const { username, password: pass } = await newConfirmedUser(pool.poolId, unique('dev'));
		const storage = new SyncMapStorage();
		const userPool = new CognitoUserPool({ UserPoolId: pool.poolId, ClientId: pool.clientId, endpoint: COGNATE_URL + '/', Storage: storage });

		let mark = wire.length;
		const first = await signIn(userPool, storage, username, pass);
		let where = '\n' + exchangeSince(mark);
		let ops = wire.slice(mark).map((e) => e.op);
		assert.deepEqual(ops, ['InitiateAuth', 'RespondToAuthChallenge', 'ConfirmDevice'], where);
		const meta = wire[mark + 1].response.AuthenticationResult.NewDeviceMetadata;
		assert.match(meta.DeviceKey, /^[\w-]+_[0-9a-f-]{36}$/, where);
		assert.equal(wire[mark + 2].status, 200, where);
		assert.equal(first.userConfirmationNecessary, undefined);
		assert.equal(claims(first.session.getAccessToken().getJwtToken()).device_key, meta.DeviceKey);

		// The next sign-in on this storage proves the device.
		mark = wire.length;
		const second = await signIn(userPool, storage, username, pass);
		where = '\n' + exchangeSince(mark);
		const ex = wire.slice(mark);
		assert.deepEqual(ex.map((e) => e.op), ['InitiateAuth', 'RespondToAuthChallenge', 'RespondToAuthChallenge', 'RespondToAuthChallenge'], where);
		assert.equal(ex[1].response.ChallengeName, 'DEVICE_SRP_AUTH', where);
		assert.equal(ex[2].request.ChallengeName, 'DEVICE_SRP_AUTH', where);
		assert.equal(ex[2].response.ChallengeName, 'DEVICE_PASSWORD_VERIFIER', where);
		assert.equal(ex[3].request.ChallengeName, 'DEVICE_PASSWORD_VERIFIER', where);
		assert.equal(ex[3].status, 200, where);
		assert.equal(ex[3].response.AuthenticationResult.NewDeviceMetadata, undefined, where);
		assert.equal(claims(second.session.getAccessToken().getJwtToken()).device_key, meta.DeviceKey);

		// listDevices shows it with its attributes.
		const list = await call((cb) => second.user.listDevices(10, null, { onSuccess: (r) => cb(null, r), onFailure: cb }));
		assert.equal(list.Devices.length, 1);
		assert.equal(list.Devices[0].DeviceKey, meta.DeviceKey);
		const attrs = Object.fromEntries(list.Devices[0].DeviceAttributes.map((a) => [a.Name, a.Value]));
		assert.equal(attrs.device_status, 'valid');
		assert.equal(attrs.device_remembered_status, 'remembered');

		// forgetDevice ends the sessions signed in through the device.
		await call((cb) => second.user.forgetDevice({ onSuccess: (r) => cb(null, r), onFailure: cb }));
		const err = await cognito('GetUser', { AccessToken: second.session.getAccessToken().getJwtToken() }).then(() => null, (e) => e);
		assert.equal(err?.type, 'NotAuthorizedException');
		const after = await cognito('AdminListDevices', { UserPoolId: pool.poolId, Username: username });
		assert.deepEqual(after.Devices, []);
	});
});
