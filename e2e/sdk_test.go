package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/cognate-dev/cognate/internal/testserver"
)

const password = "Passw0rd!"

// TestSignUpConfirmSignInRefresh walks the whole life of a self-registered user.
func TestSignUpConfirmSignInRefresh(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	pool, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("life"),
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	if !strings.HasPrefix(poolID, "us-east-1_") || len(poolID) != len("us-east-1_")+9 {
		t.Fatalf("pool id %q is not Cognito-shaped", poolID)
	}
	cl, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(cl.UserPoolClient.ClientId)
	if len(clientID) != 26 || strings.ToLower(clientID) != clientID {
		t.Fatalf("client id %q is not 26 lowercase alphanumerics", clientID)
	}
	if !aws.ToBool(cl.UserPoolClient.EnableTokenRevocation) {
		t.Fatal("EnableTokenRevocation must default to true on new clients")
	}

	su, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String("alice"), Password: aws.String(password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("alice@example.com")}}})
	if err != nil {
		t.Fatal(err)
	}
	if su.UserConfirmed || su.CodeDeliveryDetails == nil || su.CodeDeliveryDetails.DeliveryMedium != types.DeliveryMediumTypeEmail {
		t.Fatalf("SignUp = %+v, want unconfirmed with e-mail delivery", su)
	}
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": password}})
	wantAPIError[*types.UserNotConfirmedException](t, err, "User is not confirmed.")

	_, err = c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String("alice"), ConfirmationCode: aws.String("000000x")})
	wantAPIError[*types.CodeMismatchException](t, err, "")
	code := devCode(t, s, poolID, "alice")
	if _, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String("alice"), ConfirmationCode: &code}); err != nil {
		t.Fatal(err)
	}
	au, err := c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("alice")})
	if err != nil || au.UserStatus != types.UserStatusTypeConfirmed {
		t.Fatalf("AdminGetUser = %+v, %v; want CONFIRMED", au, err)
	}

	out := signIn(t, c, clientID, "alice", password)
	r := out.AuthenticationResult
	if aws.ToString(r.TokenType) != "Bearer" || r.ExpiresIn != 3600 || r.RefreshToken == nil {
		t.Fatalf("AuthenticationResult = type %q expires %d refresh %v", aws.ToString(r.TokenType), r.ExpiresIn, r.RefreshToken != nil)
	}
	if n := strings.Count(*r.RefreshToken, "."); n != 4 {
		t.Fatalf("refresh token has %d dots, want a five-segment JWE", n)
	}
	ac, ic := claims(t, *r.AccessToken), claims(t, *r.IdToken)
	if ac["token_use"] != "access" || ac["client_id"] != clientID || ac["username"] != "alice" || ac["scope"] != "aws.cognito.signin.user.admin" || ac["origin_jti"] == nil || ac["aud"] != nil {
		t.Fatalf("access claims = %v", ac)
	}
	if ic["token_use"] != "id" || ic["aud"] != clientID || ic["cognito:username"] != "alice" || ic["email"] != "alice@example.com" || ic["email_verified"] != true {
		t.Fatalf("id claims = %v", ic)
	}
	if ic["origin_jti"] != ac["origin_jti"] || ic["sub"] != ac["sub"] {
		t.Fatal("access and ID tokens of one sign-in must share origin_jti and sub")
	}
	gu, err := getUser(c, *r.AccessToken)
	if err != nil || aws.ToString(gu.Username) != "alice" {
		t.Fatalf("GetUser = %v, %v", gu, err)
	}

	ref, err := refresh(c, clientID, *r.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if ref.AuthenticationResult.RefreshToken != nil {
		t.Fatal("REFRESH_TOKEN_AUTH must not return a refresh token")
	}
	rc := claims(t, *ref.AuthenticationResult.AccessToken)
	if rc["origin_jti"] != ac["origin_jti"] || rc["auth_time"] != ac["auth_time"] || rc["jti"] == ac["jti"] {
		t.Fatalf("refresh must stay in the family with the original auth_time: %v vs %v", rc, ac)
	}
	if _, err := getUser(c, *ref.AuthenticationResult.AccessToken); err != nil {
		t.Fatalf("GetUser with refreshed token: %v", err)
	}
}

// devCode reads the pending confirmation code that dev mode exposes through AdminGetUser.
func devCode(t *testing.T, s *testserver.Server, poolID, username string) string {
	t.Helper()
	body := `{"UserPoolId":"` + poolID + `","Username":"` + username + `"}`
	req, _ := http.NewRequest("POST", s.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.AdminGetUser")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ CognateConfirmationCode string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.CognateConfirmationCode) != 6 {
		t.Fatalf("dev-mode confirmation code: %q, %v", out.CognateConfirmationCode, err)
	}
	return out.CognateConfirmationCode
}

// TestRevokeTokenKillsOneFamily: RevokeToken ends one session, not the user's others.
func TestRevokeTokenKillsOneFamily(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "bob", password)
	a := signIn(t, c, clientID, "bob", password).AuthenticationResult
	b := signIn(t, c, clientID, "bob", password).AuthenticationResult

	if _, err := c.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &clientID, Token: a.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	_, err := refresh(c, clientID, *a.RefreshToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
	_, err = getUser(c, *a.AccessToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
	_, err = c.GlobalSignOut(bg, &cip.GlobalSignOutInput{AccessToken: a.AccessToken})
	wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")

	if _, err := getUser(c, *b.AccessToken); err != nil {
		t.Fatalf("second session's access token: %v", err)
	}
	if _, err := refresh(c, clientID, *b.RefreshToken); err != nil {
		t.Fatalf("second session's refresh token: %v", err)
	}
	// Idempotent, and no oracle for unknown tokens.
	if _, err := c.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &clientID, Token: a.RefreshToken}); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	garbage := strings.Repeat("eyJhbGciOiJub25lIn0.", 4) + "x"
	if _, err := c.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &clientID, Token: &garbage}); err != nil {
		t.Fatalf("revoke of an unknown token: %v", err)
	}
}

// TestGlobalSignOutKillsEverySession: every session of the user dies, other users are untouched, a new sign-in works at once.
func TestGlobalSignOutKillsEverySession(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	// A second client of the same pool: global sign-out spans clients.
	other, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("other"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	otherID := aws.ToString(other.UserPoolClient.ClientId)
	s.NewUser(t, poolID, "carol", password)
	s.NewUser(t, poolID, "dave", password)
	var sessions []*types.AuthenticationResultType
	for i := 0; i < 3; i++ {
		sessions = append(sessions, signIn(t, c, clientID, "carol", password).AuthenticationResult)
	}
	sessions = append(sessions, signIn(t, c, otherID, "carol", password).AuthenticationResult)
	dave := signIn(t, c, clientID, "dave", password).AuthenticationResult

	if _, err := c.GlobalSignOut(bg, &cip.GlobalSignOutInput{AccessToken: sessions[0].AccessToken}); err != nil {
		t.Fatal(err)
	}
	for i, sess := range sessions {
		cid := clientID
		if i == 3 {
			cid = otherID
		}
		_, err := getUser(c, *sess.AccessToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
		_, err = refresh(c, cid, *sess.RefreshToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
	}
	// No one-second race: a sign-in right after is valid.
	fresh := signIn(t, c, clientID, "carol", password).AuthenticationResult
	if _, err := getUser(c, *fresh.AccessToken); err != nil {
		t.Fatalf("sign-in right after global sign-out: %v", err)
	}
	if _, err := refresh(c, clientID, *fresh.RefreshToken); err != nil {
		t.Fatalf("refresh right after global sign-out: %v", err)
	}
	if _, err := getUser(c, *dave.AccessToken); err != nil {
		t.Fatalf("another user's session: %v", err)
	}

	// AdminUserGlobalSignOut does the same from the admin side.
	if _, err := c.AdminUserGlobalSignOut(bg, &cip.AdminUserGlobalSignOutInput{UserPoolId: &poolID, Username: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	_, err = getUser(c, *fresh.AccessToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
	_, err = c.AdminUserGlobalSignOut(bg, &cip.AdminUserGlobalSignOutInput{UserPoolId: &poolID, Username: aws.String("nobody")})
	wantAPIError[*types.UserNotFoundException](t, err, "User does not exist.")
}

// TestValidityHonoured: exp - iat follows the client's settings and units.
func TestValidityHonoured(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, _, _ := s.NewPool(t)
	s.NewUser(t, poolID, "erin", password)
	cl, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("short"),
		AccessTokenValidity: aws.Int32(7), IdTokenValidity: aws.Int32(2), RefreshTokenValidity: 3,
		TokenValidityUnits: &types.TokenValidityUnitsType{AccessToken: types.TimeUnitsTypeMinutes, IdToken: types.TimeUnitsTypeHours, RefreshToken: types.TimeUnitsTypeDays},
		ExplicitAuthFlows:  []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeUserPoolClient(bg, &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: cl.UserPoolClient.ClientId})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(d.UserPoolClient.AccessTokenValidity) != 7 || d.UserPoolClient.TokenValidityUnits.IdToken != types.TimeUnitsTypeHours || d.UserPoolClient.RefreshTokenValidity != 3 {
		t.Fatalf("Describe = %+v", d.UserPoolClient)
	}
	r := signIn(t, c, aws.ToString(cl.UserPoolClient.ClientId), "erin", password).AuthenticationResult
	ac, ic := claims(t, *r.AccessToken), claims(t, *r.IdToken)
	if life := ac["exp"].(float64) - ac["iat"].(float64); life != 7*60 {
		t.Fatalf("access exp-iat = %v, want 420", life)
	}
	if life := ic["exp"].(float64) - ic["iat"].(float64); life != 2*3600 {
		t.Fatalf("id exp-iat = %v, want 7200", life)
	}
	if r.ExpiresIn != 420 {
		t.Fatalf("ExpiresIn = %d, want 420", r.ExpiresIn)
	}

	// Out of range, each rejected with InvalidParameterException.
	for name, in := range map[string]*cip.CreateUserPoolClientInput{
		"access 4 minutes": {AccessTokenValidity: aws.Int32(4), TokenValidityUnits: &types.TokenValidityUnitsType{AccessToken: types.TimeUnitsTypeMinutes}},
		"access 25 hours":  {AccessTokenValidity: aws.Int32(25)},
		"id 2 days":        {IdTokenValidity: aws.Int32(2), TokenValidityUnits: &types.TokenValidityUnitsType{IdToken: types.TimeUnitsTypeDays}},
		"refresh 59 min":   {RefreshTokenValidity: 59, TokenValidityUnits: &types.TokenValidityUnitsType{RefreshToken: types.TimeUnitsTypeMinutes}},
		"refresh 11 years": {RefreshTokenValidity: 4015},
		"grace 61 s":       {RefreshTokenRotation: &types.RefreshTokenRotationType{Feature: types.FeatureTypeEnabled, RetryGracePeriodSeconds: aws.Int32(61)}},
	} {
		in.UserPoolId, in.ClientName = &poolID, aws.String("bad")
		_, err := c.CreateUserPoolClient(bg, in)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		var ip *types.InvalidParameterException
		if !errors.As(err, &ip) {
			t.Errorf("%s: got %v, want InvalidParameterException", name, err)
		}
	}
}

// TestTokensVerifyAgainstPublishedJWKS checks signatures with go-jose against the JWKS endpoint.
func TestTokensVerifyAgainstPublishedJWKS(t *testing.T) {
	s := testserver.Start(t)
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "frank", password)
	r := signIn(t, s.Admin, clientID, "frank", password).AuthenticationResult

	resp, err := http.Get(s.URL + "/" + poolID + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) < 2 {
		t.Fatalf("JWKS has %d keys, want access and ID keys", len(set.Keys))
	}
	kids := map[string]bool{}
	for name, raw := range map[string]string{"access": *r.AccessToken, "id": *r.IdToken} {
		tok, err := josejwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		kid := tok.Headers[0].KeyID
		kids[kid] = true
		keys := set.Key(kid)
		if len(keys) != 1 {
			t.Fatalf("%s: kid %q not in JWKS", name, kid)
		}
		var cl josejwt.Claims
		if err := tok.Claims(keys[0].Key, &cl); err != nil {
			t.Fatalf("%s: signature does not verify against the JWKS: %v", name, err)
		}
		if cl.Issuer != s.URL+"/"+poolID {
			t.Fatalf("%s: iss = %q", name, cl.Issuer)
		}
	}
	if len(kids) != 2 {
		t.Fatal("access and ID tokens must be signed with different keys")
	}
	// Another pool's JWKS does not verify this pool's tokens, and its API refuses them.
	pool2, _, _ := s.NewPool(t)
	resp2, err := http.Get(s.URL + "/" + pool2 + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var set2 jose.JSONWebKeySet
	_ = json.NewDecoder(resp2.Body).Decode(&set2)
	resp2.Body.Close()
	tok, _ := josejwt.ParseSigned(*r.AccessToken, []jose.SignatureAlgorithm{jose.RS256})
	for _, k := range set2.Keys {
		var cl josejwt.Claims
		if tok.Claims(k.Key, &cl) == nil {
			t.Fatal("a token verified against another pool's key")
		}
	}
	disc, err := http.Get(s.URL + "/" + poolID + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	_ = json.NewDecoder(disc.Body).Decode(&doc)
	disc.Body.Close()
	if doc["issuer"] != s.URL+"/"+poolID || doc["jwks_uri"] != s.URL+"/"+poolID+"/.well-known/jwks.json" {
		t.Fatalf("discovery = %v", doc)
	}
}

// TestErrorCases asserts Cognito's error shapes through the SDK's typed errors.
func TestErrorCases(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "gina", password)
	_, otherClient, _ := s.NewPool(t)
	noRevPool, noRevClient, _ := s.NewPool(t, testserver.WithoutRevocation())
	s.NewUser(t, noRevPool, "gina", password)

	_, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "gina", "PASSWORD": "wrong-Passw0rd!"}})
	wantAPIError[*types.NotAuthorizedException](t, err, "Incorrect username or password.")
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "nobody", "PASSWORD": password}})
	wantAPIError[*types.UserNotFoundException](t, err, "User does not exist.")

	r := signIn(t, c, clientID, "gina", password).AuthenticationResult
	_, err = c.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &clientID, Token: r.AccessToken})
	wantAPIError[*types.UnsupportedTokenTypeException](t, err, "")
	_, err = c.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &otherClient, Token: r.RefreshToken})
	if err != nil {
		// another pool's client: the token is not one of its pool's, so it is unknown to it (200)
		t.Fatalf("revoke with another pool's client: %v", err)
	}
	// Another client of the same pool did not obtain the token.
	sib, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("sibling")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: sib.UserPoolClient.ClientId, Token: r.RefreshToken})
	wantAPIError[*types.UnauthorizedException](t, err, "")
	if _, err := refresh(c, clientID, *r.RefreshToken); err != nil {
		t.Fatalf("a refused revoke must not revoke: %v", err)
	}
	nr := signIn(t, c, noRevClient, "gina", password).AuthenticationResult
	_, err = c.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &noRevClient, Token: nr.RefreshToken})
	wantAPIError[*types.UnsupportedOperationException](t, err, "")
	if ac := claims(t, *nr.AccessToken); ac["origin_jti"] != nil || ac["jti"] != nil {
		t.Fatalf("revocation disabled: origin_jti/jti must be omitted, got %v", ac)
	}
	// Global sign-out still works without revocation.
	if _, err := c.GlobalSignOut(bg, &cip.GlobalSignOutInput{AccessToken: nr.AccessToken}); err != nil {
		t.Fatal(err)
	}
	_, err = getUser(c, *nr.AccessToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")

	_, err = getUser(c, "not.a.token")
	wantAPIError[*types.NotAuthorizedException](t, err, "Invalid Access Token")
	_, err = getUser(c, *r.IdToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Invalid Access Token")
	_, err = refresh(c, clientID, "garbage")
	wantAPIError[*types.NotAuthorizedException](t, err, "Invalid Refresh Token.")
	_, err = refresh(c, otherClient, *r.RefreshToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Invalid Refresh Token.")
	_, err = c.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: aws.String("us-east-1_nope")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "")
	_, err = c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("gina")})
	wantAPIError[*types.UsernameExistsException](t, err, "")
	_, err = c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String("weak"), Password: aws.String("short")})
	wantAPIError[*types.InvalidPasswordException](t, err, "")
	// USER_PASSWORD_AUTH is off by default on a new client.
	def, _ := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("default")})
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: def.UserPoolClient.ClientId,
		AuthParameters: map[string]string{"USERNAME": "gina", "PASSWORD": password}})
	wantAPIError[*types.InvalidParameterException](t, err, "USER_PASSWORD_AUTH flow not enabled for this client")

	// Disabled users cannot sign in, and their sessions end.
	if _, err := c.AdminDisableUser(bg, &cip.AdminDisableUserInput{UserPoolId: &poolID, Username: aws.String("gina")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "gina", "PASSWORD": password}})
	wantAPIError[*types.NotAuthorizedException](t, err, "User is disabled.")
	_, err = getUser(c, *r.AccessToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "")
	if _, err := c.AdminEnableUser(bg, &cip.AdminEnableUserInput{UserPoolId: &poolID, Username: aws.String("gina")}); err != nil {
		t.Fatal(err)
	}
	signIn(t, c, clientID, "gina", password)
}

// TestWireErrors checks raw wire behaviour the SDK hides: status codes, __type, headers.
func TestWireErrors(t *testing.T) {
	s := testserver.Start(t)
	post := func(target, body string) (*http.Response, map[string]string) {
		t.Helper()
		req, _ := http.NewRequest("POST", s.URL+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp, m
	}
	cases := []struct{ name, target, body, code string }{
		{"malformed JSON", "AWSCognitoIdentityProviderService.InitiateAuth", `{"AuthFlow":`, "SerializationException"},
		{"wrong type", "AWSCognitoIdentityProviderService.ListUserPools", `{"MaxResults":"ten"}`, "SerializationException"},
		{"unknown target", "AWSCognitoIdentityProviderService.FlyToTheMoon", `{}`, "UnknownOperationException"},
		{"no target", "", `{}`, "UnknownOperationException"},
		{"other service", "DynamoDB_20120810.GetItem", `{}`, "UnknownOperationException"},
		{"missing field", "AWSCognitoIdentityProviderService.GetUser", `{}`, "InvalidParameterException"},
		{"body too large", "AWSCognitoIdentityProviderService.SignUp", `{"Username":"` + strings.Repeat("a", 300<<10) + `"}`, "InvalidParameterException"},
	}
	for _, tc := range cases {
		resp, m := post(tc.target, tc.body)
		if resp.StatusCode >= 500 || resp.StatusCode < 400 {
			t.Errorf("%s: status %d", tc.name, resp.StatusCode)
		}
		if m["__type"] != tc.code || m["message"] == "" {
			t.Errorf("%s: body %v, want __type %s", tc.name, m, tc.code)
		}
		if resp.Header.Get("x-amzn-ErrorType") != tc.code+":" || resp.Header.Get("x-amzn-RequestId") == "" {
			t.Errorf("%s: headers %v", tc.name, resp.Header)
		}
	}
	resp, _ := post("AWSCognitoIdentityProviderService.ListUserPools", `{"MaxResults":10}`)
	if resp.StatusCode != 200 || resp.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("success: %d %v", resp.StatusCode, resp.Header)
	}
	h, err := http.Get(s.URL + "/health")
	if err != nil || h.StatusCode != 200 {
		t.Fatalf("health: %v %v", h, err)
	}
	h.Body.Close()
}

// TestRotation: GetTokensFromRefreshToken rotates; the old token works within the grace period only, and reuse after it revokes the family.
func TestRotation(t *testing.T) {
	clock := testserver.NewClock(time.Now())
	advance := clock.Advance
	s := testserver.StartWith(t, testserver.Options{Now: clock.Now})
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t, testserver.WithRotation(10*time.Second))
	s.NewUser(t, poolID, "hank", password)
	r0 := signIn(t, c, clientID, "hank", password).AuthenticationResult

	_, err := refresh(c, clientID, *r0.RefreshToken)
	wantAPIError[*types.InvalidParameterException](t, err, "")

	get := func(rt string) (*types.AuthenticationResultType, error) {
		out, err := c.GetTokensFromRefreshToken(bg, &cip.GetTokensFromRefreshTokenInput{ClientId: &clientID, RefreshToken: &rt})
		if err != nil {
			return nil, err
		}
		return out.AuthenticationResult, nil
	}
	r1, err := get(*r0.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if r1.RefreshToken == nil || *r1.RefreshToken == *r0.RefreshToken {
		t.Fatal("rotation must return a new refresh token")
	}
	// Within the grace period the old token still works.
	advance(5 * time.Second)
	if _, err := get(*r0.RefreshToken); err != nil {
		t.Fatalf("old token within grace: %v", err)
	}
	r2, err := get(*r1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	// After the grace period the superseded token is reuse: the family dies.
	advance(11 * time.Second)
	_, err = get(*r1.RefreshToken)
	wantAPIError[*types.RefreshTokenReuseException](t, err, "")
	_, err = get(*r2.RefreshToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
	_, err = getUser(c, *r2.AccessToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
	// Expiry of the access token is reported as such.
	advance(2 * time.Hour)
	_, err = getUser(c, *r0.AccessToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "")
}

// TestConcurrentSignInsAndSignOuts hammers one user from many goroutines; no 5xx, and the end state is coherent.
func TestConcurrentSignInsAndSignOuts(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "ivy", password)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				out, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: &clientID,
					AuthParameters: map[string]string{"USERNAME": "ivy", "PASSWORD": password}})
				if err != nil {
					errs <- err
					return
				}
				r := out.AuthenticationResult
				if i%2 == 0 {
					_, err = c.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &clientID, Token: r.RefreshToken})
				} else {
					_, err = c.GlobalSignOut(bg, &cip.GlobalSignOutInput{AccessToken: r.AccessToken})
					var na *types.NotAuthorizedException
					if errors.As(err, &na) { // another goroutine's global sign-out got there first
						err = nil
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	last := signIn(t, c, clientID, "ivy", password).AuthenticationResult
	if _, err := getUser(c, *last.AccessToken); err != nil {
		t.Fatalf("after the storm: %v", err)
	}
}
