package auth_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/auth/credstore"
	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/trigger/triggertest"
)

// newCustomAuthEnv is an env whose pool runs triggertest.ChallengeFuncs
// ("2+2?", answer 4) and whose client, with a secret, allows CUSTOM_AUTH.
func newCustomAuthEnv(t *testing.T) *env {
	t.Helper()
	lambda := triggertest.Start(t, triggertest.ChallengeFuncs("2+2?", "4"))
	srv := testserver.StartWith(t, testserver.Options{Triggers: lambda.Invoker()})
	p, err := srv.Admin.CreateUserPool(bg(), &cip.CreateUserPoolInput{PoolName: aws.String("custom"),
		LambdaConfig: &types.LambdaConfigType{DefineAuthChallenge: aws.String(triggertest.ARN("define")),
			CreateAuthChallenge:         aws.String(triggertest.ARN("create")),
			VerifyAuthChallengeResponse: aws.String(triggertest.ARN("verify"))}})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := srv.Admin.CreateUserPoolClient(bg(), &cip.CreateUserPoolClientInput{UserPoolId: p.UserPool.Id,
		ClientName: aws.String("app"), GenerateSecret: true,
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowCustomAuth,
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	pool := aws.ToString(p.UserPool.Id)
	srv.NewUser(t, pool, testUser, testPassword)
	return &env{srv: srv, proxy: newFaultProxy(t, srv.URL), poolID: pool, clientID: aws.ToString(cl.UserPoolClient.ClientId),
		secret: aws.ToString(cl.UserPoolClient.ClientSecret), store: credstore.NewMemory()}
}

// TestSignIn_CustomChallenge: CUSTOM_WITHOUT_SRP asks the question, a wrong
// answer asks again, the right one signs in; CUSTOM_WITH_SRP proves the
// password first, and a wrong password ends there.
func TestSignIn_CustomChallenge(t *testing.T) {
	e := newCustomAuthEnv(t)
	c := e.client(t)

	r, err := c.SignIn(bg(), testUser, "", auth.SignInOptions{AuthFlow: auth.AuthFlowCustomWithoutSRP})
	if err != nil {
		t.Fatal(err)
	}
	if r.SignedIn || r.NextStep != auth.SignInStepConfirmWithCustomChallenge || r.AdditionalInfo["question"] != "2+2?" {
		t.Fatalf("SignIn = %+v", r)
	}
	if call := e.proxy.callsOf("InitiateAuth")[0].Body; call["AuthFlow"] != "CUSTOM_AUTH" {
		t.Fatalf("InitiateAuth AuthFlow = %v", call["AuthFlow"])
	}
	r, err = c.ConfirmSignIn(bg(), "5", auth.ConfirmSignInOptions{})
	if err != nil || r.NextStep != auth.SignInStepConfirmWithCustomChallenge {
		t.Fatalf("a wrong answer: %+v, %v", r, err)
	}
	r, err = c.ConfirmSignIn(bg(), "4", auth.ConfirmSignInOptions{})
	if err != nil || !r.SignedIn || r.NextStep != auth.SignInStepDone {
		t.Fatalf("the right answer: %+v, %v", r, err)
	}
	s := e.session(t)
	if s == nil || s.Username != testUser || s.AuthFlow != string(auth.AuthFlowCustomWithoutSRP) {
		t.Fatalf("stored session = %+v", s)
	}
	if err := e.accessWorks(t, s.AccessToken); err != nil {
		t.Fatalf("the custom sign-in's access token: %v", err)
	}
	if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
		t.Fatal(r.Err())
	}

	// With SRP: the password, then the question.
	r, err = c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{AuthFlow: auth.AuthFlowCustomWithSRP})
	if err != nil || r.NextStep != auth.SignInStepConfirmWithCustomChallenge {
		t.Fatalf("CUSTOM_WITH_SRP: %+v, %v", r, err)
	}
	init := e.proxy.callsOf("InitiateAuth")
	params, _ := init[len(init)-1].Body["AuthParameters"].(map[string]any)
	if params["CHALLENGE_NAME"] != "SRP_A" || params["SRP_A"] == nil {
		t.Fatalf("CUSTOM_WITH_SRP AuthParameters = %v", params)
	}
	if r, err = c.ConfirmSignIn(bg(), "4", auth.ConfirmSignInOptions{}); err != nil || !r.SignedIn {
		t.Fatalf("CUSTOM_WITH_SRP answer: %+v, %v", r, err)
	}
	if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
		t.Fatal(r.Err())
	}
	_, err = c.SignIn(bg(), testUser, "Wr0ng-password!", auth.SignInOptions{AuthFlow: auth.AuthFlowCustomWithSRP})
	if !auth.IsServiceError(err, "NotAuthorizedException") {
		t.Fatalf("CUSTOM_WITH_SRP with a wrong password: %v", err)
	}

	// Three wrong answers end the sign-in; ConfirmSignIn then has nothing to answer.
	if _, err := c.SignIn(bg(), testUser, "", auth.SignInOptions{AuthFlow: auth.AuthFlowCustomWithoutSRP}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := c.ConfirmSignIn(bg(), "0", auth.ConfirmSignInOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.ConfirmSignIn(bg(), "0", auth.ConfirmSignInOptions{}); !auth.IsServiceError(err, "NotAuthorizedException") {
		t.Fatalf("the third wrong answer: %v", err)
	}
	if _, err := c.ConfirmSignIn(bg(), "4", auth.ConfirmSignInOptions{}); err == nil {
		t.Fatal("ConfirmSignIn after a failed custom sign-in succeeded")
	}
}
