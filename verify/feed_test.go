package verify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/faultproxy"
	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/message"
)

// revocationLimit is how soon a revocation must reach the verifier.
const revocationLimit = time.Second

// waitFollowing waits until the verifier has its first snapshot.
func waitFollowing(t testing.TB, v *Verifier) {
	t.Helper()
	select {
	case <-v.feed.ready:
	case <-time.After(10 * time.Second):
		t.Fatal("no feed snapshot within 10 s")
	}
}

func TestFeedRevocationsReachTheVerifier(t *testing.T) {
	s := testserver.Start(t)
	ctx := context.Background()
	cases := map[string]func(t *testing.T, e env, tok tokens){
		"RevokeToken": func(t *testing.T, e env, tok tokens) {
			if _, err := e.srv.Admin.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(e.client),
				Token: aws.String(tok.refresh)}); err != nil {
				t.Fatal(err)
			}
		},
		"GlobalSignOut": func(t *testing.T, e env, tok tokens) {
			if _, err := e.srv.Admin.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(tok.access)}); err != nil {
				t.Fatal(err)
			}
		},
		"AdminUserGlobalSignOut": func(t *testing.T, e env, tok tokens) {
			if _, err := e.srv.Admin.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{
				UserPoolId: aws.String(e.pool), Username: aws.String(e.user)}); err != nil {
				t.Fatal(err)
			}
		},
		"AdminDisableUser": func(t *testing.T, e env, tok tokens) {
			if _, err := e.srv.Admin.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(e.pool),
				Username: aws.String(e.user)}); err != nil {
				t.Fatal(err)
			}
		},
		"AdminDeleteUser": func(t *testing.T, e env, tok tokens) {
			if _, err := e.srv.Admin.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(e.pool),
				Username: aws.String(e.user)}); err != nil {
				t.Fatal(err)
			}
		},
		"ConfirmForgotPassword": func(t *testing.T, e env, tok tokens) {
			if _, err := e.srv.Admin.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
				UserPoolId: aws.String(e.pool), Username: aws.String(e.user),
				UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.srv.Admin.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(e.client),
				Username: aws.String(e.user)}); err != nil {
				t.Fatal(err)
			}
			var code string
			for _, m := range e.srv.Outbox.List(e.pool, e.user+"@example.com") {
				if m.Kind == message.KindForgotPassword {
					code = m.Code
					break
				}
			}
			if _, err := e.srv.Admin.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(e.client),
				Username: aws.String(e.user), ConfirmationCode: aws.String(code), Password: aws.String(testPassword + "2")}); err != nil {
				t.Fatal(err)
			}
		},
		"DeleteUserPoolClient": func(t *testing.T, e env, tok tokens) {
			if _, err := e.srv.Admin.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(e.pool),
				ClientId: aws.String(e.client)}); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, revoke := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnvOn(t, s)
			requireFeed(t, e)
			v := e.newVerifier(t, Config{Feed: FeedRequired, TokenUse: AnyToken})
			waitFollowing(t, v)
			tok := e.signIn(t)
			// A sign-in from before: the revocation must not spare it
			// (global sign-outs) nor, for RevokeToken, touch it.
			earlier := e.signIn(t)
			mustVerify(t, v, tok.access)
			mustVerify(t, v, tok.id)
			mustVerify(t, v, earlier.access)
			revoke(t, e, tok)
			took := eventually(t, v, tok.access, ErrRevoked, revocationLimit)
			eventually(t, v, tok.id, ErrRevoked, revocationLimit)
			t.Logf("%s reached the verifier in %v", name, took)
			_, err := v.Verify(ctx, earlier.access)
			if name == "RevokeToken" {
				if err != nil {
					t.Fatalf("revoking one sign-in ended another: %v", err)
				}
			} else if !errors.Is(err, ErrRevoked) {
				t.Fatalf("the earlier sign-in survived %s: %v", name, err)
			}
			if name == "ConfirmForgotPassword" {
				mustVerify(t, v, e.signInWith(t, testPassword+"2").access)
			}
			if name == "GlobalSignOut" || name == "AdminUserGlobalSignOut" {
				// A sign-in after the sign-out is live.
				mustVerify(t, v, e.signIn(t).access)
			}
		})
	}
}

func TestFeedResumesAfterADroppedConnection(t *testing.T) {
	e := newEnv(t)
	requireFeed(t, e)
	u, _ := url.Parse(e.srv.URL)
	proxy := faultproxy.New(t, u.Host)
	counter := &countingTransport{}
	v := e.newVerifier(t, Config{Feed: FeedRequired, HTTPClient: feedThroughCounting(proxy, counter)})
	waitFollowing(t, v)
	first, second, third := e.signIn(t), e.signIn(t), e.signIn(t)
	mustVerify(t, v, first.access)

	// Cut the stream; the verifier reconnects by itself.
	proxy.Cut()
	revokeRefresh(t, e, first.refresh)
	eventually(t, v, first.access, ErrRevoked, 3*time.Second)

	// A revocation made while the feed is unreachable arrives on reconnection.
	proxy.Down()
	revokeRefresh(t, e, second.refresh)
	time.Sleep(300 * time.Millisecond)
	mustVerify(t, v, second.access) // MaxStaleness 0: the last known state
	proxy.Restore()
	eventually(t, v, second.access, ErrRevoked, 15*time.Second)
	mustVerify(t, v, third.access)
	revokeRefresh(t, e, third.refresh)
	eventually(t, v, third.access, ErrRevoked, revocationLimit)
	// Resumed after the last event each time, never from a new snapshot.
	if n := counter.count("/revocations/snapshot"); n != 1 {
		t.Fatalf("%d snapshots, want 1", n)
	}
	if n := counter.count("/revocations"); n < 3 {
		t.Fatalf("%d stream requests, want at least 3 (two reconnections)", n)
	}
}

func TestFeedResumesAfterAServerRestart(t *testing.T) {
	dir := t.TempDir()
	s := testserver.StartWith(t, testserver.Options{Dir: dir})
	e := newEnvOn(t, s)
	requireFeed(t, e)
	counter := &countingTransport{}
	v := e.newVerifier(t, Config{Feed: FeedRequired, HTTPClient: &http.Client{Transport: counter}})
	waitFollowing(t, v)
	first, second := e.signIn(t), e.signIn(t)
	revokeRefresh(t, e, first.refresh)
	eventually(t, v, first.access, ErrRevoked, revocationLimit)

	addr := s.URL[len("http://"):]
	s.Stop()
	mustVerify(t, v, second.access) // the last known state, while the server is away
	s2 := testserver.StartWith(t, testserver.Options{Dir: dir, Addr: addr})
	e.srv = s2
	// The verifier reconnects on its own (backoff under a few seconds)
	// and resumes after the last event it saw.
	time.Sleep(200 * time.Millisecond)
	revokeRefresh(t, e, second.refresh)
	eventually(t, v, second.access, ErrRevoked, 12*time.Second)
	if _, err := v.Verify(context.Background(), first.access); !errors.Is(err, ErrRevoked) {
		t.Fatalf("an earlier revocation was forgotten across the restart: %v", err)
	}
	third := e.signIn(t)
	mustVerify(t, v, third.access)
	revokeRefresh(t, e, third.refresh)
	eventually(t, v, third.access, ErrRevoked, revocationLimit)
	// The same database: the feed resumed where it was, without a snapshot.
	if n := counter.count("/revocations/snapshot"); n != 1 {
		t.Fatalf("%d snapshots, want 1", n)
	}
}

func TestFeedMaxStaleness(t *testing.T) {
	e := newEnv(t)
	requireFeed(t, e)
	u, _ := url.Parse(e.srv.URL)
	proxy := faultproxy.New(t, u.Host)
	v := e.newVerifier(t, Config{Feed: FeedRequired, MaxStaleness: 500 * time.Millisecond, HTTPClient: feedThrough(proxy)})
	waitFollowing(t, v)
	tok := e.signIn(t)
	mustVerify(t, v, tok.access)
	proxy.Down()
	eventually(t, v, tok.access, ErrStale, 3*time.Second)
	// The middleware cannot decide: 503, not a verdict on the token.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok.access)
	v.Middleware(http.NotFoundHandler()).ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("the middleware with a stale view: %d %v", rec.Code, rec.Header())
	}
	proxy.Restore()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := v.Verify(context.Background(), tok.access); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("still refused after the feed came back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFeedRequiredRefusesUntilTheFirstSnapshot(t *testing.T) {
	e := newEnv(t)
	u, _ := url.Parse(e.srv.URL)
	proxy := faultproxy.New(t, u.Host)
	proxy.Down()
	tok := e.signIn(t)
	v := e.newVerifier(t, Config{Feed: FeedRequired, InitialWait: 300 * time.Millisecond, HTTPClient: feedThrough(proxy)})
	start := time.Now()
	if _, err := v.Verify(context.Background(), tok.access); !errors.Is(err, ErrStale) {
		t.Fatalf("FeedRequired without a snapshot: %v", err)
	}
	if took := time.Since(start); took < 250*time.Millisecond || took > 3*time.Second {
		t.Fatalf("the first Verify waited %v, want about InitialWait", took)
	}
	// Auto keeps the last known state (none) and checks the signature.
	auto := e.newVerifier(t, Config{InitialWait: 100 * time.Millisecond, HTTPClient: feedThrough(proxy)})
	mustVerify(t, auto, tok.access)
}

func TestFeedAutoWithoutAFeedChecksSignaturesOnly(t *testing.T) {
	// An issuer that answers 404 to the feed (not Cognate, or an older one).
	e := newEnv(t)
	counter := &countingTransport{}
	noFeed := &http.Client{Transport: splitTransport{feed: notFound{counter}, rest: http.DefaultTransport}}
	v := e.newVerifier(t, Config{HTTPClient: noFeed})
	tok := e.signIn(t)
	mustVerify(t, v, tok.access)
	revokeRefresh(t, e, tok.refresh)
	time.Sleep(200 * time.Millisecond)
	mustVerify(t, v, tok.access) // signatures only: the revocation is not seen
	if n := counter.count("/revocations/snapshot"); n != 1 {
		t.Fatalf("%d snapshot requests, want 1 (auto gives up on a 404)", n)
	}
	// FeedRequired does not give up: it refuses.
	req := e.newVerifier(t, Config{Feed: FeedRequired, HTTPClient: noFeed, InitialWait: 100 * time.Millisecond})
	if _, err := req.Verify(context.Background(), tok.access); !errors.Is(err, ErrStale) {
		t.Fatalf("FeedRequired without a feed: %v", err)
	}
}

// notFound answers 404 to every request, counting them.
type notFound struct{ counter *countingTransport }

func (n notFound) RoundTrip(r *http.Request) (*http.Response, error) {
	n.counter.mu.Lock()
	if n.counter.counts == nil {
		n.counter.counts = map[string]int{}
	}
	n.counter.counts[r.URL.Path]++
	n.counter.mu.Unlock()
	return &http.Response{StatusCode: http.StatusNotFound, Status: "404 Not Found", Header: http.Header{},
		Body: http.NoBody, Request: r}, nil
}

func revokeRefresh(t testing.TB, e env, refresh string) {
	t.Helper()
	in := &cip.RevokeTokenInput{ClientId: aws.String(e.client), Token: aws.String(refresh)}
	if e.secret != "" {
		in.ClientSecret = aws.String(e.secret)
	}
	if _, err := e.srv.Admin.RevokeToken(context.Background(), in); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
}

// TestFeedNewSnapshotAfterTheDatabaseIsReplaced: the server comes back on
// another database (the same pool id, fixed with Cognate's cognate:pool-id
// tag): its feed is behind the verifier's position, answers 410, and the
// verifier takes a new snapshot and follows the new feed.
func TestFeedNewSnapshotAfterTheDatabaseIsReplaced(t *testing.T) {
	const poolID = "us-east-1_Replaced01"
	start := func(addr string) (*testserver.Server, env) {
		s := testserver.StartWith(t, testserver.Options{Addr: addr})
		if _, err := s.Admin.CreateUserPool(context.Background(), &cip.CreateUserPoolInput{PoolName: aws.String("p"),
			UserPoolTags: map[string]string{"cognate:pool-id": poolID}}); err != nil {
			t.Fatal(err)
		}
		e := env{srv: s, pool: poolID, client: newClient(t, env{srv: s, pool: poolID}), user: "alice"}
		s.NewUser(t, poolID, "alice", testPassword)
		return s, e
	}
	s1, e := start("")
	requireFeed(t, e)
	counter := &countingTransport{}
	v := e.newVerifier(t, Config{Feed: FeedRequired, ClientIDs: []string{}, JWKSRefetchInterval: 50 * time.Millisecond,
		HTTPClient: &http.Client{Transport: counter}})
	waitFollowing(t, v)
	for range 3 { // the old feed reaches seq 3
		tok := e.signIn(t)
		revokeRefresh(t, e, tok.refresh)
		eventually(t, v, tok.access, ErrRevoked, revocationLimit)
	}
	addr := s1.URL[len("http://"):]
	s1.Stop()
	_, e2 := start(addr)
	// Following the new feed: a new snapshot, and a stream open on it.
	deadline := time.Now().Add(15 * time.Second)
	for counter.count("/revocations/snapshot") < 2 || !streaming(v) {
		if time.Now().After(deadline) {
			t.Fatalf("not following the new feed: %d snapshots", counter.count("/revocations/snapshot"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	tok := e2.signIn(t)
	time.Sleep(60 * time.Millisecond) // past the JWKS refetch interval: the new server's keys
	mustVerify(t, v, tok.access)
	revokeRefresh(t, e2, tok.refresh)
	eventually(t, v, tok.access, ErrRevoked, revocationLimit)
}

// streaming reports whether the verifier has a feed stream open.
func streaming(v *Verifier) bool {
	v.feed.mu.RLock()
	defer v.feed.mu.RUnlock()
	return v.feed.connected
}

// TestFeedWithoutTokenRevocation: a client with EnableTokenRevocation off
// mints tokens without origin_jti; event_id names the family, and a global
// sign-out still reaches the verifier.
func TestFeedWithoutTokenRevocation(t *testing.T) {
	e := newEnv(t, testserver.WithoutRevocation())
	requireFeed(t, e)
	v := e.newVerifier(t, Config{Feed: FeedRequired})
	waitFollowing(t, v)
	tok := e.signIn(t)
	c := mustVerify(t, v, tok.access)
	if c.OriginJTI != "" || c.EventID == "" || c.Family() != c.EventID {
		t.Fatalf("claims: origin_jti %q, event_id %q", c.OriginJTI, c.EventID)
	}
	if _, err := e.srv.Admin.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String(tok.access)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, v, tok.access, ErrRevoked, revocationLimit)
	mustVerify(t, v, e.signIn(t).access)
}

// TestFeedBusyServer: a server holding as many streams as it may answers
// 503 with Retry-After; the verifier waits as asked, keeps its last known
// state meanwhile, and catches up once a stream is free.
func TestFeedBusyServer(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{FeedMaxStreams: 1})
	e := newEnvOn(t, s)
	requireFeed(t, e)
	first := e.newVerifier(t, Config{Feed: FeedRequired})
	waitFollowing(t, first)
	for !streaming(first) {
		time.Sleep(10 * time.Millisecond)
	}
	counter := &countingTransport{}
	second := e.newVerifier(t, Config{Feed: FeedRequired, HTTPClient: &http.Client{Transport: counter}})
	waitFollowing(t, second)
	tok := e.signIn(t)
	revokeRefresh(t, e, tok.refresh)
	eventually(t, first, tok.access, ErrRevoked, revocationLimit)
	mustVerify(t, second, tok.access) // no stream yet: the last known state
	time.Sleep(2500 * time.Millisecond)
	if n := counter.count("/revocations"); n < 2 || n > 4 {
		t.Fatalf("%d stream attempts in 2.5 s against Retry-After: 1, want 2 to 4", n)
	}
	first.Close()
	eventually(t, second, tok.access, ErrRevoked, 5*time.Second)
}
