// Amplify JS v6 and user-pool groups: the access and ID tokens that
// fetchAuthSession returns carry cognito:groups (by precedence), and a forced
// refresh shows a membership change. Amplify is a singleton per process: this
// file has its own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Amplify } from 'aws-amplify';
import { fetchAuthSession, signIn, signOut } from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';

import { COGNATE_URL, MapStorage, claims, cognito, exchangeSince, newConfirmedUser, newPool, wire } from './helpers.mjs';

let pool; // { poolId, clientId }
const storage = new MapStorage();
const role = (name) => `arn:aws:iam::123456789012:role/${name}`;

before(async () => {
	pool = await newPool();
	Amplify.configure({
		Auth: { Cognito: { userPoolId: pool.poolId, userPoolClientId: pool.clientId, userPoolEndpoint: COGNATE_URL } },
	});
	cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);
});

after(async () => {
	await signOut().catch(() => {});
	if (process.exitCode) console.log('Amplify ↔ Cognate exchange:\n' + exchangeSince(0));
});

describe('Amplify JS v6: groups', () => {
	test('fetchAuthSession shows cognito:groups, and a refresh shows a change', async () => {
		const { username, password } = await newConfirmedUser(pool.poolId);
		await cognito('CreateGroup', { UserPoolId: pool.poolId, GroupName: 'readers', Precedence: 5, RoleArn: role('readers') });
		await cognito('CreateGroup', { UserPoolId: pool.poolId, GroupName: 'admins', Precedence: 1, RoleArn: role('admins') });
		await cognito('CreateGroup', { UserPoolId: pool.poolId, GroupName: 'editors' });
		for (const GroupName of ['readers', 'admins']) {
			await cognito('AdminAddUserToGroup', { UserPoolId: pool.poolId, Username: username, GroupName });
		}

		const mark = wire.length;
		const res = await signIn({ username, password });
		assert.equal(res.isSignedIn, true, exchangeSince(mark));
		const { tokens } = await fetchAuthSession();
		assert.ok(tokens?.accessToken && tokens.idToken, 'fetchAuthSession returns access and id tokens');
		assert.deepEqual(tokens.accessToken.payload['cognito:groups'], ['admins', 'readers'], 'access token groups, by precedence');
		assert.deepEqual(tokens.idToken.payload['cognito:groups'], ['admins', 'readers'], 'ID token groups');
		assert.deepEqual(tokens.idToken.payload['cognito:roles'], [role('admins'), role('readers')]);
		assert.equal(tokens.idToken.payload['cognito:preferred_role'], role('admins'));
		// What Amplify decoded is what the server signed.
		assert.deepEqual(claims(tokens.accessToken.toString())['cognito:groups'], ['admins', 'readers']);

		// Out of admins, into editors: the next (forced) refresh shows it.
		await cognito('AdminRemoveUserFromGroup', { UserPoolId: pool.poolId, Username: username, GroupName: 'admins' });
		await cognito('AdminAddUserToGroup', { UserPoolId: pool.poolId, Username: username, GroupName: 'editors' });
		const cached = await fetchAuthSession();
		assert.deepEqual(cached.tokens.accessToken.payload['cognito:groups'], ['admins', 'readers'], 'tokens already issued do not change');
		const refreshed = await fetchAuthSession({ forceRefresh: true });
		assert.deepEqual(refreshed.tokens.accessToken.payload['cognito:groups'], ['readers', 'editors'], exchangeSince(mark));
		assert.equal(refreshed.tokens.idToken.payload['cognito:preferred_role'], role('readers'));
	});
});
