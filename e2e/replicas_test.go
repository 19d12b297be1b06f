package e2e

// TestReplicas runs the real cognate binary twice on one PostgreSQL
// database, as two replicas behind a load balancer: both are started with
// the load balancer's address as --public-url (the issuer of their tokens)
// and listen on addresses of their own, and the test talks to each one
// directly with aws-sdk-go-v2 and a browser-like HTTP client. Everything a
// client may do on one replica must hold on the other at once: pools,
// clients, keys and tokens are shared; revocations, sign-outs, disables,
// throttles, one-time codes, SRP challenges, authorization codes and
// refresh-token rotation are decided in the database, not in a replica's
// memory. The last subtest hammers both replicas concurrently and checks
// that no acknowledged revocation or global sign-out was ever undone.
//
// It needs PostgreSQL (COGNATE_TEST_POSTGRES_URL): it skips without it, and
// fails when COGNATE_REQUIRE_POSTGRES=1. Under -race the replicas are built
// with the race detector too, and a race report in either fails the test.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/srp"
	"github.com/cognate-dev/cognate/userpool"
)

// replicaBinary is the cognate binary the replicas run: built with -race
// when this test binary is.
var replicaBinary = sync.OnceValues(func() (string, error) {
	if !raceEnabled {
		return realBinary()
	}
	dir, err := os.MkdirTemp("", "cognate-race-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "cognate")
	out, err := exec.Command("go", "build", "-race", "-o", bin, "github.com/cognate-dev/cognate/cmd/cognate").CombinedOutput()
	if err != nil {
		return "", &buildError{string(out), err}
	}
	return bin, nil
})

// cluster is two replicas on one database behind a round-robin load
// balancer whose URL is their public URL.
type cluster struct {
	a, b   *process
	lb     *httptest.Server
	calls  *callLog
	ca, cb *cip.Client // SDK clients aimed at a and b directly, without retries
}

// callLog counts the HTTP answers the SDK clients got: any 5xx, or a
// request that got no answer, fails the test.
type callLog struct {
	base http.RoundTripper
	mu   sync.Mutex
	bad  []string
	n    atomic.Int64
}

func (l *callLog) RoundTrip(r *http.Request) (*http.Response, error) {
	target := r.Header.Get("X-Amz-Target")
	res, err := l.base.RoundTrip(r)
	l.n.Add(1)
	switch {
	case err != nil:
		l.record(fmt.Sprintf("%s %s: no answer: %v", r.URL.Host, target, err))
	case res.StatusCode >= 500:
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		res.Body = io.NopCloser(bytes.NewReader(b))
		l.record(fmt.Sprintf("%s %s: %d %s", r.URL.Host, target, res.StatusCode, b))
	}
	return res, err
}

func (l *callLog) record(s string) {
	l.mu.Lock()
	l.bad = append(l.bad, s)
	l.mu.Unlock()
}

func (l *callLog) failures() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.bad...)
}

func (c *cluster) client(url string) *cip.Client {
	return cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: aws.AnonymousCredentials{},
		RetryMaxAttempts: 1, HTTPClient: &http.Client{Transport: c.calls, Timeout: time.Minute}})
}

// startCluster starts the load balancer, then both replicas on dsn with
// its URL as their public URL.
func startCluster(t *testing.T, dsn string) *cluster {
	t.Helper()
	bin, err := replicaBinary()
	if err != nil {
		t.Fatal(err)
	}
	var backends atomic.Pointer[[2]*url.URL]
	var next atomic.Uint64
	lb := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		be := backends.Load()
		r.SetURL(be[next.Add(1)%2])
		r.SetXForwarded()
	}})
	t.Cleanup(lb.Close)
	args := []string{"--db", dsn, "--public-url", lb.URL,
		// Lockouts long enough that a loaded machine cannot outwait them
		// between two requests, and no per-address limit between the
		// subtests (all of them come from 127.0.0.1).
		"--signin-first-lockout", "1m", "--signin-per-address", "100000",
		"--hash-queue-timeout", "1m", "--shutdown-grace", "10s"}
	c := &cluster{lb: lb, calls: &callLog{base: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}}}
	c.a = startReplica(t, bin, args...)
	c.b = startReplica(t, bin, args...)
	ua, _ := url.Parse(c.a.url)
	ub, _ := url.Parse(c.b.url)
	backends.Store(&[2]*url.URL{ua, ub})
	c.ca, c.cb = c.client(c.a.url), c.client(c.b.url)
	return c
}

// startReplica runs `cognate serve` from bin on a free loopback port and
// its own data directory, and waits until it listens.
func startReplica(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs.WriteString(line + "\n")
			p.mu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() { p.done <- cmd.Wait() }()
	select {
	case a := <-addr:
		p.url = "http://" + a
	case err := <-p.done:
		t.Fatalf("cognate exited before listening: %v\n%s", err, p.log())
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("cognate did not start\n%s", p.log())
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

// get fetches url and returns its status and body.
func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// outboxCodeAt reads the newest code of kind for username from the dev
// outbox of the replica at url (each replica keeps the messages it sent).
func outboxCodeAt(t *testing.T, url, poolID, username string, kind message.Kind) (string, bool) {
	t.Helper()
	status, body := httpGet(t, url+"/_dev/outbox?poolId="+poolID)
	if status != http.StatusOK {
		t.Fatalf("%s/_dev/outbox: %d %s", url, status, body)
	}
	var out struct {
		Messages []struct {
			Username string `json:"username"`
			Kind     string `json:"kind"`
			Code     string `json:"code"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("outbox: %v: %s", err, body)
	}
	for _, m := range out.Messages { // newest first
		if m.Username == username && m.Kind == string(kind) && m.Code != "" {
			return m.Code, true
		}
	}
	return "", false
}

// wrongCodes returns n six-digit codes other than code.
func wrongCodes(code string, n int) []string {
	var w []string
	for i := 0; len(w) < n; i++ {
		if g := fmt.Sprintf("%06d", (i*7919+12345)%1000000); g != code {
			w = append(w, g)
		}
	}
	return w
}

func TestReplicas(t *testing.T) {
	dsn := testserver.PostgresDSN(t)
	c := startCluster(t, dsn)
	A, B := testserver.Remote(c.a.url), testserver.Remote(c.b.url)
	ca, cb := c.ca, c.cb

	t.Run("PoolClientKeysAndTokensShared", func(t *testing.T) {
		pool, client, _ := A.NewPool(t)
		A.NewUser(t, pool, "ann", password)
		d, err := cb.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: &pool})
		if err != nil || aws.ToString(d.UserPool.Name) != "test-pool" {
			t.Fatalf("DescribeUserPool on B of a pool created on A: %v", err)
		}
		if _, err := cb.DescribeUserPoolClient(bg, &cip.DescribeUserPoolClientInput{UserPoolId: &pool, ClientId: &client}); err != nil {
			t.Fatalf("DescribeUserPoolClient on B: %v", err)
		}
		u, err := cb.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &pool, Username: aws.String("ann")})
		if err != nil || u.UserStatus != types.UserStatusTypeConfirmed {
			t.Fatalf("AdminGetUser on B: %v %v", u, err)
		}

		// One key set: the JWKS is byte for byte the same on both
		// replicas and through the load balancer, and so is the
		// discovery document, which names the public URL.
		jwks := map[string][]byte{}
		disc := map[string][]byte{}
		for name, base := range map[string]string{"A": c.a.url, "B": c.b.url, "LB": c.lb.URL} {
			status, body := httpGet(t, base+"/"+pool+"/.well-known/jwks.json")
			if status != 200 {
				t.Fatalf("JWKS on %s: %d %s", name, status, body)
			}
			jwks[name] = body
			status, body = httpGet(t, base+"/"+pool+"/.well-known/openid-configuration")
			if status != 200 {
				t.Fatalf("discovery on %s: %d %s", name, status, body)
			}
			disc[name] = body
		}
		if !bytes.Equal(jwks["A"], jwks["B"]) || !bytes.Equal(jwks["A"], jwks["LB"]) {
			t.Fatalf("JWKS differ:\nA:  %s\nB:  %s\nLB: %s", jwks["A"], jwks["B"], jwks["LB"])
		}
		var set struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		if err := json.Unmarshal(jwks["A"], &set); err != nil || len(set.Keys) == 0 {
			t.Fatalf("JWKS %s: %v, want keys", jwks["A"], err)
		}
		if !bytes.Equal(disc["A"], disc["B"]) {
			t.Fatalf("discovery documents differ:\nA: %s\nB: %s", disc["A"], disc["B"])
		}
		var dd struct {
			Issuer string `json:"issuer"`
		}
		if err := json.Unmarshal(disc["A"], &dd); err != nil || dd.Issuer != c.lb.URL+"/"+pool {
			t.Fatalf("discovery issuer %q (%v), want the public URL %s/%s", dd.Issuer, err, c.lb.URL, pool)
		}

		// A token minted by A verifies on B, and one minted by B on A.
		ta := signIn(t, ca, client, "ann", password).AuthenticationResult
		if iss := claims(t, *ta.AccessToken)["iss"]; iss != c.lb.URL+"/"+pool {
			t.Fatalf("iss = %v, want %s/%s", iss, c.lb.URL, pool)
		}
		kid := func(jwt string) string {
			h, _ := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
			var hd struct {
				Kid string `json:"kid"`
			}
			_ = json.Unmarshal(h, &hd)
			return hd.Kid
		}
		found := false
		for _, k := range set.Keys {
			found = found || k.Kid == kid(*ta.AccessToken)
		}
		if !found {
			t.Fatalf("A signed with kid %q, not in the shared JWKS %s", kid(*ta.AccessToken), jwks["B"])
		}
		if g, err := getUser(cb, *ta.AccessToken); err != nil || aws.ToString(g.Username) != "ann" {
			t.Fatalf("GetUser on B with A's token: %v", err)
		}
		tb := signIn(t, cb, client, "ann", password).AuthenticationResult
		if _, err := getUser(ca, *tb.AccessToken); err != nil {
			t.Fatalf("GetUser on A with B's token: %v", err)
		}
		// A's refresh token refreshes on B, and the result verifies on A.
		r, err := refresh(cb, client, *ta.RefreshToken)
		if err != nil {
			t.Fatalf("refresh on B of A's sign-in: %v", err)
		}
		if claims(t, *r.AuthenticationResult.AccessToken)["origin_jti"] != claims(t, *ta.AccessToken)["origin_jti"] {
			t.Fatal("the refresh on B started another token family")
		}
		if _, err := getUser(ca, *r.AuthenticationResult.AccessToken); err != nil {
			t.Fatalf("GetUser on A with B's refreshed token: %v", err)
		}
	})

	t.Run("RevokeTokenOnBRefusedOnA", func(t *testing.T) {
		pool, client, _ := A.NewPool(t)
		A.NewUser(t, pool, "ben", password)
		t1 := signIn(t, ca, client, "ben", password).AuthenticationResult
		other := signIn(t, cb, client, "ben", password).AuthenticationResult
		// A has verified (and cached) the access token before the revocation.
		if _, err := getUser(ca, *t1.AccessToken); err != nil {
			t.Fatal(err)
		}
		r, err := refresh(cb, client, *t1.RefreshToken)
		if err != nil {
			t.Fatalf("refresh on B: %v", err)
		}
		t2 := r.AuthenticationResult
		if _, err := getUser(ca, *t2.AccessToken); err != nil {
			t.Fatal(err)
		}
		if _, err := cb.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &client, Token: t1.RefreshToken}); err != nil {
			t.Fatalf("RevokeToken on B: %v", err)
		}
		// The very next requests, on A.
		_, err = refresh(ca, client, *t1.RefreshToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
		_, err = getUser(ca, *t1.AccessToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
		_, err = getUser(ca, *t2.AccessToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
		_, err = getUser(cb, *t2.AccessToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
		// RevokeToken ends one family: the user's other session lives on.
		if _, err := getUser(ca, *other.AccessToken); err != nil {
			t.Fatalf("another session after RevokeToken: %v", err)
		}
		if _, err := refresh(ca, client, *other.RefreshToken); err != nil {
			t.Fatalf("refresh of another session after RevokeToken: %v", err)
		}
	})

	t.Run("GlobalSignOutOnARefusedOnB", func(t *testing.T) {
		pool, client, _ := A.NewPool(t)
		A.NewUser(t, pool, "cat", password)
		A.NewUser(t, pool, "cid", password)
		var sessions []*types.AuthenticationResultType
		for i := range 4 {
			sessions = append(sessions, signIn(t, []*cip.Client{ca, cb}[i%2], client, "cat", password).AuthenticationResult)
		}
		bystander := signIn(t, ca, client, "cid", password).AuthenticationResult
		for _, s := range sessions {
			if _, err := getUser(cb, *s.AccessToken); err != nil { // cached on B
				t.Fatal(err)
			}
		}
		if _, err := ca.GlobalSignOut(bg, &cip.GlobalSignOutInput{AccessToken: sessions[0].AccessToken}); err != nil {
			t.Fatalf("GlobalSignOut on A: %v", err)
		}
		for i, s := range sessions {
			_, err := getUser(cb, *s.AccessToken)
			wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
			_, err = refresh(cb, client, *s.RefreshToken)
			wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
			_, err = refresh(ca, client, *s.RefreshToken)
			wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
			_ = i
		}
		if _, err := getUser(cb, *bystander.AccessToken); err != nil {
			t.Fatalf("another user's session after GlobalSignOut: %v", err)
		}
		// Signing in again works, on either replica.
		again := signIn(t, cb, client, "cat", password).AuthenticationResult
		if _, err := getUser(ca, *again.AccessToken); err != nil {
			t.Fatalf("a new session after GlobalSignOut: %v", err)
		}
		// AdminUserGlobalSignOut on B ends it on A.
		if _, err := cb.AdminUserGlobalSignOut(bg, &cip.AdminUserGlobalSignOutInput{UserPoolId: &pool, Username: aws.String("cat")}); err != nil {
			t.Fatal(err)
		}
		_, err := getUser(ca, *again.AccessToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
		_, err = refresh(ca, client, *again.RefreshToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
	})

	t.Run("AdminDisableUserOnBRefusedOnA", func(t *testing.T) {
		pool, client, _ := A.NewPool(t)
		A.NewUser(t, pool, "dan", password)
		s1 := signIn(t, ca, client, "dan", password).AuthenticationResult
		s2 := signIn(t, cb, client, "dan", password).AuthenticationResult
		if _, err := getUser(ca, *s2.AccessToken); err != nil {
			t.Fatal(err)
		}
		if _, err := cb.AdminDisableUser(bg, &cip.AdminDisableUserInput{UserPoolId: &pool, Username: aws.String("dan")}); err != nil {
			t.Fatal(err)
		}
		// A disable ends every session (it moves the sign-out generation on).
		for _, s := range []*types.AuthenticationResultType{s1, s2} {
			_, err := getUser(ca, *s.AccessToken)
			wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
			_, err = refresh(ca, client, *s.RefreshToken)
			wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
		}
		_, err := ca.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &client,
			AuthParameters: map[string]string{"USERNAME": "dan", "PASSWORD": password}})
		wantAPIError[*types.NotAuthorizedException](t, err, "User is disabled.")
		if _, err := ca.AdminEnableUser(bg, &cip.AdminEnableUserInput{UserPoolId: &pool, Username: aws.String("dan")}); err != nil {
			t.Fatal(err)
		}
		s3 := signIn(t, cb, client, "dan", password).AuthenticationResult
		if _, err := getUser(ca, *s3.AccessToken); err != nil {
			t.Fatalf("after AdminEnableUser on A: %v", err)
		}
		// Re-enabling does not bring the old sessions back.
		_, err = refresh(cb, client, *s1.RefreshToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
	})

	t.Run("ChangePasswordOnAKeepsSessionsOnB", func(t *testing.T) {
		// Cognito's ChangePassword keeps the user's sessions (only a
		// password reset or a global sign-out ends them); so does Cognate's.
		pool, client, _ := A.NewPool(t)
		A.NewUser(t, pool, "eve", password)
		s1 := signIn(t, cb, client, "eve", password).AuthenticationResult
		const changed = "Changed-Passw0rd!"
		if _, err := ca.ChangePassword(bg, &cip.ChangePasswordInput{AccessToken: s1.AccessToken,
			PreviousPassword: aws.String(password), ProposedPassword: aws.String(changed)}); err != nil {
			t.Fatalf("ChangePassword on A: %v", err)
		}
		_, err := cb.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &client,
			AuthParameters: map[string]string{"USERNAME": "eve", "PASSWORD": password}})
		wantAPIError[*types.NotAuthorizedException](t, err, "Incorrect username or password.")
		signIn(t, cb, client, "eve", changed)
		if _, err := getUser(cb, *s1.AccessToken); err != nil {
			t.Fatalf("the session that changed the password, on B: %v", err)
		}
		if _, err := refresh(cb, client, *s1.RefreshToken); err != nil {
			t.Fatalf("refresh on B after ChangePassword: %v", err)
		}
		// SRP takes the new verifier on B too.
		cl, ch := srpChallenge(t, ca, client, pool, "eve")
		if _, err := cb.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &client,
			ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: srpAnswer(t, cl, pool, changed, ch, time.Now())}); err != nil {
			t.Fatalf("SRP with the new password: %v", err)
		}
	})

	t.Run("SRPStepsOnDifferentReplicas", func(t *testing.T) {
		pool, client, _ := A.NewPool(t)
		A.NewUser(t, pool, "fay", password)
		respond := func(c *cip.Client, ans map[string]string) (*cip.RespondToAuthChallengeOutput, error) {
			return c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &client,
				ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: ans})
		}
		cl, ch := srpChallenge(t, ca, client, pool, "fay") // step 1 on A
		ans := srpAnswer(t, cl, pool, password, ch, time.Now())
		out, err := respond(cb, ans) // step 2 on B
		if err != nil {
			t.Fatalf("RespondToAuthChallenge on B to A's challenge: %v", err)
		}
		if out.AuthenticationResult == nil || out.AuthenticationResult.RefreshToken == nil {
			t.Fatal("no tokens")
		}
		if _, err := getUser(ca, *out.AuthenticationResult.AccessToken); err != nil {
			t.Fatal(err)
		}
		// The challenge was spent on B: replaying the answer on A fails.
		_, err = respond(ca, ans)
		wantAPIError[*types.NotAuthorizedException](t, err, "Invalid session for the user, session is expired.")
		// A wrong password, challenge from B, answer on A.
		cl, ch = srpChallenge(t, cb, client, pool, "fay")
		_, err = respond(ca, srpAnswer(t, cl, pool, "Not-the-passw0rd", ch, time.Now()))
		wantAPIError[*types.NotAuthorizedException](t, err, "Incorrect username or password.")
	})

	t.Run("SignInThrottleShared", func(t *testing.T) {
		pool, client, _ := A.NewPool(t)
		A.NewUser(t, pool, "gus", password)
		A.NewUser(t, pool, "gil", password)
		try := func(c *cip.Client, user, pw string) error {
			_, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &client,
				AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw}})
			return err
		}
		for i := range userpool.DefaultSignInLimits.FreeAttempts {
			wantAPIError[*types.NotAuthorizedException](t, try([]*cip.Client{ca, cb}[i%2], "gus", "Wrong-passw0rd"), "Incorrect username or password.")
		}
		// Five failures split 3/2 over the replicas lock the user out on both.
		wantAPIError[*types.NotAuthorizedException](t, try(cb, "gus", password), "Password attempts exceeded")
		wantAPIError[*types.NotAuthorizedException](t, try(ca, "gus", password), "Password attempts exceeded")
		cl, err := srp.NewClient()
		if err != nil {
			t.Fatal(err)
		}
		_, err = cb.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserSrpAuth, ClientId: &client,
			AuthParameters: map[string]string{"USERNAME": "gus", "SRP_A": cl.A()}})
		wantAPIError[*types.NotAuthorizedException](t, err, "Password attempts exceeded")
		if err := try(ca, "gil", password); err != nil {
			t.Fatalf("another user is not locked out: %v", err)
		}
	})

	t.Run("ConfirmationCodesShared", func(t *testing.T) {
		pool, client, _ := A.NewPool(t)
		signUp := func(user string) string {
			if _, err := ca.SignUp(bg, &cip.SignUpInput{ClientId: &client, Username: aws.String(user), Password: aws.String(password)}); err != nil {
				t.Fatalf("SignUp on A: %v", err)
			}
			return devCode(t, B, pool, user) // read through B: it is in the database
		}
		confirm := func(c *cip.Client, user, code string) error {
			_, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &client, Username: aws.String(user), ConfirmationCode: &code})
			return err
		}
		const mismatch, exceeded = "Invalid verification code provided, please try again.", "Attempt limit exceeded, please try after some time."

		// Issued via A, two wrong tries (A, B), confirmed via B.
		code := signUp("hal")
		w := wrongCodes(code, 2)
		wantAPIError[*types.CodeMismatchException](t, confirm(ca, "hal", w[0]), mismatch)
		wantAPIError[*types.CodeMismatchException](t, confirm(cb, "hal", w[1]), mismatch)
		if err := confirm(cb, "hal", code); err != nil {
			t.Fatalf("ConfirmSignUp on B of a code issued on A: %v", err)
		}
		if err := confirm(ca, "hal", code); err == nil {
			t.Fatal("the code confirmed twice (B, then A)")
		}
		signIn(t, ca, client, "hal", password)

		// Five wrong tries split over the replicas use the code up.
		code = signUp("hid")
		for i, g := range wrongCodes(code, userpool.MaxCodeAttempts) {
			wantAPIError[*types.CodeMismatchException](t, confirm([]*cip.Client{ca, cb}[i%2], "hid", g), mismatch)
		}
		wantAPIError[*types.LimitExceededException](t, confirm(cb, "hid", code), exceeded)
		wantAPIError[*types.LimitExceededException](t, confirm(ca, "hid", code), exceeded)
		u, err := ca.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &pool, Username: aws.String("hid")})
		if err != nil || u.UserStatus != types.UserStatusTypeUnconfirmed {
			t.Fatalf("after the attempts: %v %v, want UNCONFIRMED", u, err)
		}

		// Forgot password: the code sent by A (in A's outbox, not B's),
		// confirmed on B; the reset ends the user's sessions everywhere.
		if _, err := ca.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &pool, Username: aws.String("ida"),
			MessageAction: types.MessageActionTypeSuppress, UserAttributes: []types.AttributeType{
				{Name: aws.String("email"), Value: aws.String("ida@example.com")},
				{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := ca.AdminSetUserPassword(bg, &cip.AdminSetUserPasswordInput{UserPoolId: &pool, Username: aws.String("ida"),
			Password: aws.String(password), Permanent: true}); err != nil {
			t.Fatal(err)
		}
		old := signIn(t, cb, client, "ida", password).AuthenticationResult
		forgot := func(c *cip.Client, url string) string {
			if _, err := c.ForgotPassword(bg, &cip.ForgotPasswordInput{ClientId: &client, Username: aws.String("ida")}); err != nil {
				t.Fatalf("ForgotPassword: %v", err)
			}
			code, ok := outboxCodeAt(t, url, pool, "ida", message.KindForgotPassword)
			if !ok {
				t.Fatalf("no reset code in the outbox of %s", url)
			}
			return code
		}
		reset := func(c *cip.Client, code, pw string) error {
			_, err := c.ConfirmForgotPassword(bg, &cip.ConfirmForgotPasswordInput{ClientId: &client, Username: aws.String("ida"),
				ConfirmationCode: &code, Password: &pw})
			return err
		}
		code = forgot(ca, c.a.url)
		if _, ok := outboxCodeAt(t, c.b.url, pool, "ida", message.KindForgotPassword); ok {
			t.Fatal("B's outbox has a message A sent")
		}
		wantAPIError[*types.CodeMismatchException](t, reset(ca, wrongCodes(code, 1)[0], "Reset-Passw0rd!"), mismatch)
		if err := reset(cb, code, "Reset-Passw0rd!"); err != nil {
			t.Fatalf("ConfirmForgotPassword on B with A's code: %v", err)
		}
		signIn(t, ca, client, "ida", "Reset-Passw0rd!")
		_, err = refresh(ca, client, *old.RefreshToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
		// Five wrong tries split over the replicas use a reset code up.
		code = forgot(cb, c.b.url)
		for i, g := range wrongCodes(code, userpool.MaxCodeAttempts) {
			wantAPIError[*types.CodeMismatchException](t, reset([]*cip.Client{cb, ca}[i%2], g, "Other-Passw0rd!"), mismatch)
		}
		wantAPIError[*types.LimitExceededException](t, reset(ca, code, "Other-Passw0rd!"), exceeded)
		signIn(t, cb, client, "ida", "Reset-Passw0rd!") // unchanged
	})

	t.Run("HostedUIAuthorizationCodeSingleUse", func(t *testing.T) {
		pool, client, _ := A.NewPool(t, testserver.WithOAuth(testserver.OAuthSettings{CallbackURLs: []string{callbackURL}, LogoutURLs: []string{signOutURL}}))
		A.NewUser(t, pool, "jan", password)
		// One browser (one cookie jar: cookies ignore the port) that
		// talks to A or to B.
		hA := &hostedUI{t: t, s: A, pool: pool, client: client, hc: newBrowser()}
		hB := &hostedUI{t: t, s: B, pool: pool, client: client, hc: hA.hc}
		exchangeForm := func(code, verifier string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "client_id": {client}, "code": {code},
				"redirect_uri": {callbackURL}, "code_verifier": {verifier}}
		}

		// The sign-in page from A, the password posted to B, the code
		// minted by A for the web session B created.
		verifier, challenge := pkce()
		action, csrf := hA.openLogin(hA.authorizeURL(challenge, map[string]string{"prompt": "login"}))
		r := hB.submitLogin(action, csrf, "jan", password)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/"+pool+"/oauth2/authorize?") {
			t.Fatalf("login posted to B: %d %q %q", r.status, r.location(), r.body)
		}
		code := hA.callback(hA.get(r.location()))
		tk := hB.exchange(code, verifier) // exchanged on B
		if _, err := getUser(ca, tk.AccessToken); err != nil {
			t.Fatalf("GetUser on A with tokens of a code exchanged on B: %v", err)
		}
		r, _ = hA.tokenCall(exchangeForm(code, verifier), "", "") // replayed on A
		wantOAuthError(t, "the code replayed on A", r, http.StatusBadRequest, "invalid_grant")
		// The replay ends the family the code started.
		_, err := getUser(cb, tk.AccessToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")

		// The same code sent to both replicas at once: exactly one wins.
		for i := range 5 {
			verifier, challenge := pkce()
			r := hB.get(hB.authorizeURL(challenge, nil)) // the web session signs in without a form
			code := hB.callback(r)
			var wins atomic.Int32
			var wg sync.WaitGroup
			for _, h := range []*hostedUI{hA, hB} {
				wg.Go(func() {
					res, err := http.PostForm(h.url("/oauth2/token"), exchangeForm(code, verifier))
					if err != nil {
						t.Error(err)
						return
					}
					defer res.Body.Close()
					body, _ := io.ReadAll(res.Body)
					switch {
					case res.StatusCode == 200:
						wins.Add(1)
					case res.StatusCode == 400 && strings.Contains(string(body), `"invalid_grant"`):
					default:
						t.Errorf("round %d, %s: %d %s", i, h.s.URL, res.StatusCode, body)
					}
				})
			}
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Fatalf("round %d: one code exchanged %d times across the replicas, want exactly once", i, n)
			}
		}
	})

	t.Run("RefreshRotationShared", func(t *testing.T) {
		// No grace period: any reuse of a superseded token is theft.
		pool, client, _ := A.NewPool(t, testserver.WithRotation(0))
		A.NewUser(t, pool, "kai", password)
		get := func(c *cip.Client, rt string) (*types.AuthenticationResultType, error) {
			out, err := c.GetTokensFromRefreshToken(bg, &cip.GetTokensFromRefreshTokenInput{ClientId: &client, RefreshToken: &rt})
			if err != nil {
				return nil, err
			}
			return out.AuthenticationResult, nil
		}
		r0 := signIn(t, ca, client, "kai", password).AuthenticationResult
		r1, err := get(ca, *r0.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := get(cb, *r1.RefreshToken)
		if err != nil {
			t.Fatalf("rotation on B of A's rotated token: %v", err)
		}
		if r2.RefreshToken == nil || *r2.RefreshToken == *r1.RefreshToken {
			t.Fatal("no new refresh token")
		}
		_, err = get(cb, *r0.RefreshToken) // superseded on A, replayed on B
		wantAPIError[*types.RefreshTokenReuseException](t, err, "")
		_, err = get(ca, *r2.RefreshToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
		_, err = getUser(ca, *r2.AccessToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")

		// With a grace period, a retry of the same token on the other
		// replica at the same moment is not theft: both succeed.
		pool, client, _ = A.NewPool(t, testserver.WithRotation(60*time.Second))
		A.NewUser(t, pool, "kim", password)
		rt := *signIn(t, cb, client, "kim", password).AuthenticationResult.RefreshToken
		for round := range 8 {
			var got [2]*types.AuthenticationResultType
			var errs [2]error
			var wg sync.WaitGroup
			for i, c := range []*cip.Client{ca, cb} {
				wg.Go(func() {
					out, err := c.GetTokensFromRefreshToken(bg, &cip.GetTokensFromRefreshTokenInput{ClientId: &client, RefreshToken: &rt})
					if err == nil {
						got[i] = out.AuthenticationResult
					}
					errs[i] = err
				})
			}
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatalf("round %d: the same refresh token on A and B at once: %v / %v", round, errs[0], errs[1])
			}
			rt = *got[round%2].RefreshToken
		}
		if _, err := getUser(ca, *signIn(t, ca, client, "kim", password).AuthenticationResult.AccessToken); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("PoolDeletedOnBGoneOnA", func(t *testing.T) {
		pool, client, _ := A.NewPool(t)
		A.NewUser(t, pool, "lou", password)
		s := signIn(t, cb, client, "lou", password).AuthenticationResult
		if _, err := getUser(ca, *s.AccessToken); err != nil { // A caches the keys and the token
			t.Fatal(err)
		}
		if status, _ := httpGet(t, c.a.url+"/"+pool+"/.well-known/jwks.json"); status != 200 {
			t.Fatalf("JWKS on A: %d", status)
		}
		if _, err := cb.DeleteUserPool(bg, &cip.DeleteUserPoolInput{UserPoolId: &pool}); err != nil {
			t.Fatal(err)
		}
		if _, err := getUser(ca, *s.AccessToken); err == nil {
			t.Fatal("GetUser on A succeeded with a token of a pool deleted on B")
		}
		if _, err := refresh(ca, client, *s.RefreshToken); err == nil {
			t.Fatal("refresh on A succeeded in a pool deleted on B")
		}
		if status, body := httpGet(t, c.a.url+"/"+pool+"/.well-known/jwks.json"); status != http.StatusNotFound {
			t.Fatalf("JWKS on A of a pool deleted on B: %d %s, want 404", status, body)
		}
		_, err := ca.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: &pool})
		wantAPIError[*types.ResourceNotFoundException](t, err, "")
	})

	t.Run("ConcurrentHammer", func(t *testing.T) { hammer(t, c, A) })

	// Both replicas stop cleanly, and neither reported a data race (a
	// race-built binary reports them on stderr and exits with 66).
	t.Run("CleanShutdown", func(t *testing.T) {
		for name, p := range map[string]*process{"A": c.a, "B": c.b} {
			p.stop(t)
			if strings.Contains(p.log(), "DATA RACE") {
				t.Errorf("replica %s reported a data race:\n%s", name, p.log())
			}
			if strings.Contains(p.log(), "level=ERROR") {
				t.Errorf("replica %s logged errors:\n%s", name, p.log())
			}
		}
	})
	if bad := c.calls.failures(); len(bad) > 0 {
		t.Fatalf("%d of %d API calls got a 5xx or no answer:\n%s", len(bad), c.calls.n.Load(), strings.Join(bad, "\n"))
	}
}

// hammer: a few users, hundreds of concurrent sign-ins, refreshes,
// GetUsers, RevokeTokens and GlobalSignOuts spread over both replicas.
// Every acknowledged revocation and global sign-out is recorded with the
// moment its answer arrived; afterwards no refresh or GetUser sent after
// such an acknowledgement may have succeeded for a session it ended.
func hammer(t *testing.T, c *cluster, A *testserver.Server) {
	pool, client, _ := A.NewPool(t)
	users := []string{"u0", "u1", "u2", "u3"}
	for _, u := range users {
		A.NewUser(t, pool, u, password)
	}
	const workers, opsPerWorker = 8, 40
	replicas := []*cip.Client{c.ca, c.cb}
	start := time.Now()

	type session struct {
		id, user, refresh string
		access            []string  // the sign-in's access token, then those of its refreshes (mu)
		signedIn          time.Time // the sign-in's answer arrived
	}
	type ack struct{ sent, acked time.Time }
	type use struct {
		sess      *session
		sent, got time.Time
		what      string
		replica   int
	}
	var (
		mu         sync.Mutex
		sessions   []*session
		revoked    = map[string]ack{}   // session id -> first acknowledged RevokeToken
		signOuts   = map[string][]ack{} // user -> acknowledged GlobalSignOuts
		successes  []use                // successful refreshes and GetUsers
		ids        = map[string]int{}
		jtis       = map[string]int{}
		refreshTks = map[string]int{}
		unexpected []string
		counts     = map[string]int{}
	)
	count := func(k string) { counts[k]++ }
	note := func(format string, args ...any) {
		mu.Lock()
		unexpected = append(unexpected, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	// tokenClaims decodes a JWT payload without verifying it.
	tokenClaims := func(jwt string) map[string]any {
		parts := strings.Split(jwt, ".")
		if len(parts) != 3 {
			return nil
		}
		b, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			return nil
		}
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			return nil
		}
		return m
	}
	// minted records the jti of new access and ID tokens (mu held).
	minted := func(r *types.AuthenticationResultType) {
		for _, tk := range []*string{r.AccessToken, r.IdToken} {
			if cl := tokenClaims(aws.ToString(tk)); cl != nil {
				jtis[fmt.Sprint(cl["jti"])]++
			}
		}
	}
	refused := func(err error, msg string) bool {
		var na *types.NotAuthorizedException
		return errors.As(err, &na) && apiMessage(err) == msg
	}

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(start.UnixNano()), uint64(w)))
			pick := func() *session {
				mu.Lock()
				defer mu.Unlock()
				if len(sessions) == 0 {
					return nil
				}
				n := len(sessions)
				if n > 12 && rnd.IntN(5) > 0 { // mostly the recent ones, which may still live
					return sessions[n-12+rnd.IntN(12)]
				}
				return sessions[rnd.IntN(n)]
			}
			for range opsPerWorker {
				ri := rnd.IntN(2)
				rc := replicas[ri]
				op := rnd.IntN(100)
				s := pick()
				if s == nil {
					op = 0
				}
				switch {
				case op < 20: // sign in
					user := users[rnd.IntN(len(users))]
					out, err := rc.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &client,
						AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password}})
					got := time.Now()
					if err != nil || out.AuthenticationResult == nil {
						note("sign-in of %s on replica %d: %v", user, ri, err)
						continue
					}
					r := out.AuthenticationResult
					id := fmt.Sprint(tokenClaims(aws.ToString(r.AccessToken))["origin_jti"])
					mu.Lock()
					sessions = append(sessions, &session{id: id, user: user, refresh: aws.ToString(r.RefreshToken),
						access: []string{aws.ToString(r.AccessToken)}, signedIn: got})
					ids[id]++
					refreshTks[aws.ToString(r.RefreshToken)]++
					minted(r)
					count("sign-in")
					mu.Unlock()
				case op < 55: // refresh
					sent := time.Now()
					out, err := refresh(rc, client, s.refresh)
					got := time.Now()
					mu.Lock()
					switch {
					case err == nil:
						r := out.AuthenticationResult
						if id := fmt.Sprint(tokenClaims(aws.ToString(r.AccessToken))["origin_jti"]); id != s.id {
							unexpected = append(unexpected, fmt.Sprintf("refresh of session %s minted origin_jti %s", s.id, id))
						}
						minted(r)
						s.access = append(s.access, aws.ToString(r.AccessToken))
						successes = append(successes, use{s, sent, got, "refresh", ri})
						count("refresh ok")
					case refused(err, "Refresh Token has been revoked"):
						count("refresh refused")
					default:
						unexpected = append(unexpected, fmt.Sprintf("refresh on replica %d: %v", ri, err))
					}
					mu.Unlock()
				case op < 75: // GetUser with any access token of the session
					mu.Lock()
					at := s.access[rnd.IntN(len(s.access))]
					mu.Unlock()
					sent := time.Now()
					_, err := getUser(rc, at)
					got := time.Now()
					mu.Lock()
					switch {
					case err == nil:
						successes = append(successes, use{s, sent, got, "GetUser", ri})
						count("GetUser ok")
					case refused(err, "Access Token has been revoked"):
						count("GetUser refused")
					default:
						unexpected = append(unexpected, fmt.Sprintf("GetUser on replica %d: %v", ri, err))
					}
					mu.Unlock()
				case op < 90: // RevokeToken
					sent := time.Now()
					_, err := rc.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &client, Token: &s.refresh})
					got := time.Now()
					mu.Lock()
					if err != nil {
						unexpected = append(unexpected, fmt.Sprintf("RevokeToken on replica %d: %v", ri, err))
					} else if _, ok := revoked[s.id]; !ok {
						revoked[s.id] = ack{sent, got}
						count("revoked")
					}
					mu.Unlock()
				default: // GlobalSignOut with an access token of one of the user's sessions
					mu.Lock()
					at := s.access[rnd.IntN(len(s.access))]
					mu.Unlock()
					sent := time.Now()
					_, err := rc.GlobalSignOut(bg, &cip.GlobalSignOutInput{AccessToken: &at})
					got := time.Now()
					mu.Lock()
					switch {
					case err == nil:
						signOuts[s.user] = append(signOuts[s.user], ack{sent, got})
						count("signed out")
					case refused(err, "Access Token has been revoked"): // that session had ended already
						count("sign-out refused")
					default:
						unexpected = append(unexpected, fmt.Sprintf("GlobalSignOut on replica %d: %v", ri, err))
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("hammer: %d operations by %d workers over 2 replicas in %s: %v", workers*opsPerWorker, workers, elapsed.Round(time.Millisecond), counts)

	for _, u := range unexpected {
		t.Error("unexpected answer:", u)
	}
	// ended reports why s had ended for good before the moment at, if it had.
	ended := func(s *session, at time.Time) string {
		if a, ok := revoked[s.id]; ok && a.acked.Before(at) {
			return fmt.Sprintf("its RevokeToken was acknowledged %s earlier", at.Sub(a.acked))
		}
		for _, g := range signOuts[s.user] {
			if s.signedIn.Before(g.sent) && g.acked.Before(at) {
				return fmt.Sprintf("a GlobalSignOut of %s sent after the sign-in was acknowledged %s earlier", s.user, at.Sub(g.acked))
			}
		}
		return ""
	}
	for _, u := range successes {
		if why := ended(u.sess, u.sent); why != "" {
			t.Errorf("%s of session %s succeeded on replica %d, sent %s into the run, although %s",
				u.what, u.sess.id, u.replica, u.sent.Sub(start).Round(time.Microsecond), why)
		}
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("session id %s was issued %d times", id, n)
		}
	}
	for jti, n := range jtis {
		if n > 1 {
			t.Errorf("jti %s was issued %d times", jti, n)
		}
	}
	for _, n := range refreshTks {
		if n > 1 {
			t.Errorf("a refresh token was issued %d times", n)
		}
	}
	// Every session that ended stays ended, on both replicas.
	end := time.Now()
	checked := 0
	for _, s := range sessions {
		if ended(s, end) == "" {
			continue
		}
		checked++
		for ri, rc := range replicas {
			if _, err := refresh(rc, client, s.refresh); !refused(err, "Refresh Token has been revoked") {
				t.Errorf("after the run, refresh of ended session %s on replica %d: %v", s.id, ri, err)
			}
			for _, at := range s.access {
				if _, err := getUser(rc, at); !refused(err, "Access Token has been revoked") {
					t.Errorf("after the run, GetUser of ended session %s on replica %d: %v", s.id, ri, err)
				}
			}
		}
	}
	// The run must have exercised what it checks.
	for _, k := range []string{"sign-in", "refresh ok", "refresh refused", "GetUser ok", "GetUser refused", "revoked", "signed out"} {
		if counts[k] == 0 {
			t.Errorf("the hammer never saw %q: %v", k, counts)
		}
	}
	if checked == 0 || len(successes) == 0 {
		t.Errorf("nothing to check: %d ended sessions, %d successes", checked, len(successes))
	}
}
