package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/trigger/triggertest"
)

// customEvent is the part of the challenge triggers' events the tests read.
type customEvent struct {
	TriggerSource string `json:"triggerSource"`
	UserName      string `json:"userName"`
	Request       struct {
		UserAttributes map[string]string `json:"userAttributes"`
		Session        []struct {
			ChallengeName     string `json:"challengeName"`
			ChallengeResult   bool   `json:"challengeResult"`
			ChallengeMetadata string `json:"challengeMetadata"`
		} `json:"session"`
		ChallengeName              string            `json:"challengeName"`
		PrivateChallengeParameters map[string]string `json:"privateChallengeParameters"`
		ChallengeAnswer            string            `json:"challengeAnswer"`
		ClientMetadata             map[string]string `json:"clientMetadata"`
		UserNotFound               bool              `json:"userNotFound"`
	} `json:"request"`
}

func decodeCustomEvent(raw json.RawMessage) (customEvent, error) {
	var ev customEvent
	err := json.Unmarshal(raw, &ev)
	return ev, err
}

func customAuthLambdaConfig() *types.LambdaConfigType {
	return &types.LambdaConfigType{DefineAuthChallenge: aws.String(triggertest.ARN("define")),
		CreateAuthChallenge:         aws.String(triggertest.ARN("create")),
		VerifyAuthChallengeResponse: aws.String(triggertest.ARN("verify"))}
}

// customAuthServer starts a server whose challenge triggers are
// triggertest.ChallengeFuncs ("2+2?", answer 4), with a pool using them.
func customAuthServer(t *testing.T, prevent bool) (s *testserver.Server, lambda *triggertest.Server, poolID, clientID string) {
	t.Helper()
	lambda = triggertest.Start(t, triggertest.ChallengeFuncs("2+2?", "4"))
	s = testserver.StartWith(t, testserver.Options{Triggers: lambda.Invoker()})
	poolID, clientID = triggerPool(t, s, customAuthLambdaConfig(), prevent)
	return s, lambda, poolID, clientID
}

func lastCustomEvent(t *testing.T, lambda *triggertest.Server, name string) customEvent {
	t.Helper()
	calls := lambda.Calls(name)
	if len(calls) == 0 {
		t.Fatalf("%s was not called", name)
	}
	ev, err := decodeCustomEvent(calls[len(calls)-1])
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestCustomAuthChallenge: CUSTOM_AUTH through aws-sdk-go-v2: a question,
// a wrong answer (another question, the spent session refused), the right
// one (tokens); the events have Cognito's shapes; three wrong answers fail.
func TestCustomAuthChallenge(t *testing.T) {
	s, lambda, poolID, clientID := customAuthServer(t, false)
	s.NewUser(t, poolID, "ann", password)
	c := s.Admin

	start := func() *cip.InitiateAuthOutput {
		t.Helper()
		out, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "CUSTOM_AUTH", ClientId: &clientID,
			AuthParameters: map[string]string{"USERNAME": "ann"}, ClientMetadata: map[string]string{"app": "web"}})
		if err != nil {
			t.Fatal(err)
		}
		if out.ChallengeName != "CUSTOM_CHALLENGE" || out.ChallengeParameters["question"] != "2+2?" ||
			out.ChallengeParameters["USERNAME"] != "ann" || aws.ToString(out.Session) == "" {
			t.Fatalf("InitiateAuth = %s %v", out.ChallengeName, out.ChallengeParameters)
		}
		return out
	}
	answer := func(session *string, a string) (*cip.RespondToAuthChallengeOutput, error) {
		return c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID, ChallengeName: "CUSTOM_CHALLENGE",
			Session: session, ChallengeResponses: map[string]string{"USERNAME": "ann", "ANSWER": a}})
	}

	out := start()
	ev := lastCustomEvent(t, lambda, "define")
	if ev.TriggerSource != "DefineAuthChallenge_Authentication" || ev.UserName != "ann" || len(ev.Request.Session) != 0 ||
		ev.Request.Session == nil || ev.Request.UserAttributes["email"] != "ann@example.com" || ev.Request.ClientMetadata["app"] != "web" ||
		ev.Request.UserNotFound {
		t.Fatalf("define event = %+v", ev)
	}
	if ev := lastCustomEvent(t, lambda, "create"); ev.TriggerSource != "CreateAuthChallenge_Authentication" ||
		ev.Request.ChallengeName != "CUSTOM_CHALLENGE" {
		t.Fatalf("create event = %+v", ev)
	}

	wrong, err := answer(out.Session, "5")
	if err != nil {
		t.Fatal(err)
	}
	if wrong.ChallengeName != "CUSTOM_CHALLENGE" || wrong.AuthenticationResult != nil || aws.ToString(wrong.Session) == aws.ToString(out.Session) {
		t.Fatalf("a wrong answer gave %s", wrong.ChallengeName)
	}
	ev = lastCustomEvent(t, lambda, "verify")
	if ev.TriggerSource != "VerifyAuthChallengeResponse_Authentication" || ev.Request.ChallengeAnswer != "5" ||
		ev.Request.PrivateChallengeParameters["answer"] != "4" {
		t.Fatalf("verify event = %+v", ev)
	}
	ev = lastCustomEvent(t, lambda, "define")
	if len(ev.Request.Session) != 1 || ev.Request.Session[0].ChallengeName != "CUSTOM_CHALLENGE" ||
		ev.Request.Session[0].ChallengeResult || ev.Request.Session[0].ChallengeMetadata != "CHALLENGE-0" {
		t.Fatalf("define session after a wrong answer = %+v", ev.Request.Session)
	}
	// A spent session is refused.
	_, err = answer(out.Session, "4")
	wantCode(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")

	done, err := answer(wrong.Session, "4")
	if err != nil {
		t.Fatal(err)
	}
	if done.AuthenticationResult == nil || aws.ToString(done.AuthenticationResult.RefreshToken) == "" {
		t.Fatalf("the right answer gave %s, want tokens", done.ChallengeName)
	}
	if u, err := getUser(c, aws.ToString(done.AuthenticationResult.AccessToken)); err != nil || aws.ToString(u.Username) != "ann" {
		t.Fatalf("GetUser with the custom sign-in's token: %v", err)
	}

	// Three wrong answers: Cognito's failed sign-in.
	out = start()
	session := out.Session
	for i := range 3 {
		r, err := answer(session, "nope")
		if i < 2 {
			if err != nil {
				t.Fatalf("wrong answer %d: %v", i+1, err)
			}
			session = r.Session
			continue
		}
		wantCode(t, err, "NotAuthorizedException", "Incorrect username or password.")
	}

	// A missing ANSWER is an invalid request, and does not spend the session.
	out = start()
	_, err = c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID, ChallengeName: "CUSTOM_CHALLENGE",
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "ann"}})
	wantCode(t, err, "InvalidParameterException", "Missing required parameter ANSWER")
	if r, err := answer(out.Session, "4"); err != nil || r.AuthenticationResult == nil {
		t.Fatalf("after a missing ANSWER: %v", err)
	}
}

// TestCustomAuthAdmin: AdminInitiateAuth and AdminRespondToAuthChallenge
// run the same flow.
func TestCustomAuthAdmin(t *testing.T) {
	s, _, poolID, clientID := customAuthServer(t, false)
	s.NewUser(t, poolID, "ann", password)
	out, err := s.Admin.AdminInitiateAuth(bg, &cip.AdminInitiateAuthInput{UserPoolId: &poolID, ClientId: &clientID,
		AuthFlow: "CUSTOM_AUTH", AuthParameters: map[string]string{"USERNAME": "ann"}})
	if err != nil || out.ChallengeName != "CUSTOM_CHALLENGE" {
		t.Fatalf("AdminInitiateAuth: %v", err)
	}
	r, err := s.Admin.AdminRespondToAuthChallenge(bg, &cip.AdminRespondToAuthChallengeInput{UserPoolId: &poolID, ClientId: &clientID,
		ChallengeName: "CUSTOM_CHALLENGE", Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "ann", "ANSWER": "4"}})
	if err != nil || r.AuthenticationResult == nil {
		t.Fatalf("AdminRespondToAuthChallenge: %v", err)
	}
}

// TestCustomAuthRefusals: the flow off for the client, the triggers absent
// from the pool, an unknown user shown or hidden, a function that raises.
func TestCustomAuthRefusals(t *testing.T) {
	s, lambda, poolID, clientID := customAuthServer(t, false)
	s.NewUser(t, poolID, "ann", password)
	initiate := func(clientID, user string) (*cip.InitiateAuthOutput, error) {
		return s.Admin.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "CUSTOM_AUTH", ClientId: &clientID,
			AuthParameters: map[string]string{"USERNAME": user}})
	}

	// A client without ALLOW_CUSTOM_AUTH.
	other, err := s.Admin.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("no-custom"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = initiate(aws.ToString(other.UserPoolClient.ClientId), "ann")
	wantCode(t, err, "InvalidParameterException", "CUSTOM_AUTH flow not enabled for this client")

	// A pool without the triggers.
	plainPool, plainClient := triggerPool(t, s, nil, false)
	s.NewUser(t, plainPool, "ann", password)
	_, err = initiate(plainClient, "ann")
	wantCode(t, err, "InvalidParameterException", "Custom auth lambda trigger is not configured for the user pool.")

	// An unknown user, shown.
	_, err = initiate(clientID, "nobody")
	wantCode(t, err, "UserNotFoundException", "")

	// A define function that raises.
	lambda.Set("define", func(context.Context, json.RawMessage) (any, error) { return nil, fmt.Errorf("closed for lunch") })
	_, err = initiate(clientID, "ann")
	wantCode(t, err, "UserLambdaValidationException", "DefineAuthChallenge failed with error closed for lunch.")
}

// TestCustomAuthHiddenUser: with PreventUserExistenceErrors an unknown user
// gets challenges like a real one (userNotFound: true in the events), and
// even the right answer ends as a wrong password does.
func TestCustomAuthHiddenUser(t *testing.T) {
	s, lambda, _, clientID := customAuthServer(t, true)
	out, err := s.Admin.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "CUSTOM_AUTH", ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "Nobody"}})
	if err != nil || out.ChallengeName != "CUSTOM_CHALLENGE" {
		t.Fatalf("InitiateAuth for a hidden unknown user: %v", err)
	}
	if ev := lastCustomEvent(t, lambda, "define"); !ev.Request.UserNotFound || len(ev.Request.UserAttributes) != 0 {
		t.Fatalf("define event = %+v", ev)
	}
	_, err = s.Admin.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID, ChallengeName: "CUSTOM_CHALLENGE",
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "Nobody", "ANSWER": "4"}})
	wantCode(t, err, "NotAuthorizedException", "Incorrect username or password.")
	if ev := lastCustomEvent(t, lambda, "verify"); !ev.Request.UserNotFound {
		t.Fatalf("verify event = %+v", ev)
	}
}

// TestJSTriggers runs e2e/js/triggers-*.mjs with node's test runner against
// the binary, started with --lambda-endpoint at the Lambda Invoke API this
// test serves, with these functions: the challenge functions
// (triggertest.ChallengeFuncs) for Amplify JS's CUSTOM_WITHOUT_SRP and
// CUSTOM_WITH_SRP and amazon-cognito-identity-js's customChallenge, and a
// V2_0 pre token generation function whose claims Amplify's
// fetchAuthSession must show.
func TestJSTriggers(t *testing.T) {
	node := requireJSClients(t)
	funcs := triggertest.ChallengeFuncs("2+2?", "4")
	funcs["pretoken"] = func(_ context.Context, raw json.RawMessage) (any, error) {
		var ev struct {
			TriggerSource string `json:"triggerSource"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		return triggertest.Respond(raw, map[string]any{"claimsAndScopeOverrideDetails": map[string]any{
			"idTokenGeneration": map[string]any{"claimsToAddOrOverride": map[string]any{"tenant_name": "Acme Inc."}},
			"accessTokenGeneration": map[string]any{
				"claimsToAddOrOverride": map[string]any{"tenant": "acme", "perms": []string{"read", "write"}, "source": ev.TriggerSource},
				"scopesToAdd":           []string{"api/read"}},
		}})
	}
	lambda := triggertest.Start(t, funcs)
	srv := startBinary(t, t.TempDir(), "--lambda-endpoint", lambda.URL)

	ctx, cancel := context.WithTimeout(context.Background(), jsRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", jsTestConcurrency, "--test-reporter=spec",
		"triggers-amplify-customauth.mjs", "triggers-amplify-pretoken.mjs", "triggers-identity-js-customauth.mjs")
	cmd.Dir = jsDir
	cmd.Env = append(os.Environ(), "COGNATE_URL="+srv.url, "LAMBDA_ARN_PREFIX="+strings.TrimSuffix(triggertest.ARN("x"), "x"),
		"NO_COLOR=1", "FORCE_COLOR=0")
	out, err := cmd.CombinedOutput()
	t.Log(string(out))
	if ctx.Err() != nil {
		t.Fatalf("node --test did not finish within %s", jsRunTimeout)
	}
	counts := nodeSummary(string(out))
	if err != nil {
		t.Fatalf("node --test: %v (%d failed)\ncognate log:\n%s", err, counts["fail"], srv.log())
	}
	if counts["pass"] < 6 || counts["fail"] != 0 || counts["cancelled"] != 0 {
		t.Fatalf("node --test: %v, want 6 passed and none failed", counts)
	}
	if len(lambda.Calls("define")) == 0 || len(lambda.Calls("pretoken")) == 0 {
		t.Fatal("the JS clients never reached the functions")
	}
}

// TestCustomAuthLimits: a challenge's session lives 3 minutes (the client's
// default AuthSessionValidity); a define function that never decides ends
// after 10 steps.
func TestCustomAuthLimits(t *testing.T) {
	clock := testserver.NewClock(time.Now())
	lambda := triggertest.Start(t, triggertest.ChallengeFuncs("2+2?", "4"))
	s := testserver.StartWith(t, testserver.Options{Triggers: lambda.Invoker(), Now: clock.Now})
	poolID, clientID := triggerPool(t, s, customAuthLambdaConfig(), false)
	s.NewUser(t, poolID, "ann", password)
	start := func() *cip.InitiateAuthOutput {
		t.Helper()
		out, err := s.Admin.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "CUSTOM_AUTH", ClientId: &clientID,
			AuthParameters: map[string]string{"USERNAME": "ann"}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	answer := func(session *string, a string) (*cip.RespondToAuthChallengeOutput, error) {
		return s.Admin.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID, ChallengeName: "CUSTOM_CHALLENGE",
			Session: session, ChallengeResponses: map[string]string{"USERNAME": "ann", "ANSWER": a}})
	}

	out := start()
	clock.Advance(3*time.Minute + time.Second)
	_, err := answer(out.Session, "4")
	wantCode(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")

	// A define function that always asks again.
	lambda.Set("define", func(_ context.Context, raw json.RawMessage) (any, error) {
		return triggertest.Respond(raw, map[string]any{"challengeName": "CUSTOM_CHALLENGE", "issueTokens": false, "failAuthentication": false})
	})
	session := start().Session
	var steps int
	for steps = 1; steps <= 20; steps++ {
		r, err := answer(session, "4")
		if err != nil {
			wantCode(t, err, "NotAuthorizedException", "Incorrect username or password.")
			break
		}
		session = r.Session
	}
	if steps != 11 {
		t.Fatalf("the sign-in ended after %d answers, want 11", steps)
	}
}

// TestCustomAuthSkipsMFA: a user whose password sign-in asks for a
// software-token code signs in by custom challenges without one.
func TestCustomAuthSkipsMFA(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC))
	lambda := triggertest.Start(t, triggertest.ChallengeFuncs("2+2?", "4"))
	s := testserver.StartWith(t, testserver.Options{Triggers: lambda.Invoker(), Now: clock.Now})
	c := s.Admin
	poolID, clientID := triggerPool(t, s, customAuthLambdaConfig(), false)
	setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
	s.NewUser(t, poolID, "ann", password)
	at := aws.ToString(signIn(t, c, clientID, "ann", password).AuthenticationResult.AccessToken)
	associateTOTP(t, c, at, stepOf(clock.Now()))
	if _, err := c.SetUserMFAPreference(bg, &cip.SetUserMFAPreferenceInput{AccessToken: aws.String(at),
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		t.Fatal(err)
	}
	if out, err := initiate(c, clientID, "ann", password); err != nil {
		t.Fatal(err)
	} else if out.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
		t.Fatalf("password sign-in: %v, want SOFTWARE_TOKEN_MFA", out.ChallengeName)
	}
	out, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "CUSTOM_AUTH", ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "ann"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID, ChallengeName: "CUSTOM_CHALLENGE",
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "ann", "ANSWER": "4"}})
	if err != nil || r.AuthenticationResult == nil {
		t.Fatalf("custom sign-in: %v %v, want tokens without MFA", r, err)
	}
}

// TestCustomAuthPreAuthentication: PreAuthentication runs before a custom
// sign-in's first challenge, with the InitiateAuth ClientMetadata as its
// validationData, and its refusal stops the sign-in before any challenge
// function runs.
func TestCustomAuthPreAuthentication(t *testing.T) {
	funcs := triggertest.ChallengeFuncs("2+2?", "4")
	funcs["preauth"] = func(_ context.Context, raw json.RawMessage) (any, error) {
		var ev struct {
			Request struct {
				ValidationData map[string]string `json:"validationData"`
			} `json:"request"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		if ev.Request.ValidationData["block"] == "yes" {
			return nil, fmt.Errorf("blocked by policy")
		}
		return triggertest.Respond(raw, map[string]any{})
	}
	lambda := triggertest.Start(t, funcs)
	s := testserver.StartWith(t, testserver.Options{Triggers: lambda.Invoker()})
	cfg := customAuthLambdaConfig()
	cfg.PreAuthentication = aws.String(triggertest.ARN("preauth"))
	poolID, clientID := triggerPool(t, s, cfg, false)
	s.NewUser(t, poolID, "ann", password)

	_, err := s.Admin.InitiateAuth(bg, &cip.InitiateAuthInput{ClientId: &clientID, AuthFlow: "CUSTOM_AUTH",
		AuthParameters: map[string]string{"USERNAME": "ann"}, ClientMetadata: map[string]string{"block": "yes"}})
	if got := apiMessage(err); !strings.Contains(fmt.Sprint(err), "UserLambdaValidationException") ||
		got != "PreAuthentication failed with error blocked by policy." {
		t.Fatalf("CUSTOM_AUTH refused by PreAuthentication: got %v, want UserLambdaValidationException with its message", err)
	}
	if n := len(lambda.Calls("define")); n != 0 {
		t.Fatalf("DefineAuthChallenge ran %d times after PreAuthentication refused", n)
	}
	out, err := s.Admin.InitiateAuth(bg, &cip.InitiateAuthInput{ClientId: &clientID, AuthFlow: "CUSTOM_AUTH",
		AuthParameters: map[string]string{"USERNAME": "ann"}})
	if err != nil || out.ChallengeName != "CUSTOM_CHALLENGE" {
		t.Fatalf("CUSTOM_AUTH allowed by PreAuthentication: %v", err)
	}
	if n := len(lambda.Calls("preauth")); n != 2 {
		t.Fatalf("PreAuthentication ran %d times for two sign-ins", n)
	}
}
