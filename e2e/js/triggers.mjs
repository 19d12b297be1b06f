// Amplify JS against a pool with Lambda triggers, served from an in-test
// Lambda Invoke API by the Go test that runs this script
// (e2e's TestTriggersAmplifyJS), which checks what the functions received:
//
//  1. PreSignUp auto-confirms (the Go side's function answers
//     autoConfirmUser for validationData invite=yes): signUp is complete,
//     nextStep DONE, and signIn (SRP) works without a code.
//  2. UserMigration imports a user of a legacy directory on the first
//     signIn with authFlowType USER_PASSWORD_AUTH.
//
// Prints "RESULT ok" when every step passed; fails with the reason
// otherwise. Not a node --test file.
import assert from 'node:assert/strict';

import { Amplify } from 'aws-amplify';
import { fetchAuthSession, signIn, signOut, signUp } from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';

import { COGNATE_URL, MapStorage, claims } from './helpers.mjs';

const env = (name) => {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set: run this through go test ./e2e -run TestTriggersAmplifyJS`);
	return v;
};
const poolId = env('POOL_ID');
const clientId = env('CLIENT_ID');
const newUser = env('NEW_USER');
const newPassword = env('NEW_PASSWORD');
const legacyUser = env('LEGACY_USER');
const legacyPassword = env('LEGACY_PASSWORD');

const storage = new MapStorage();
Amplify.configure({ Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: COGNATE_URL } } });
cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);

// 1. Auto-confirmed by PreSignUp.
const up = await signUp({
	username: newUser,
	password: newPassword,
	options: {
		userAttributes: { email: `${newUser}@example.com` },
		validationData: { invite: 'yes' },
		clientMetadata: { app: 'amplify' },
	},
});
assert.equal(up.isSignUpComplete, true, `signUp: ${JSON.stringify(up)}`);
assert.equal(up.nextStep.signUpStep, 'DONE', `signUp next step: ${JSON.stringify(up.nextStep)}`);
let res = await signIn({ username: newUser, password: newPassword });
assert.equal(res.isSignedIn, true, `signIn after an auto-confirmed signUp: ${JSON.stringify(res.nextStep)}`);
let { tokens } = await fetchAuthSession();
assert.equal(claims(tokens.idToken.toString()).email_verified, true, 'PreSignUp autoVerifyEmail');
await signOut();

// 2. Imported by UserMigration on the first sign-in.
res = await signIn({ username: legacyUser, password: legacyPassword, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
assert.equal(res.isSignedIn, true, `migrating signIn: ${JSON.stringify(res.nextStep)}`);
({ tokens } = await fetchAuthSession());
assert.equal(claims(tokens.idToken.toString()).email, `${legacyUser}@example.com`, 'the migrated attributes');
await signOut();
// The second sign-in finds the user (the Go side checks the function ran once).
res = await signIn({ username: legacyUser, password: legacyPassword, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
assert.equal(res.isSignedIn, true, 'second sign-in of the migrated user');
await signOut();

console.log('RESULT ok');
