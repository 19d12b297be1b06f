package auth_test

// One test (or more) per rule of spec/signout.md, against a real Cognate server
// on loopback, with a fault-injecting reverse proxy in front of it.

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
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

// Rule: order of steps, default sign-out — RevokeToken (the access token has
// origin_jti), local state cleared, SignedOut emitted, Complete; the server then
// refuses the refresh token and the same-family access token.
func TestSignOut_Complete_RevokesRefreshToken(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	ev := record(c)
	s := e.signIn(t, c)
	e.proxy.reset()

	r := c.SignOut(bg(), auth.SignOutOptions{})
	if _, ok := r.(auth.CompleteSignOut); !ok {
		t.Fatalf("SignOut = %#v (err %v), want CompleteSignOut", r, r.Err())
	}
	if !r.SignedOutLocally() || r.Err() != nil {
		t.Fatalf("Complete: SignedOutLocally=%v Err=%v", r.SignedOutLocally(), r.Err())
	}
	if got := e.proxy.ops(); !eq(got, []string{"RevokeToken"}) {
		t.Fatalf("calls = %v, want [RevokeToken]", got)
	}
	rc := e.proxy.callsOf("RevokeToken")[0].Body
	if rc["Token"] != s.RefreshToken || rc["ClientId"] != e.clientID {
		t.Fatalf("RevokeToken body has wrong token or client id")
	}
	if _, has := rc["ClientSecret"]; has {
		t.Fatal("RevokeToken sent a ClientSecret for a client without one")
	}
	if e.session(t) != nil {
		t.Fatal("session still stored after sign-out")
	}
	if err := e.refreshWorks(t, s.Username, s.RefreshToken); !auth.IsServiceError(err, "NotAuthorizedException") {
		t.Fatalf("refresh after sign-out: %v, want NotAuthorizedException", err)
	}
	if err := e.accessWorks(t, s.AccessToken); !auth.IsServiceError(err, "NotAuthorizedException") {
		t.Fatalf("GetUser after sign-out: %v, want NotAuthorizedException", err)
	}
	if got := ev.waitFor(t, 2); !eq(got, []auth.EventType{auth.EventSignedIn, auth.EventSignedOut}) {
		t.Fatalf("events = %v", got)
	}
	if _, err := c.CurrentUser(bg()); !errors.Is(err, auth.ErrNotSignedIn) {
		t.Fatalf("CurrentUser after sign-out: %v", err)
	}
}

// Rule: RevokeToken carries ClientSecret when a secret is configured (and the
// whole sign-in / refresh / sign-out cycle works with SECRET_HASH).
func TestSignOut_WithClientSecret(t *testing.T) {
	e := newEnv(t, testserver.WithSecret())
	if e.secret == "" {
		t.Fatal("pool has no secret")
	}
	c := e.client(t)
	s := e.signIn(t, c)
	if got := e.proxy.callsOf("InitiateAuth")[0].Body["AuthParameters"].(map[string]any)["SECRET_HASH"]; got != auth.SecretHash(testUser, e.clientID, e.secret) {
		t.Fatalf("sign-in SECRET_HASH = %v", got)
	}
	if _, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true}); err != nil {
		t.Fatalf("refresh with secret: %v", err)
	}
	e.proxy.reset()
	r := c.SignOut(bg(), auth.SignOutOptions{})
	if _, ok := r.(auth.CompleteSignOut); !ok {
		t.Fatalf("SignOut = %#v (%v)", r, r.Err())
	}
	if got := e.proxy.callsOf("RevokeToken")[0].Body["ClientSecret"]; got != e.secret {
		t.Fatal("RevokeToken did not carry the client secret")
	}
	if err := e.refreshWorks(t, s.Username, s.RefreshToken); err == nil {
		t.Fatal("refresh token still works after sign-out")
	}
}

// Rule: step 3 only when the access token carries origin_jti. Revocation
// disabled on the client → no origin_jti → no RevokeToken, Complete.
func TestSignOut_RevocationDisabled_SkipsRevokeSilently(t *testing.T) {
	e := newEnv(t, testserver.WithoutRevocation())
	c := e.client(t)
	s := e.signIn(t, c)
	if strings.Contains(claimsOf(t, s.AccessToken), "origin_jti") {
		t.Fatal("server put origin_jti in the access token of a client without revocation")
	}
	e.proxy.reset()
	r := c.SignOut(bg(), auth.SignOutOptions{})
	if _, ok := r.(auth.CompleteSignOut); !ok {
		t.Fatalf("SignOut = %#v (%v), want Complete", r, r.Err())
	}
	if n := len(e.proxy.ops()); n != 0 {
		t.Fatalf("sign-out made %d calls (%v), want none", n, e.proxy.ops())
	}
	if e.session(t) != nil {
		t.Fatal("session still stored")
	}
}

// Rule: Global → GlobalSignOut{AccessToken} then RevokeToken, Complete; every
// token of the user, on every device, is dead afterwards.
func TestSignOut_Global_Complete(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	s := e.signIn(t, c)
	// Another device of the same user.
	other := &env{srv: e.srv, proxy: e.proxy, poolID: e.poolID, clientID: e.clientID, store: credstore.NewMemory()}
	oc := other.client(t)
	os := other.signIn(t, oc)
	e.proxy.reset()

	r := c.SignOut(bg(), auth.SignOutOptions{Global: true})
	if _, ok := r.(auth.CompleteSignOut); !ok {
		t.Fatalf("SignOut = %#v (%v), want Complete", r, r.Err())
	}
	if got := e.proxy.ops(); !eq(got, []string{"GlobalSignOut", "RevokeToken"}) {
		t.Fatalf("calls = %v, want [GlobalSignOut RevokeToken]", got)
	}
	if e.proxy.callsOf("GlobalSignOut")[0].Body["AccessToken"] != s.AccessToken {
		t.Fatal("GlobalSignOut did not carry the access token")
	}
	for name, err := range map[string]error{
		"refresh (this device)":  e.refreshWorks(t, s.Username, s.RefreshToken),
		"refresh (other device)": e.refreshWorks(t, os.Username, os.RefreshToken),
		"access (other device)":  e.accessWorks(t, os.AccessToken),
	} {
		if !auth.IsServiceError(err, "NotAuthorizedException") {
			t.Errorf("%s after global sign-out: %v, want NotAuthorizedException", name, err)
		}
	}
	// The other device is still signed in locally until it notices.
	if other.session(t) == nil {
		t.Fatal("the other device's local session was touched")
	}
	// ... and notices at its next refresh: SessionExpired.
	oev := record(oc)
	if _, err := oc.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true}); !errors.Is(err, auth.ErrSessionExpired) {
		t.Fatalf("other device refresh: %v, want ErrSessionExpired", err)
	}
	if got := oev.waitFor(t, 1); got[0] != auth.EventSessionExpired {
		t.Fatalf("other device events = %v", got)
	}
}

// Rule: global failure → PartialSignOut with GlobalSignOutError{AccessToken,
// Err} and RevokeTokenError{RefreshToken, not attempted}; the server saw no
// RevokeToken; signed out locally anyway. The tokens are enough to retry by hand
// through the escape hatch.
func TestSignOut_GlobalFailure_SkipsRevoke(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	ev := record(c)
	s := e.signIn(t, c)
	e.proxy.fail("GlobalSignOut", fault{code: "NotAuthorizedException", msg: "Access Token has been revoked"})
	e.proxy.reset()

	r := c.SignOut(bg(), auth.SignOutOptions{Global: true})
	p, ok := r.(auth.PartialSignOut)
	if !ok {
		t.Fatalf("SignOut = %#v (%v), want Partial", r, r.Err())
	}
	if p.GlobalSignOutError == nil || p.RevokeTokenError == nil || p.HostedUIError != nil {
		t.Fatalf("Partial = %#v, want global and revoke errors only", p)
	}
	if p.GlobalSignOutError.AccessToken != s.AccessToken {
		t.Fatal("GlobalSignOutError does not carry the access token")
	}
	var nae *types.NotAuthorizedException
	if !auth.IsServiceError(p.GlobalSignOutError, "NotAuthorizedException") || !errors.As(p.GlobalSignOutError, &nae) {
		t.Fatalf("GlobalSignOutError = %v", p.GlobalSignOutError)
	}
	if p.RevokeTokenError.RefreshToken != s.RefreshToken {
		t.Fatal("RevokeTokenError does not carry the refresh token")
	}
	if !errors.Is(p.RevokeTokenError, auth.ErrNotAttempted) || !strings.Contains(p.RevokeTokenError.Error(), "global sign-out failed") {
		t.Fatalf("RevokeTokenError = %v, want not attempted because global sign-out failed", p.RevokeTokenError)
	}
	if e.proxy.count("RevokeToken") != 0 {
		t.Fatal("the server saw a RevokeToken after a failed global sign-out")
	}
	if !r.SignedOutLocally() || e.session(t) != nil {
		t.Fatal("not signed out locally")
	}
	if err := r.Err(); !errors.Is(err, auth.ErrNotAttempted) || !auth.IsServiceError(err, "NotAuthorizedException") {
		t.Fatalf("Err() = %v, want both step errors joined", err)
	}
	ev.waitFor(t, 2)

	// The tokens still work on the server...
	if err := e.refreshWorks(t, s.Username, s.RefreshToken); err != nil {
		t.Fatalf("refresh token died although no revocation happened: %v", err)
	}
	// ...and the escape hatch finishes the job.
	e.proxy.heal("GlobalSignOut")
	if _, err := c.CognitoClient().GlobalSignOut(bg(), &cip.GlobalSignOutInput{AccessToken: aws.String(p.GlobalSignOutError.AccessToken)}); err != nil {
		t.Fatalf("retrying GlobalSignOut: %v", err)
	}
	if err := e.refreshWorks(t, s.Username, s.RefreshToken); !auth.IsServiceError(err, "NotAuthorizedException") {
		t.Fatalf("refresh after retried global sign-out: %v", err)
	}
}

// Rule: revoke failure (any kind) → Partial carrying the refresh token; retrying
// RevokeToken through the escape hatch revokes it for real.
func TestSignOut_RevokeFailure_RetryThroughEscapeHatch(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, func(c *auth.Config) { c.MaxAttempts = 1 })
	s := e.signIn(t, c)
	e.proxy.fail("RevokeToken", fault{status: 500, code: "InternalErrorException", msg: "boom"})

	r := c.SignOut(bg(), auth.SignOutOptions{})
	p, ok := r.(auth.PartialSignOut)
	if !ok {
		t.Fatalf("SignOut = %#v (%v), want Partial", r, r.Err())
	}
	if p.RevokeTokenError == nil || p.GlobalSignOutError != nil || p.HostedUIError != nil {
		t.Fatalf("Partial = %#v", p)
	}
	if p.RevokeTokenError.RefreshToken != s.RefreshToken {
		t.Fatal("RevokeTokenError does not carry the refresh token")
	}
	var se *auth.ServiceError
	if !errors.As(p.RevokeTokenError, &se) || se.Code != "InternalErrorException" || se.Operation != "RevokeToken" {
		t.Fatalf("RevokeTokenError cause = %v", p.RevokeTokenError.Err)
	}
	if errors.Is(p.RevokeTokenError, auth.ErrNotAttempted) {
		t.Fatal("an attempted revocation is reported as not attempted")
	}
	if e.session(t) != nil {
		t.Fatal("not signed out locally")
	}
	if err := e.refreshWorks(t, s.Username, s.RefreshToken); err != nil {
		t.Fatalf("refresh token should still be live: %v", err)
	}

	// The documented retry: RevokeToken with the token from the Partial result.
	e.proxy.heal("RevokeToken")
	ctx, cancel := context.WithTimeout(bg(), 5*time.Second)
	defer cancel()
	if _, err := c.CognitoClient().RevokeToken(ctx, &cip.RevokeTokenInput{
		Token: aws.String(p.RevokeTokenError.RefreshToken), ClientId: aws.String(e.clientID),
	}); err != nil {
		t.Fatalf("retrying RevokeToken: %v", err)
	}
	err := e.refreshWorks(t, s.Username, s.RefreshToken)
	if !auth.IsServiceError(err, "NotAuthorizedException") || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("refresh after retried revocation: %v, want NotAuthorizedException (revoked)", err)
	}
}

// Rule: revocation failures of every kind are recorded (offline, 5xx,
// throttled, service error), and the service error keeps its Cognito name.
func TestSignOut_RevokeFailureKinds(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, func(c *auth.Config) { c.MaxAttempts = 1 })
	for _, tc := range []struct {
		name  string
		fault fault
		check func(error) bool
	}{
		{"throttled", fault{code: "TooManyRequestsException", msg: "slow down"}, func(err error) bool { return auth.IsServiceError(err, "TooManyRequestsException") }},
		{"unauthorized", fault{code: "UnauthorizedException", msg: "no"}, func(err error) bool {
			var ue *types.UnauthorizedException
			return errors.As(err, &ue)
		}},
		{"5xx", fault{status: 503, code: "ServiceUnavailable", msg: "down"}, func(err error) bool { return auth.IsServiceError(err, "ServiceUnavailable") }},
		{"connection dropped", fault{drop: true}, func(err error) bool {
			var ne *auth.NetworkError
			return errors.As(err, &ne)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.signIn(t, c)
			e.proxy.fail("RevokeToken", tc.fault)
			defer e.proxy.heal("RevokeToken")
			r := c.SignOut(bg(), auth.SignOutOptions{})
			p, ok := r.(auth.PartialSignOut)
			if !ok || p.RevokeTokenError == nil {
				t.Fatalf("SignOut = %#v, want Partial with RevokeTokenError", r)
			}
			if !tc.check(p.RevokeTokenError) {
				t.Fatalf("RevokeTokenError = %v (%T)", p.RevokeTokenError, p.RevokeTokenError.Err)
			}
			if e.session(t) != nil {
				t.Fatal("not signed out locally")
			}
		})
	}
}

// Rule: bounded time offline — server down → Partial within the configured bound.
func TestSignOut_ServerDown_PartialWithinBound(t *testing.T) {
	for _, global := range []bool{false, true} {
		t.Run("global="+strconv.FormatBool(global), func(t *testing.T) {
			e := newEnv(t)
			e.signIn(t, e.client(t))
			s := e.session(t)
			e.srv.Stop()
			const op = 1500 * time.Millisecond
			// Straight at a refusing address, not through the proxy: a proxy
			// in front of a stopped server answers 502, a load balancer's
			// answer, not a down server's.
			c := e.client(t, func(c *auth.Config) { c.Timeouts.Operation = op; c.Endpoint = refusing(t) })

			start := time.Now()
			r := c.SignOut(bg(), auth.SignOutOptions{Global: global})
			took := time.Since(start)
			if took > op+1500*time.Millisecond {
				t.Fatalf("sign-out took %v, bound is %v", took, op)
			}
			p, ok := r.(auth.PartialSignOut)
			if !ok {
				t.Fatalf("SignOut = %#v (%v), want Partial", r, r.Err())
			}
			var ne *auth.NetworkError
			if global {
				if p.GlobalSignOutError == nil || !errors.As(p.GlobalSignOutError, &ne) || !errors.Is(p.RevokeTokenError, auth.ErrNotAttempted) {
					t.Fatalf("Partial = %v", p.Err())
				}
			} else if p.RevokeTokenError == nil || !errors.As(p.RevokeTokenError, &ne) || p.RevokeTokenError.RefreshToken != s.RefreshToken {
				t.Fatalf("Partial = %v", p.Err())
			}
			if e.session(t) != nil {
				t.Fatal("not signed out locally")
			}
		})
	}
}

// Rule: bounded time offline — a server that accepts connections and never
// answers costs at most Timeouts.Operation per remote step.
func TestSignOut_Blackhole_PartialWithinBound(t *testing.T) {
	e := newEnv(t)
	e.signIn(t, e.client(t))
	const op = time.Second
	c := e.client(t, func(c *auth.Config) {
		c.Endpoint = blackhole(t)
		c.Timeouts = auth.Timeouts{Connect: time.Second, Request: 400 * time.Millisecond, Operation: op}
	})
	start := time.Now()
	r := c.SignOut(bg(), auth.SignOutOptions{Global: true})
	if took := time.Since(start); took > op+time.Second {
		t.Fatalf("sign-out took %v, bound is %v", took, op)
	}
	if _, ok := r.(auth.PartialSignOut); !ok {
		t.Fatalf("SignOut = %#v, want Partial", r)
	}
	if e.session(t) != nil {
		t.Fatal("not signed out locally")
	}
}

// Rule: refresh before global when the access token has expired (both clocks
// moved past the access token's expiry; the refresh token is still good).
func TestSignOut_Global_RefreshesExpiredAccessTokenFirst(t *testing.T) {
	clock := newFakeClock()
	e := newEnvWith(t, testserver.Options{Now: clock.Now})
	c := e.client(t, func(c *auth.Config) { c.Now = clock.Now })
	s := e.signIn(t, c)
	clock.Advance(2 * time.Hour) // default access token validity is 1 h
	if err := e.accessWorks(t, s.AccessToken); !auth.IsServiceError(err, "NotAuthorizedException") {
		t.Fatalf("old access token should have expired at the server: %v", err)
	}
	e.proxy.reset()

	r := c.SignOut(bg(), auth.SignOutOptions{Global: true})
	if _, ok := r.(auth.CompleteSignOut); !ok {
		t.Fatalf("SignOut = %#v (%v), want Complete", r, r.Err())
	}
	if got := e.proxy.ops(); !eq(got, []string{"GetTokensFromRefreshToken", "GlobalSignOut", "RevokeToken"}) {
		t.Fatalf("calls = %v, want refresh, global, revoke", got)
	}
	if e.proxy.callsOf("GlobalSignOut")[0].Body["AccessToken"] == s.AccessToken {
		t.Fatal("GlobalSignOut used the expired access token")
	}
	if err := e.refreshWorks(t, s.Username, s.RefreshToken); !auth.IsServiceError(err, "NotAuthorizedException") {
		t.Fatalf("refresh after global sign-out: %v", err)
	}
}

// Rule: when the refresh before global fails, that is a global failure: the
// revocation is not attempted, the user is signed out locally.
func TestSignOut_Global_RefreshFailsIsGlobalFailure(t *testing.T) {
	clock := newFakeClock()
	e := newEnvWith(t, testserver.Options{Now: clock.Now})
	c := e.client(t, func(c *auth.Config) { c.Now = clock.Now })
	s := e.signIn(t, c)
	clock.Advance(2 * time.Hour)
	e.proxy.fail("GetTokensFromRefreshToken", fault{code: "NotAuthorizedException", msg: "Refresh Token has been revoked"})
	e.proxy.reset()

	r := c.SignOut(bg(), auth.SignOutOptions{Global: true})
	p, ok := r.(auth.PartialSignOut)
	if !ok || p.GlobalSignOutError == nil || !errors.Is(p.RevokeTokenError, auth.ErrNotAttempted) {
		t.Fatalf("SignOut = %#v, want Partial with global error and revoke not attempted", r)
	}
	if !auth.IsServiceError(p.GlobalSignOutError, "NotAuthorizedException") || p.GlobalSignOutError.AccessToken != s.AccessToken {
		t.Fatalf("GlobalSignOutError = %v", p.GlobalSignOutError)
	}
	if got := e.proxy.ops(); !eq(got, []string{"GetTokensFromRefreshToken"}) {
		t.Fatalf("calls = %v, want only the failed refresh", got)
	}
	if e.session(t) != nil {
		t.Fatal("not signed out locally")
	}
}

// Rule: LocalOnly skips steps 1–3 (no network at all) and returns Partial with
// RevokeTokenError{RefreshToken, not attempted}; the token is still live.
func TestSignOut_LocalOnly(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, func(c *auth.Config) {
		c.HostedUI = &auth.HostedUIConfig{Domain: "http://127.0.0.1:1", SignOutRedirectURI: "http://127.0.0.1:2/out"}
		c.Browser = auth.BrowserFunc(func(context.Context, string, string) error {
			t.Error("LocalOnly opened the browser")
			return nil
		})
	})
	ev := record(c)
	s := e.signIn(t, c)
	markHostedUI(t, e, false)
	e.proxy.reset()

	r := c.SignOut(bg(), auth.SignOutOptions{LocalOnly: true})
	p, ok := r.(auth.PartialSignOut)
	if !ok || p.RevokeTokenError == nil || p.GlobalSignOutError != nil || p.HostedUIError != nil {
		t.Fatalf("SignOut = %#v, want Partial with RevokeTokenError only", r)
	}
	if p.RevokeTokenError.RefreshToken != s.RefreshToken || !errors.Is(p.RevokeTokenError, auth.ErrNotAttempted) {
		t.Fatalf("RevokeTokenError = %v", p.RevokeTokenError)
	}
	if n := len(e.proxy.ops()); n != 0 {
		t.Fatalf("LocalOnly made %d network calls", n)
	}
	if e.session(t) != nil || !r.SignedOutLocally() {
		t.Fatal("not signed out locally")
	}
	if err := e.refreshWorks(t, s.Username, s.RefreshToken); err != nil {
		t.Fatalf("refresh token should be live after LocalOnly: %v", err)
	}
	if got := ev.waitFor(t, 2); got[1] != auth.EventSignedOut {
		t.Fatalf("events = %v", got)
	}
}

// Rule: LocalOnly and Global are contradictory: Failed, nothing cleared.
func TestSignOut_LocalOnlyAndGlobalRejected(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	e.signIn(t, c)
	r := c.SignOut(bg(), auth.SignOutOptions{LocalOnly: true, Global: true})
	if f, ok := r.(auth.FailedSignOut); !ok || !errors.Is(f.Cause, auth.ErrInvalidParameter) {
		t.Fatalf("SignOut = %#v", r)
	}
	if e.session(t) == nil {
		t.Fatal("session cleared by a rejected sign-out")
	}
}

// Rule: no user signed in → Complete, no network calls, no event.
func TestSignOut_NobodySignedIn(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	ev := record(c)
	for _, o := range []auth.SignOutOptions{{}, {Global: true}, {LocalOnly: true}} {
		if r := c.SignOut(bg(), o); r != (auth.CompleteSignOut{}) {
			t.Fatalf("SignOut(%+v) = %#v", o, r)
		}
	}
	if n := len(e.proxy.ops()); n != 0 {
		t.Fatalf("%d network calls", n)
	}
	ev.waitFor(t, 0)
}

// Rule: step 4 keeps remembered-device data; only the session goes.
func TestSignOut_KeepsRememberedDevice(t *testing.T) {
	e := newEnv(t)
	dev := credstore.Device{DeviceKey: "us-east-1_dev", DeviceGroupKey: "grp", DevicePassword: "pw", PasswordVerifier: "v", Salt: "s"}
	if err := e.store.Save(e.key(), credstore.Record{Devices: map[string]credstore.Device{testUser: dev}}); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	e.signIn(t, c)
	if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
		t.Fatal(r.Err())
	}
	rec, err := e.store.Load(e.key())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Session != nil {
		t.Fatal("session kept")
	}
	if rec.Devices[testUser] != dev {
		t.Fatalf("device data lost: %v", rec.Devices)
	}
}

// Rule: clearing fails → FailedSignOut, still signed in, the store holds the
// old consistent state, no SignedOut event.
func TestSignOut_ClearFails_Failed(t *testing.T) {
	e := newEnv(t)
	fs := &failingStore{Store: e.store}
	e.store = fs
	c := e.client(t)
	ev := record(c)
	s := e.signIn(t, c)
	fs.setFail(errInjected)

	r := c.SignOut(bg(), auth.SignOutOptions{LocalOnly: true})
	f, ok := r.(auth.FailedSignOut)
	if !ok {
		t.Fatalf("SignOut = %#v, want Failed", r)
	}
	if r.SignedOutLocally() || !errors.Is(f.Err(), errInjected) {
		t.Fatalf("Failed: SignedOutLocally=%v Err=%v", r.SignedOutLocally(), f.Err())
	}
	got := e.session(t)
	if got == nil || got.RefreshToken != s.RefreshToken || got.AccessToken != s.AccessToken {
		t.Fatal("store does not hold the old session")
	}
	if u, err := c.CurrentUser(bg()); err != nil || u.Username != testUser {
		t.Fatalf("CurrentUser = %v, %v: still signed in expected", u, err)
	}
	ev.waitFor(t, 1) // SignedIn only
	fs.setFail(nil)
	if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
		t.Fatalf("second attempt: %v", r.Err())
	}
	ev.waitFor(t, 2)
}

// Rule: clearing fails with a store that panics → Failed, no panic escapes.
func TestSignOut_NeverPanics(t *testing.T) {
	e := newEnv(t)
	ps := &panickyStore{Store: e.store}
	e.store = ps
	c := e.client(t)
	e.signIn(t, c)
	ps.panicSave = true
	r := c.SignOut(bg(), auth.SignOutOptions{LocalOnly: true})
	if _, ok := r.(auth.FailedSignOut); !ok {
		t.Fatalf("SignOut = %#v, want Failed", r)
	}
	//lint:ignore SA1012 a nil context must not panic either
	if r := c.SignOut(nil, auth.SignOutOptions{LocalOnly: true}); r == nil {
		t.Fatal("nil result")
	}
}

type panickyStore struct {
	credstore.Store
	panicSave bool
}

func (p *panickyStore) Save(k credstore.Key, r credstore.Record) error {
	if p.panicSave {
		panic("disk on fire")
	}
	return p.Store.Save(k, r)
}

// Rule: one user at a time — SignIn while signed in fails with an
// invalid-state error and changes nothing.
func TestSignIn_WhileSignedIn_InvalidState(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	s := e.signIn(t, c)
	e.proxy.reset()
	_, err := c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{})
	if !errors.Is(err, auth.ErrInvalidState) || !strings.Contains(err.Error(), "already signed in; sign out first") {
		t.Fatalf("second SignIn: %v, want invalid state", err)
	}
	if n := len(e.proxy.ops()); n != 0 {
		t.Fatalf("second SignIn made %d calls", n)
	}
	if got := e.session(t); got.RefreshToken != s.RefreshToken {
		t.Fatal("session replaced")
	}
	// Another Client instance on the same store sees the same user.
	c2 := e.client(t)
	if _, err := c2.SignIn(bg(), testUser, testPassword, auth.SignInOptions{}); !errors.Is(err, auth.ErrInvalidState) {
		t.Fatalf("SignIn from a second client on the same store: %v", err)
	}
}

// Rule: operations are serialized — a second SignOut waits for the first, then
// finds nobody and returns Complete; one RevokeToken, one SignedOut event.
func TestSignOut_Concurrent_SecondWaitsAndCompletes(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	ev := record(c)
	e.signIn(t, c)
	e.proxy.fail("RevokeToken", fault{delay: 300 * time.Millisecond}) // slow but successful
	started := make(chan struct{})
	e.proxy.onCall("RevokeToken", func() { close(started) })
	e.proxy.reset()

	first := make(chan auth.SignOutResult)
	go func() { first <- c.SignOut(bg(), auth.SignOutOptions{}) }()
	<-started // the first sign-out is in its RevokeToken step
	second := c.SignOut(bg(), auth.SignOutOptions{})
	r1 := <-first
	if _, ok := r1.(auth.CompleteSignOut); !ok {
		t.Fatalf("first = %#v (%v)", r1, r1.Err())
	}
	if _, ok := second.(auth.CompleteSignOut); !ok {
		t.Fatalf("second = %#v (%v)", second, second.Err())
	}
	if n := e.proxy.count("RevokeToken"); n != 1 {
		t.Fatalf("%d RevokeToken calls, want 1", n)
	}
	if got := ev.waitFor(t, 2); !eq(got, []auth.EventType{auth.EventSignedIn, auth.EventSignedOut}) {
		t.Fatalf("events = %v", got)
	}
}

// Rule: a caller waiting for the operation lock gives up with its context:
// FailedSignOut, nothing cleared by it.
func TestSignOut_WaitingForLockHonoursContext(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	e.signIn(t, c)
	e.proxy.fail("RevokeToken", fault{delay: 500 * time.Millisecond})
	started := make(chan struct{})
	e.proxy.onCall("RevokeToken", func() { close(started) })
	done := make(chan auth.SignOutResult)
	go func() { done <- c.SignOut(bg(), auth.SignOutOptions{}) }()
	<-started
	ctx, cancel := context.WithTimeout(bg(), 50*time.Millisecond)
	defer cancel()
	r := c.SignOut(ctx, auth.SignOutOptions{})
	if f, ok := r.(auth.FailedSignOut); !ok || !errors.Is(f.Cause, context.DeadlineExceeded) {
		t.Fatalf("waiting SignOut = %#v", r)
	}
	if r := <-done; r.Err() != nil {
		t.Fatal(r.Err())
	}
}

// Rule: SignOut during a pending sign-in challenge cancels that sign-in.
func TestSignOut_CancelsPendingChallenge(t *testing.T) {
	e := newEnv(t)
	createTempUser(t, e, "bob", "Temp-Passw0rd!")
	c := e.client(t)
	ev := record(c)
	r, err := c.SignIn(bg(), "bob", "Temp-Passw0rd!", auth.SignInOptions{})
	if err != nil || r.NextStep != auth.SignInStepConfirmWithNewPassword || r.SignedIn {
		t.Fatalf("SignIn = %+v, %v; want the new-password step", r, err)
	}
	e.proxy.reset()
	if so := c.SignOut(bg(), auth.SignOutOptions{}); so != (auth.CompleteSignOut{}) {
		t.Fatalf("SignOut = %#v", so)
	}
	if n := len(e.proxy.ops()); n != 0 {
		t.Fatalf("%d calls", n)
	}
	if _, err := c.ConfirmSignIn(bg(), "New-Passw0rd!", auth.ConfirmSignInOptions{}); !errors.Is(err, auth.ErrInvalidState) {
		t.Fatalf("ConfirmSignIn after SignOut: %v, want invalid state", err)
	}
	ev.waitFor(t, 0)
}

// createTempUser creates a user in FORCE_CHANGE_PASSWORD.
func createTempUser(t *testing.T, e *env, username, password string) {
	t.Helper()
	_, err := e.srv.Admin.AdminCreateUser(bg(), &cip.AdminCreateUserInput{
		UserPoolId: aws.String(e.poolID), Username: aws.String(username),
		TemporaryPassword: aws.String(password), MessageAction: types.MessageActionTypeSuppress,
	})
	if err != nil {
		t.Fatalf("AdminCreateUser: %v", err)
	}
}

// markHostedUI turns the stored session into a hosted-UI one (the hosted-UI
// sign-in arrives in a later issue; its stored form is what matters here).
func markHostedUI(t *testing.T, e *env, private bool) {
	t.Helper()
	rec, err := e.store.Load(e.key())
	if err != nil || rec.Session == nil {
		t.Fatalf("no session to mark: %v", err)
	}
	rec.Session.SignInMethod = credstore.SignInMethodHostedUI
	rec.Session.PrivateSession = private
	if err := e.store.Save(e.key(), rec); err != nil {
		t.Fatal(err)
	}
}

// hostedUIStub serves /logout like the hosted UI: 302 to logout_uri when it is
// the registered one. It counts browser visits (GET) and the SDK's
// reachability probes (HEAD) apart.
type hostedUIStub struct {
	*httptest.Server
	mu             sync.Mutex
	visits, probes int
}

func fakeHostedUI(t *testing.T, clientID, logoutURI string) *hostedUIStub {
	t.Helper()
	h := &hostedUIStub{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/logout" || r.URL.Query().Get("client_id") != clientID || r.URL.Query().Get("logout_uri") != logoutURI {
			http.Error(w, "bad logout request", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		if r.Method == http.MethodHead {
			h.probes++
		} else {
			h.visits++
		}
		h.mu.Unlock()
		http.Redirect(w, r, logoutURI, http.StatusFound)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hostedUIStub) counts() (visits, probes int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.visits, h.probes
}

// Rule: step 1 — hosted-UI sign-out through a browser (LoopbackBrowser with a
// fake "browser" that follows redirects), before the remote steps; then global
// and revoke; Complete.
func TestSignOut_HostedUI_LoopbackBrowser(t *testing.T) {
	e := newEnv(t)
	redirect := "http://127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t)) + "/signed-out"
	hosted := fakeHostedUI(t, e.clientID, redirect)
	var order []string
	var mu sync.Mutex
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	e.proxy.onCall("GlobalSignOut", func() { note("GlobalSignOut") })
	e.proxy.onCall("RevokeToken", func() { note("RevokeToken") })
	browser := auth.LoopbackBrowser{Open: func(u string) error {
		note("browser")
		go func() { // a browser: follow the redirect to the loopback listener
			resp, err := http.Get(u)
			if err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}}
	c := e.client(t, func(c *auth.Config) {
		c.HostedUI = &auth.HostedUIConfig{Domain: hosted.URL + "/", SignOutRedirectURI: redirect, SignOutTimeout: 5 * time.Second}
	})
	e.signIn(t, c)
	markHostedUI(t, e, false)

	r := c.SignOut(bg(), auth.SignOutOptions{Global: true, Browser: browser})
	if _, ok := r.(auth.CompleteSignOut); !ok {
		t.Fatalf("SignOut = %#v (%v)", r, r.Err())
	}
	if visits, probes := hosted.counts(); visits != 1 || probes != 1 {
		t.Fatalf("hosted UI /logout: %d browser visits, %d probes; want 1 of each", visits, probes)
	}
	if !eq(order, []string{"browser", "GlobalSignOut", "RevokeToken"}) {
		t.Fatalf("order = %v", order)
	}
}

// Rule: step 1 runs only for hosted-UI sign-ins in a non-private session.
func TestSignOut_HostedUI_OnlyWhenSignedInThroughIt(t *testing.T) {
	for _, tc := range []struct {
		name             string
		hosted, private  bool
		wantBrowserCalls int
	}{
		{"api sign-in", false, false, 0},
		{"hosted UI, private session", true, true, 0},
		{"hosted UI", true, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			hosted := fakeHostedUI(t, e.clientID, "myapp://signout")
			calls := 0
			var gotURL, gotRedirect string
			c := e.client(t, func(c *auth.Config) {
				c.HostedUI = &auth.HostedUIConfig{Domain: hosted.URL, SignOutRedirectURI: "myapp://signout"}
				c.Browser = auth.BrowserFunc(func(_ context.Context, u, redirect string) error {
					calls++
					gotURL, gotRedirect = u, redirect
					return nil
				})
			})
			e.signIn(t, c)
			if tc.hosted {
				markHostedUI(t, e, tc.private)
			}
			if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
				t.Fatal(r.Err())
			}
			if calls != tc.wantBrowserCalls {
				t.Fatalf("browser opened %d times, want %d", calls, tc.wantBrowserCalls)
			}
			if _, probes := hosted.counts(); probes != tc.wantBrowserCalls {
				t.Fatalf("hosted UI probed %d times, want %d (only when its step runs)", probes, tc.wantBrowserCalls)
			}
			if calls == 1 {
				want := hosted.URL + "/logout?client_id=" + e.clientID + "&logout_uri=myapp%3A%2F%2Fsignout"
				if gotURL != want || gotRedirect != "myapp://signout" {
					t.Fatalf("browser got %q, %q; want %q", gotURL, gotRedirect, want)
				}
			}
		})
	}
}

// Rule: user cancels the hosted-UI step → Failed (user-cancelled), tokens
// kept, still signed in, no remote step ran.
func TestSignOut_HostedUI_UserCancels(t *testing.T) {
	e := newEnv(t)
	hosted := fakeHostedUI(t, e.clientID, "myapp://signout")
	c := e.client(t, func(c *auth.Config) {
		c.HostedUI = &auth.HostedUIConfig{Domain: hosted.URL, SignOutRedirectURI: "myapp://signout"}
	})
	ev := record(c)
	s := e.signIn(t, c)
	markHostedUI(t, e, false)
	e.proxy.reset()
	cancelling := auth.BrowserFunc(func(context.Context, string, string) error { return auth.ErrUserCancelled })

	r := c.SignOut(bg(), auth.SignOutOptions{Global: true, Browser: cancelling})
	f, ok := r.(auth.FailedSignOut)
	if !ok || !errors.Is(f.Cause, auth.ErrUserCancelled) || r.SignedOutLocally() {
		t.Fatalf("SignOut = %#v, want Failed(user cancelled)", r)
	}
	var he *auth.HostedUIError
	if !errors.As(f.Cause, &he) || !strings.HasPrefix(he.URL, hosted.URL+"/logout?") {
		t.Fatalf("cause = %v, want a HostedUIError with the URL", f.Cause)
	}
	if n := len(e.proxy.ops()); n != 0 {
		t.Fatalf("remote steps ran after a cancelled hosted-UI step: %v", e.proxy.ops())
	}
	if got := e.session(t); got == nil || got.RefreshToken != s.RefreshToken {
		t.Fatal("tokens not kept")
	}
	if err := e.refreshWorks(t, s.Username, s.RefreshToken); err != nil {
		t.Fatalf("refresh token should be live: %v", err)
	}
	ev.waitFor(t, 1)
}

// Rule: the hosted-UI step has a deadline; when it passes → Failed
// (user-cancelled) within the deadline, even with a browser that ignores ctx.
func TestSignOut_HostedUI_Deadline(t *testing.T) {
	e := newEnv(t)
	hosted := fakeHostedUI(t, e.clientID, "myapp://signout")
	c := e.client(t, func(c *auth.Config) {
		c.HostedUI = &auth.HostedUIConfig{Domain: hosted.URL, SignOutRedirectURI: "myapp://signout", SignOutTimeout: 200 * time.Millisecond}
	})
	e.signIn(t, c)
	markHostedUI(t, e, false)
	block := make(chan struct{})
	defer close(block)
	stubborn := auth.BrowserFunc(func(context.Context, string, string) error { <-block; return nil })

	start := time.Now()
	r := c.SignOut(bg(), auth.SignOutOptions{Browser: stubborn})
	if took := time.Since(start); took > time.Second {
		t.Fatalf("sign-out took %v with a 200ms hosted-UI deadline", took)
	}
	f, ok := r.(auth.FailedSignOut)
	if !ok || !errors.Is(f.Cause, auth.ErrUserCancelled) || !errors.Is(f.Cause, context.DeadlineExceeded) {
		t.Fatalf("SignOut = %#v, want Failed(user cancelled, deadline)", r)
	}
	if e.session(t) == nil {
		t.Fatal("signed out despite the failed hosted-UI step")
	}
	// The per-call option overrides the configured deadline.
	start = time.Now()
	r = c.SignOut(bg(), auth.SignOutOptions{Browser: stubborn, HostedUITimeout: 50 * time.Millisecond})
	if took := time.Since(start); took > 500*time.Millisecond || r.SignedOutLocally() {
		t.Fatalf("override: took %v, result %#v", took, r)
	}
}

// Rule: the browser cannot be started → HostedUIError{URL} recorded and the
// sign-out goes on (revoke runs, local state cleared) → Partial.
func TestSignOut_HostedUI_BrowserUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		browser auth.Browser
	}{
		{"browser fails to start", auth.BrowserFunc(func(context.Context, string, string) error {
			return errors.New("exec: xdg-open: not found")
		})},
		{"loopback browser without a browser", auth.LoopbackBrowser{Open: func(string) error { return errors.New("no display") }}},
		{"browser panics", auth.BrowserFunc(func(context.Context, string, string) error { panic("oops") })},
		{"no browser at all", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			redirect := "http://127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t)) + "/out"
			hosted := fakeHostedUI(t, e.clientID, redirect)
			c := e.client(t, func(c *auth.Config) {
				c.HostedUI = &auth.HostedUIConfig{Domain: hosted.URL, SignOutRedirectURI: redirect}
			})
			s := e.signIn(t, c)
			markHostedUI(t, e, false)
			e.proxy.reset()
			r := c.SignOut(bg(), auth.SignOutOptions{Browser: tc.browser})
			p, ok := r.(auth.PartialSignOut)
			if !ok || p.HostedUIError == nil || p.RevokeTokenError != nil || p.GlobalSignOutError != nil {
				t.Fatalf("SignOut = %#v (%v), want Partial with HostedUIError only", r, r.Err())
			}
			if !strings.HasPrefix(p.HostedUIError.URL, hosted.URL+"/logout?client_id=") {
				t.Fatalf("HostedUIError.URL = %q", p.HostedUIError.URL)
			}
			if tc.browser != nil && !errors.Is(p.HostedUIError, auth.ErrBrowserUnavailable) && !strings.Contains(p.HostedUIError.Error(), "not found") {
				t.Fatalf("HostedUIError = %v", p.HostedUIError)
			}
			if !eq(e.proxy.ops(), []string{"RevokeToken"}) {
				t.Fatalf("calls = %v, want the revocation to go on", e.proxy.ops())
			}
			if e.session(t) != nil {
				t.Fatal("not signed out locally")
			}
			if err := e.refreshWorks(t, s.Username, s.RefreshToken); err == nil {
				t.Fatal("refresh token not revoked")
			}
		})
	}
}

// Rule: an unreachable hosted UI (nothing listening, or a host that never
// answers) is found out before the browser opens: the hosted-UI step becomes
// HostedUIError{URL to retry, *NetworkError}, the local session is cleared and
// the remote steps go on in order (global sign-out, then revocation) → Partial.
// It used to open the browser and wait out the whole browser deadline (two
// minutes by default), then fail with the user still signed in.
func TestSignOut_HostedUI_Unreachable_PartialWithoutBrowser(t *testing.T) {
	for name, domain := range map[string]func(t testing.TB) string{
		"connection refused": deadAddress,
		"no answer":          blackhole,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			domain := domain(t)
			const browserDeadline = 30 * time.Second
			var opened atomic.Int32
			c := e.client(t, func(c *auth.Config) {
				c.HostedUI = &auth.HostedUIConfig{Domain: domain, SignOutRedirectURI: "myapp://signout", SignOutTimeout: browserDeadline}
				// A browser that cannot load the page never comes back.
				c.Browser = auth.BrowserFunc(func(ctx context.Context, _, _ string) error {
					opened.Add(1)
					<-ctx.Done()
					return ctx.Err()
				})
			})
			ev := record(c)
			s := e.signIn(t, c)
			markHostedUI(t, e, false)
			e.proxy.reset()

			start := time.Now()
			r := c.SignOut(bg(), auth.SignOutOptions{Global: true})
			took := time.Since(start)
			p, ok := r.(auth.PartialSignOut)
			if !ok || p.HostedUIError == nil || p.GlobalSignOutError != nil || p.RevokeTokenError != nil {
				t.Fatalf("SignOut = %#v (%v), want Partial with HostedUIError only", r, r.Err())
			}
			if want := domain + "/logout?client_id=" + e.clientID + "&logout_uri=myapp%3A%2F%2Fsignout"; p.HostedUIError.URL != want {
				t.Fatalf("HostedUIError.URL = %q, want %q", p.HostedUIError.URL, want)
			}
			var ne *auth.NetworkError
			if !errors.As(p.HostedUIError, &ne) {
				t.Fatalf("HostedUIError = %v, want a NetworkError inside", p.HostedUIError)
			}
			if n := opened.Load(); n != 0 {
				t.Fatalf("the browser was opened %d times on an unreachable hosted UI", n)
			}
			if !eq(e.proxy.ops(), []string{"GlobalSignOut", "RevokeToken"}) {
				t.Fatalf("calls = %v, want the global sign-out then the revocation", e.proxy.ops())
			}
			if e.session(t) != nil || !r.SignedOutLocally() {
				t.Fatal("not signed out locally")
			}
			if err := e.refreshWorks(t, s.Username, s.RefreshToken); err == nil {
				t.Fatal("refresh token still live")
			}
			if got := ev.waitFor(t, 2); got[1] != auth.EventSignedOut {
				t.Fatalf("events = %v", got)
			}
			// The probe is bounded by Timeouts.Request (2 s here); the bound
			// only has to tell it from the browser deadline.
			if took >= browserDeadline/2 {
				t.Fatalf("sign-out took %v; the browser deadline is %v", took, browserDeadline)
			}
		})
	}
}

// Rule: 50 goroutines mixing SignOut, FetchAuthSession and SignIn under -race:
// consistent state, events strictly alternate (no double sign-out event).
func TestConcurrent_MixedOperations(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, func(c *auth.Config) { c.Timeouts.Operation = 10 * time.Second })
	ev := record(c)
	var (
		wg                  sync.WaitGroup
		mu                  sync.Mutex
		signIns, badResults int
		errs                []error
	)
	for g := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 4 {
				switch (g + i) % 3 {
				case 0:
					r, err := c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{})
					mu.Lock()
					switch {
					case err == nil && r.SignedIn:
						signIns++
					case errors.Is(err, auth.ErrInvalidState):
					default:
						errs = append(errs, err)
					}
					mu.Unlock()
				case 1:
					r := c.SignOut(bg(), auth.SignOutOptions{Global: g%2 == 0})
					if _, ok := r.(auth.CompleteSignOut); !ok {
						mu.Lock()
						badResults++
						errs = append(errs, r.Err())
						mu.Unlock()
					}
				case 2:
					s, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: i%2 == 0})
					if err != nil || (s.SignedIn && s.Tokens.AccessToken == "") {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 || badResults > 0 {
		t.Fatalf("%d unexpected errors, first: %v", len(errs), errs[0])
	}
	signedIn := e.session(t) != nil
	signOuts := signIns
	if signedIn {
		signOuts--
	}
	got := ev.waitFor(t, signIns+signOuts)
	for i, typ := range got {
		want := auth.EventSignedIn
		if i%2 == 1 {
			want = auth.EventSignedOut
		}
		if typ != want {
			t.Fatalf("event %d = %s, want %s (events %v)", i, typ, want, got)
		}
	}
	if signIns == 0 {
		t.Fatal("no sign-in succeeded")
	}
	t.Logf("%d sign-ins, %d sign-outs, signed in at the end: %v", signIns, signOuts, signedIn)
}

// Rule (credential store): the file store survives a new client instance (a
// restart) and is empty after sign-out.
func TestFileStore_SurvivesRestart_EmptyAfterSignOut(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	fs, err := credstore.NewFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	e.store = fs
	c1 := e.client(t)
	s := e.signIn(t, c1)

	fs2, err := credstore.NewFile(dir) // a new process would do this
	if err != nil {
		t.Fatal(err)
	}
	c2 := e.client(t, func(c *auth.Config) { c.Store = fs2 })
	u, err := c2.CurrentUser(bg())
	if err != nil || u.Username != testUser || u.UserID != s.UserSub {
		t.Fatalf("CurrentUser after restart = %+v, %v", u, err)
	}
	as, err := c2.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{})
	if err != nil || !as.SignedIn || as.Tokens.RefreshToken != s.RefreshToken {
		t.Fatalf("FetchAuthSession after restart = %v, %v", as, err)
	}
	if r := c2.SignOut(bg(), auth.SignOutOptions{}); r != (auth.CompleteSignOut{}) {
		t.Fatalf("SignOut = %#v (%v)", r, r.Err())
	}
	rec, err := fs2.Load(e.key())
	if err != nil || rec.Session != nil {
		t.Fatalf("store after sign-out: %v, %v", rec.Session, err)
	}
	entries, _ := readDir(dir)
	if len(entries) != 0 {
		t.Fatalf("files left after sign-out: %v", entries)
	}
	// The first instance sees the sign-out too.
	if _, err := c1.CurrentUser(bg()); !errors.Is(err, auth.ErrNotSignedIn) {
		t.Fatalf("first instance CurrentUser: %v", err)
	}
}

// Server guarantee relied on by the SDK: RevokeToken ends one session only; the
// same user's other sessions keep working.
func TestSignOut_RevokeLeavesOtherSessions(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	e.signIn(t, c)
	other := &env{srv: e.srv, proxy: e.proxy, poolID: e.poolID, clientID: e.clientID, store: credstore.NewMemory()}
	oc := other.client(t)
	os := other.signIn(t, oc)
	if r := c.SignOut(bg(), auth.SignOutOptions{}); r != (auth.CompleteSignOut{}) {
		t.Fatalf("SignOut = %#v (%v)", r, r.Err())
	}
	if err := e.refreshWorks(t, os.Username, os.RefreshToken); err != nil {
		t.Fatalf("other session's refresh token: %v", err)
	}
	if err := e.accessWorks(t, os.AccessToken); err != nil {
		t.Fatalf("other session's access token: %v", err)
	}
}

// Server guarantee: a sign-in right after a global sign-out is valid (no
// one-second race), and the SDK can use it at once.
func TestSignOut_Global_ThenSignInImmediately(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	for i := range 3 {
		e.signIn(t, c)
		if r := c.SignOut(bg(), auth.SignOutOptions{Global: true}); r != (auth.CompleteSignOut{}) {
			t.Fatalf("round %d: SignOut = %#v (%v)", i, r, r.Err())
		}
		s := e.signIn(t, c)
		if err := e.accessWorks(t, s.AccessToken); err != nil {
			t.Fatalf("round %d: fresh access token rejected: %v", i, err)
		}
		if _, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true}); err != nil {
			t.Fatalf("round %d: fresh refresh token rejected: %v", i, err)
		}
		if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
			t.Fatal(r.Err())
		}
	}
}
