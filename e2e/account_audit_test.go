package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/message"
)

// More of the account life cycle from outside: an alias another user holds
// refused before a sign-up code is spent, aliases through every flow, case
// sensitivity, and a password reset ending every session.

// TestConfirmSignUpAliasExistsKeepsCode: ConfirmSignUp refuses an e-mail
// alias another user holds with AliasExistsException and leaves the code
// alone, so the client can confirm again with ForceAliasCreation, which
// moves the alias (the other user's e-mail becomes unverified).
func TestConfirmSignUpAliasExistsKeepsCode(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	p, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("alias"),
		AliasAttributes:        []types.AliasAttributeType{types.AliasAttributeTypeEmail},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(p.UserPool.Id)
	cl, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(cl.UserPoolClient.ClientId)
	const email = "shared@example.com"
	if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("first"), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String("second"), Password: aws.String(password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}}}); err != nil {
		t.Fatal(err)
	}
	code := outboxCode(t, s, poolID, email, message.KindSignUp)
	_, err = c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String("second"), ConfirmationCode: aws.String(code)})
	wantAPIError[*types.AliasExistsException](t, err, "An account with the given email already exists.")
	if _, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String("second"),
		ConfirmationCode: aws.String(code), ForceAliasCreation: true}); err != nil {
		t.Fatalf("the code must survive the refusal: %v", err)
	}
	signIn(t, c, clientID, email, password) // the alias is the second user's now
	first, err := c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("first")})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range first.UserAttributes {
		if aws.ToString(a.Name) == "email_verified" && aws.ToString(a.Value) != "false" {
			t.Fatalf("the first user's e-mail is still verified")
		}
	}
}

// TestAliasPoolEveryFlow: in a pool with AliasAttributes (e-mail and
// preferred_username, case-insensitive) a verified alias signs in through
// every flow — password, SRP, the hosted UI, the admin operations,
// ListUsers — an unverified one nowhere, and a verified alias is one
// user's only.
func TestAliasPoolEveryFlow(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	p, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("aliases"),
		AliasAttributes:        []types.AliasAttributeType{types.AliasAttributeTypeEmail, types.AliasAttributeTypePreferredUsername},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		UsernameConfiguration:  &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(p.UserPool.Id)
	cl, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowUserSrpAuth,
			types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		CallbackURLs: []string{callbackURL}, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid"}, AllowedOAuthFlowsUserPoolClient: true})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(cl.UserPoolClient.ClientId)
	passwordSignIn := func(name string) error {
		_, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
			AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password}})
		return err
	}

	_, err = c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String("ann@example.com"), Password: aws.String(password)})
	wantAPIError[*types.InvalidParameterException](t, err, "Username cannot be of email format, since user pool is configured for email alias.")
	if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String("Ann"), Password: aws.String(password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("ann@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	// Unverified, the address is nobody's sign-in name yet.
	wantAPIError[*types.UserNotFoundException](t, passwordSignIn("ann@example.com"), "User does not exist.")
	code := outboxCode(t, s, poolID, "ann@example.com", message.KindSignUp)
	if _, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String("ANN"), ConfirmationCode: aws.String(code)}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ann", "ANN", "ann@example.com", "Ann@Example.COM"} {
		if err := passwordSignIn(name); err != nil {
			t.Fatalf("password sign-in as %q: %v", name, err)
		}
	}
	// SRP with the alias: the challenge names the username to compute with.
	srpc, ch := srpChallenge(t, c, clientID, poolID, "ANN@example.com")
	if ch.ChallengeParameters["USER_ID_FOR_SRP"] != "ann" {
		t.Fatalf("USER_ID_FOR_SRP = %q, want the username", ch.ChallengeParameters["USER_ID_FOR_SRP"])
	}
	out, err := c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID, ChallengeName: types.ChallengeNameTypePasswordVerifier,
		Session: ch.Session, ChallengeResponses: srpAnswer(t, srpc, poolID, password, ch, time.Now())})
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("SRP by alias: %v", err)
	}
	if u := claims(t, aws.ToString(out.AuthenticationResult.AccessToken))["username"]; u != "ann" {
		t.Fatalf("the access token's username %v", u)
	}

	// Admin operations take the alias; preferred_username set by an
	// administrator signs in without verification.
	g, err := c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("ANN@example.com")})
	if err != nil || aws.ToString(g.Username) != "ann" {
		t.Fatalf("AdminGetUser by alias: %v %v", g, err)
	}
	if _, err := c.AdminUpdateUserAttributes(bg, &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("ann@example.com"),
		UserAttributes: []types.AttributeType{{Name: aws.String("preferred_username"), Value: aws.String("Annie")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminInitiateAuth(bg, &cip.AdminInitiateAuthInput{UserPoolId: &poolID, ClientId: &clientID, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "annie", "PASSWORD": password}}); err != nil {
		t.Fatalf("AdminInitiateAuth by preferred_username: %v", err)
	}
	lu, err := c.ListUsers(bg, &cip.ListUsersInput{UserPoolId: &poolID, Filter: aws.String(`email = "ann@example.com"`)})
	if err != nil || len(lu.Users) != 1 || aws.ToString(lu.Users[0].Username) != "ann" {
		t.Fatalf("ListUsers by e-mail: %v %v", lu, err)
	}

	// A verified alias is one user's: another user cannot take it.
	if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("bo"), MessageAction: types.MessageActionTypeSuppress,
		TemporaryPassword: aws.String(password)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AdminUpdateUserAttributes(bg, &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("bo"),
		UserAttributes: []types.AttributeType{{Name: aws.String("preferred_username"), Value: aws.String("ANNIE")}}})
	wantAPIError[*types.AliasExistsException](t, err, "An account with the given preferred_username already exists.")
	_, err = c.AdminUpdateUserAttributes(bg, &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("bo"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("ann@example.com")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}})
	wantAPIError[*types.AliasExistsException](t, err, "An account with the given email already exists.")

	// The hosted UI signs in with the alias too.
	h := &hostedUI{t: t, s: s, pool: poolID, client: clientID, hc: newBrowser()}
	_, challenge := pkce()
	page := h.get(h.get(h.authorizeURL(challenge, map[string]string{"scope": "openid"})).location())
	action, csrf := h.loginForm(page)
	h.callback(h.get(h.submitLogin(action, csrf, "Ann@example.com", password).location()))
}

// TestCaseSensitiveUsernames: with UsernameConfiguration.CaseSensitive
// true, "Cy" and "cy" are two users, and an e-mail alias signs in only
// with its own capitalization (but any case of its domain).
func TestCaseSensitiveUsernames(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	p, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("cased"),
		AliasAttributes:       []types.AliasAttributeType{types.AliasAttributeTypeEmail},
		UsernameConfiguration: &types.UsernameConfigurationType{CaseSensitive: aws.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(p.UserPool.Id)
	cl, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(cl.UserPoolClient.ClientId)
	for _, name := range []string{"Cy", "cy"} {
		if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String(name), MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(name + "." + strings.ToLower(name) + "@example.com")}}}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := c.AdminSetUserPassword(bg, &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("Cy"), Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	signIn(t, c, clientID, "Cy", password)
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "cy", "PASSWORD": password}})
	wantAPIError[*types.NotAuthorizedException](t, err, "Incorrect username or password.") // another user, without that password
	_, err = c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("CY")})
	wantAPIError[*types.UserNotFoundException](t, err, "User does not exist.")
	if _, err := c.AdminUpdateUserAttributes(bg, &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("Cy"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	signIn(t, c, clientID, "Cy.cy@EXAMPLE.com", password)
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "CY.CY@example.com", "PASSWORD": password}})
	wantAPIError[*types.UserNotFoundException](t, err, "User does not exist.")
}

// TestPasswordResetEndsEverySession: ConfirmForgotPassword and
// AdminResetUserPassword each end every session of the user — access and
// refresh tokens of every device — as a global sign-out does.
func TestPasswordResetEndsEverySession(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID := newAmplifyPool(t, c, nil)
	const email = "reset@example.com"
	if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String(email), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	pw := password
	if _, err := c.AdminSetUserPassword(bg, &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String(email), Password: &pw, Permanent: true}); err != nil {
		t.Fatal(err)
	}
	ended := func(how string, sessions []*types.AuthenticationResultType) {
		t.Helper()
		for i, tk := range sessions {
			_, err := getUser(c, aws.ToString(tk.AccessToken))
			wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
			_, err = refresh(c, clientID, aws.ToString(tk.RefreshToken))
			if err == nil {
				t.Fatalf("%s: session %d refreshes", how, i)
			}
			wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
		}
	}

	sessions := []*types.AuthenticationResultType{signIn(t, c, clientID, email, pw).AuthenticationResult, signIn(t, c, clientID, email, pw).AuthenticationResult}
	if _, err := c.ForgotPassword(bg, &cip.ForgotPasswordInput{ClientId: &clientID, Username: aws.String(email)}); err != nil {
		t.Fatal(err)
	}
	if _, err := getUser(c, aws.ToString(sessions[0].AccessToken)); err != nil {
		t.Fatalf("asking for a code ends nothing yet: %v", err)
	}
	pw = "Reset-Passw0rd!1"
	if _, err := c.ConfirmForgotPassword(bg, &cip.ConfirmForgotPasswordInput{ClientId: &clientID, Username: aws.String(email),
		ConfirmationCode: aws.String(outboxCode(t, s, poolID, email, message.KindForgotPassword)), Password: &pw}); err != nil {
		t.Fatal(err)
	}
	ended("ConfirmForgotPassword", sessions)

	sessions = []*types.AuthenticationResultType{signIn(t, c, clientID, email, pw).AuthenticationResult, signIn(t, c, clientID, email, pw).AuthenticationResult}
	if _, err := c.AdminResetUserPassword(bg, &cip.AdminResetUserPasswordInput{UserPoolId: &poolID, Username: aws.String(email)}); err != nil {
		t.Fatal(err)
	}
	ended("AdminResetUserPassword", sessions)
	_, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": pw}})
	wantAPIError[*types.PasswordResetRequiredException](t, err, "Password reset required for the user")
}
