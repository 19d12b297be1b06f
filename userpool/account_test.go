package userpool_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/userpool"
)

// The account life cycle at the Service level: sign-in identifiers,
// confirmation, recovery, attribute changes, and the messages they send.

// newPool creates a pool with cfg and a public client allowing password
// sign-in; it returns the pool id and the client.
func (e *env) newPool(cfg userpool.PoolConfig) (string, *userpool.Client) {
	e.t.Helper()
	p, err := e.svc.CreateUserPool(e.ctx(), "account", cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := e.svc.CreateUserPoolClient(e.ctx(), userpool.ClientInput{PoolID: p.ID, Name: "app",
		Config: userpool.ClientConfig{ExplicitAuthFlows: []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}}})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.ID, c
}

// lastCode returns the code of the newest message to dest of kind.
func (e *env) lastCode(pool, dest string, kind message.Kind) string {
	e.t.Helper()
	for _, m := range e.outbox.List(pool, dest) {
		if m.Kind == kind {
			return m.Code
		}
	}
	e.t.Fatalf("no %s message to %s", kind, dest)
	return ""
}

func (e *env) signInAs(c *userpool.Client, name, pw string) (*userpool.AuthResult, error) {
	r, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: c.ID, AuthFlow: userpool.FlowUserPassword,
		AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": pw}})
	if err != nil {
		return nil, err
	}
	return r.Result, nil
}

// amplifyPool is the pool Amplify creates: e-mail as the username, e-mail
// verified automatically, recovery by verified e-mail, case-insensitive.
func amplifyPool() userpool.PoolConfig {
	f := false
	return userpool.PoolConfig{UsernameAttributes: []string{"email"}, AutoVerifiedAttributes: []string{"email"},
		UsernameConfiguration:  &userpool.UsernameConfiguration{CaseSensitive: &f},
		AccountRecoverySetting: &userpool.AccountRecoverySetting{RecoveryMechanisms: []userpool.RecoveryOption{{Name: "verified_email", Priority: 1}}}}
}

func TestEmailAsUsername(t *testing.T) {
	e := newEnv(t)
	pool, c := e.newPool(amplifyPool())
	res, err := e.svc.SignUp(e.ctx(), userpool.SignUpInput{ClientID: c.ID, Username: "Ann@Example.com", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if res.Delivery == nil || res.Delivery.Destination != "A***@E***" || res.Delivery.DeliveryMedium != "EMAIL" || res.Delivery.AttributeName != "email" {
		t.Fatalf("CodeDeliveryDetails = %+v", res.Delivery)
	}
	m := e.outbox.List(pool, "Ann@Example.com")
	if len(m) != 1 || m[0].Kind != message.KindSignUp || !strings.Contains(m[0].Body, m[0].Code) || m[0].Subject != "Your verification code" {
		t.Fatalf("outbox: %+v", m)
	}
	if err := e.svc.ConfirmSignUp(e.ctx(), userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "ann@example.com", Code: m[0].Code}); err != nil {
		t.Fatalf("ConfirmSignUp with the address in another case: %v", err)
	}
	tk, err := e.signInAs(c, "ANN@example.COM", password)
	if err != nil {
		t.Fatalf("sign-in with the e-mail: %v", err)
	}
	u, err := e.svc.GetUser(e.ctx(), tk.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != res.UserSub {
		t.Errorf("username %q, want the generated id (the sub %q)", u.Username, res.UserSub)
	}
	attrs := map[string]string{}
	for _, a := range u.Attributes {
		attrs[a.Name] = a.Value
	}
	if attrs["email"] != "Ann@Example.com" || attrs["email_verified"] != "true" {
		t.Errorf("attributes %v", attrs)
	}
	// The same address again is taken, whatever its case; a name is no e-mail.
	_, err = e.svc.SignUp(e.ctx(), userpool.SignUpInput{ClientID: c.ID, Username: "ann@EXAMPLE.com", Password: password})
	if e := userpool.AsError(err); e == nil || e.Kind != userpool.KindUserExists || e.Message != "An account with the given email already exists." {
		t.Fatalf("second sign-up with the address: %v", err)
	}
	_, err = e.svc.SignUp(e.ctx(), userpool.SignUpInput{ClientID: c.ID, Username: "ann", Password: password})
	if e := userpool.AsError(err); e == nil || e.Message != "Username should be an email." {
		t.Fatalf("sign-up with a plain name: %v", err)
	}
	// Admin operations take the address too.
	if _, err := e.svc.AdminGetUser(e.ctx(), pool, "ann@example.com"); err != nil {
		t.Fatalf("AdminGetUser by e-mail: %v", err)
	}
}

func TestAliasesSignInOnceVerified(t *testing.T) {
	e := newEnv(t)
	pool, c := e.newPool(userpool.PoolConfig{AliasAttributes: []string{"email", "preferred_username"},
		AutoVerifiedAttributes: []string{"email"}})
	signUp := func(name string) string {
		if _, err := e.svc.SignUp(e.ctx(), userpool.SignUpInput{ClientID: c.ID, Username: name, Password: password,
			Attributes: []userpool.Attribute{{Name: "email", Value: "shared@example.com"}}}); err != nil {
			t.Fatal(err)
		}
		return e.lastCode(pool, "shared@example.com", message.KindSignUp)
	}
	code := signUp("bob")
	if _, err := e.signInAs(c, "shared@example.com", password); !userpool.IsKind(err, userpool.KindUserNotFound) {
		t.Fatalf("sign-in with an unverified alias: %v", err)
	}
	if err := e.svc.ConfirmSignUp(e.ctx(), userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "bob", Code: code}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.signInAs(c, "shared@Example.COM", password); err != nil {
		t.Fatalf("sign-in with the verified alias: %v", err)
	}
	// The pool is case-sensitive (Cognito's default): so is the address's
	// local part.
	if _, err := e.signInAs(c, "Shared@example.com", password); !userpool.IsKind(err, userpool.KindUserNotFound) {
		t.Fatalf("sign-in with the alias in another case in a case-sensitive pool: %v", err)
	}
	// Another user may sign up with the address, but not verify it...
	code = signUp("carl")
	err := e.svc.ConfirmSignUp(e.ctx(), userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "carl", Code: code})
	if ae := userpool.AsError(err); ae == nil || ae.Kind != userpool.KindAliasExists {
		t.Fatalf("confirming a second holder of a verified alias: %v", err)
	}
	// ...unless the alias is moved, with ForceAliasCreation.
	if _, err := e.svc.ResendConfirmationCode(e.ctx(), c.ID, "", "carl"); err != nil {
		t.Fatal(err)
	}
	code = e.lastCode(pool, "shared@example.com", message.KindResend)
	if err := e.svc.ConfirmSignUp(e.ctx(), userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "carl", Code: code, ForceAliasCreation: true}); err != nil {
		t.Fatalf("ForceAliasCreation: %v", err)
	}
	tk, err := e.signInAs(c, "shared@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := e.svc.GetUser(e.ctx(), tk.AccessToken); u.Username != "carl" {
		t.Fatalf("the alias signs in %q, want carl", u.Username)
	}
	_, err = e.svc.SignUp(e.ctx(), userpool.SignUpInput{ClientID: c.ID, Username: "x@example.com", Password: password})
	if ae := userpool.AsError(err); ae == nil || ae.Kind != userpool.KindInvalid {
		t.Fatalf("an e-mail as the username of an e-mail alias pool: %v", err)
	}
}

func TestForgotPassword(t *testing.T) {
	e := newEnv(t)
	pool, c := e.newPool(amplifyPool())
	if _, err := e.svc.AdminCreateUser(e.ctx(), userpool.AdminCreateUserInput{PoolID: pool, Username: "dee@example.com",
		MessageAction: "SUPPRESS", Attributes: []userpool.Attribute{{Name: "email_verified", Value: "true"}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminSetUserPassword(e.ctx(), pool, "dee@example.com", password, true); err != nil {
		t.Fatal(err)
	}
	old, err := e.signInAs(c, "dee@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.ForgotPassword(e.ctx(), userpool.ForgotPasswordInput{ClientID: c.ID, Username: "dee@example.com"})
	if err != nil || d.Destination != "d***@e***" {
		t.Fatalf("ForgotPassword: %+v, %v", d, err)
	}
	code := e.lastCode(pool, "dee@example.com", message.KindForgotPassword)
	confirm := func(code, pw string) error {
		return e.svc.ConfirmForgotPassword(e.ctx(), userpool.ConfirmForgotPasswordInput{ClientID: c.ID, Username: "dee@example.com",
			Code: code, Password: pw})
	}
	if err := confirm(code, "short"); !userpool.IsKind(err, userpool.KindWeakPassword) {
		t.Fatalf("a weak new password: %v", err)
	}
	if err := confirm("000000", "New-Passw0rd!"); !userpool.IsKind(err, userpool.KindCodeMismatch) && code != "000000" {
		t.Fatalf("a wrong code: %v", err)
	}
	if err := confirm(code, "New-Passw0rd!"); err != nil {
		t.Fatalf("the right code (the weak password did not spend it): %v", err)
	}
	if err := confirm(code, "Other-Passw0rd!"); !userpool.IsKind(err, userpool.KindCodeExpired) {
		t.Fatalf("the code again: %v", err)
	}
	_, err = e.svc.GetUser(e.ctx(), old.AccessToken)
	wantRefused(t, "a session from before the reset", err, userpool.KindNotAuthorized, userpool.CauseAccessTokenRevoked, userpool.ReasonSignedOut)
	if _, err := e.signInAs(c, "dee@example.com", password); err == nil {
		t.Fatal("the old password still works")
	}
	if _, err := e.signInAs(c, "dee@example.com", "New-Passw0rd!"); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	// A code expires after an hour.
	if _, err := e.svc.ForgotPassword(e.ctx(), userpool.ForgotPasswordInput{ClientID: c.ID, Username: "dee@example.com"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(userpool.ForgotPasswordCodeValidity)
	if err := confirm(e.lastCode(pool, "dee@example.com", message.KindForgotPassword), "Late-Passw0rd!"); !userpool.IsKind(err, userpool.KindCodeExpired) {
		t.Fatalf("an hour-old code: %v", err)
	}
	// No verified channel: no reset.
	if _, err := e.svc.SignUp(e.ctx(), userpool.SignUpInput{ClientID: c.ID, Username: "eve@example.com", Password: password}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ForgotPassword(e.ctx(), userpool.ForgotPasswordInput{ClientID: c.ID, Username: "eve@example.com"})
	if ae := userpool.AsError(err); ae == nil || ae.Cause != userpool.CauseNoRecoveryChannel {
		t.Fatalf("ForgotPassword without a verified address: %v", err)
	}
}

func TestAdminResetUserPassword(t *testing.T) {
	e := newEnv(t)
	pool, c := e.newPool(amplifyPool())
	if _, err := e.svc.AdminCreateUser(e.ctx(), userpool.AdminCreateUserInput{PoolID: pool, Username: "fay@example.com",
		MessageAction: "SUPPRESS", Attributes: []userpool.Attribute{{Name: "email_verified", Value: "true"}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminSetUserPassword(e.ctx(), pool, "fay@example.com", password, true); err != nil {
		t.Fatal(err)
	}
	tk, err := e.signInAs(c, "fay@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminResetUserPassword(e.ctx(), pool, "fay@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.GetUser(e.ctx(), tk.AccessToken); err == nil {
		t.Fatal("a session survived the reset")
	}
	_, err = e.signInAs(c, "fay@example.com", password)
	wantRefused(t, "sign-in after an admin reset", err, userpool.KindPasswordResetRequired, userpool.CausePasswordResetRequired, "")
	code := e.lastCode(pool, "fay@example.com", message.KindForgotPassword)
	if err := e.svc.ConfirmForgotPassword(e.ctx(), userpool.ConfirmForgotPasswordInput{ClientID: c.ID, Username: "fay@example.com",
		Code: code, Password: "Reset-Passw0rd!"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.signInAs(c, "fay@example.com", "Reset-Passw0rd!"); err != nil {
		t.Fatalf("sign-in after the reset: %v", err)
	}
}

func TestChangedEmailIsVerified(t *testing.T) {
	for _, keepOld := range []bool{false, true} {
		e := newEnv(t)
		cfg := amplifyPool()
		if keepOld {
			cfg.UserAttributeUpdateSettings = &userpool.UserAttributeUpdateSettings{AttributesRequireVerificationBeforeUpdate: []string{"email"}}
		}
		pool, c := e.newPool(cfg)
		if _, err := e.svc.SignUp(e.ctx(), userpool.SignUpInput{ClientID: c.ID, Username: "gil@example.com", Password: password}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ConfirmSignUp(e.ctx(), userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "gil@example.com",
			Code: e.lastCode(pool, "gil@example.com", message.KindSignUp)}); err != nil {
			t.Fatal(err)
		}
		tk, err := e.signInAs(c, "gil@example.com", password)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := e.svc.UpdateUserAttributes(e.ctx(), tk.AccessToken, []userpool.Attribute{{Name: "email", Value: "gil@new.example"},
			{Name: "name", Value: "Gil"}})
		if err != nil || len(ds) != 1 || ds[0].AttributeName != "email" {
			t.Fatalf("UpdateUserAttributes: %+v, %v", ds, err)
		}
		attrs := func() map[string]string {
			u, err := e.svc.GetUser(e.ctx(), tk.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]string{}
			for _, a := range u.Attributes {
				m[a.Name] = a.Value
			}
			return m
		}
		a := attrs()
		switch {
		case a["name"] != "Gil":
			t.Fatalf("keepOld=%v: the other attribute was not updated: %v", keepOld, a)
		case keepOld && (a["email"] != "gil@example.com" || a["email_verified"] != "true"):
			t.Fatalf("keepOld: the old verified address should stay until the new one is verified: %v", a)
		case !keepOld && (a["email"] != "gil@new.example" || a["email_verified"] != "false"):
			t.Fatalf("the new address should be unverified: %v", a)
		}
		code := e.lastCode(pool, "gil@new.example", message.KindVerifyAttribute)
		if err := e.svc.VerifyUserAttribute(e.ctx(), tk.AccessToken, "email", code); err != nil {
			t.Fatalf("keepOld=%v: VerifyUserAttribute: %v", keepOld, err)
		}
		if a := attrs(); a["email"] != "gil@new.example" || a["email_verified"] != "true" {
			t.Fatalf("keepOld=%v: after verification: %v", keepOld, a)
		}
		if _, err := e.signInAs(c, "gil@new.example", password); err != nil {
			t.Fatalf("keepOld=%v: sign-in with the new address: %v", keepOld, err)
		}
		// A user cannot mark an address verified; an admin can.
		_, err = e.svc.UpdateUserAttributes(e.ctx(), tk.AccessToken, []userpool.Attribute{{Name: "email_verified", Value: "true"}})
		if !userpool.IsKind(err, userpool.KindNotAuthorized) {
			t.Fatalf("a user setting email_verified: %v", err)
		}
		if err := e.svc.DeleteUserAttributes(e.ctx(), tk.AccessToken, []string{"name"}); err != nil {
			t.Fatal(err)
		}
		if a := attrs(); a["name"] != "" {
			t.Fatalf("name after DeleteUserAttributes: %v", a)
		}
	}
}

func TestResendConfirmationCodeAndSendLimit(t *testing.T) {
	e := newEnv(t)
	pool, c := e.newPool(amplifyPool())
	if _, err := e.svc.SignUp(e.ctx(), userpool.SignUpInput{ClientID: c.ID, Username: "hal@example.com", Password: password}); err != nil {
		t.Fatal(err)
	}
	first := e.lastCode(pool, "hal@example.com", message.KindSignUp)
	if _, err := e.svc.ResendConfirmationCode(e.ctx(), c.ID, "", "hal@example.com"); err != nil {
		t.Fatal(err)
	}
	second := e.lastCode(pool, "hal@example.com", message.KindResend)
	if first != second {
		err := e.svc.ConfirmSignUp(e.ctx(), userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "hal@example.com", Code: first})
		if !userpool.IsKind(err, userpool.KindCodeMismatch) {
			t.Fatalf("the replaced code: %v", err)
		}
	}
	// Four more sends fill the hour's five; the sixth is refused.
	for i := range 3 {
		if _, err := e.svc.ResendConfirmationCode(e.ctx(), c.ID, "", "hal@example.com"); err != nil {
			t.Fatalf("resend %d: %v", i+2, err)
		}
	}
	_, err := e.svc.ResendConfirmationCode(e.ctx(), c.ID, "", "hal@example.com")
	if !userpool.IsKind(err, userpool.KindLimitExceeded) {
		t.Fatalf("the sixth code within the hour: %v", err)
	}
	e.clock.Advance(time.Hour)
	if _, err := e.svc.ResendConfirmationCode(e.ctx(), c.ID, "", "hal@example.com"); err != nil {
		t.Fatalf("an hour later: %v", err)
	}
	code := e.lastCode(pool, "hal@example.com", message.KindResend)
	if err := e.svc.ConfirmSignUp(e.ctx(), userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "hal@example.com", Code: code}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ResendConfirmationCode(e.ctx(), c.ID, "", "hal@example.com")
	if ae := userpool.AsError(err); ae == nil || ae.Cause != userpool.CauseUserConfirmed {
		t.Fatalf("resend to a confirmed user: %v", err)
	}
}

func TestInvitationAndSchema(t *testing.T) {
	e := newEnv(t)
	cfg := amplifyPool()
	cfg.SchemaAttributes = []userpool.SchemaAttribute{{Name: "tier", AttributeDataType: "String"}}
	pool, _ := e.newPool(cfg)
	if _, err := e.svc.AdminCreateUser(e.ctx(), userpool.AdminCreateUserInput{PoolID: pool, Username: "ivy@example.com",
		DesiredDeliveryMediums: []string{"EMAIL"}, Attributes: []userpool.Attribute{{Name: "custom:tier", Value: "gold"}}}); err != nil {
		t.Fatal(err)
	}
	m := e.outbox.List(pool, "ivy@example.com")
	if len(m) != 1 || m[0].Kind != message.KindInvitation || !strings.Contains(m[0].Body, m[0].Code) || m[0].Subject != "Your temporary password" {
		t.Fatalf("invitation: %+v", m)
	}
	_, err := e.svc.AdminCreateUser(e.ctx(), userpool.AdminCreateUserInput{PoolID: pool, Username: "jo@example.com",
		MessageAction: "SUPPRESS", Attributes: []userpool.Attribute{{Name: "custom:undeclared", Value: "x"}}})
	if !userpool.IsKind(err, userpool.KindInvalid) {
		t.Fatalf("an undeclared custom attribute: %v", err)
	}
	_, err = e.svc.AdminCreateUser(e.ctx(), userpool.AdminCreateUserInput{PoolID: pool, Username: "kai@example.com",
		MessageAction: "SUPPRESS", Attributes: []userpool.Attribute{{Name: "phone_number", Value: "0400000000"}}})
	if !userpool.IsKind(err, userpool.KindInvalid) {
		t.Fatalf("a phone number that is not E.164: %v", err)
	}
	if err := e.svc.AddCustomAttributes(e.ctx(), pool, []userpool.SchemaAttribute{{Name: "undeclared", AttributeDataType: "String"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AdminCreateUser(e.ctx(), userpool.AdminCreateUserInput{PoolID: pool, Username: "jo@example.com",
		MessageAction: "SUPPRESS", Attributes: []userpool.Attribute{{Name: "custom:undeclared", Value: "x"}}}); err != nil {
		t.Fatalf("a custom attribute once declared: %v", err)
	}
}
