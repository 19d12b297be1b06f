package userpool_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/store/sqlite"
	"github.com/cognate-dev/cognate/userpool"
)

// The domain tests drive userpool.Service directly — no HTTP — over a real
// SQLite store, with an injected clock so that expiry, grace periods and
// challenge timeouts are tested without sleeping.

const password = "Passw0rd!"

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// countingStore counts the calls of the reads and writes that matter on
// the hot paths. It wraps the real store: every call still goes to SQLite.
type countingStore struct {
	store.Store
	mu    sync.Mutex
	calls map[string]int
}

func (s *countingStore) count(name string) {
	s.mu.Lock()
	s.calls[name]++
	s.mu.Unlock()
}

// take returns the calls counted since the last take and resets them.
func (s *countingStore) take() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.calls
	s.calls = map[string]int{}
	return out
}

func (s *countingStore) GetPool(ctx context.Context, id string) (*store.Pool, error) {
	s.count("GetPool")
	return s.Store.GetPool(ctx, id)
}

func (s *countingStore) GetClient(ctx context.Context, id string) (*store.Client, error) {
	s.count("GetClient")
	return s.Store.GetClient(ctx, id)
}

func (s *countingStore) GetUser(ctx context.Context, poolID, username string) (*store.User, error) {
	s.count("GetUser")
	return s.Store.GetUser(ctx, poolID, username)
}

func (s *countingStore) GetUserBySub(ctx context.Context, poolID, sub string) (*store.User, error) {
	s.count("GetUserBySub")
	return s.Store.GetUserBySub(ctx, poolID, sub)
}

func (s *countingStore) GetSession(ctx context.Context, id string) (*store.Session, error) {
	s.count("GetSession")
	return s.Store.GetSession(ctx, id)
}

func (s *countingStore) GetSessionWithUser(ctx context.Context, id string) (*store.Session, *store.User, error) {
	s.count("GetSessionWithUser")
	return s.Store.GetSessionWithUser(ctx, id)
}

func (s *countingStore) GetSessionWithProfile(ctx context.Context, id string) (*store.Session, *store.User, error) {
	s.count("GetSessionWithProfile")
	return s.Store.GetSessionWithProfile(ctx, id)
}

func (s *countingStore) GetSessionForMint(ctx context.Context, id string) (*store.Session, *store.User, []*store.Group, error) {
	s.count("GetSessionForMint")
	return s.Store.GetSessionForMint(ctx, id)
}

func (s *countingStore) ListKeys(ctx context.Context, poolID string) ([]*store.Key, error) {
	s.count("ListKeys")
	return s.Store.ListKeys(ctx, poolID)
}

func (s *countingStore) RevokeSession(ctx context.Context, id string, at time.Time, reason string) error {
	s.count("RevokeSession")
	return s.Store.RevokeSession(ctx, id, at, reason)
}

func (s *countingStore) TouchSession(ctx context.Context, id string, at time.Time, ttl time.Duration) error {
	s.count("TouchSession")
	return s.Store.TouchSession(ctx, id, at, ttl)
}

func (s *countingStore) RotateRefresh(ctx context.Context, id string, fromGen int64, at time.Time) error {
	s.count("RotateRefresh")
	return s.Store.RotateRefresh(ctx, id, fromGen, at)
}

// env is a service with a pool, a user "alice" and app clients.
type env struct {
	t     *testing.T
	svc   *userpool.Service
	st    *countingStore
	clock *clock
	pool  string
	// app: public, password and refresh flows, revocation on.
	app *userpool.Client
	// outbox receives every message the service sends.
	outbox *message.Outbox
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, opts ...func(*userpool.Options)) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cognate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: &countingStore{Store: st, calls: map[string]int{}}, clock: &clock{t: t0}, outbox: message.NewOutbox(100)}
	o := userpool.Options{Store: e.st, PublicURL: "https://idp.example.com", Now: e.clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Hash: userpool.HashParams{Time: 1, Memory: 64, Threads: 1},
		Sender: e.outbox}
	for _, f := range opts {
		f(&o)
	}
	e.svc = userpool.New(o)
	p, err := e.svc.CreateUserPool(e.ctx(), "domain", userpool.PoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	e.pool = p.ID
	e.app = e.newClient(userpool.ClientInput{Name: "app"})
	e.newUser("alice")
	return e
}

func (e *env) ctx() context.Context { return context.Background() }

// newClient creates an app client allowing password and refresh sign-in,
// with in's other settings.
func (e *env) newClient(in userpool.ClientInput) *userpool.Client {
	e.t.Helper()
	in.PoolID = e.pool
	if len(in.Config.ExplicitAuthFlows) == 0 {
		in.Config.ExplicitAuthFlows = []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
	}
	c, err := e.svc.CreateUserPoolClient(e.ctx(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) newUser(name string) {
	e.t.Helper()
	if _, err := e.svc.AdminCreateUser(e.ctx(), userpool.AdminCreateUserInput{PoolID: e.pool, Username: name,
		MessageAction: "SUPPRESS", Attributes: []userpool.Attribute{{Name: "email", Value: name + "@example.com"}}}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.AdminSetUserPassword(e.ctx(), e.pool, name, password, true); err != nil {
		e.t.Fatal(err)
	}
}

// signIn signs a user in through a client with USER_PASSWORD_AUTH.
func (e *env) signIn(c *userpool.Client, name string) *userpool.AuthResult {
	e.t.Helper()
	params := map[string]string{"USERNAME": name, "PASSWORD": password}
	if c.Secret != "" {
		params["SECRET_HASH"] = secretHash(c, name)
	}
	r, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: c.ID, AuthFlow: userpool.FlowUserPassword,
		AuthParameters: params})
	if err != nil {
		e.t.Fatalf("sign-in of %s: %v", name, err)
	}
	if r.Result == nil {
		e.t.Fatalf("sign-in of %s: challenge %s", name, r.ChallengeName)
	}
	return r.Result
}

// refresh uses REFRESH_TOKEN_AUTH (or GetTokensFromRefreshToken on a
// rotating client).
func (e *env) refresh(c *userpool.Client, rt string) (*userpool.AuthResult, error) {
	if c.Config.RotationEnabled() {
		return e.svc.GetTokensFromRefreshToken(e.ctx(), c.ID, c.Secret, rt)
	}
	r, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: c.ID, AuthFlow: userpool.FlowRefreshToken,
		AuthParameters: map[string]string{"REFRESH_TOKEN": rt}})
	if err != nil {
		return nil, err
	}
	return r.Result, nil
}

func secretHash(c *userpool.Client, name string) string {
	m := hmac.New(sha256.New, []byte(c.Secret))
	m.Write([]byte(name + c.ID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// wantRefused fails unless err is a domain error of kind, cause and (when
// given) the family's end reason.
func wantRefused(t *testing.T, what string, err error, kind userpool.Kind, cause userpool.Cause, reason userpool.Reason) {
	t.Helper()
	e := userpool.AsError(err)
	if e == nil {
		t.Fatalf("%s: err = %v, want a domain error %s/%s", what, err, kind, cause)
	}
	if e.Kind != kind || e.Cause != cause || (reason != "" && e.Reason != reason) {
		t.Fatalf("%s: got %s/%s reason %q, want %s/%s reason %q", what, e.Kind, e.Cause, e.Reason, kind, cause, reason)
	}
}

// wantLive fails unless the access token is accepted.
func (e *env) wantLive(what, access string) {
	e.t.Helper()
	if _, err := e.svc.GetUser(e.ctx(), access); err != nil {
		e.t.Fatalf("%s: GetUser: %v", what, err)
	}
}
