// Command cognate is a user-pool server wire-compatible with Amazon Cognito.
package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cognate-dev/cognate/httpapi/feed"
	"github.com/cognate-dev/cognate/internal/metrics"
	"github.com/cognate-dev/cognate/internal/server"
	"github.com/cognate-dev/cognate/userpool"
)

func main() {
	tuneGC()
	os.Exit(exitCode(rootCmd().Execute()))
}

// exitCode maps what the root command returned to the process's exit code:
// usage errors (an unknown command or flag, which cobra reports here for
// the root, serve and health) exit 2 like the other commands' usage errors.
func exitCode(err error) int {
	var ee *exitErr
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case strings.HasPrefix(err.Error(), "unknown command "):
		return exitUsage
	}
	return exitError
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "cognate",
		Short:         "A user-pool server wire-compatible with Amazon Cognito",
		SilenceUsage:  true,
		SilenceErrors: false,
		Version:       version(),
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitErr{code: exitUsage, err: err} })
	root.AddCommand(serveCmd())
	root.AddCommand(healthCmd())
	root.AddCommand(proxyCmd())
	root.AddCommand(cliCommands()...)
	return root
}

func serveCmd() *cobra.Command {
	var (
		addr, dataDir, db, publicURL, region, logLevel string
		adminCreds, adminCredsFile                     string
		grace                                          time.Duration
		dbMaxConns                                     int
		dbStatementTimeout                             time.Duration
		requestTimeout                                 time.Duration
		auditRetention                                 time.Duration
		auditRefreshInterval                           time.Duration
		metricsAddr                                    string
		feedPoll                                       time.Duration
		feedMaxStreams                                 int
		protection                                     *protectionFlags
		messages                                       *messageFlags
		triggers                                       *triggerFlags
		seeding                                        serveSeed
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server (AWS JSON 1.1 API on POST /, JWKS under /<poolId>/.well-known/)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			creds, err := adminCredentials(cmd, log, adminCreds, adminCredsFile)
			if err != nil {
				return err
			}
			if err := seeding.load(); err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			if publicURL == "" {
				publicURL = "http://" + ln.Addr().String()
			}
			if db == "" {
				db = os.Getenv("COGNATE_DB")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			cfg := server.Config{DataDir: dataDir, DB: db, PublicURL: publicURL, Region: region,
				AdminCredentials: creds, Logger: log, DBMaxConns: dbMaxConns, DBStatementTimeout: dbStatementTimeout,
				RequestTimeout: requestTimeout, FeedPoll: feedPoll, FeedMaxStreams: feedMaxStreams, AuditRetention: auditRetention,
				AuditRefreshInterval: auditRefreshInterval}
			if auditRefreshInterval < 0 {
				ln.Close()
				return fmt.Errorf("--audit-refresh-interval must not be negative, not %s", auditRefreshInterval)
			}
			if auditRefreshInterval == 0 {
				cfg.AuditRefreshInterval = -1 // every refresh
			}
			if auditRetention <= 0 {
				ln.Close()
				return fmt.Errorf("--audit-retention must be positive, not %s", auditRetention)
			}
			if err := protection.apply(&cfg); err != nil {
				ln.Close()
				return err
			}
			if err := messages.apply(&cfg, len(creds) == 0); err != nil {
				ln.Close()
				return err
			}
			defer messages.drain(log, grace)
			if err := triggers.apply(ctx, &cfg); err != nil {
				ln.Close()
				return err
			}
			var stopMetrics func()
			if metricsAddr != "" {
				m := metrics.New()
				cfg.Metrics = m
				if stopMetrics, err = serveMetrics(log, metricsAddr, m); err != nil {
					ln.Close()
					return err
				}
				defer stopMetrics()
			}
			srv, err := server.Open(ctx, cfg)
			if err != nil {
				ln.Close()
				return err
			}
			mode := "dev (admin operations unsigned)"
			if len(creds) > 0 {
				mode = "admin operations require SigV4"
			}
			log.Info("cognate listening", "addr", ln.Addr().String(), "public_url", publicURL, "region", region, "mode", mode,
				"version", version(), "data", dataLocation(db, dataDir))
			seeded := seeding.start(ctx, stop, ln.Addr(), publicURL, region, creds, log, cmd.OutOrStdout())
			return errors.Join(srv.Serve(ctx, ln, grace), seeded())
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:9229", "listen address")
	f.StringVar(&dataDir, "data-dir", ".cognate", "directory for the embedded database")
	// The environment is read when the command runs, not shown as the flag's
	// default: a PostgreSQL DSN may carry a password.
	f.StringVar(&db, "db", "",
		"database DSN: postgres://... for PostgreSQL (default: env COGNATE_DB, else the SQLite file in --data-dir)")
	f.IntVar(&dbMaxConns, "db-max-conns", 0,
		"PostgreSQL connection pool size (0 = the DSN's pool_max_conns, else the greater of 4 and the CPU count)")
	f.DurationVar(&dbStatementTimeout, "db-statement-timeout", 0,
		"PostgreSQL statement_timeout for every connection (0 = the DSN's or the server's setting)")
	f.StringVar(&publicURL, "public-url", "", "issuer base URL (default http://<addr>)")
	f.StringVar(&region, "region", "us-east-1",
		"the server's region: used in new pool ids and ARNs; admin signatures must be scoped to it")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	// The environment is read when the command runs, not shown as the
	// flag's default: --help would print the secret.
	f.StringVar(&adminCreds, "admin-credentials", "",
		"ACCESS_KEY_ID:SECRET[,...] required (SigV4) on admin operations (default: env COGNATE_ADMIN_CREDENTIALS; "+
			"none = dev mode). Shows the secret in the process list: prefer --admin-credentials-file or the environment")
	f.StringVar(&adminCredsFile, "admin-credentials-file", "",
		"file of ACCESS_KEY_ID:SECRET entries (lines or commas; # comments) required (SigV4) on admin operations; "+
			"must be mode 0600 or 0400")
	cmd.MarkFlagsMutuallyExclusive("admin-credentials", "admin-credentials-file")
	f.DurationVar(&requestTimeout, "request-timeout", server.DefaultRequestTimeout,
		"the longest a request may work, database waits included; past it the request fails with InternalErrorException")
	f.StringVar(&metricsAddr, "metrics-addr", "",
		"serve Prometheus metrics at http://<addr>/metrics on a listener of their own (default: off); keep it private")
	f.DurationVar(&feedPoll, "feed-poll", userpool.DefaultFeedPoll,
		"how often the revocation feed reads the database for revocations made through other replicas")
	f.IntVar(&feedMaxStreams, "feed-max-streams", feed.DefaultMaxStreams,
		"revocation-feed streams and long polls allowed open at once; past it readers get 503")
	f.DurationVar(&auditRetention, "audit-retention", userpool.DefaultAuditRetention,
		"how long audit events (sign-ins, refreshes, sign-outs, revocations, password and admin changes) are kept")
	f.DurationVar(&auditRefreshInterval, "audit-refresh-interval", userpool.DefaultAuditRefreshInterval,
		"record a token family's successful refreshes in the audit trail at most this often (failed ones always); 0 records every one")
	f.DurationVar(&grace, "shutdown-grace", 15*time.Second, "how long in-flight requests may take on shutdown")
	f.StringVar(&seeding.path, "seed", "",
		"a seed file (YAML) of pools, app clients and users to apply once the server listens (see cognate seed --help)")
	protection = addProtectionFlags(f)
	messages = addMessageFlags(f)
	triggers = addTriggerFlags(f)
	return cmd
}

// adminCredentials picks the admin credentials: --admin-credentials when
// given (with a warning: the secret is in the process list), else
// --admin-credentials-file, else $COGNATE_ADMIN_CREDENTIALS. None means dev
// mode.
func adminCredentials(cmd *cobra.Command, log *slog.Logger, flagValue, file string) (map[string]string, error) {
	switch {
	case cmd.Flags().Changed("admin-credentials"):
		creds, err := server.ParseAdminCredentials(flagValue)
		if err != nil {
			return nil, fmt.Errorf("--admin-credentials: %w", err)
		}
		if len(creds) > 0 {
			log.Warn("--admin-credentials shows the admin secret in the process list; " +
				"prefer --admin-credentials-file or $COGNATE_ADMIN_CREDENTIALS")
		}
		return creds, nil
	case file != "":
		creds, err := server.LoadAdminCredentialsFile(file)
		if err != nil {
			return nil, fmt.Errorf("--admin-credentials-file: %w", err)
		}
		return creds, nil
	default:
		creds, err := server.ParseAdminCredentials(os.Getenv("COGNATE_ADMIN_CREDENTIALS"))
		if err != nil {
			return nil, fmt.Errorf("$COGNATE_ADMIN_CREDENTIALS: %w", err)
		}
		return creds, nil
	}
}

// serveMetrics serves m at /metrics on addr, apart from the public listener
// (what a scrape shows is for operators only); the returned func stops it.
func serveMetrics(log *slog.Logger, addr string, m *metrics.Metrics) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics listener", "err", err)
		}
	}()
	log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() { _ = hs.Close() }, nil
}
