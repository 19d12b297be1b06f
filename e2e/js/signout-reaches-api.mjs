// Amplify JS signs a user in and out, over and over, while a resource
// server protected by Cognate's verifier (run by the Go test that starts
// this script) is asked with the user's access token. Each trial: signIn
// (SRP in the first two, the password flow after), the resource server
// answers 200, signOut (local and global in turn), then the resource
// server is asked again every few milliseconds until it refuses. The delay
// from the moment signOut was called to the first refusal is printed for
// the Go test to judge, one JSON line:
//
//	RESULT {"trials": n, "delays": [ms, ...], "failures": ["..."]}
//
// Not a node --test file: e2e's TestSignOutReachesAPIAmplify runs it.
import { Amplify } from 'aws-amplify';
import { fetchAuthSession, signIn, signOut } from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';

import { COGNATE_URL, MapStorage } from './helpers.mjs';

const env = (name) => {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set: run this through go test ./e2e -run TestSignOutReachesAPIAmplify`);
	return v;
};
const poolId = env('POOL_ID');
const clientId = env('CLIENT_ID');
const username = env('USERNAME');
const pass = env('PASSWORD');
const resource = env('RESOURCE_URL');
const trials = Number(env('TRIALS'));
const giveUpMs = 5000; // far past the one-second bound: a late refusal is measured, not cut off

const storage = new MapStorage();
Amplify.configure({ Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: COGNATE_URL } } });
cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);

const ask = async (token) => (await fetch(resource, { headers: { Authorization: `Bearer ${token}` } })).status;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const delays = [];
const failures = [];
for (let i = 0; i < trials; i++) {
	const global = i % 2 === 1;
	try {
		// The first round (one local, one global sign-out) signs in with SRP,
		// Amplify's default; the rest with the password flow, since the
		// sign-in only sets a trial up and SRP's big numbers in JavaScript
		// cost most of a trial's time.
		const options = i < 2 ? undefined : { authFlowType: 'USER_PASSWORD_AUTH' };
		const out = await signIn({ username, password: pass, options });
		if (!out.isSignedIn) throw new Error(`signIn: next step ${out.nextStep?.signInStep}`);
		const { tokens } = await fetchAuthSession();
		const token = tokens.accessToken.toString();
		const before = await ask(token);
		if (before !== 200) throw new Error(`the resource server answered ${before} before the sign-out`);
		const start = performance.now();
		await signOut({ global });
		let status = await ask(token);
		while (status === 200 && performance.now() - start < giveUpMs) {
			await sleep(2);
			status = await ask(token);
		}
		if (status !== 401) throw new Error(`after signOut({global: ${global}}) the resource server answered ${status}`);
		delays.push(performance.now() - start);
	} catch (err) {
		failures.push(`trial ${i} (global: ${global}): ${err.message}`);
		await signOut().catch(() => {});
	}
}
console.log('RESULT ' + JSON.stringify({ trials, delays, failures }));
