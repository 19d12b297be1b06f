// Helpers of the trigger tests (triggers-*.mjs), which the Go test
// e2e/customauth_test.go runs against a server whose Lambda functions it
// serves: LAMBDA_ARN_PREFIX + name names one.
import { cognito, unique } from './helpers.mjs';

export const lambdaARN = (name) => {
	if (!process.env.LAMBDA_ARN_PREFIX) throw new Error('LAMBDA_ARN_PREFIX is not set: run these through `go test ./e2e -run TestJSTriggers`');
	return process.env.LAMBDA_ARN_PREFIX + name;
};

/** A pool with the three challenge functions ("define", "create", "verify"), and a public client allowing CUSTOM_AUTH. */
export async function newCustomAuthPool() {
	const { UserPool } = await cognito('CreateUserPool', {
		PoolName: unique('custom'),
		LambdaConfig: {
			DefineAuthChallenge: lambdaARN('define'),
			CreateAuthChallenge: lambdaARN('create'),
			VerifyAuthChallengeResponse: lambdaARN('verify'),
		},
	});
	const { UserPoolClient } = await cognito('CreateUserPoolClient', {
		UserPoolId: UserPool.Id,
		ClientName: 'custom',
		ExplicitAuthFlows: ['ALLOW_CUSTOM_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
	});
	return { poolId: UserPool.Id, clientId: UserPoolClient.ClientId };
}
