// Package server assembles Cognate: it opens the store, builds the user-pool
// service and mounts the wire protocols on one HTTP handler.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/cognate-dev/cognate/httpapi/awsjson"
	"github.com/cognate-dev/cognate/httpapi/feed"
	"github.com/cognate-dev/cognate/httpapi/oauth"
	"github.com/cognate-dev/cognate/internal/clientip"
	"github.com/cognate-dev/cognate/internal/metrics"
	"github.com/cognate-dev/cognate/internal/sigv4"
	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/store/postgres"
	"github.com/cognate-dev/cognate/store/sqlite"
	"github.com/cognate-dev/cognate/trigger"
	"github.com/cognate-dev/cognate/userpool"
)

// Config configures a Server.
type Config struct {
	// DataDir holds the SQLite database (default ./.cognate). One server at
	// a time: Open takes an exclusive lock on the database's directory
	// (cognate.lock) and Close releases it.
	DataDir   string
	DB        string // DSN; default the SQLite file in DataDir
	PublicURL string // issuer base, e.g. http://127.0.0.1:9229
	// Region is the server's region (default us-east-1): new pool ids and
	// ARNs are made in it, and admin signatures must be scoped to it.
	Region string
	// AdminCredentials maps access key ids to secrets. When set, admin
	// operations need a valid SigV4 signature (service cognito-idp, Region);
	// failures are logged at warn level. When empty the server runs in dev
	// mode (unsigned admin calls, confirmation codes shown to the operator).
	// See ParseAdminCredentials and LoadAdminCredentialsFile.
	AdminCredentials map[string]string
	Logger           *slog.Logger
	Hash             userpool.HashParams
	Now              func() time.Time
	// DBMaxConns and DBStatementTimeout tune a PostgreSQL store (see
	// postgres.Options); zero keeps the DSN's or the driver's setting.
	DBMaxConns         int
	DBStatementTimeout time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For / Forwarded
	// headers name the client (for throttling); none by default.
	TrustedProxies []netip.Prefix
	// HashConcurrency and HashQueueTimeout bound password hashing (see
	// userpool.Options); zero takes the defaults.
	HashConcurrency  int
	HashQueueTimeout time.Duration
	// SignInLimits configure sign-in throttling; zero fields take the defaults.
	SignInLimits userpool.SignInLimits
	// RequestTimeout bounds the work of one request, database waits
	// included, so that a database that stops answering fails requests
	// (InternalErrorException) instead of holding them; default
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// JanitorEvery is how often dead sessions and expired records are
	// purged; default one minute.
	JanitorEvery time.Duration
	// AuditRetention is how long audit events are kept (default
	// userpool.DefaultAuditRetention).
	AuditRetention time.Duration
	// AuditRefreshInterval is how often, at most, a token family's passed
	// refreshes are audited (see userpool.Options.AuditRefreshInterval).
	AuditRefreshInterval time.Duration
	// Metrics, when set, counts and times every request (served by the
	// caller on a listener of its own: see metrics.Metrics.Handler).
	Metrics *metrics.Metrics
	// FeedPoll is how often the revocation feed's pollers read the
	// database (default userpool.DefaultFeedPoll); FeedMaxStreams bounds
	// its streams and long polls open at once (default
	// feed.DefaultMaxStreams).
	FeedPoll       time.Duration
	FeedMaxStreams int
	// FeedKeepalive is how often an idle feed stream gets a comment
	// (default feed.DefaultKeepalive).
	FeedKeepalive time.Duration
	// Triggers invokes the pools' Lambda triggers (see package trigger); nil
	// means a pool that names one answers UnexpectedLambdaException.
	Triggers trigger.Invoker
	// TriggerTimeout is how long a trigger may take (default
	// userpool.DefaultTriggerTimeout, Cognito's five seconds).
	TriggerTimeout time.Duration
	Sender         message.Sender  // delivers codes; nil with DevOutbox nil means messages cannot be delivered
	DevOutbox      *message.Outbox // dev mode: served at /_dev/outbox(.html)
}

// Server is a running Cognate.
type Server struct {
	Service *userpool.Service
	store   store.Store
	lock    *dirLock // nil for PostgreSQL
	handler http.Handler
	log     *slog.Logger

	janitorEvery time.Duration
	janitorRuns  atomic.Int64 // purges this replica ran as the lease holder
	health       *health

	closeOnce sync.Once
	closeErr  error
}

// Open opens the store and builds the server.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PublicURL == "" {
		return nil, errors.New("server: PublicURL is required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	dev := len(cfg.AdminCredentials) == 0
	if cfg.DevOutbox != nil && !dev { // it shows every code to whoever asks
		return nil, errors.New("server: DevOutbox is only served in dev mode (no admin credentials)")
	}
	var admin *sigv4.Verifier
	if !dev {
		var err error
		admin, err = sigv4.New(sigv4.Config{Credentials: cfg.AdminCredentials, Service: "cognito-idp", Region: cfg.Region,
			Now: cfg.Now, Logger: cfg.Logger})
		if err != nil {
			return nil, fmt.Errorf("server: admin credentials: %w", err)
		}
	}
	st, lock, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sender := cfg.Sender
	if sender == nil && cfg.DevOutbox != nil {
		sender = cfg.DevOutbox
	}
	svc := userpool.New(userpool.Options{Store: st, PublicURL: cfg.PublicURL, Region: cfg.Region, Logger: cfg.Logger,
		DevMode: dev, Hash: cfg.Hash, Now: cfg.Now, HashConcurrency: cfg.HashConcurrency,
		HashQueueTimeout: cfg.HashQueueTimeout, SignInLimits: cfg.SignInLimits, Sender: sender, Observer: observerOf(cfg.Metrics),
		FeedPoll: cfg.FeedPoll, AuditRetention: cfg.AuditRetention, AuditRefreshInterval: cfg.AuditRefreshInterval, Triggers: cfg.Triggers, TriggerTimeout: cfg.TriggerTimeout})
	if cfg.Metrics != nil {
		registerSessionGauge(cfg.Metrics, svc, cfg.Logger)
	}
	clientIP := clientip.New(cfg.TrustedProxies)
	mux := http.NewServeMux()
	awsjson.New(awsjson.Options{Service: svc, Logger: cfg.Logger, Admin: admin, ClientIP: clientIP}).Mount(mux)
	probes := &health{ping: st.Ping, backend: backendName(cfg.DB), now: time.Now}
	mux.HandleFunc("GET /health", probes.serveHealth)
	mux.HandleFunc("GET /ready", probes.serveReady)
	hosted := oauth.New(svc, cfg.Logger).WithClientIP(clientIP)
	hosted.Mount(mux)
	feed.New(feed.Options{Service: svc, Admin: admin, Logger: cfg.Logger, MaxStreams: cfg.FeedMaxStreams,
		Keepalive: cfg.FeedKeepalive}).Mount(mux)
	if cfg.Metrics != nil {
		cfg.Metrics.Gauge("cognate_feed_subscribers", "Revocation-feed streams and long polls open on this server.",
			func() float64 { return float64(svc.Feed().Stats().Subscribers) })
	}
	if cfg.DevOutbox != nil {
		h := cfg.DevOutbox.Handler()
		mux.Handle("GET /_dev/outbox", h)
		mux.Handle("GET /_dev/outbox.html", h)
	}
	s := &Server{Service: svc, store: st, lock: lock, log: cfg.Logger, janitorEvery: cfg.JanitorEvery, health: probes}
	if s.janitorEvery <= 0 {
		s.janitorEvery = time.Minute
	}
	timeout := cfg.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	var h http.Handler = mux
	if cfg.Metrics != nil {
		h = cfg.Metrics.Instrument(mux, routeOf(mux))
	}
	h = hosted.HostRouting(h) // the hosted UI on the pools' domains
	s.handler = recoverPanics(cfg.Logger, withDeadline(timeout, feed.IsStream, h))
	return s, nil
}

// backendName names the database a DSN opens, for /health.
func backendName(dsn string) string {
	if isPostgres(dsn) {
		return "postgres"
	}
	return "sqlite"
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// openStore opens the PostgreSQL store, or the SQLite file under the lock of
// its directory (released if the open fails).
func openStore(ctx context.Context, cfg Config) (store.Store, *dirLock, error) {
	dsn := cfg.DB
	if isPostgres(dsn) {
		st, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: cfg.DBMaxConns, StatementTimeout: cfg.DBStatementTimeout})
		if err != nil {
			return nil, nil, fmt.Errorf("server: open store: %w", err)
		}
		return st, nil, nil
	}
	if dsn == "" {
		dir := cfg.DataDir
		if dir == "" {
			dir = ".cognate"
		}
		dsn = filepath.Join(dir, "cognate.db")
	}
	path := strings.TrimPrefix(dsn, "sqlite://")
	lock, err := lockDataDir(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		_ = lock.release()
		return nil, nil, fmt.Errorf("server: open store: %w", err)
	}
	return st, lock, nil
}

// Handler is the server's whole HTTP surface.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers on ln until ctx is done, then shuts down gracefully:
// in-flight requests finish (up to grace), then the store closes.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	jctx, stopJanitor := context.WithCancel(ctx)
	janitorDone := make(chan struct{})
	go func() {
		defer close(janitorDone)
		s.janitor(jctx, s.janitorEvery)
	}()
	// The janitor gives its lease back before the store closes, so that
	// another replica takes over at once rather than when the lease expires.
	closeStore := func() error {
		stopJanitor()
		<-janitorDone
		return s.Close()
	}
	select {
	case err := <-errc:
		_ = closeStore()
		return fmt.Errorf("server: serve: %w", err)
	case <-ctx.Done():
	}
	s.health.draining.Store(true) // /ready fails first, so balancers stop sending
	s.log.Info("shutting down", "grace", grace)
	s.Service.Feed().Close() // ends the feed's streams, which Shutdown would otherwise wait for
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if cerr := closeStore(); err == nil {
		err = cerr
	}
	return err
}

// janitorLease names the lease that makes one replica at a time the
// janitor.
const janitorLease = "janitor"

// janitor purges dead token families and expired records (see
// userpool.Service.Purge) every interval until ctx is done. Replicas on one
// database take turns through a lease in it: the holder renews it each run,
// for three intervals, so another replica takes over once a holder has
// missed a few runs (stopped, crashed, or cut off from the database).
func (s *Server) janitor(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	holder := uuid.NewString()
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.store.ReleaseLease(rctx, janitorLease, holder); err != nil {
			s.log.Warn("janitor: release the lease", "err", err)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.janitorRun(ctx, holder, 3*every)
		}
	}
}

// janitorRun purges once if this replica holds (or can take) the lease.
func (s *Server) janitorRun(ctx context.Context, holder string, ttl time.Duration) {
	actx, cancel := context.WithTimeout(ctx, ttl)
	held, err := s.store.AcquireLease(actx, janitorLease, holder, time.Now(), ttl)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("janitor: lease", "err", err)
		}
		return
	}
	if !held {
		return // another replica is the janitor
	}
	s.janitorRuns.Add(1)
	// A run may not outlive its lease: past it, another replica may start.
	rctx, cancel := context.WithTimeout(ctx, ttl)
	defer cancel()
	c, err := s.Service.Purge(rctx)
	if err != nil && ctx.Err() == nil { // not when the server is stopping
		s.log.Warn("janitor", "err", err)
	}
	if c.Total() > 0 {
		s.log.Debug("janitor purged", "sessions", c.Sessions, "challenges", c.Challenges,
			"web_sessions", c.WebSessions, "auth_codes", c.AuthCodes, "codes", c.Codes, "throttles", c.Throttles,
			"revocation_events", c.Revocations, "audit_events", c.AuditEvents)
	}
}

// Close writes out the queued audit events (for at most five seconds),
// closes the store, then releases the data directory's lock. Later calls
// return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.Service.Feed().Close() // its pollers read the store
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.Service.FlushAudit(ctx); err != nil {
			s.log.Warn("audit events not stored before shutdown", "err", err)
		}
		cancel()
		s.closeErr = s.store.Close()
		if s.lock != nil {
			if err := s.lock.release(); err != nil && s.closeErr == nil {
				s.closeErr = err
			}
		}
	})
	return s.closeErr
}

// observerOf counts the ends of sessions in m (nil: none).
func observerOf(m *metrics.Metrics) userpool.Observer {
	if m == nil {
		return nil
	}
	return metricsObserver{m}
}

type metricsObserver struct{ m *metrics.Metrics }

func (o metricsObserver) FamilyRevoked(r userpool.Reason) { o.m.Revoked(string(r)) }
func (o metricsObserver) UserSignedOut(why string)        { o.m.SignedOut(why) }
func (o metricsObserver) FeedDelivered(lag time.Duration) { o.m.FeedDelivered(lag) }

// routeOf names a request's route for the metrics: the API operation, or the
// pattern the mux matched — never a raw value from the request, so the set
// of names stays bounded.
func routeOf(mux *http.ServeMux) func(*http.Request) string {
	return func(r *http.Request) string {
		if r.URL.Path == "/" && r.Method == http.MethodPost {
			if op, ok := awsjson.OperationName(r.Header.Get("X-Amz-Target")); ok {
				return op
			}
			return "UnknownOperation"
		}
		if _, pattern := mux.Handler(r); pattern != "" {
			return pattern
		}
		return "not-found"
	}
}

// DefaultRequestTimeout is Config.RequestTimeout's default.
const DefaultRequestTimeout = 15 * time.Second

// withDeadline gives every request's context a deadline. What the handler
// waits on (the database, a hash slot) observes it and fails; nothing is
// acknowledged that did not commit before it. Requests for which exempt
// is true (the revocation feed's streams, which bound their own waits and
// end on shutdown) get none.
func withDeadline(d time.Duration, exempt func(*http.Request) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if exempt(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// recoverPanics is the backstop for routes outside the wire protocols
// (which answer their own panics in their own error shapes): a plain 500
// instead of a dropped connection; the panic goes to the log.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(v))
				http.Error(w, "Internal server error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
