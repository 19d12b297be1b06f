package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/trigger/triggertest"
)

// TestTriggerCustomMessage: every message with a code goes through
// CustomMessage with its trigger source; the function's subject and body
// replace the pool's templates, and Cognate fills the code (and, for an
// invitation, the username) into them. A body without the code placeholder
// is refused as Cognito refuses it.
func TestTriggerCustomMessage(t *testing.T) {
	e := newTriggerEnv(t, map[string]triggertest.Func{
		"msg": func(_ context.Context, raw json.RawMessage) (any, error) {
			var ev triggerEvent
			_ = json.Unmarshal(raw, &ev)
			body := ev.TriggerSource + ": your code is " + member(ev, "codeParameter")
			if p := member(ev, "usernameParameter"); p != "" {
				body += " for " + p
			}
			if ev.UserName == "nocode" {
				body = "no code here"
			}
			return triggertest.Respond(raw, map[string]any{"emailSubject": "Subject " + ev.TriggerSource, "emailMessage": body, "smsMessage": nil})
		},
	}, map[string]string{"CustomMessage": "msg"}, testserver.Options{})
	c := e.srv.Admin
	calls := 0
	// sent checks the newest message to dest and the event that made it.
	sent := func(dest, source, user string, withUsername bool) message.Message {
		t.Helper()
		calls++
		ev := e.last("msg", calls)
		e.common(ev, source, ev.CallerContext.ClientID, user)
		if member(ev, "codeParameter") != "{####}" || member(ev, "userAttributes", "email") == "" {
			t.Fatalf("%s: request %v", source, ev.Request)
		}
		if got := member(ev, "usernameParameter"); (got == "{username}") != withUsername {
			t.Fatalf("%s: usernameParameter %q", source, got)
		}
		ms := e.srv.Outbox.List(e.pool, dest)
		if len(ms) == 0 {
			t.Fatalf("%s: nothing sent to %s", source, dest)
		}
		m := ms[0]
		want := source + ": your code is " + m.Code
		if withUsername {
			want += " for " + user
		}
		if m.Subject != "Subject "+source || m.Body != want || m.Code == "" {
			t.Fatalf("%s: sent %q %q, want %q %q", source, m.Subject, m.Body, "Subject "+source, want)
		}
		return m
	}

	if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &e.client, Username: aws.String("kim"), Password: aws.String(password),
		UserAttributes: []types.AttributeType{attr("email", "kim@example.com")}}); err != nil {
		t.Fatal(err)
	}
	if ev := e.events("msg"); len(ev) != 1 || ev[0].CallerContext.ClientID != e.client {
		t.Fatalf("SignUp's CustomMessage: %+v, want one call for client %s", ev, e.client)
	}
	sent("kim@example.com", "CustomMessage_SignUp", "kim", false)
	if _, err := c.ResendConfirmationCode(bg, &cip.ResendConfirmationCodeInput{ClientId: &e.client, Username: aws.String("kim")}); err != nil {
		t.Fatal(err)
	}
	m := sent("kim@example.com", "CustomMessage_ResendCode", "kim", false)
	if _, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &e.client, Username: aws.String("kim"), ConfirmationCode: aws.String(m.Code)}); err != nil {
		t.Fatalf("the code the custom message carried: %v", err)
	}
	if _, err := c.ForgotPassword(bg, &cip.ForgotPasswordInput{ClientId: &e.client, Username: aws.String("kim")}); err != nil {
		t.Fatal(err)
	}
	sent("kim@example.com", "CustomMessage_ForgotPassword", "kim", false)

	at := aws.ToString(signIn(t, c, e.client, "kim", password).AuthenticationResult.AccessToken)
	if _, err := c.UpdateUserAttributes(bg, &cip.UpdateUserAttributesInput{AccessToken: &at,
		UserAttributes: []types.AttributeType{attr("email", "kim2@example.com")}}); err != nil {
		t.Fatal(err)
	}
	sent("kim2@example.com", "CustomMessage_UpdateUserAttribute", "kim", false)
	if _, err := c.GetUserAttributeVerificationCode(bg, &cip.GetUserAttributeVerificationCodeInput{AccessToken: &at,
		AttributeName: aws.String("email")}); err != nil {
		t.Fatal(err)
	}
	sent("kim2@example.com", "CustomMessage_VerifyUserAttribute", "kim", false)

	if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &e.pool, Username: aws.String("lou"),
		DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
		UserAttributes:         []types.AttributeType{attr("email", "lou@example.com")}}); err != nil {
		t.Fatal(err)
	}
	sent("lou@example.com", "CustomMessage_AdminCreateUser", "lou", true)

	// An MFA code by e-mail.
	setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: &e.pool, MfaConfiguration: types.UserPoolMfaTypeOptional,
		EmailMfaConfiguration: &types.EmailMfaConfigType{}})
	srvUser(t, c, e.pool, "mo")
	if _, err := c.AdminUpdateUserAttributes(bg, &cip.AdminUpdateUserAttributesInput{UserPoolId: &e.pool, Username: aws.String("mo"),
		UserAttributes: []types.AttributeType{attr("email_verified", "true")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserMFAPreference(bg, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: &e.pool, Username: aws.String("mo"),
		EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	out, err := initiate(c, e.client, "mo", "Passw0rd!")
	if err != nil || out.ChallengeName != types.ChallengeNameTypeEmailOtp {
		t.Fatalf("MFA sign-in: %v %v", out, err)
	}
	m = sent("mo@example.com", "CustomMessage_Authentication", "mo", false)
	if _, err := respond(c, e.client, out.ChallengeName, aws.ToString(out.Session),
		map[string]string{"USERNAME": "mo", "EMAIL_OTP_CODE": m.Code}); err != nil {
		t.Fatalf("the MFA code the custom message carried: %v", err)
	}

	_, err = c.SignUp(bg, &cip.SignUpInput{ClientId: &e.client, Username: aws.String("nocode"), Password: aws.String(password),
		UserAttributes: []types.AttributeType{attr("email", "nocode@example.com")}})
	wantAPIError[*types.InvalidParameterException](t, err, "1 validation error detected: Value 'no code here' at 'emailBody' failed to satisfy constraint: "+
		`Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{####\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*`)
	if n := len(e.srv.Outbox.List(e.pool, "nocode@example.com")); n != 0 {
		t.Fatalf("%d messages sent with a refused body", n)
	}
}

// migrationFunc is a UserMigration function over a legacy directory of one
// user per name.
func migrationFunc(_ context.Context, raw json.RawMessage) (any, error) {
	var ev triggerEvent
	_ = json.Unmarshal(raw, &ev)
	legacy := map[string]string{"old": "Legacy-pass1!", "adm": "Legacy-pass1!", "hosted": "Legacy-pass1!"}
	switch {
	case ev.TriggerSource == "UserMigration_ForgotPassword" && ev.UserName == "forgetful":
		return triggertest.Respond(raw, map[string]any{"userAttributes": map[string]string{"email": "forgetful@example.com",
			"email_verified": "true"}, "finalUserStatus": "RESET_REQUIRED", "messageAction": "SUPPRESS"})
	case legacy[ev.UserName] == "":
		return echo(context.Background(), raw) // not in the legacy directory either
	case member(ev, "password") != legacy[ev.UserName]:
		return nil, errors.New("Bad password")
	}
	return triggertest.Respond(raw, map[string]any{"userAttributes": map[string]string{"email": ev.UserName + "@example.com",
		"email_verified": "true"}, "finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
		"desiredDeliveryMediums": []string{"EMAIL"}, "forceAliasCreation": false})
}

// TestTriggerUserMigration: a password sign-in (USER_PASSWORD_AUTH,
// ADMIN_USER_PASSWORD_AUTH) naming no user asks UserMigration, which
// creates the user with that password and signs them in; SRP never
// migrates; ForgotPassword migrates with UserMigration_ForgotPassword; an
// empty answer is an unknown user (hidden as such with
// PreventUserExistenceErrors).
func TestTriggerUserMigration(t *testing.T) {
	e := newTriggerEnv(t, map[string]triggertest.Func{"mig": migrationFunc},
		map[string]string{"UserMigration": "mig"}, testserver.Options{})
	c := e.srv.Admin
	const legacyPass = "Legacy-pass1!"

	out, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &e.client,
		AuthParameters: map[string]string{"USERNAME": "old", "PASSWORD": legacyPass}, ClientMetadata: map[string]string{"src": "app"}})
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("migrating sign-in: %v %v", out, err)
	}
	ev := e.last("mig", 1)
	e.common(ev, "UserMigration_Authentication", e.client, "old")
	if member(ev, "password") != legacyPass || member(ev, "validationData", "src") != "app" || member(ev, "clientMetadata", "src") != "app" {
		t.Fatalf("request %v", ev.Request)
	}
	if got := claims(t, aws.ToString(out.AuthenticationResult.IdToken))["email"]; got != "old@example.com" {
		t.Fatalf("ID token email %v", got)
	}
	signIn(t, c, e.client, "old", legacyPass)
	e.last("mig", 1) // a user that exists is not migrated again

	if _, err := c.AdminInitiateAuth(bg, &cip.AdminInitiateAuthInput{AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, UserPoolId: &e.pool,
		ClientId: &e.client, AuthParameters: map[string]string{"USERNAME": "adm", "PASSWORD": legacyPass}}); err != nil {
		t.Fatalf("ADMIN_USER_PASSWORD_AUTH migration: %v", err)
	}
	e.common(e.last("mig", 2), "UserMigration_Authentication", e.client, "adm")

	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &e.client,
		AuthParameters: map[string]string{"USERNAME": "hosted", "PASSWORD": "wrong-Pass1!"}})
	wantAPIError[*types.UserLambdaValidationException](t, err, "UserMigration failed with error Bad password.")
	e.last("mig", 3)

	// SRP gives no password: no migration, the name is unknown.
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserSrpAuth, ClientId: &e.client,
		AuthParameters: map[string]string{"USERNAME": "hosted", "SRP_A": "ab"}})
	wantAPIError[*types.UserNotFoundException](t, err, "")
	e.last("mig", 3)

	// Nobody in the legacy directory either.
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &e.client,
		AuthParameters: map[string]string{"USERNAME": "nobody", "PASSWORD": legacyPass}})
	wantAPIError[*types.UserNotFoundException](t, err, "User does not exist.")

	// ForgotPassword migrates without a password; the user resets it.
	fp, err := c.ForgotPassword(bg, &cip.ForgotPasswordInput{ClientId: &e.client, Username: aws.String("forgetful")})
	if err != nil || fp.CodeDeliveryDetails == nil {
		t.Fatalf("ForgotPassword migration: %v %v", fp, err)
	}
	ev = e.last("mig", 5)
	e.common(ev, "UserMigration_ForgotPassword", e.client, "forgetful")
	if _, has := ev.Request["password"]; has {
		t.Fatalf("UserMigration_ForgotPassword carries a password: %v", ev.Request)
	}
	u, err := c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &e.pool, Username: aws.String("forgetful")})
	if err != nil || u.UserStatus != types.UserStatusTypeResetRequired {
		t.Fatalf("migrated for a reset: %v %v", u, err)
	}
	code := e.srv.Outbox.List(e.pool, "forgetful@example.com")[0].Code
	if _, err := c.ConfirmForgotPassword(bg, &cip.ConfirmForgotPasswordInput{ClientId: &e.client, Username: aws.String("forgetful"),
		ConfirmationCode: aws.String(code), Password: aws.String(password)}); err != nil {
		t.Fatal(err)
	}
	signIn(t, c, e.client, "forgetful", password)

	// PreventUserExistenceErrors: an empty answer is hidden like any unknown name.
	pool2, client2, _ := e.srv.NewPool(t, testserver.WithPreventUserExistenceErrors())
	setTriggers(t, e.srv, pool2, map[string]string{"UserMigration": "mig"})
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &client2,
		AuthParameters: map[string]string{"USERNAME": "nobody", "PASSWORD": legacyPass}})
	wantAPIError[*types.NotAuthorizedException](t, err, "Incorrect username or password.")
}

// TestTriggerHostedUI: the hosted UI's sign-in page runs the triggers of a
// password sign-in (UserMigration, PreAuthentication, PostAuthentication)
// and shows a refusal with the function's message.
func TestTriggerHostedUI(t *testing.T) {
	l := triggertest.Start(t, map[string]triggertest.Func{
		"mig": migrationFunc,
		"pre": func(ctx context.Context, raw json.RawMessage) (any, error) {
			var ev triggerEvent
			_ = json.Unmarshal(raw, &ev)
			if ev.UserName == "alice" {
				return nil, errors.New("Your account is locked")
			}
			return echo(ctx, raw)
		},
		"post": echo,
	})
	s := testserver.StartWith(t, testserver.Options{Triggers: l.Invoker()})
	h := newHostedUI(t, s)
	setTriggers(t, s, h.pool, map[string]string{"UserMigration": "mig", "PreAuthentication": "pre", "PostAuthentication": "post"})
	srvUser(t, s.Admin, h.pool, "alice")

	_, challenge := pkce()
	action, csrf := h.openLogin(h.authorizeURL(challenge, nil))
	r := h.submitLogin(action, csrf, "alice", "Passw0rd!")
	if r.status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(r.body), "PreAuthentication failed with error Your account is locked.") {
		t.Fatalf("refused sign-in page: %d %q", r.status, r.body)
	}
	if n := len(l.Calls("post")); n != 0 {
		t.Fatalf("PostAuthentication ran %d times for a refused sign-in", n)
	}

	h2 := h.with(t)
	h2.hc = newBrowser()
	code, verifier := h2.signIn("hosted", "Legacy-pass1!", nil)
	tk := h2.exchange(code, verifier)
	if got := claims(t, tk.IDToken)["email"]; got != "hosted@example.com" {
		t.Fatalf("migrated through the hosted UI: email %v", got)
	}
	if calls := l.Calls("post"); len(calls) != 1 || !strings.Contains(string(calls[0]), `"PostAuthentication_Authentication"`) {
		t.Fatalf("PostAuthentication calls: %d", len(calls))
	}
	if calls := l.Calls("mig"); len(calls) != 1 {
		t.Fatalf("UserMigration calls: %d", len(calls))
	}
}

// TestTriggerUserAuth: choice-based sign-in (USER_AUTH) runs
// PreAuthentication once, at InitiateAuth, whatever factor is then chosen,
// and PostAuthentication once the factor is proven.
func TestTriggerUserAuth(t *testing.T) {
	l := triggertest.Start(t, map[string]triggertest.Func{"pre": echo, "post": echo})
	srv := testserver.StartWith(t, testserver.Options{Triggers: l.Invoker()})
	pool, client := userAuthPool(t, srv)
	c := srv.Admin
	if _, err := c.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: &pool,
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: []types.AuthFactorType{
			types.AuthFactorTypePassword, types.AuthFactorTypeEmailOtp, types.AuthFactorTypeSmsOtp}}},
		LambdaConfig: &types.LambdaConfigType{PreAuthentication: aws.String(triggertest.ARN("pre")),
			PostAuthentication: aws.String(triggertest.ARN("post"))}}); err != nil {
		t.Fatal(err)
	}
	calls := func(pre, post int) {
		t.Helper()
		if a, b := len(l.Calls("pre")), len(l.Calls("post")); a != pre || b != post {
			t.Fatalf("PreAuthentication ran %d times, PostAuthentication %d; want %d and %d", a, b, pre, post)
		}
	}
	out, err := userAuth(c, client, map[string]string{"USERNAME": "uma"})
	if err != nil || out.ChallengeName != types.ChallengeNameTypeSelectChallenge {
		t.Fatalf("USER_AUTH: %v %v", out, err)
	}
	calls(1, 0)
	res, err := c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &client, ChallengeName: out.ChallengeName,
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "uma", "ANSWER": "PASSWORD", "PASSWORD": "Passw0rd!"}})
	if err != nil || res.AuthenticationResult == nil {
		t.Fatalf("SELECT_CHALLENGE PASSWORD: %v %v", res, err)
	}
	calls(1, 1)

	out, err = userAuth(c, client, map[string]string{"USERNAME": "uma", "PREFERRED_CHALLENGE": "EMAIL_OTP"})
	if err != nil || out.ChallengeName != types.ChallengeNameTypeEmailOtp {
		t.Fatalf("USER_AUTH EMAIL_OTP: %v %v", out, err)
	}
	calls(2, 1)
	code := srv.Outbox.List(pool, "uma@example.com")[0].Code
	res, err = c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &client, ChallengeName: out.ChallengeName,
		Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "uma", "EMAIL_OTP_CODE": code}})
	if err != nil || res.AuthenticationResult == nil {
		t.Fatalf("EMAIL_OTP: %v %v", res, err)
	}
	calls(2, 2)
	if !strings.Contains(string(l.Calls("post")[1]), `"newDeviceUsed":false`) {
		t.Fatalf("PostAuthentication event: %s", l.Calls("post")[1])
	}
}

// TestTriggerPostAuthenticationNewDevice: with device tracking, a sign-in
// that is given a new device runs PostAuthentication with newDeviceUsed.
func TestTriggerPostAuthenticationNewDevice(t *testing.T) {
	l := triggertest.Start(t, map[string]triggertest.Func{"post": echo})
	srv := testserver.StartWith(t, testserver.Options{Triggers: l.Invoker()})
	pool, client, _ := srv.NewPool(t)
	if _, err := srv.Admin.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: &pool,
		DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true},
		LambdaConfig:        &types.LambdaConfigType{PostAuthentication: aws.String(triggertest.ARN("post"))}}); err != nil {
		t.Fatal(err)
	}
	srv.NewUser(t, pool, "nia", password)
	out := signIn(t, srv.Admin, client, "nia", password)
	if out.AuthenticationResult.NewDeviceMetadata == nil {
		t.Fatal("no new device offered")
	}
	calls := l.Calls("post")
	if len(calls) != 1 || !strings.Contains(string(calls[0]), `"newDeviceUsed":true`) {
		t.Fatalf("PostAuthentication events: %s", calls)
	}
}
