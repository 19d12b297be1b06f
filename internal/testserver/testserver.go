// Package testserver runs a real Cognate server on a loopback port with a
// temporary SQLite file, or on PostgreSQL (Options.DB, PostgresDSN, or
// COGNATE_E2E_DB=postgres for every server), for tests of this repository.
package testserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/server"
	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/trigger"
	"github.com/cognate-dev/cognate/userpool"
)

// Options tune Start.
type Options struct {
	// AdminCredentials turns off dev mode (admin calls must be SigV4-signed).
	AdminCredentials map[string]string
	// Now replaces the server's clock.
	Now func() time.Time
	// Dir holds the database; default t.TempDir().
	Dir string
	// Verbose logs at debug level to the test log instead of discarding.
	Verbose bool
	// Hash replaces TestHashParams (e.g. to make hashing as slow as in
	// production).
	Hash userpool.HashParams
	// SignInLimits, TrustedProxies, HashConcurrency and HashQueueTimeout
	// are passed to the server (zero: its defaults).
	SignInLimits     userpool.SignInLimits
	TrustedProxies   []netip.Prefix
	HashConcurrency  int
	HashQueueTimeout time.Duration
	// Logger receives the server's logs (it wins over Verbose).
	Logger *slog.Logger
	// Region is the server's region; default us-east-1.
	Region string
	// DB is a PostgreSQL DSN (postgres://...) to run on instead of the
	// SQLite file in Dir, e.g. PostgresDSN(t). When empty and
	// COGNATE_E2E_DB=postgres, StartWith uses PostgresDSN(t).
	DB string
	// DBMaxConns and DBStatementTimeout tune the PostgreSQL store (zero:
	// the server's defaults).
	DBMaxConns         int
	DBStatementTimeout time.Duration
	// RequestTimeout bounds each request (zero: the server's default).
	RequestTimeout time.Duration
	// Addr is the listen address; default 127.0.0.1:0. A restart test
	// passes the address (and Dir) of the server it stopped.
	Addr string
	// FeedPoll, FeedMaxStreams and FeedKeepalive tune the revocation feed
	// (zero: the server's defaults).
	FeedPoll       time.Duration
	FeedMaxStreams int
	FeedKeepalive  time.Duration
	// Triggers invokes the pools' Lambda triggers (e.g. a
	// triggertest.Server's Invoker); TriggerTimeout shortens Cognito's five
	// seconds for tests of slow functions.
	Triggers       trigger.Invoker
	TriggerTimeout time.Duration
}

// Server is a running test server.
type Server struct {
	URL    string
	Region string
	// Admin is an SDK client with anonymous credentials aimed at the server.
	Admin *cip.Client
	// Inner is the assembled server, for white-box access in tests.
	Inner *server.Server
	// Outbox holds every message the server sent (dev mode only: nil with
	// AdminCredentials).
	Outbox *message.Outbox
	// DBPath is the SQLite file; empty on PostgreSQL.
	DBPath string
	// DB is the PostgreSQL DSN the server runs on; empty on SQLite.
	DB string

	stopOnce sync.Once
	cancel   context.CancelFunc
	done     chan error
}

// TestHashParams make argon2id cheap enough for tests under -race; the
// algorithm and code path are the production ones.
var TestHashParams = userpool.HashParams{Time: 1, Memory: 1024, Threads: 1}

// Start runs a server on 127.0.0.1:0; it is stopped by t.Cleanup.
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith is Start with options.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	if o.DB == "" && OnPostgres() {
		o.DB = PostgresDSN(t)
	}
	addr := o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("testserver: listen: %v", err)
	}
	url := "http://" + ln.Addr().String()
	dir := o.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if o.Verbose {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if o.Logger != nil {
		log = o.Logger
	}
	region := o.Region
	if region == "" {
		region = "us-east-1"
	}
	hash := o.Hash
	if hash == (userpool.HashParams{}) {
		hash = TestHashParams
	}
	var outbox *message.Outbox
	if len(o.AdminCredentials) == 0 {
		outbox = message.NewOutbox(1000)
	}
	srv, err := server.Open(context.Background(), server.Config{DataDir: dir, DB: o.DB, PublicURL: url, Region: region, DevOutbox: outbox,
		AdminCredentials: o.AdminCredentials, Logger: log, Hash: hash, Now: o.Now, SignInLimits: o.SignInLimits,
		TrustedProxies: o.TrustedProxies, HashConcurrency: o.HashConcurrency, HashQueueTimeout: o.HashQueueTimeout,
		DBMaxConns: o.DBMaxConns, DBStatementTimeout: o.DBStatementTimeout, RequestTimeout: o.RequestTimeout,
		FeedPoll: o.FeedPoll, FeedMaxStreams: o.FeedMaxStreams, FeedKeepalive: o.FeedKeepalive,
		Triggers: o.Triggers, TriggerTimeout: o.TriggerTimeout})
	if err != nil {
		ln.Close()
		t.Fatalf("testserver: open: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{URL: url, Region: region, Inner: srv, Outbox: outbox, DB: o.DB, cancel: cancel, done: make(chan error, 1)}
	if o.DB == "" {
		s.DBPath = filepath.Join(dir, "cognate.db")
	}
	go func() { s.done <- srv.Serve(ctx, ln, 5*time.Second) }()
	s.Admin = NewClient(url)
	t.Cleanup(s.Stop)
	return s
}

// Remote is a Server for a Cognate already running at url in dev mode (e.g.
// the cognate binary): NewPool, NewUser and Admin work on it; Inner and
// Outbox are nil and Stop does nothing.
func Remote(url string) *Server {
	return &Server{URL: url, Region: "us-east-1", Admin: NewClient(url)}
}

// Stop shuts the server down (idempotent); later calls fail to connect.
func (s *Server) Stop() {
	if s.cancel == nil { // Remote
		return
	}
	s.stopOnce.Do(func() {
		s.cancel()
		if err := <-s.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			_, _ = os.Stderr.WriteString("testserver: stop: " + err.Error() + "\n")
		}
	})
}

// NewClient returns an SDK client with anonymous credentials for url.
func NewClient(url string) *cip.Client {
	return cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: aws.AnonymousCredentials{}})
}

type poolOpts struct {
	secret       bool
	noRevocation bool
	rotation     *types.RefreshTokenRotationType
	access       time.Duration
	refresh      time.Duration
	prevent      bool
	oauth        *OAuthSettings
}

// OAuthSettings configure NewPool's app client for the hosted UI and the
// OAuth 2.0 endpoints.
type OAuthSettings struct {
	CallbackURLs []string
	LogoutURLs   []string
	// Flows are AllowedOAuthFlows; default ["code"].
	Flows []string
	// Scopes are AllowedOAuthScopes; default DefaultOAuthScopes.
	Scopes []string
	// Disabled leaves AllowedOAuthFlowsUserPoolClient false.
	Disabled bool
}

// DefaultOAuthScopes are WithOAuth's default AllowedOAuthScopes.
var DefaultOAuthScopes = []string{"openid", "email", "profile", "aws.cognito.signin.user.admin"}

// WithOAuth gives the app client OAuth settings (callback and sign-out
// URLs, flows, scopes) and turns AllowedOAuthFlowsUserPoolClient on.
func WithOAuth(o OAuthSettings) PoolOption {
	return func(p *poolOpts) {
		if len(o.Flows) == 0 {
			o.Flows = []string{"code"}
		}
		if len(o.Scopes) == 0 {
			o.Scopes = DefaultOAuthScopes
		}
		p.oauth = &o
	}
}

// PoolOption tunes NewPool's app client.
type PoolOption func(*poolOpts)

// WithSecret gives the app client a generated secret.
func WithSecret() PoolOption { return func(o *poolOpts) { o.secret = true } }

// WithoutRevocation turns EnableTokenRevocation off.
func WithoutRevocation() PoolOption { return func(o *poolOpts) { o.noRevocation = true } }

// WithAccessTokenValidity sets the access (and ID) token lifetime, in seconds units.
func WithAccessTokenValidity(d time.Duration) PoolOption { return func(o *poolOpts) { o.access = d } }

// WithRefreshTokenValidity sets the refresh token lifetime, in seconds units.
func WithRefreshTokenValidity(d time.Duration) PoolOption { return func(o *poolOpts) { o.refresh = d } }

// WithRotation turns refresh-token rotation on with the grace period.
func WithRotation(grace time.Duration) PoolOption {
	return func(o *poolOpts) {
		o.rotation = &types.RefreshTokenRotationType{Feature: types.FeatureTypeEnabled, RetryGracePeriodSeconds: aws.Int32(int32(grace / time.Second))}
	}
}

// WithPreventUserExistenceErrors hides unknown users behind "Incorrect username or password."
func WithPreventUserExistenceErrors() PoolOption { return func(o *poolOpts) { o.prevent = true } }

// NewPool creates a pool and an app client that allows password, SRP and
// refresh flows (revocation on unless WithoutRevocation).
func (s *Server) NewPool(t testing.TB, opts ...PoolOption) (poolID, clientID, clientSecret string) {
	t.Helper()
	var o poolOpts
	for _, f := range opts {
		f(&o)
	}
	ctx := context.Background()
	p, err := s.Admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("test-pool")})
	if err != nil {
		t.Fatalf("testserver: CreateUserPool: %v", err)
	}
	in := &cip.CreateUserPoolClientInput{UserPoolId: p.UserPool.Id, ClientName: aws.String("test-client"),
		GenerateSecret: o.secret, EnableTokenRevocation: aws.Bool(!o.noRevocation),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
			types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth},
		RefreshTokenRotation: o.rotation}
	if o.prevent {
		in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesEnabled
	}
	if o.oauth != nil {
		s.declareScopes(t, aws.ToString(p.UserPool.Id), o.oauth.Scopes)
		in.CallbackURLs, in.LogoutURLs, in.AllowedOAuthScopes = o.oauth.CallbackURLs, o.oauth.LogoutURLs, o.oauth.Scopes
		in.AllowedOAuthFlowsUserPoolClient = !o.oauth.Disabled
		for _, f := range o.oauth.Flows {
			in.AllowedOAuthFlows = append(in.AllowedOAuthFlows, types.OAuthFlowType(f))
		}
	}
	units := &types.TokenValidityUnitsType{}
	if o.access > 0 {
		in.AccessTokenValidity = aws.Int32(int32(o.access / time.Second))
		in.IdTokenValidity = aws.Int32(int32(o.access / time.Second))
		units.AccessToken, units.IdToken = types.TimeUnitsTypeSeconds, types.TimeUnitsTypeSeconds
	}
	if o.refresh > 0 {
		in.RefreshTokenValidity = int32(o.refresh / time.Second)
		units.RefreshToken = types.TimeUnitsTypeSeconds
	}
	in.TokenValidityUnits = units
	c, err := s.Admin.CreateUserPoolClient(ctx, in)
	if err != nil {
		t.Fatalf("testserver: CreateUserPoolClient: %v", err)
	}
	return aws.ToString(p.UserPool.Id), aws.ToString(c.UserPoolClient.ClientId), aws.ToString(c.UserPoolClient.ClientSecret)
}

// declareScopes creates the resource servers that declare the custom
// scopes (<identifier>/<scope>) among scopes, as an app client may only be
// allowed scopes that exist.
func (s *Server) declareScopes(t testing.TB, poolID string, scopes []string) {
	t.Helper()
	byServer := map[string][]types.ResourceServerScopeType{}
	var order []string
	for _, sc := range scopes {
		i := strings.LastIndex(sc, "/")
		if i < 0 {
			continue
		}
		id := sc[:i]
		if _, ok := byServer[id]; !ok {
			order = append(order, id)
		}
		byServer[id] = append(byServer[id], types.ResourceServerScopeType{ScopeName: aws.String(sc[i+1:]), ScopeDescription: aws.String(sc)})
	}
	for _, id := range order {
		if _, err := s.Admin.CreateResourceServer(context.Background(), &cip.CreateResourceServerInput{UserPoolId: aws.String(poolID),
			Identifier: aws.String(id), Name: aws.String("test"), Scopes: byServer[id]}); err != nil {
			t.Fatalf("testserver: CreateResourceServer: %v", err)
		}
	}
}

// NewUser creates a CONFIRMED user with a permanent password.
func (s *Server) NewUser(t testing.TB, poolID, username, password string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID),
		Username: aws.String(username), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(username + "@example.com")}}}); err != nil {
		t.Fatalf("testserver: AdminCreateUser: %v", err)
	}
	if _, err := s.Admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID),
		Username: aws.String(username), Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatalf("testserver: AdminSetUserPassword: %v", err)
	}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// Clock is a settable clock for Options.Now, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now reads the clock.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
