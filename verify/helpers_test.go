package verify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

const testPassword = "Passw0rd!"

// env is a real server with a pool, an app client and a user.
type env struct {
	srv                        *testserver.Server
	pool, client, secret, user string
}

func (e env) issuer() string { return e.srv.URL + "/" + e.pool }

func newEnv(t testing.TB, opts ...testserver.PoolOption) env {
	t.Helper()
	s := testserver.Start(t)
	return newEnvOn(t, s, opts...)
}

func newEnvOn(t testing.TB, s *testserver.Server, opts ...testserver.PoolOption) env {
	t.Helper()
	pool, client, secret := s.NewPool(t, opts...)
	s.NewUser(t, pool, "alice", testPassword)
	return env{srv: s, pool: pool, client: client, secret: secret, user: "alice"}
}

// tokens signs the user in with USER_PASSWORD_AUTH through aws-sdk-go-v2.
type tokens struct{ access, id, refresh string }

func (e env) signIn(t testing.TB) tokens {
	t.Helper()
	return e.signInWith(t, testPassword)
}

// signInWith signs the user in with password.
func (e env) signInWith(t testing.TB, password string) tokens {
	t.Helper()
	in := &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(e.client),
		AuthParameters: map[string]string{"USERNAME": e.user, "PASSWORD": password}}
	if e.secret != "" {
		in.AuthParameters["SECRET_HASH"] = secretHash(e.user, e.client, e.secret)
	}
	out, err := e.srv.Admin.InitiateAuth(context.Background(), in)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	r := out.AuthenticationResult
	return tokens{access: aws.ToString(r.AccessToken), id: aws.ToString(r.IdToken), refresh: aws.ToString(r.RefreshToken)}
}

// newVerifier builds a Verifier for e with cfg's other settings; it is
// closed by t.Cleanup.
func (e env) newVerifier(t testing.TB, cfg Config) *Verifier {
	t.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer = e.issuer()
	}
	if cfg.ClientIDs == nil {
		cfg.ClientIDs = []string{e.client}
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// feedServed reports whether the server serves the pool's revocation feed.
func feedServed(t testing.TB, issuer string) bool {
	t.Helper()
	resp, err := http.Get(issuer + "/revocations/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

// requireFeed skips a test of the feed on a server built without it.
func requireFeed(t testing.TB, e env) {
	t.Helper()
	if !feedServed(t, e.issuer()) {
		t.Skip("this server does not serve the revocation feed yet")
	}
}

// eventually polls Verify until it fails with want, within limit.
func eventually(t testing.TB, v *Verifier, token string, want error, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		_, err := v.Verify(context.Background(), token)
		if errors.Is(err, want) {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("after %v Verify = %v, want %v", limit, err, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mustVerify fails the test unless token verifies.
func mustVerify(t testing.TB, v *Verifier, token string) *Claims {
	t.Helper()
	c, err := v.Verify(context.Background(), token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return c
}

// payloadOf decodes a token's claims without verifying them.
func payloadOf(t testing.TB, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// countingTransport counts requests by path suffix.
type countingTransport struct {
	mu     sync.Mutex
	counts map[string]int
	next   http.RoundTripper // default http.DefaultTransport
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	c.counts[r.URL.Path]++
	c.mu.Unlock()
	if c.next != nil {
		return c.next.RoundTrip(r)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (c *countingTransport) count(suffix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for p, k := range c.counts {
		if strings.HasSuffix(p, suffix) {
			n += k
		}
	}
	return n
}

// settableClock is a Config.Now that tests move.
type settableClock struct{ off atomic.Int64 }

func (c *settableClock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *settableClock) advance(d time.Duration) { c.off.Add(int64(d)) }

// secretHash is Cognito's SECRET_HASH.
func secretHash(user, clientID, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(user + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// newClient adds an app client (password auth) to e's pool.
func newClient(t testing.TB, e env) string {
	t.Helper()
	out, err := e.srv.Admin.CreateUserPoolClient(context.Background(), &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(e.pool), ClientName: aws.String("second"), EnableTokenRevocation: aws.Bool(true),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.UserPoolClient.ClientId)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
