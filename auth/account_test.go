package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/auth/credstore"
	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/message"
)

// The account life cycle against a real server, on pools made the way
// Amplify makes them: e-mail (or phone number) as the username, verified
// automatically, recovery by the verified address, case-insensitive user
// names. Every code is read from the server's development outbox.

const acctPassword = "Acc0unt-Passw0rd!"

// newAmplifyEnv creates a pool as Amplify does, with e-mail as the username,
// and a public app client allowing password, SRP and refresh sign-in; mod
// adjusts the pool before it is created.
func newAmplifyEnv(t *testing.T, mod func(*cip.CreateUserPoolInput)) *env {
	t.Helper()
	srv := testserver.Start(t)
	in := &cip.CreateUserPoolInput{PoolName: aws.String("amplify"),
		UsernameAttributes:     []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		UsernameConfiguration:  &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
		AccountRecoverySetting: &types.AccountRecoverySettingType{RecoveryMechanisms: []types.RecoveryOptionType{
			{Name: types.RecoveryOptionNameTypeVerifiedEmail, Priority: aws.Int32(1)}}}}
	if mod != nil {
		mod(in)
	}
	p, err := srv.Admin.CreateUserPool(bg(), in)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := srv.Admin.CreateUserPoolClient(bg(), &cip.CreateUserPoolClientInput{UserPoolId: p.UserPool.Id, ClientName: aws.String("app"),
		EnableTokenRevocation: aws.Bool(true),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, proxy: newFaultProxy(t, srv.URL), poolID: aws.ToString(p.UserPool.Id),
		clientID: aws.ToString(cl.UserPoolClient.ClientId), store: credstore.NewMemory()}
}

// codes returns the codes of kind sent to dest, newest first.
func (e *env) codes(dest string, kind message.Kind) []string {
	var out []string
	for _, m := range e.srv.Outbox.List(e.poolID, dest) {
		if m.Kind == kind {
			out = append(out, m.Code)
		}
	}
	return out
}

// code returns the newest code of kind sent to dest.
func (e *env) code(t *testing.T, dest string, kind message.Kind) string {
	t.Helper()
	c := e.codes(dest, kind)
	if len(c) == 0 {
		t.Fatalf("no %s message to %s in the outbox", kind, dest)
	}
	return c[0]
}

// signUpConfirmed signs up and confirms username through c, with attrs, and
// returns the user's sub.
func (e *env) signUpConfirmed(t *testing.T, c *auth.Client, username, dest string, attrs map[string]string) string {
	t.Helper()
	up, err := c.SignUp(bg(), username, acctPassword, auth.SignUpOptions{UserAttributes: attrs})
	if err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	if _, err := c.ConfirmSignUp(bg(), username, e.code(t, dest, message.KindSignUp), auth.ConfirmSignUpOptions{}); err != nil {
		t.Fatalf("ConfirmSignUp: %v", err)
	}
	return up.UserSub
}

// wantCode fails unless err is a *ServiceError with the Cognito error code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var se *auth.ServiceError
	if !errors.As(err, &se) || se.Code != code {
		t.Fatalf("%s: got %v, want a *ServiceError %s", what, err, code)
	}
}

// Sign-up by e-mail with AutoSignIn: the code from the outbox (a resent one:
// the first stops working) confirms the user, ConfirmSignUp says
// COMPLETE_AUTO_SIGN_IN, and AutoSignIn signs in by SRP as the generated user
// name, once. The password is in neither the store nor the logs.
func TestAccount_SignUpByEmailAndAutoSignIn(t *testing.T) {
	e := newAmplifyEnv(t, nil)
	dir := t.TempDir()
	store, err := credstore.NewFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := e.client(t, func(c *auth.Config) { c.Store = store; c.Logger = logger })
	ev := record(c)
	const email = "Ann.Lee@Example.com"

	up, err := c.SignUp(bg(), email, acctPassword, auth.SignUpOptions{UserAttributes: map[string]string{"email": email}, AutoSignIn: true})
	if err != nil {
		t.Fatal(err)
	}
	if up.UserConfirmed || up.NextStep != auth.SignUpStepConfirmSignUp || up.UserSub == "" || up.CodeDelivery == nil ||
		up.CodeDelivery.DeliveryMedium != "EMAIL" || up.CodeDelivery.AttributeName != "email" ||
		up.CodeDelivery.Destination == "" || strings.Contains(up.CodeDelivery.Destination, "Lee") {
		t.Fatalf("SignUp = %+v (delivery %+v)", up, up.CodeDelivery)
	}
	// Not confirmed yet: nothing to sign in, but the auto sign-in stays armed.
	if _, err := c.AutoSignIn(bg()); !errors.Is(err, auth.ErrNoAutoSignIn) {
		t.Fatalf("AutoSignIn before ConfirmSignUp: %v", err)
	}

	first := e.code(t, email, message.KindSignUp)
	d, err := c.ResendSignUpCode(bg(), email, auth.ResendSignUpCodeOptions{})
	if err != nil || d.DeliveryMedium != "EMAIL" || d.AttributeName != "email" || d.Destination != up.CodeDelivery.Destination {
		t.Fatalf("ResendSignUpCode = %+v, %v", d, err)
	}
	code := e.code(t, email, message.KindResend)
	if code != first {
		_, err := c.ConfirmSignUp(bg(), email, first, auth.ConfirmSignUpOptions{})
		wantCode(t, "ConfirmSignUp with the replaced code", err, "CodeMismatchException")
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	_, err = c.ConfirmSignUp(bg(), email, wrong, auth.ConfirmSignUpOptions{})
	var mismatch *types.CodeMismatchException
	if !errors.As(err, &mismatch) {
		t.Fatalf("ConfirmSignUp with a wrong code: %v", err)
	}

	e.proxy.reset()
	conf, err := c.ConfirmSignUp(bg(), email, code, auth.ConfirmSignUpOptions{})
	if err != nil || !conf.IsSignUpComplete || conf.NextStep != auth.SignUpStepCompleteAutoSignIn {
		t.Fatalf("ConfirmSignUp = %+v, %v", conf, err)
	}
	if got := e.proxy.ops(); !eq(got, []string{"ConfirmSignUp"}) {
		t.Fatalf("ConfirmSignUp signed in by itself: %v", got)
	}
	res, err := c.AutoSignIn(bg())
	if err != nil || !res.SignedIn || res.NextStep != auth.SignInStepDone {
		t.Fatalf("AutoSignIn = %+v, %v", res, err)
	}
	if got := e.proxy.ops(); !eq(got, []string{"ConfirmSignUp", "InitiateAuth", "RespondToAuthChallenge"}) {
		t.Fatalf("AutoSignIn calls = %v, want SRP", got)
	}
	if ev.waitFor(t, 1)[0] != auth.EventSignedIn {
		t.Fatal("no SignedIn event")
	}
	u, err := c.CurrentUser(bg())
	if err != nil || u.Username != up.UserSub || u.UserID != up.UserSub || u.LoginID != email {
		t.Fatalf("CurrentUser = %+v, %v (sub %s)", u, err, up.UserSub)
	}
	if _, err := c.AutoSignIn(bg()); !errors.Is(err, auth.ErrNoAutoSignIn) {
		t.Fatalf("a second AutoSignIn: %v", err)
	}
	attrs, err := c.FetchUserAttributes(bg())
	if err != nil || attrs["email"] != email || attrs["email_verified"] != "true" || attrs["sub"] != up.UserSub {
		t.Fatalf("FetchUserAttributes = %v, %v", attrs, err)
	}

	// The password went nowhere but to the server.
	mu.Lock()
	logText := logs.String()
	mu.Unlock()
	if strings.Contains(logText, acctPassword) {
		t.Fatal("the password is in the log")
	}
	if err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte(acctPassword)) {
			t.Errorf("the password is in the credential store's %s", path)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// An armed auto sign-in ends, as in Amplify, with a ConfirmSignUp of another
// user, another SignUp, a SignIn of one's own, or its one run (whatever its
// outcome); a sign-up without AutoSignIn confirms to DONE; a refused auto
// sign-in returns SignIn's error.
func TestAccount_AutoSignInEnds(t *testing.T) {
	e := newAmplifyEnv(t, nil)
	c := e.client(t)
	signUp := func(email string, auto bool) {
		t.Helper()
		if _, err := c.SignUp(bg(), email, acctPassword, auth.SignUpOptions{UserAttributes: map[string]string{"email": email}, AutoSignIn: auto}); err != nil {
			t.Fatal(err)
		}
	}
	confirm := func(email string) auth.ConfirmSignUpResult {
		t.Helper()
		r, err := c.ConfirmSignUp(bg(), email, e.code(t, email, message.KindSignUp), auth.ConfirmSignUpOptions{})
		if err != nil || !r.IsSignUpComplete {
			t.Fatalf("ConfirmSignUp(%s) = %+v, %v", email, r, err)
		}
		return r
	}

	// Without AutoSignIn: DONE.
	signUp("bo@example.com", false)
	if r := confirm("bo@example.com"); r.NextStep != auth.SignUpStepDone {
		t.Fatalf("ConfirmSignUp without AutoSignIn: %+v", r)
	}
	if _, err := c.AutoSignIn(bg()); !errors.Is(err, auth.ErrNoAutoSignIn) {
		t.Fatalf("AutoSignIn without AutoSignIn: %v", err)
	}

	// Armed for cy, confirmed for another user: DONE, and cy's is forgotten.
	signUp("cy@example.com", true)
	signUp("di@example.com", false) // a new sign-up replaces cy's auto sign-in
	if r := confirm("cy@example.com"); r.NextStep != auth.SignUpStepDone {
		t.Fatalf("ConfirmSignUp after another SignUp: %+v", r)
	}
	signUp("ed@example.com", true)
	if r := confirm("di@example.com"); r.NextStep != auth.SignUpStepDone {
		t.Fatalf("ConfirmSignUp of another user: %+v", r)
	}
	if r := confirm("ed@example.com"); r.NextStep != auth.SignUpStepDone {
		t.Fatalf("ConfirmSignUp after the auto sign-in was cancelled: %+v", r)
	}

	// A SignIn of one's own cancels it.
	signUp("flo@example.com", true)
	if r := confirm("flo@example.com"); r.NextStep != auth.SignUpStepCompleteAutoSignIn {
		t.Fatalf("ConfirmSignUp = %+v", r)
	}
	if _, err := c.SignIn(bg(), "bo@example.com", acctPassword, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AutoSignIn(bg()); !errors.Is(err, auth.ErrNoAutoSignIn) {
		t.Fatalf("AutoSignIn after SignIn: %v", err)
	}
	if u, _ := c.CurrentUser(bg()); u.LoginID != "bo@example.com" {
		t.Fatalf("the signed-in user changed: %+v", u)
	}

	// AutoSignIn while someone is signed in: SignIn's ErrInvalidState, and it is spent.
	signUp("gus@example.com", true)
	if r := confirm("gus@example.com"); r.NextStep != auth.SignUpStepCompleteAutoSignIn {
		t.Fatalf("ConfirmSignUp = %+v", r)
	}
	if _, err := c.AutoSignIn(bg()); !errors.Is(err, auth.ErrInvalidState) {
		t.Fatalf("AutoSignIn while signed in: %v", err)
	}
	if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
		t.Fatal(r.Err())
	}
	if _, err := c.AutoSignIn(bg()); !errors.Is(err, auth.ErrNoAutoSignIn) {
		t.Fatalf("AutoSignIn after a failed one: %v", err)
	}

	// A wrong password at the auto sign-in is SignIn's error: the user is
	// confirmed by an administrator's reset in between, so SignUp's password
	// no longer works.
	signUp("hal@example.com", true)
	if r := confirm("hal@example.com"); r.NextStep != auth.SignUpStepCompleteAutoSignIn {
		t.Fatalf("ConfirmSignUp = %+v", r)
	}
	if _, err := e.srv.Admin.AdminSetUserPassword(bg(), &cip.AdminSetUserPasswordInput{UserPoolId: &e.poolID,
		Username: aws.String("hal@example.com"), Password: aws.String("Other-Passw0rd!"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	_, err := c.AutoSignIn(bg())
	wantCode(t, "AutoSignIn with a changed password", err, "NotAuthorizedException")
}

// An e-mail works as the sign-in name in any letter case, by SRP and by
// password: SRP proves the password for USER_ID_FOR_SRP (the generated user
// name) and answers the challenge as that user; the session is the real
// user's.
func TestAccount_SignInByEmailAnyCase(t *testing.T) {
	e := newAmplifyEnv(t, nil)
	c := e.client(t)
	const email = "Ivy.Park@example.com"
	sub := e.signUpConfirmed(t, c, email, email, map[string]string{"email": email})

	for _, tc := range []struct {
		flow  auth.AuthFlow
		login string
	}{
		{auth.AuthFlowSRP, "IVY.PARK@EXAMPLE.COM"},
		{auth.AuthFlowUserPassword, "ivy.park@Example.COM"},
	} {
		e.proxy.reset()
		r, err := c.SignIn(bg(), tc.login, acctPassword, auth.SignInOptions{AuthFlow: tc.flow})
		if err != nil || !r.SignedIn {
			t.Fatalf("%s as %s: %+v, %v", tc.flow, tc.login, r, err)
		}
		s := e.session(t)
		if s.Username != sub || s.UserSub != sub || s.LoginID != tc.login {
			t.Fatalf("%s: stored session user %q sub %q login %q, want the user name %q", tc.flow, s.Username, s.UserSub, s.LoginID, sub)
		}
		if !strings.Contains(claimsOf(t, s.AccessToken), `"username":"`+sub+`"`) {
			t.Fatalf("%s: access token of another user: %s", tc.flow, claimsOf(t, s.AccessToken))
		}
		init := e.proxy.callsOf("InitiateAuth")[0].Body["AuthParameters"].(map[string]any)
		if init["USERNAME"] != tc.login {
			t.Fatalf("%s: InitiateAuth USERNAME = %v", tc.flow, init["USERNAME"])
		}
		if tc.flow == auth.AuthFlowSRP {
			resp := e.proxy.callsOf("RespondToAuthChallenge")[0].Body["ChallengeResponses"].(map[string]any)
			if resp["USERNAME"] != sub {
				t.Fatalf("PASSWORD_VERIFIER answered as %v, want USER_ID_FOR_SRP %s", resp["USERNAME"], sub)
			}
			if _, has := init["PASSWORD"]; has {
				t.Fatal("SRP sent the password")
			}
		}
		// The refreshed session stays the real user's.
		if as, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true}); err != nil || as.Username != sub {
			t.Fatalf("%s: refreshed session = %+v, %v", tc.flow, as, err)
		}
		if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
			t.Fatal(r.Err())
		}
	}
	_, err := c.SignIn(bg(), "IVY.PARK@example.com", "Wrong-Passw0rd!", auth.SignInOptions{})
	wantCode(t, "SRP with a wrong password", err, "NotAuthorizedException")
	if e.session(t) != nil {
		t.Fatal("a failed sign-in stored a session")
	}

	// An app client with a secret: SECRET_HASH is computed for the name each
	// request carries (the e-mail to start, the user name in the answer).
	sc, err := e.srv.Admin.CreateUserPoolClient(bg(), &cip.CreateUserPoolClientInput{UserPoolId: &e.poolID,
		ClientName: aws.String("confidential"), GenerateSecret: true,
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	withSecret := e.client(t, func(cfg *auth.Config) {
		cfg.ClientID, cfg.ClientSecret = aws.ToString(sc.UserPoolClient.ClientId), aws.ToString(sc.UserPoolClient.ClientSecret)
		cfg.Store = credstore.NewMemory()
	})
	if r, err := withSecret.SignIn(bg(), "Ivy.Park@EXAMPLE.com", acctPassword, auth.SignInOptions{}); err != nil || !r.SignedIn {
		t.Fatalf("SRP with a client secret: %+v, %v", r, err)
	}
	if u, err := withSecret.CurrentUser(bg()); err != nil || u.Username != sub {
		t.Fatalf("CurrentUser = %+v, %v", u, err)
	}
	if _, err := withSecret.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true}); err != nil {
		t.Fatalf("refresh with a client secret: %v", err)
	}
	if _, err := withSecret.ResetPassword(bg(), "IVY.park@example.com", auth.ResetPasswordOptions{}); err != nil {
		t.Fatalf("ResetPassword with a client secret: %v", err)
	}
}

// ResetPassword sends a code to the verified e-mail; a wrong code is a typed
// error; the right one sets the new password and ends every session: the
// signed-in client's refresh fails and it is signed out.
func TestAccount_ResetPassword(t *testing.T) {
	e := newAmplifyEnv(t, nil)
	signedIn := e.client(t)
	const email = "jo@example.com"
	e.signUpConfirmed(t, signedIn, email, email, map[string]string{"email": email})
	if _, err := signedIn.SignIn(bg(), email, acctPassword, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	ev := record(signedIn)
	other := e.client(t, func(c *auth.Config) { c.Store = credstore.NewMemory() }) // another device, nobody signed in

	r, err := other.ResetPassword(bg(), "JO@example.com", auth.ResetPasswordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.IsPasswordReset || r.NextStep != auth.ResetPasswordStepConfirmWithCode || r.CodeDelivery == nil ||
		r.CodeDelivery.AttributeName != "email" || r.CodeDelivery.DeliveryMedium != "EMAIL" || !strings.Contains(r.CodeDelivery.Destination, "***") {
		t.Fatalf("ResetPassword = %+v (delivery %+v)", r, r.CodeDelivery)
	}
	code := e.code(t, email, message.KindForgotPassword)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	const newPassword = "Res3t-Passw0rd!"
	err = other.ConfirmResetPassword(bg(), email, newPassword, wrong, auth.ConfirmResetPasswordOptions{})
	var mismatch *types.CodeMismatchException
	if !errors.As(err, &mismatch) {
		t.Fatalf("ConfirmResetPassword with a wrong code: %v", err)
	}
	wantCode(t, "ConfirmResetPassword with a wrong code", err, "CodeMismatchException")
	if err := other.ConfirmResetPassword(bg(), email, newPassword, code, auth.ConfirmResetPasswordOptions{}); err != nil {
		t.Fatalf("ConfirmResetPassword: %v", err)
	}
	if err := other.ConfirmResetPassword(bg(), email, "Again-Passw0rd!", code, auth.ConfirmResetPasswordOptions{}); err == nil {
		t.Fatal("a used code worked twice")
	}

	// The session signed in before the reset is over.
	s, err := signedIn.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true})
	if !errors.Is(err, auth.ErrSessionExpired) || s.SignedIn {
		t.Fatalf("refresh after the reset: %+v, %v", s, err)
	}
	if got := ev.waitFor(t, 1); got[0] != auth.EventSessionExpired {
		t.Fatalf("events = %v", got)
	}
	if _, err := signedIn.CurrentUser(bg()); !errors.Is(err, auth.ErrNotSignedIn) {
		t.Fatalf("CurrentUser after the reset: %v", err)
	}
	_, err = other.SignIn(bg(), email, acctPassword, auth.SignInOptions{})
	wantCode(t, "the old password", err, "NotAuthorizedException")
	if r, err := other.SignIn(bg(), email, newPassword, auth.SignInOptions{}); err != nil || !r.SignedIn {
		t.Fatalf("the new password: %+v, %v", r, err)
	}
}

// UpdatePassword needs the right old password; the new one then signs in.
func TestAccount_UpdatePassword(t *testing.T) {
	e := newAmplifyEnv(t, nil)
	c := e.client(t)
	const email = "kim@example.com"
	e.signUpConfirmed(t, c, email, email, map[string]string{"email": email})
	if err := c.UpdatePassword(bg(), acctPassword, "New-Passw0rd!"); !errors.Is(err, auth.ErrNotSignedIn) {
		t.Fatalf("UpdatePassword signed out: %v", err)
	}
	if _, err := c.SignIn(bg(), email, acctPassword, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	e.proxy.reset()
	if err := c.UpdatePassword(bg(), "", "New-Passw0rd!"); !errors.Is(err, auth.ErrInvalidParameter) {
		t.Fatalf("UpdatePassword without the old password: %v", err)
	}
	if n := len(e.proxy.ops()); n != 0 {
		t.Fatalf("an invalid call reached the server: %v", e.proxy.ops())
	}
	err := c.UpdatePassword(bg(), "Wrong-Passw0rd!", "New-Passw0rd!")
	wantCode(t, "UpdatePassword with a wrong old password", err, "NotAuthorizedException")
	if e.session(t) == nil {
		t.Fatal("a refused UpdatePassword signed the user out")
	}
	if err := c.UpdatePassword(bg(), acctPassword, "New-Passw0rd!"); err != nil {
		t.Fatalf("UpdatePassword: %v", err)
	}
	if got := e.proxy.callsOf("ChangePassword"); len(got) != 2 || got[1].Body["AccessToken"] != e.session(t).AccessToken {
		t.Fatalf("ChangePassword calls: %d", len(got))
	}
	if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
		t.Fatal(r.Err())
	}
	_, err = c.SignIn(bg(), email, acctPassword, auth.SignInOptions{})
	wantCode(t, "the old password", err, "NotAuthorizedException")
	if r, err := c.SignIn(bg(), email, "New-Passw0rd!", auth.SignInOptions{}); err != nil || !r.SignedIn {
		t.Fatalf("the new password: %+v, %v", r, err)
	}
}

// A signed-in call refreshes an access token that is about to expire before
// using it; when the refresh is refused the user is signed out and the call
// is not made.
func TestAccount_SignedInCallsRefreshFirst(t *testing.T) {
	e := newAmplifyEnv(t, nil)
	c := e.client(t)
	const email = "lu@example.com"
	e.signUpConfirmed(t, c, email, email, map[string]string{"email": email})
	if _, err := c.SignIn(bg(), email, acctPassword, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	before := e.session(t)
	// A clock 20 seconds before the access token expires.
	late := e.client(t, func(cfg *auth.Config) {
		cfg.Now = func() time.Time { return before.AccessTokenExpiresAt.Add(-20 * time.Second) }
	})
	e.proxy.reset()
	attrs, err := late.FetchUserAttributes(bg())
	if err != nil || attrs["email"] != email {
		t.Fatalf("FetchUserAttributes = %v, %v", attrs, err)
	}
	if got := e.proxy.ops(); !eq(got, []string{"GetTokensFromRefreshToken", "GetUser"}) {
		t.Fatalf("calls = %v, want a refresh first", got)
	}
	after := e.session(t)
	if after.AccessToken == before.AccessToken || e.proxy.callsOf("GetUser")[0].Body["AccessToken"] != after.AccessToken {
		t.Fatal("GetUser did not use the refreshed access token")
	}

	e.proxy.reset()
	e.proxy.fail("GetTokensFromRefreshToken", fault{code: "NotAuthorizedException", msg: "Refresh Token has been revoked"})
	_, err = late.UpdateUserAttributes(bg(), map[string]string{"name": "Lu"}, auth.UpdateUserAttributesOptions{})
	if !errors.Is(err, auth.ErrSessionExpired) {
		t.Fatalf("UpdateUserAttributes with a refused refresh: %v", err)
	}
	if got := e.proxy.ops(); !eq(got, []string{"GetTokensFromRefreshToken"}) {
		t.Fatalf("calls = %v", got)
	}
	if e.session(t) != nil {
		t.Fatal("still signed in after a refused refresh")
	}
}

// Attributes on a pool that changes the e-mail at once: the new address is
// unverified until confirmed with the code sent to it; other attributes are
// DONE; DeleteUserAttributes removes; the new address signs in.
func TestAccount_UpdateUserAttributes(t *testing.T) {
	e := newAmplifyEnv(t, nil)
	c := e.client(t)
	const email, moved = "max@example.com", "max.new@example.com"
	sub := e.signUpConfirmed(t, c, email, email, map[string]string{"email": email})
	if _, err := c.FetchUserAttributes(bg()); !errors.Is(err, auth.ErrNotSignedIn) {
		t.Fatalf("FetchUserAttributes signed out: %v", err)
	}
	if _, err := c.SignIn(bg(), email, acctPassword, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	attrs, err := c.FetchUserAttributes(bg())
	if err != nil || attrs["email_verified"] != "true" || attrs["sub"] != sub || attrs["email"] != email {
		t.Fatalf("FetchUserAttributes = %v, %v", attrs, err)
	}

	res, err := c.UpdateUserAttributes(bg(), map[string]string{"email": moved, "name": "Max"}, auth.UpdateUserAttributesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	em, name := res["email"], res["name"]
	if len(res) != 2 || em.IsUpdated || em.NextStep != auth.UpdateAttributeStepConfirmWithCode || em.CodeDelivery == nil ||
		em.CodeDelivery.AttributeName != "email" || em.CodeDelivery.DeliveryMedium != "EMAIL" {
		t.Fatalf("email: %+v (delivery %+v)", em, em.CodeDelivery)
	}
	if !name.IsUpdated || name.NextStep != auth.UpdateAttributeStepDone || name.CodeDelivery != nil {
		t.Fatalf("name: %+v", name)
	}
	attrs, err = c.FetchUserAttributes(bg())
	if err != nil || attrs["email"] != moved || attrs["email_verified"] != "false" || attrs["name"] != "Max" {
		t.Fatalf("after the update: %v, %v", attrs, err)
	}
	code := e.code(t, moved, message.KindVerifyAttribute)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wantCode(t, "ConfirmUserAttribute with a wrong code", c.ConfirmUserAttribute(bg(), "email", wrong), "CodeMismatchException")
	if err := c.ConfirmUserAttribute(bg(), "email", code); err != nil {
		t.Fatalf("ConfirmUserAttribute: %v", err)
	}
	if attrs, err = c.FetchUserAttributes(bg()); err != nil || attrs["email_verified"] != "true" || attrs["email"] != moved {
		t.Fatalf("after confirming: %v, %v", attrs, err)
	}

	// A code on request, for the verified address: it confirms too.
	n := len(e.codes(moved, message.KindVerifyAttribute))
	d, err := c.SendUserAttributeVerificationCode(bg(), "email")
	if err != nil || d.AttributeName != "email" || d.DeliveryMedium != "EMAIL" || d.Destination == "" {
		t.Fatalf("SendUserAttributeVerificationCode = %+v, %v", d, err)
	}
	if got := e.codes(moved, message.KindVerifyAttribute); len(got) != n+1 {
		t.Fatalf("%d verification messages, want %d", len(got), n+1)
	}
	if err := c.ConfirmUserAttribute(bg(), "email", e.code(t, moved, message.KindVerifyAttribute)); err != nil {
		t.Fatalf("ConfirmUserAttribute with the requested code: %v", err)
	}

	// UpdateUserAttribute, then DeleteUserAttributes.
	one, err := c.UpdateUserAttribute(bg(), "family_name", "Mustermann", auth.UpdateUserAttributesOptions{})
	if err != nil || !one.IsUpdated || one.NextStep != auth.UpdateAttributeStepDone {
		t.Fatalf("UpdateUserAttribute = %+v, %v", one, err)
	}
	if err := c.DeleteUserAttributes(bg(), []string{"name", "family_name"}); err != nil {
		t.Fatalf("DeleteUserAttributes: %v", err)
	}
	attrs, err = c.FetchUserAttributes(bg())
	if _, has := attrs["name"]; err != nil || has || attrs["family_name"] != "" || attrs["email"] != moved {
		t.Fatalf("after DeleteUserAttributes: %v, %v", attrs, err)
	}
	if err := c.DeleteUserAttributes(bg(), nil); !errors.Is(err, auth.ErrInvalidParameter) {
		t.Fatalf("DeleteUserAttributes(nil): %v", err)
	}
	if _, err := c.UpdateUserAttributes(bg(), nil, auth.UpdateUserAttributesOptions{}); !errors.Is(err, auth.ErrInvalidParameter) {
		t.Fatalf("UpdateUserAttributes(nil): %v", err)
	}
	_, err = c.UpdateUserAttributes(bg(), map[string]string{"email_verified": "true"}, auth.UpdateUserAttributesOptions{})
	wantCode(t, "setting email_verified", err, "NotAuthorizedException")

	if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
		t.Fatal(r.Err())
	}
	if r, err := c.SignIn(bg(), "MAX.NEW@example.com", acctPassword, auth.SignInOptions{}); err != nil || !r.SignedIn {
		t.Fatalf("sign-in with the new address: %+v, %v", r, err)
	}
}

// With AttributesRequireVerificationBeforeUpdate the old address stays (and
// stays verified) until the new one is confirmed.
func TestAccount_UpdateEmailRequiresVerification(t *testing.T) {
	e := newAmplifyEnv(t, func(in *cip.CreateUserPoolInput) {
		in.UserAttributeUpdateSettings = &types.UserAttributeUpdateSettingsType{
			AttributesRequireVerificationBeforeUpdate: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}}
	})
	c := e.client(t)
	const email, moved = "nia@example.com", "nia.new@example.com"
	e.signUpConfirmed(t, c, email, email, map[string]string{"email": email})
	if _, err := c.SignIn(bg(), email, acctPassword, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	r, err := c.UpdateUserAttribute(bg(), "email", moved, auth.UpdateUserAttributesOptions{})
	if err != nil || r.IsUpdated || r.NextStep != auth.UpdateAttributeStepConfirmWithCode || r.CodeDelivery == nil || r.CodeDelivery.AttributeName != "email" {
		t.Fatalf("UpdateUserAttribute = %+v, %v", r, err)
	}
	attrs, err := c.FetchUserAttributes(bg())
	if err != nil || attrs["email"] != email || attrs["email_verified"] != "true" {
		t.Fatalf("before confirming: %v, %v (want the old, verified address)", attrs, err)
	}
	// A code on request goes to the address waiting for verification.
	if _, err := c.SendUserAttributeVerificationCode(bg(), "email"); err != nil {
		t.Fatal(err)
	}
	if got := e.codes(moved, message.KindVerifyAttribute); len(got) != 2 {
		t.Fatalf("%d codes to the new address, want 2", len(got))
	}
	if err := c.ConfirmUserAttribute(bg(), "email", e.code(t, moved, message.KindVerifyAttribute)); err != nil {
		t.Fatalf("ConfirmUserAttribute: %v", err)
	}
	attrs, err = c.FetchUserAttributes(bg())
	if err != nil || attrs["email"] != moved || attrs["email_verified"] != "true" {
		t.Fatalf("after confirming: %v, %v", attrs, err)
	}
	if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
		t.Fatal(r.Err())
	}
	if _, err := c.SignIn(bg(), email, acctPassword, auth.SignInOptions{}); err == nil {
		t.Fatal("the old address still signs in")
	}
	if r, err := c.SignIn(bg(), moved, acctPassword, auth.SignInOptions{}); err != nil || !r.SignedIn {
		t.Fatalf("sign-in with the new address: %+v, %v", r, err)
	}
}

// A phone-number pool: sign-up by phone (the code goes by SMS), sign-in by
// phone through SRP and by password, recovery by the verified phone.
func TestAccount_PhoneNumberPool(t *testing.T) {
	e := newAmplifyEnv(t, func(in *cip.CreateUserPoolInput) {
		in.UsernameAttributes = []types.UsernameAttributeType{types.UsernameAttributeTypePhoneNumber}
		in.AutoVerifiedAttributes = []types.VerifiedAttributeType{types.VerifiedAttributeTypePhoneNumber}
		in.AccountRecoverySetting = &types.AccountRecoverySettingType{RecoveryMechanisms: []types.RecoveryOptionType{
			{Name: types.RecoveryOptionNameTypeVerifiedPhoneNumber, Priority: aws.Int32(1)}}}
	})
	c := e.client(t)
	const phone = "+15555550123"
	up, err := c.SignUp(bg(), phone, acctPassword, auth.SignUpOptions{UserAttributes: map[string]string{"phone_number": phone}, AutoSignIn: true})
	if err != nil {
		t.Fatal(err)
	}
	if up.CodeDelivery == nil || up.CodeDelivery.DeliveryMedium != "SMS" || up.CodeDelivery.AttributeName != "phone_number" {
		t.Fatalf("SignUp delivery = %+v", up.CodeDelivery)
	}
	conf, err := c.ConfirmSignUp(bg(), phone, e.code(t, phone, message.KindSignUp), auth.ConfirmSignUpOptions{})
	if err != nil || conf.NextStep != auth.SignUpStepCompleteAutoSignIn {
		t.Fatalf("ConfirmSignUp = %+v, %v", conf, err)
	}
	if r, err := c.AutoSignIn(bg()); err != nil || !r.SignedIn {
		t.Fatalf("AutoSignIn = %+v, %v", r, err)
	}
	attrs, err := c.FetchUserAttributes(bg())
	if err != nil || attrs["phone_number"] != phone || attrs["phone_number_verified"] != "true" || attrs["sub"] != up.UserSub {
		t.Fatalf("FetchUserAttributes = %v, %v", attrs, err)
	}
	if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
		t.Fatal(r.Err())
	}
	for _, flow := range []auth.AuthFlow{auth.AuthFlowSRP, auth.AuthFlowUserPassword} {
		if r, err := c.SignIn(bg(), phone, acctPassword, auth.SignInOptions{AuthFlow: flow}); err != nil || !r.SignedIn {
			t.Fatalf("%s by phone: %+v, %v", flow, r, err)
		}
		if s := e.session(t); s.Username != up.UserSub || s.LoginID != phone {
			t.Fatalf("%s: session user %q login %q", flow, s.Username, s.LoginID)
		}
		if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
			t.Fatal(r.Err())
		}
	}
	reset, err := c.ResetPassword(bg(), phone, auth.ResetPasswordOptions{})
	if err != nil || reset.CodeDelivery == nil || reset.CodeDelivery.DeliveryMedium != "SMS" || reset.CodeDelivery.AttributeName != "phone_number" {
		t.Fatalf("ResetPassword = %+v, %v", reset, err)
	}
	if err := c.ConfirmResetPassword(bg(), phone, "Ph0ne-Passw0rd!", e.code(t, phone, message.KindForgotPassword), auth.ConfirmResetPasswordOptions{}); err != nil {
		t.Fatal(err)
	}
	if r, err := c.SignIn(bg(), phone, "Ph0ne-Passw0rd!", auth.SignInOptions{}); err != nil || !r.SignedIn {
		t.Fatalf("sign-in after the reset: %+v, %v", r, err)
	}
}

// Every signed-in call fails with ErrNotSignedIn when nobody is signed in,
// and invalid arguments fail with ErrInvalidParameter, neither reaching the
// server.
func TestAccount_LocalErrors(t *testing.T) {
	e := newAmplifyEnv(t, nil)
	c := e.client(t)
	notSignedIn := map[string]func() error{
		"UpdatePassword": func() error { return c.UpdatePassword(bg(), "a", "b") },
		"FetchUserAttributes": func() error {
			_, err := c.FetchUserAttributes(bg())
			return err
		},
		"UpdateUserAttributes": func() error {
			_, err := c.UpdateUserAttributes(bg(), map[string]string{"name": "x"}, auth.UpdateUserAttributesOptions{})
			return err
		},
		"UpdateUserAttribute": func() error {
			_, err := c.UpdateUserAttribute(bg(), "name", "x", auth.UpdateUserAttributesOptions{})
			return err
		},
		"SendUserAttributeVerificationCode": func() error {
			_, err := c.SendUserAttributeVerificationCode(bg(), "email")
			return err
		},
		"ConfirmUserAttribute": func() error { return c.ConfirmUserAttribute(bg(), "email", "123456") },
		"DeleteUserAttributes": func() error { return c.DeleteUserAttributes(bg(), []string{"name"}) },
	}
	for name, fn := range notSignedIn {
		if err := fn(); !errors.Is(err, auth.ErrNotSignedIn) {
			t.Errorf("%s signed out: %v", name, err)
		}
	}
	invalid := map[string]func() error{
		"ResetPassword": func() error {
			_, err := c.ResetPassword(bg(), "", auth.ResetPasswordOptions{})
			return err
		},
		"ConfirmResetPassword/username": func() error {
			return c.ConfirmResetPassword(bg(), "", "New-Passw0rd!", "123456", auth.ConfirmResetPasswordOptions{})
		},
		"ConfirmResetPassword/password": func() error {
			return c.ConfirmResetPassword(bg(), "a@example.com", "", "123456", auth.ConfirmResetPasswordOptions{})
		},
		"ConfirmResetPassword/code": func() error {
			return c.ConfirmResetPassword(bg(), "a@example.com", "New-Passw0rd!", "", auth.ConfirmResetPasswordOptions{})
		},
		"ResendSignUpCode": func() error {
			_, err := c.ResendSignUpCode(bg(), "", auth.ResendSignUpCodeOptions{})
			return err
		},
		"ConfirmSignUp": func() error {
			_, err := c.ConfirmSignUp(bg(), "a@example.com", "", auth.ConfirmSignUpOptions{})
			return err
		},
		"UpdatePassword": func() error { return c.UpdatePassword(bg(), "old", "") },
		"UpdateUserAttribute": func() error {
			_, err := c.UpdateUserAttribute(bg(), "", "x", auth.UpdateUserAttributesOptions{})
			return err
		},
		"SendUserAttributeVerificationCode": func() error {
			_, err := c.SendUserAttributeVerificationCode(bg(), "")
			return err
		},
		"ConfirmUserAttribute": func() error { return c.ConfirmUserAttribute(bg(), "email", "") },
		"DeleteUserAttributes": func() error { return c.DeleteUserAttributes(bg(), []string{""}) },
	}
	for name, fn := range invalid {
		if err := fn(); !errors.Is(err, auth.ErrInvalidParameter) {
			t.Errorf("%s: %v, want ErrInvalidParameter", name, err)
		}
	}
	if ops := e.proxy.ops(); len(ops) != 0 {
		t.Fatalf("local errors reached the server: %v", ops)
	}
	// The service's answers keep their codes: an unknown user.
	_, err := c.ResetPassword(bg(), "nobody@example.com", auth.ResetPasswordOptions{})
	wantCode(t, "ResetPassword of an unknown user", err, "UserNotFoundException")
}

// The account calls never hang: a cancelled context ends a call at once, and
// an answer that never comes is bounded by Timeouts.Operation; either way the
// error is a *NetworkError and a signed-in user stays signed in.
func TestAccount_NeverHang(t *testing.T) {
	e := newAmplifyEnv(t, nil)
	c := e.client(t, func(cfg *auth.Config) {
		cfg.Timeouts.Operation = 500 * time.Millisecond
		cfg.MaxAttempts = 1
	})
	const email = "oz@example.com"
	e.signUpConfirmed(t, c, email, email, map[string]string{"email": email})
	if _, err := c.SignIn(bg(), email, acctPassword, auth.SignInOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"ForgotPassword", "ChangePassword", "GetUser", "ResendConfirmationCode"} {
		e.proxy.fail(op, fault{hang: true})
	}
	ctx, cancel := context.WithCancel(bg())
	time.AfterFunc(100*time.Millisecond, cancel)
	var err error
	within(t, "ResetPassword with a cancelled context", func() { _, err = c.ResetPassword(ctx, email, auth.ResetPasswordOptions{}) })
	var ne *auth.NetworkError
	if !errors.As(err, &ne) || !errors.Is(err, context.Canceled) {
		t.Fatalf("ResetPassword: %v, want a *NetworkError matching context.Canceled", err)
	}
	for name, fn := range map[string]func() error{
		"UpdatePassword": func() error { return c.UpdatePassword(bg(), acctPassword, "New-Passw0rd!") },
		"FetchUserAttributes": func() error {
			_, err := c.FetchUserAttributes(bg())
			return err
		},
		"ResendSignUpCode": func() error {
			_, err := c.ResendSignUpCode(bg(), email, auth.ResendSignUpCodeOptions{})
			return err
		},
	} {
		start := time.Now()
		var err error
		within(t, name, func() { err = fn() })
		if !errors.As(err, &ne) {
			t.Errorf("%s with no answer: %v, want a *NetworkError", name, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s took %v with a 500ms operation timeout", name, d)
		}
	}
	if e.session(t) == nil {
		t.Fatal("a network failure signed the user out")
	}
	if s := fmt.Sprint(e.proxy.count("ChangePassword")); s != "1" {
		t.Fatalf("ChangePassword sent %s times with MaxAttempts 1", s)
	}
}
