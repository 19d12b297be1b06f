package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cognate-dev/cognate/verify"
)

// claimHeaderPrefix starts every header the proxy sets from the claims;
// whatever the client sent under it is removed first.
const claimHeaderPrefix = "X-Cognate-"

// proxyCmd is `cognate proxy`: a reverse proxy that lets through only
// requests with a valid bearer token, and tells the upstream who called.
func proxyCmd() *cobra.Command {
	var (
		listen, upstream, issuer, tokenUse, feedMode string
		feedClientID, feedClientSecret, logLevel     string
		clientIDs, scopes, groups                    []string
		maxStaleness, shutdownGrace                  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Reverse proxy that admits only requests with a valid, unrevoked bearer token",
		Long: `Verifies the bearer token of every request (RS256 signature against the pool's JWKS, issuer,
app client, expiry, and the revocation feed), answers 401/403 itself (RFC 6750) when it fails, and
otherwise forwards the request to --upstream with the caller's identity in headers: X-Cognate-Sub,
X-Cognate-Username, X-Cognate-Client-Id, X-Cognate-Scope, X-Cognate-Groups, X-Cognate-Token-Use.
Any X-Cognate-* header the client sent is removed first.`,
		Example: `  cognate proxy --listen :8080 --upstream http://127.0.0.1:3000 \
    --issuer http://127.0.0.1:9229/us-east-1_LocalDev01 --client-id cognatedemowebclient000001`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			target, err := url.Parse(upstream)
			if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
				return fmt.Errorf("--upstream %q: want an http(s) URL", upstream)
			}
			use, err := verify.ParseTokenUse(tokenUse)
			if err != nil {
				return fmt.Errorf("--token-use: %w", err)
			}
			mode, err := verify.ParseFeedMode(feedMode)
			if err != nil {
				return fmt.Errorf("--feed: %w", err)
			}
			if feedClientSecret == "" {
				feedClientSecret = os.Getenv("COGNATE_FEED_CLIENT_SECRET")
			} else {
				log.Warn("--feed-client-secret shows the secret in the process list; prefer $COGNATE_FEED_CLIENT_SECRET")
			}
			v, err := verify.New(verify.Config{Issuer: issuer, ClientIDs: clientIDs, TokenUse: use, Feed: mode,
				FeedClientID: feedClientID, FeedClientSecret: feedClientSecret, MaxStaleness: maxStaleness, Logger: log})
			if err != nil {
				return err
			}
			defer v.Close()
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", listen, err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			h := proxyHandler(v, target, log, verify.RequireScopes(scopes...), verify.RequireGroups(groups...))
			hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
			log.Info("cognate proxy listening", "addr", ln.Addr().String(), "upstream", target.String(), "issuer", issuer)
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			defer cancel()
			if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("shutdown: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8080", "listen address")
	f.StringVar(&upstream, "upstream", "", "the API to protect: http(s)://host:port")
	f.StringVar(&issuer, "issuer", "", "the pool's issuer: <public-url>/<poolId>, or https://cognito-idp.<region>.amazonaws.com/<poolId>")
	f.StringSliceVar(&clientIDs, "client-id", nil, "app clients whose tokens are accepted (repeat or comma-separate; default: any client of the pool)")
	f.StringVar(&tokenUse, "token-use", "access", "tokens accepted: access, id or any")
	f.StringSliceVar(&scopes, "require-scope", nil, "scopes every request's token must carry (all of them)")
	f.StringSliceVar(&groups, "require-group", nil, "groups the user must be in (any one of them)")
	f.StringVar(&feedMode, "feed", "auto", "revocation feed: auto (followed unless the issuer is Amazon Cognito's), off or required")
	f.StringVar(&feedClientID, "feed-client-id", "", "app client (with a secret) whose credentials read the revocation feed")
	// Read from the environment when the command runs, not shown by --help.
	f.StringVar(&feedClientSecret, "feed-client-secret", "",
		"its secret (default: env COGNATE_FEED_CLIENT_SECRET; on the command line it shows in the process list)")
	f.DurationVar(&maxStaleness, "max-staleness", 0,
		"refuse every token once the feed has been unreachable this long (0: keep the last known state)")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.DurationVar(&shutdownGrace, "shutdown-grace", 15*time.Second, "how long in-flight requests may take on shutdown")
	_ = cmd.MarkFlagRequired("upstream")
	_ = cmd.MarkFlagRequired("issuer")
	return cmd
}

// proxyHandler verifies each request with v (Middleware's answers on
// failure) and forwards the others to target with the claims in
// X-Cognate-* headers, after removing every X-Cognate-* header the client
// sent.
func proxyHandler(v *verify.Verifier, target *url.URL, log *slog.Logger, opts ...verify.MiddlewareOption) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.SetXForwarded()
			for name := range r.Out.Header {
				if strings.HasPrefix(http.CanonicalHeaderKey(name), claimHeaderPrefix) {
					r.Out.Header.Del(name)
				}
			}
			c, ok := verify.ClaimsFrom(r.In.Context())
			if !ok { // not reached: Middleware lets no request through without claims
				return
			}
			set := func(name, value string) { r.Out.Header.Set(claimHeaderPrefix+name, headerSafe(value)) }
			set("Sub", c.Sub)
			set("Username", c.Username)
			set("Client-Id", c.ClientID)
			set("Token-Use", c.TokenUse)
			set("Scope", strings.Join(c.Scopes, " "))
			set("Groups", strings.Join(c.Groups, ","))
		},
		BufferPool: &bufferPool{},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Warn("cognate proxy: upstream failed", "method", r.Method, "path", r.URL.Path, "err", err)
			http.Error(w, "upstream unavailable", http.StatusBadGateway)
		},
	}
	return v.Middleware(rp, opts...)
}

// bufferPool recycles the reverse proxy's 32 KiB copy buffers.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if buf, ok := b.p.Get().(*[]byte); ok {
		return *buf
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

// headerSafe drops the control characters a header value may not hold.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
