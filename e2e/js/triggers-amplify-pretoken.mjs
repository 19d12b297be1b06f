// Amplify JS v6 and a V2_0 pre token generation function: fetchAuthSession's
// tokens carry the claims and scopes it adds. The function ("pretoken") is
// served by the Go test that runs this file (e2e/customauth_test.go).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Amplify } from 'aws-amplify';
import { fetchAuthSession, signIn, signOut } from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';

import { COGNATE_URL, MapStorage, cognito, exchangeSince, newConfirmedUser, unique, wire } from './helpers.mjs';
import { lambdaARN } from './triggers-helpers.mjs';

let pool;
const storage = new MapStorage();

before(async () => {
	const { UserPool } = await cognito('CreateUserPool', {
		PoolName: unique('pretoken'),
		LambdaConfig: { PreTokenGenerationConfig: { LambdaVersion: 'V2_0', LambdaArn: lambdaARN('pretoken') } },
	});
	const { UserPoolClient } = await cognito('CreateUserPoolClient', {
		UserPoolId: UserPool.Id,
		ClientName: 'pretoken',
		ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
	});
	pool = { poolId: UserPool.Id, clientId: UserPoolClient.ClientId };
	Amplify.configure({
		Auth: { Cognito: { userPoolId: pool.poolId, userPoolClientId: pool.clientId, userPoolEndpoint: COGNATE_URL } },
	});
	cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);
});

after(async () => {
	await signOut().catch(() => {});
	if (process.exitCode) console.log('Amplify ↔ Cognate exchange:\n' + exchangeSince(0));
});

describe('Amplify JS v6: pre token generation V2_0', () => {
	test('fetchAuthSession sees the claims and scopes the function added, again after a refresh', async () => {
		const { username, password } = await newConfirmedUser(pool.poolId);
		const mark = wire.length;
		const res = await signIn({ username, password });
		assert.equal(res.isSignedIn, true, exchangeSince(mark));
		const { tokens } = await fetchAuthSession();
		assert.equal(tokens.accessToken.payload.tenant, 'acme', 'access token claim');
		assert.deepEqual(tokens.accessToken.payload.perms, ['read', 'write']);
		assert.equal(tokens.accessToken.payload.scope, 'aws.cognito.signin.user.admin api/read');
		assert.equal(tokens.idToken.payload.tenant_name, 'Acme Inc.', 'ID token claim');
		assert.equal(tokens.accessToken.payload.source, 'TokenGeneration_Authentication');
		const refreshed = await fetchAuthSession({ forceRefresh: true });
		assert.equal(refreshed.tokens.accessToken.payload.tenant, 'acme');
		assert.equal(refreshed.tokens.accessToken.payload.source, 'TokenGeneration_RefreshTokens', exchangeSince(mark));
	});
});
