package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/auth/credstore"
	"github.com/cognate-dev/cognate/internal/testserver"
)

func TestSignIn_UserPassword(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	ev := record(c)
	s := e.signIn(t, c)
	call := e.proxy.callsOf("InitiateAuth")[0].Body
	if call["AuthFlow"] != "USER_PASSWORD_AUTH" || call["ClientId"] != e.clientID {
		t.Fatalf("InitiateAuth body = %v", call["AuthFlow"])
	}
	if _, has := call["AuthParameters"].(map[string]any)["SECRET_HASH"]; has {
		t.Fatal("SECRET_HASH sent without a client secret")
	}
	if s.Username != testUser || s.UserSub == "" || s.IDToken == "" || s.RefreshToken == "" ||
		s.SignInMethod != credstore.SignInMethodAPI || s.AuthFlow != "USER_PASSWORD_AUTH" {
		t.Fatalf("stored session = %v", s)
	}
	if d := time.Until(s.AccessTokenExpiresAt); d < 50*time.Minute || d > 61*time.Minute {
		t.Fatalf("access token expires in %v, want about an hour", d)
	}
	u, err := c.CurrentUser(bg())
	if err != nil || u.Username != testUser || u.UserID != s.UserSub || u.LoginID != testUser || u.AuthFlow != auth.AuthFlowUserPassword {
		t.Fatalf("CurrentUser = %+v, %v", u, err)
	}
	if got := ev.waitFor(t, 1); got[0] != auth.EventSignedIn {
		t.Fatalf("events = %v", got)
	}
}

func TestSignIn_Errors(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	_, err := c.SignIn(bg(), testUser, "wrong-Passw0rd", auth.SignInOptions{AuthFlow: auth.AuthFlowUserPassword})
	var nae *types.NotAuthorizedException
	var se *auth.ServiceError
	if !errors.As(err, &nae) || !errors.As(err, &se) || se.Code != "NotAuthorizedException" || se.Operation != "InitiateAuth" {
		t.Fatalf("wrong password: %v", err)
	}
	if !strings.Contains(err.Error(), "Incorrect username or password.") {
		t.Fatalf("message = %q", err.Error())
	}
	if _, err := c.SignIn(bg(), "", "x", auth.SignInOptions{}); !errors.Is(err, auth.ErrInvalidParameter) {
		t.Fatalf("empty username: %v", err)
	}
	if _, err := c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{AuthFlow: "CUSTOM_AUTH"}); !errors.Is(err, auth.ErrInvalidParameter) {
		t.Fatalf("unknown flow: %v", err)
	}
	if e.session(t) != nil {
		t.Fatal("a failed sign-in stored a session")
	}
}

// SRP is the default flow: InitiateAuth USER_SRP_AUTH then PASSWORD_VERIFIER,
// and the password never crosses the wire.
func TestSignIn_SRPIsDefault(t *testing.T) {
	for _, secret := range []bool{false, true} {
		var opts []testserver.PoolOption
		if secret {
			opts = append(opts, testserver.WithSecret())
		}
		e := newEnv(t, opts...)
		c := e.client(t)
		r, err := c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{})
		if err != nil || !r.SignedIn {
			t.Fatalf("secret=%v: SRP sign-in: %+v, %v", secret, r, err)
		}
		if got := e.proxy.ops(); !eq(got, []string{"InitiateAuth", "RespondToAuthChallenge"}) {
			t.Fatalf("secret=%v: calls %v", secret, got)
		}
		init := e.proxy.callsOf("InitiateAuth")[0].Body
		resp := e.proxy.callsOf("RespondToAuthChallenge")[0].Body
		if init["AuthFlow"] != "USER_SRP_AUTH" || resp["ChallengeName"] != "PASSWORD_VERIFIER" {
			t.Fatalf("secret=%v: flow %v / %v", secret, init["AuthFlow"], resp["ChallengeName"])
		}
		for _, call := range append(e.proxy.callsOf("InitiateAuth"), e.proxy.callsOf("RespondToAuthChallenge")...) {
			if strings.Contains(string(call.Raw), testPassword) {
				t.Fatalf("secret=%v: the password crossed the wire in %s", secret, call.Op)
			}
		}
		u, err := c.CurrentUser(bg())
		if err != nil || u.AuthFlow != auth.AuthFlowSRP {
			t.Fatalf("CurrentUser = %+v, %v", u, err)
		}
		if err := e.refreshWorks(t, testUser, e.session(t).RefreshToken); err != nil {
			t.Fatalf("the SRP session's refresh token: %v", err)
		}
	}
	// A wrong password fails at the challenge answer with Cognito's message.
	e := newEnv(t)
	c := e.client(t)
	_, err := c.SignIn(bg(), testUser, "wrong-Passw0rd", auth.SignInOptions{AuthFlow: auth.AuthFlowSRP})
	var se *auth.ServiceError
	if !errors.As(err, &se) || se.Code != "NotAuthorizedException" || se.Operation != "RespondToAuthChallenge" || !strings.Contains(err.Error(), "Incorrect username or password.") {
		t.Fatalf("wrong password over SRP: %v", err)
	}
	if e.session(t) != nil {
		t.Fatal("a failed SRP sign-in stored a session")
	}
}

// SECRET_HASH: required by a client with a secret; refused when missing.
func TestSignIn_SecretHash(t *testing.T) {
	e := newEnv(t, testserver.WithSecret())
	noSecret := e.client(t, func(c *auth.Config) { c.ClientSecret = "" })
	_, err := noSecret.SignIn(bg(), testUser, testPassword, auth.SignInOptions{})
	if !auth.IsServiceError(err, "NotAuthorizedException") || !strings.Contains(err.Error(), "secret hash") {
		t.Fatalf("sign-in without SECRET_HASH: %v", err)
	}
	c := e.client(t)
	e.signIn(t, c)
	// Refresh (GetTokensFromRefreshToken) carries the client secret itself.
	e.proxy.reset()
	if _, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true}); err != nil {
		t.Fatal(err)
	}
	if got := e.proxy.callsOf("GetTokensFromRefreshToken")[0].Body["ClientSecret"]; got != e.secret {
		t.Fatal("refresh did not carry the client secret")
	}
}

func TestSecretHash_KnownValue(t *testing.T) {
	// printf aliceclient | openssl dgst -sha256 -hmac secret -binary | base64
	if got, want := auth.SecretHash("alice", "client", "secret"), "RTsve+FQ659UKyESgvLg9GYmZEL+QjzQsW/OjL77/b0="; got != want {
		t.Fatalf("SecretHash = %s, want %s", got, want)
	}
}

// NEW_PASSWORD_REQUIRED → ConfirmSignIn with the new password → signed in.
func TestSignIn_NewPasswordRequired(t *testing.T) {
	e := newEnv(t)
	createTempUser(t, e, "bob", "Temp-Passw0rd!")
	c := e.client(t)
	ev := record(c)
	r, err := c.SignIn(bg(), "bob", "Temp-Passw0rd!", auth.SignInOptions{})
	if err != nil || r.SignedIn || r.NextStep != auth.SignInStepConfirmWithNewPassword {
		t.Fatalf("SignIn = %+v, %v", r, err)
	}
	if e.session(t) != nil {
		t.Fatal("session stored before the challenge was answered")
	}
	if _, err := c.ConfirmSignIn(bg(), "", auth.ConfirmSignInOptions{}); !errors.Is(err, auth.ErrInvalidParameter) {
		t.Fatalf("empty answer: %v", err)
	}
	r, err = c.ConfirmSignIn(bg(), "Brand-New-Passw0rd!", auth.ConfirmSignInOptions{})
	if err != nil || !r.SignedIn || r.NextStep != auth.SignInStepDone {
		t.Fatalf("ConfirmSignIn = %+v, %v", r, err)
	}
	if s := e.session(t); s == nil || s.Username != "bob" {
		t.Fatalf("session = %v", s)
	}
	if got := ev.waitFor(t, 1); got[0] != auth.EventSignedIn {
		t.Fatalf("events = %v", got)
	}
	if _, err := c.ConfirmSignIn(bg(), "again", auth.ConfirmSignInOptions{}); !errors.Is(err, auth.ErrInvalidState) {
		t.Fatalf("second ConfirmSignIn: %v", err)
	}
	// The new password is permanent.
	c.SignOut(bg(), auth.SignOutOptions{})
	if r, err := c.SignIn(bg(), "bob", "Brand-New-Passw0rd!", auth.SignInOptions{}); err != nil || !r.SignedIn {
		t.Fatalf("SignIn with the new password = %+v, %v", r, err)
	}
}

func TestConfirmSignIn_WithoutSignIn(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	if _, err := c.ConfirmSignIn(bg(), "x", auth.ConfirmSignInOptions{}); !errors.Is(err, auth.ErrInvalidState) {
		t.Fatalf("ConfirmSignIn: %v", err)
	}
}

func TestSignUp_ConfirmSignUp(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	r, err := c.SignUp(bg(), "carol", "Carol-Passw0rd!", auth.SignUpOptions{UserAttributes: map[string]string{"email": "carol@example.com"}})
	if err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	if r.UserConfirmed || r.NextStep != auth.SignUpStepConfirmSignUp || r.UserSub == "" {
		t.Fatalf("SignUp = %+v", r)
	}
	if _, err := c.SignUp(bg(), "carol", "Carol-Passw0rd!", auth.SignUpOptions{}); !auth.IsServiceError(err, "UsernameExistsException") {
		t.Fatalf("duplicate SignUp: %v", err)
	}
	if _, err := c.ConfirmSignUp(bg(), "carol", "000000", auth.ConfirmSignUpOptions{}); !auth.IsServiceError(err, "CodeMismatchException") {
		t.Fatalf("ConfirmSignUp with a wrong code: %v", err)
	}
	if _, err := c.SignIn(bg(), "carol", "Carol-Passw0rd!", auth.SignInOptions{}); !auth.IsServiceError(err, "UserNotConfirmedException") {
		t.Fatalf("sign-in before confirmation: %v", err)
	}
	if _, err := e.srv.Admin.AdminConfirmSignUp(bg(), &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(e.poolID), Username: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	if res, err := c.SignIn(bg(), "carol", "Carol-Passw0rd!", auth.SignInOptions{}); err != nil || !res.SignedIn {
		t.Fatalf("sign-in after confirmation: %+v, %v", res, err)
	}
}

func TestSignUp_WithSecret(t *testing.T) {
	e := newEnv(t, testserver.WithSecret())
	c := e.client(t)
	if _, err := c.SignUp(bg(), "dave", "Dave-Passw0rd!", auth.SignUpOptions{}); err != nil {
		t.Fatalf("SignUp with secret: %v", err)
	}
	if h, _ := e.proxy.callsOf("SignUp")[0].Body["SecretHash"].(string); h != auth.SecretHash("dave", e.clientID, e.secret) {
		t.Fatal("SignUp did not carry SecretHash")
	}
}

// FetchAuthSession: no user → not signed in, no call; fresh token → no call;
// within the threshold → refresh; ForceRefresh → refresh.
func TestFetchAuthSession_RefreshRules(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	if s, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{}); err != nil || s.SignedIn {
		t.Fatalf("nobody: %v, %v", s, err)
	}
	old := e.signIn(t, c)
	e.proxy.reset()
	s, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{})
	if err != nil || !s.SignedIn || s.Tokens.AccessToken != old.AccessToken || s.Username != testUser || s.UserSub != old.UserSub {
		t.Fatalf("fresh session = %v, %v", s, err)
	}
	if n := len(e.proxy.ops()); n != 0 {
		t.Fatalf("fresh session made %d calls", n)
	}

	time.Sleep(1100 * time.Millisecond) // new tokens get a later iat/exp
	s, err = c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true})
	if err != nil || s.Tokens.AccessToken == old.AccessToken || s.Tokens.RefreshToken != old.RefreshToken {
		t.Fatalf("forced refresh = %v, %v (new access token, same refresh token expected)", s, err)
	}
	if !eq(e.proxy.ops(), []string{"GetTokensFromRefreshToken"}) {
		t.Fatalf("calls = %v", e.proxy.ops())
	}
	if st := e.session(t); st.AccessToken != s.Tokens.AccessToken || st.RefreshToken != old.RefreshToken || st.SignedInAt != old.SignedInAt {
		t.Fatal("refreshed session not stored, or sign-in data lost")
	}

	// Within the threshold of expiry: the client refreshes by itself.
	clock := newFakeClock()
	clock.Advance(56 * time.Minute) // access token lives 60 min, threshold is 5 min
	c2 := e.client(t, func(c *auth.Config) { c.Now = clock.Now })
	e.proxy.reset()
	if _, err := c2.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{}); err != nil {
		t.Fatal(err)
	}
	if e.proxy.count("GetTokensFromRefreshToken") != 1 {
		t.Fatalf("no refresh near expiry: %v", e.proxy.ops())
	}
}

// A definitive refresh failure signs the user out locally and emits
// SessionExpired (no SignedOut).
func TestFetchAuthSession_DefinitiveFailure_SessionExpired(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	ev := record(c)
	e.signIn(t, c)
	if _, err := e.srv.Admin.AdminUserGlobalSignOut(bg(), &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(e.poolID), Username: aws.String(testUser)}); err != nil {
		t.Fatal(err)
	}
	s, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true})
	if !errors.Is(err, auth.ErrSessionExpired) || !auth.IsServiceError(err, "NotAuthorizedException") || s.SignedIn {
		t.Fatalf("FetchAuthSession = %v, %v; want ErrSessionExpired", s, err)
	}
	if e.session(t) != nil {
		t.Fatal("not signed out locally")
	}
	if got := ev.waitFor(t, 2); !eq(got, []auth.EventType{auth.EventSignedIn, auth.EventSessionExpired}) {
		t.Fatalf("events = %v", got)
	}
	// Signed out: a later SignOut is a no-op Complete without a second event.
	if r := c.SignOut(bg(), auth.SignOutOptions{}); r != (auth.CompleteSignOut{}) {
		t.Fatalf("SignOut = %#v", r)
	}
	ev.waitFor(t, 2)
}

// A network failure while refreshing does not sign the user out.
func TestFetchAuthSession_NetworkFailure_KeepsSession(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, func(c *auth.Config) { c.MaxAttempts = 1 })
	ev := record(c)
	old := e.signIn(t, c)
	for _, f := range []fault{{drop: true}, {status: 500, code: "InternalErrorException", msg: "x"}, {code: "TooManyRequestsException", msg: "x"}} {
		e.proxy.fail("GetTokensFromRefreshToken", f)
		s, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true})
		if err == nil || errors.Is(err, auth.ErrSessionExpired) {
			t.Fatalf("fault %+v: err = %v", f, err)
		}
		if !s.SignedIn || s.Tokens.RefreshToken != old.RefreshToken {
			t.Fatalf("fault %+v: session = %v", f, s)
		}
		if e.session(t) == nil {
			t.Fatalf("fault %+v: signed out by a transient failure", f)
		}
	}
	e.proxy.heal("GetTokensFromRefreshToken")
	if _, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true}); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	ev.waitFor(t, 1)
}

// Rule: a call's answer is read whole even when net/http's writer goroutine
// is slow to finish with the request (a loaded machine). The SDK used to hand
// net/http the request body that smithy-go closes as soon as the answer's
// headers arrive; net/http's last read of that body then failed (smithy-go's
// WriteTo returns io.EOF once closed) and net/http closed the connection while
// the answer's body was still arriving: "failed to decode response body ...
// use of closed network connection". That made
// TestFetchAuthSession_NetworkFailure_KeepsSession flaky under load. Here the
// writer pauses 50 ms after each request body and the answer comes in two
// halves 300 ms apart, which opens that window on every call: before the fix
// the first refresh failed. The durations only size the window; the test
// cannot fail from slowness.
func TestCalls_SlowRequestWriterDoesNotBreakTheAnswer(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, func(c *auth.Config) {
		c.MaxAttempts = 1 // a retry would hide the failure
		c.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: pausingDialer(50 * time.Millisecond)}}
	})
	e.signIn(t, c)
	e.proxy.fail("GetTokensFromRefreshToken", fault{trickle: 300 * time.Millisecond})
	for i := range 5 {
		s, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true})
		if err != nil || !s.SignedIn {
			t.Fatalf("refresh %d: %v", i, err)
		}
	}
	if n := e.proxy.count("GetTokensFromRefreshToken"); n != 5 {
		t.Fatalf("%d refresh calls reached the proxy, want 5", n)
	}
}

// Rule: a request body (passwords, tokens) is never sent on to where a 307 or
// 308 answer points; the call fails instead.
func TestCalls_RedirectDoesNotResendTheBody(t *testing.T) {
	var got atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, _ := io.ReadAll(r.Body); len(b) > 0 {
			got.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer elsewhere.Close()
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, elsewhere.URL, http.StatusTemporaryRedirect)
	}))
	defer redirecting.Close()
	c, err := auth.New(auth.Config{UserPoolID: "us-east-1_AbC123", ClientID: "abc123", Endpoint: redirecting.URL, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{AuthFlow: auth.AuthFlowUserPassword}); err == nil {
		t.Fatal("SignIn succeeded through a redirect")
	}
	if n := got.Load(); n != 0 {
		t.Fatalf("the request body was sent on to the redirect target %d times", n)
	}
}

func TestDeleteUser(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	ev := record(c)
	if err := c.DeleteUser(bg()); !errors.Is(err, auth.ErrNotSignedIn) {
		t.Fatalf("DeleteUser with nobody: %v", err)
	}
	e.signIn(t, c)
	if err := c.DeleteUser(bg()); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if e.session(t) != nil {
		t.Fatal("session kept")
	}
	if got := ev.waitFor(t, 2); !eq(got, []auth.EventType{auth.EventSignedIn, auth.EventUserDeleted}) {
		t.Fatalf("events = %v", got)
	}
	if _, err := c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{}); !auth.IsServiceError(err, "UserNotFoundException") && !auth.IsServiceError(err, "NotAuthorizedException") {
		t.Fatalf("sign-in of a deleted user: %v", err)
	}
}

// Tokens never appear in logs or Error() strings (nor in %v / %#v of results).
func TestNoTokensInLogsOrErrors(t *testing.T) {
	e := newEnv(t)
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := e.client(t, func(c *auth.Config) { c.Logger = logger; c.MaxAttempts = 1 })
	var tokens []string
	collect := func() {
		if s := e.session(t); s != nil {
			tokens = append(tokens, s.AccessToken, s.IDToken, s.RefreshToken)
		}
	}
	var texts []string
	add := func(what string, v any) {
		texts = append(texts, fmt.Sprintf("%s: %v | %+v | %#v", what, v, v, v))
	}

	e.signIn(t, c)
	collect()
	as, _ := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true})
	collect()
	add("session", as)
	add("tokens", as.Tokens)
	add("stored", *e.session(t))

	// A server that echoes the token in its message must not leak it either.
	e.proxy.fail("GlobalSignOut", fault{code: "NotAuthorizedException", msg: "bad token " + as.Tokens.AccessToken})
	r := c.SignOut(bg(), auth.SignOutOptions{Global: true})
	add("global partial", r)
	add("global err", r.Err())
	if p, ok := r.(auth.PartialSignOut); ok {
		add("global error", p.GlobalSignOutError)
		add("revoke error", p.RevokeTokenError)
	} else {
		t.Fatalf("want Partial, got %#v", r)
	}

	e.signIn(t, c)
	collect()
	e.proxy.heal("GlobalSignOut")
	e.proxy.fail("RevokeToken", fault{code: "InternalErrorException", status: 500, msg: "echo " + e.session(t).RefreshToken})
	r = c.SignOut(bg(), auth.SignOutOptions{})
	add("revoke partial", r)
	add("revoke err", r.Err())

	e.signIn(t, c)
	collect()
	r = c.SignOut(bg(), auth.SignOutOptions{LocalOnly: true})
	add("local partial", r)

	e.signIn(t, c)
	collect()
	e.proxy.fail("GetTokensFromRefreshToken", fault{code: "NotAuthorizedException", msg: "Refresh Token has been revoked"})
	_, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true})
	add("expired", err)

	mu.Lock()
	logs := buf.String()
	mu.Unlock()
	if !strings.Contains(logs, "signed out") {
		t.Fatalf("logger got no records: %q", logs)
	}
	assertNoToken(t, "logs", logs, tokens...)
	for _, s := range texts {
		assertNoToken(t, "formatted value", s, tokens...)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// A slow event subscriber never blocks auth calls, and events arrive in order.
func TestEvents_SlowSubscriberDoesNotBlock(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	release := make(chan struct{})
	var mu sync.Mutex
	var slow []auth.EventType
	c.Subscribe(func(ev auth.Event) {
		<-release
		mu.Lock()
		slow = append(slow, ev.Type)
		mu.Unlock()
	})
	fast := record(c)
	start := time.Now()
	for range 5 {
		e.signIn(t, c)
		if r := c.SignOut(bg(), auth.SignOutOptions{LocalOnly: true}); !r.SignedOutLocally() {
			t.Fatal(r.Err())
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("auth calls took %v with a blocked subscriber", took)
	}
	want := []auth.EventType{}
	for range 5 {
		want = append(want, auth.EventSignedIn, auth.EventSignedOut)
	}
	if got := fast.waitFor(t, 10); !eq(got, want) {
		t.Fatalf("fast subscriber: %v", got)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(slow)
		mu.Unlock()
		if n == 10 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if !eq(slow, want) {
		t.Fatalf("slow subscriber: %v", slow)
	}
}

func TestEvents_Unsubscribe(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	var mu sync.Mutex
	n := 0
	stop := c.Subscribe(func(auth.Event) { mu.Lock(); n++; mu.Unlock() })
	c.Subscribe(func(auth.Event) { panic("a panicking subscriber must not break anything") })
	e.signIn(t, c)
	time.Sleep(50 * time.Millisecond)
	stop()
	stop() // idempotent
	c.SignOut(bg(), auth.SignOutOptions{LocalOnly: true})
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if n != 1 {
		t.Fatalf("got %d events, want 1 (before unsubscribing)", n)
	}
}

// Serialization: every operation waits for the one before it.
func TestOperationsAreSerialized(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	e.signIn(t, c)
	var inFlight, maxInFlight int
	var mu sync.Mutex
	enter := func() {
		mu.Lock()
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
	}
	e.proxy.onCall("GetTokensFromRefreshToken", enter)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true})
		}()
	}
	wg.Wait()
	if maxInFlight != 1 {
		t.Fatalf("%d refreshes in flight at once, want 1", maxInFlight)
	}
}

func TestContextCancelledBeforeStart(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	e.signIn(t, c)
	ctx, cancel := context.WithCancel(bg())
	cancel()
	// The lock is free, so the operation runs; its network steps fail fast and
	// the user is still signed out locally (the remote steps are reported).
	r := c.SignOut(ctx, auth.SignOutOptions{})
	p, ok := r.(auth.PartialSignOut)
	if !ok || !errors.Is(p.RevokeTokenError, context.Canceled) {
		t.Fatalf("SignOut = %#v", r)
	}
}

// With refresh-token rotation the SDK stores the rotated refresh token and
// keeps refreshing with the newest one.
func TestFetchAuthSession_Rotation(t *testing.T) {
	e := newEnv(t, testserver.WithRotation(0))
	c := e.client(t)
	first := e.signIn(t, c).RefreshToken
	var seen []string
	for range 3 {
		s, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true})
		if err != nil {
			t.Fatalf("refresh on a rotating client: %v", err)
		}
		seen = append(seen, s.Tokens.RefreshToken)
		if stored := e.session(t).RefreshToken; stored != s.Tokens.RefreshToken {
			t.Fatal("the rotated refresh token was not stored")
		}
	}
	if seen[0] == first || seen[1] == seen[0] || seen[2] == seen[1] {
		t.Fatal("each refresh must rotate the refresh token")
	}
}
