package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/trigger/triggertest"
	"github.com/cognate-dev/cognate/verify"
)

// triggerPool creates a pool with lambda as its LambdaConfig and a client
// allowing password, SRP, custom and refresh flows; extra options apply to
// the client.
func triggerPool(t *testing.T, s *testserver.Server, lambda *types.LambdaConfigType, prevent bool) (poolID, clientID string) {
	t.Helper()
	p, err := s.Admin.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("triggers"), LambdaConfig: lambda})
	if err != nil {
		t.Fatal(err)
	}
	in := &cip.CreateUserPoolClientInput{UserPoolId: p.UserPool.Id, ClientName: aws.String("app"),
		EnableTokenRevocation: aws.Bool(true),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
			types.ExplicitAuthFlowsTypeAllowCustomAuth, types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth}}
	if prevent {
		in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesEnabled
	}
	c, err := s.Admin.CreateUserPoolClient(bg, in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(p.UserPool.Id), aws.ToString(c.UserPoolClient.ClientId)
}

// preTokenEvent is the part of a pre token generation event the tests read.
type preTokenEvent struct {
	Version       string `json:"version"`
	TriggerSource string `json:"triggerSource"`
	UserPoolID    string `json:"userPoolId"`
	UserName      string `json:"userName"`
	CallerContext struct {
		ClientID string `json:"clientId"`
	} `json:"callerContext"`
	Request struct {
		UserAttributes     map[string]string `json:"userAttributes"`
		GroupConfiguration struct {
			GroupsToOverride   []string `json:"groupsToOverride"`
			IAMRolesToOverride []string `json:"iamRolesToOverride"`
			PreferredRole      *string  `json:"preferredRole"`
		} `json:"groupConfiguration"`
		Scopes         []string          `json:"scopes"`
		ClientMetadata map[string]string `json:"clientMetadata"`
	} `json:"request"`
}

func lastPreTokenEvent(t *testing.T, lambda *triggertest.Server, name string) preTokenEvent {
	t.Helper()
	calls := lambda.Calls(name)
	if len(calls) == 0 {
		t.Fatalf("%s was not called", name)
	}
	var ev preTokenEvent
	if err := json.Unmarshal(calls[len(calls)-1], &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestPreTokenGenerationV1: a V1_0 function adds, overrides and suppresses
// ID-token claims and overrides the groups of both tokens; reserved claims
// stay; a refresh runs it again and shows its new answer.
func TestPreTokenGenerationV1(t *testing.T) {
	var n atomic.Int64
	const role = "arn:aws:iam::123456789012:role/vip"
	lambda := triggertest.Start(t, map[string]triggertest.Func{
		"ptg-v1": func(_ context.Context, ev json.RawMessage) (any, error) {
			return triggertest.Respond(ev, map[string]any{"claimsOverrideDetails": map[string]any{
				"claimsToAddOrOverride": map[string]any{"tier": "gold", "round": n.Add(1), "sub": "evil",
					"origin_jti": "evil", "cognito:groups": []string{"evil"}, "email_verified": "overridden"},
				"claimsToSuppress": []string{"email", "token_use", "tier2"},
				"groupOverrideDetails": map[string]any{"groupsToOverride": []string{"vip"},
					"iamRolesToOverride": []string{role}, "preferredRole": role},
			}})
		},
	})
	s := testserver.StartWith(t, testserver.Options{Triggers: lambda.Invoker()})
	poolID, clientID := triggerPool(t, s, &types.LambdaConfigType{PreTokenGeneration: aws.String(triggertest.ARN("ptg-v1"))}, false)
	s.NewUser(t, poolID, "ann", password)
	if _, err := s.Admin.CreateGroup(bg, &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String("staff")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Admin.AdminAddUserToGroup(bg, &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, Username: aws.String("ann"),
		GroupName: aws.String("staff")}); err != nil {
		t.Fatal(err)
	}

	out, err := s.Admin.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "ann", "PASSWORD": password}, ClientMetadata: map[string]string{"app": "web"}})
	if err != nil {
		t.Fatal(err)
	}
	tk := out.AuthenticationResult
	id, access := claims(t, aws.ToString(tk.IdToken)), claims(t, aws.ToString(tk.AccessToken))
	if id["tier"] != "gold" || id["round"] != float64(1) || id["email_verified"] != "overridden" {
		t.Fatalf("ID token lacks the added claims: %v", id)
	}
	if _, ok := id["email"]; ok {
		t.Fatalf("ID token kept the suppressed email: %v", id)
	}
	if id["sub"] == "evil" || id["origin_jti"] == "evil" || id["token_use"] != "id" {
		t.Fatalf("reserved claims changed: %v", id)
	}
	if _, ok := access["tier"]; ok {
		t.Fatalf("a V1_0 function changed the access token: %v", access)
	}
	if got := strClaim(t, id, "cognito:groups"); !slices.Equal(got, []string{"vip"}) {
		t.Fatalf("ID cognito:groups = %v, want the override", got)
	}
	if got := strClaim(t, access, "cognito:groups"); !slices.Equal(got, []string{"vip"}) {
		t.Fatalf("access cognito:groups = %v, want the override", got)
	}
	if got := strClaim(t, id, "cognito:roles"); !slices.Equal(got, []string{role}) || id["cognito:preferred_role"] != role {
		t.Fatalf("roles = %v, preferred %v", got, id["cognito:preferred_role"])
	}
	ev := lastPreTokenEvent(t, lambda, "ptg-v1")
	if ev.Version != "1" || ev.TriggerSource != "TokenGeneration_Authentication" || ev.UserPoolID != poolID ||
		ev.UserName != "ann" || ev.CallerContext.ClientID != clientID || ev.Request.UserAttributes["email"] != "ann@example.com" ||
		!slices.Equal(ev.Request.GroupConfiguration.GroupsToOverride, []string{"staff"}) ||
		ev.Request.ClientMetadata["app"] != "web" || ev.Request.Scopes != nil {
		t.Fatalf("event = %+v", ev)
	}

	r, err := refresh(s.Admin, clientID, aws.ToString(tk.RefreshToken))
	if err != nil {
		t.Fatal(err)
	}
	id2 := claims(t, aws.ToString(r.AuthenticationResult.IdToken))
	if id2["round"] != float64(2) || id2["origin_jti"] != id["origin_jti"] {
		t.Fatalf("refreshed ID token = %v, want the trigger's second answer in the same family", id2)
	}
	if ev := lastPreTokenEvent(t, lambda, "ptg-v1"); ev.TriggerSource != "TokenGeneration_RefreshTokens" {
		t.Fatalf("refresh triggerSource = %s", ev.TriggerSource)
	}

	// groupOverrideDetails absent: the groups stay; null: no groups at all.
	for _, c := range []struct {
		details map[string]any
		want    []string
	}{{map[string]any{}, []string{"staff"}}, {map[string]any{"groupOverrideDetails": nil}, nil}} {
		lambda.Set("ptg-v1", func(_ context.Context, ev json.RawMessage) (any, error) {
			return triggertest.Respond(ev, map[string]any{"claimsOverrideDetails": c.details})
		})
		r, err := refresh(s.Admin, clientID, aws.ToString(tk.RefreshToken))
		if err != nil {
			t.Fatal(err)
		}
		res := r.AuthenticationResult
		for _, jwt := range []string{aws.ToString(res.IdToken), aws.ToString(res.AccessToken)} {
			if got := strClaim(t, claims(t, jwt), "cognito:groups"); !slices.Equal(got, c.want) {
				t.Fatalf("with %v: cognito:groups = %v, want %v", c.details, got, c.want)
			}
		}
	}
}

// TestPreTokenGenerationV2: a V2_0 function changes both tokens and the
// access token's scopes; the verify package sees the access token's new
// claims; V3_0 runs the same way for user sign-ins.
func TestPreTokenGenerationV2(t *testing.T) {
	for _, version := range []types.PreTokenGenerationLambdaVersionType{"V2_0", "V3_0"} {
		t.Run(string(version), func(t *testing.T) {
			lambda := triggertest.Start(t, map[string]triggertest.Func{
				"ptg-v2": func(_ context.Context, ev json.RawMessage) (any, error) {
					return triggertest.Respond(ev, map[string]any{"claimsAndScopeOverrideDetails": map[string]any{
						"idTokenGeneration": map[string]any{"claimsToAddOrOverride": map[string]any{"org": map[string]any{"id": 7},
							"email_verified": "maybe"}, "claimsToSuppress": []string{"email"}},
						"groupOverrideDetails": map[string]any{"groupsToOverride": []string{"ops"},
							"iamRolesToOverride": []string{}, "preferredRole": nil},
						"accessTokenGeneration": map[string]any{
							"claimsToAddOrOverride": map[string]any{"perms": []string{"read", "write"}, "client_id": "evil", "jti": "evil"},
							"claimsToSuppress":      []string{"username"},
							"scopesToAdd":           []string{"api/read", "bad scope"},
							"scopesToSuppress":      []string{"aws.cognito.signin.user.admin"}},
					}})
				},
			})
			s := testserver.StartWith(t, testserver.Options{Triggers: lambda.Invoker()})
			poolID, clientID := triggerPool(t, s, &types.LambdaConfigType{PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{
				LambdaArn: aws.String(triggertest.ARN("ptg-v2")), LambdaVersion: version}}, false)
			s.NewUser(t, poolID, "bob", password)
			tk := signIn(t, s.Admin, clientID, "bob", password).AuthenticationResult
			id, access := claims(t, aws.ToString(tk.IdToken)), claims(t, aws.ToString(tk.AccessToken))
			if org, ok := id["org"].(map[string]any); !ok || org["id"] != float64(7) {
				t.Fatalf("ID token org = %v", id["org"])
			}
			if _, ok := id["email"]; ok {
				t.Fatal("ID token kept the suppressed email")
			}
			if id["email_verified"] != "maybe" {
				t.Fatalf("ID token email_verified = %v, want the override", id["email_verified"])
			}
			if !slices.Equal(strClaim(t, id, "cognito:groups"), []string{"ops"}) || !slices.Equal(strClaim(t, access, "cognito:groups"), []string{"ops"}) {
				t.Fatalf("groups = %v / %v, want the override in both tokens", id["cognito:groups"], access["cognito:groups"])
			}
			if _, ok := id["cognito:roles"]; ok {
				t.Fatalf("cognito:roles = %v, want none", id["cognito:roles"])
			}
			if access["scope"] != "api/read" {
				t.Fatalf("scope = %v, want api/read", access["scope"])
			}
			if access["client_id"] != clientID || access["username"] != "bob" || access["jti"] == "evil" {
				t.Fatalf("reserved access claims changed: %v", access)
			}
			if _, ok := access["org"]; ok {
				t.Fatal("an ID-token claim reached the access token")
			}
			ev := lastPreTokenEvent(t, lambda, "ptg-v2")
			wantVersion := map[types.PreTokenGenerationLambdaVersionType]string{"V2_0": "2", "V3_0": "3"}[version]
			if ev.Version != wantVersion || !slices.Equal(ev.Request.Scopes, []string{"aws.cognito.signin.user.admin"}) ||
				ev.Request.GroupConfiguration.GroupsToOverride == nil {
				t.Fatalf("event = %+v", ev)
			}

			// The verify package sees the trigger's claims.
			v, err := verify.New(verify.Config{Issuer: access["iss"].(string), ClientIDs: []string{clientID}, Feed: verify.FeedOff})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = v.Close() })
			vc, err := v.Verify(bg, aws.ToString(tk.AccessToken))
			if err != nil {
				t.Fatal(err)
			}
			perms, _ := vc.Raw["perms"].([]any)
			if len(perms) != 2 || perms[0] != "read" || !vc.HasScope("api/read") || vc.HasScope("aws.cognito.signin.user.admin") {
				t.Fatalf("verify sees perms %v, scopes %v", vc.Raw["perms"], vc.Scopes)
			}
		})
	}
}

// TestPreTokenGenerationFailure: a function that raises fails the sign-in
// with Cognito's UserLambdaValidationException; one that answers garbage
// with InvalidLambdaResponseException.
func TestPreTokenGenerationFailure(t *testing.T) {
	lambda := triggertest.Start(t, map[string]triggertest.Func{
		"ptg": func(context.Context, json.RawMessage) (any, error) { return nil, errors.New("no tokens today") },
	})
	s := testserver.StartWith(t, testserver.Options{Triggers: lambda.Invoker()})
	poolID, clientID := triggerPool(t, s, &types.LambdaConfigType{PreTokenGeneration: aws.String(triggertest.ARN("ptg"))}, false)
	s.NewUser(t, poolID, "cat", password)
	_, err := s.Admin.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "cat", "PASSWORD": password}})
	wantCode(t, err, "UserLambdaValidationException", "PreTokenGeneration failed with error no tokens today.")
	lambda.Set("ptg", func(context.Context, json.RawMessage) (any, error) { return triggertest.Raw("nope"), nil })
	_, err = s.Admin.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "cat", "PASSWORD": password}})
	wantCode(t, err, "InvalidLambdaResponseException", "")
}

// TestPreTokenGenerationSources: the trigger source names what minted the
// tokens: the hosted UI's code exchange, the OAuth refresh grant, and a
// sign-in that ended with NEW_PASSWORD_REQUIRED.
func TestPreTokenGenerationSources(t *testing.T) {
	lambda := triggertest.Start(t, map[string]triggertest.Func{
		"ptg": func(_ context.Context, raw json.RawMessage) (any, error) {
			var ev preTokenEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, err
			}
			return triggertest.Respond(raw, map[string]any{"claimsAndScopeOverrideDetails": map[string]any{
				"accessTokenGeneration": map[string]any{"claimsToAddOrOverride": map[string]any{"source": ev.TriggerSource}}}})
		},
	})
	s := testserver.StartWith(t, testserver.Options{Triggers: lambda.Invoker()})
	h := newHostedUI(t, s)
	if _, err := s.Admin.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: &h.pool, LambdaConfig: &types.LambdaConfigType{
		PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(triggertest.ARN("ptg")),
			LambdaVersion: "V2_0"}}}); err != nil {
		t.Fatal(err)
	}
	s.NewUser(t, h.pool, "alice", password)
	code, verifier := h.signIn("alice", password, nil)
	tk := h.exchange(code, verifier)
	if got := claims(t, tk.AccessToken)["source"]; got != "TokenGeneration_HostedAuth" {
		t.Fatalf("hosted UI: source %v", got)
	}
	r, rt := h.tokenCall(url.Values{"grant_type": {"refresh_token"}, "client_id": {h.client}, "refresh_token": {tk.RefreshToken}}, "", "")
	if r.status != 200 {
		t.Fatalf("refresh grant: %d %s", r.status, r.body)
	}
	if got := claims(t, rt.AccessToken)["source"]; got != "TokenGeneration_RefreshTokens" {
		t.Fatalf("OAuth refresh grant: source %v", got)
	}

	// An invited user choosing a password.
	if _, err := s.Admin.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &h.pool, Username: aws.String("bob"),
		TemporaryPassword: aws.String("Temp-Passw0rd!"), MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	out, err := s.Admin.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: &h.client,
		AuthParameters: map[string]string{"USERNAME": "bob", "PASSWORD": "Temp-Passw0rd!"}})
	if err != nil || out.ChallengeName != "NEW_PASSWORD_REQUIRED" {
		t.Fatalf("InitiateAuth: %v %v", out, err)
	}
	done, err := s.Admin.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &h.client, ChallengeName: "NEW_PASSWORD_REQUIRED",
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "bob", "NEW_PASSWORD": password}})
	if err != nil || done.AuthenticationResult == nil {
		t.Fatalf("NEW_PASSWORD_REQUIRED: %v", err)
	}
	if got := claims(t, aws.ToString(done.AuthenticationResult.AccessToken))["source"]; got != "TokenGeneration_NewPasswordChallenge" {
		t.Fatalf("new password: source %v", got)
	}
}

// TestPreTokenGenerationClientCredentials: a V3_0 function runs on the
// client_credentials grant (TokenGeneration_ClientCredentials, no user) and
// changes the access token's claims and scopes; a V2_0 one does not run.
func TestPreTokenGenerationClientCredentials(t *testing.T) {
	lambda := triggertest.Start(t, map[string]triggertest.Func{
		"m2m": func(_ context.Context, raw json.RawMessage) (any, error) {
			return triggertest.Respond(raw, map[string]any{"claimsAndScopeOverrideDetails": map[string]any{
				"accessTokenGeneration": map[string]any{"claimsToAddOrOverride": map[string]any{"tenant": "acme", "sub": "evil"},
					"scopesToSuppress": []string{"api/write"}}}})
		},
	})
	s := testserver.StartWith(t, testserver.Options{Triggers: lambda.Invoker()})
	h := newHostedUI(t, s, testserver.WithSecret(), testserver.WithOAuth(testserver.OAuthSettings{
		Flows: []string{"client_credentials"}, Scopes: []string{"api/read", "api/write"}}))
	for _, version := range []types.PreTokenGenerationLambdaVersionType{"V2_0", "V3_0"} {
		if _, err := s.Admin.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: &h.pool, LambdaConfig: &types.LambdaConfigType{
			PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(triggertest.ARN("m2m")),
				LambdaVersion: version}}}); err != nil {
			t.Fatal(err)
		}
		r, tk := h.tokenCall(url.Values{"grant_type": {"client_credentials"}}, h.client, h.secret)
		if r.status != 200 {
			t.Fatalf("%s: client_credentials: %d %s", version, r.status, r.body)
		}
		c := claims(t, tk.AccessToken)
		if version == "V2_0" {
			if c["tenant"] != nil || c["scope"] != "api/read api/write" || len(lambda.Calls("m2m")) != 0 {
				t.Fatalf("V2_0 ran on client_credentials: %v", c)
			}
			continue
		}
		if c["tenant"] != "acme" || c["scope"] != "api/read" || c["sub"] != h.client {
			t.Fatalf("V3_0 claims %v", c)
		}
		var ev preTokenEvent
		if err := json.Unmarshal(lambda.Calls("m2m")[0], &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Version != "3" || ev.TriggerSource != "TokenGeneration_ClientCredentials" || ev.CallerContext.ClientID != h.client ||
			!slices.Equal(ev.Request.Scopes, []string{"api/read", "api/write"}) {
			t.Fatalf("event = %+v", ev)
		}
	}
}
