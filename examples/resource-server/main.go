// Command resource-server is a small API protected by the verify package:
// GET /hello answers the caller's username, for a valid access token of the
// pool only. Against Cognate, verify follows the pool's revocation feed, so
// a sign-out (RevokeToken, GlobalSignOut, a disabled or deleted user)
// reaches this API within a second: the next call is 401.
//
//	go run ./examples/resource-server --issuer http://127.0.0.1:9229/us-east-1_LocalDev01 \
//	    --client-id cognatedemowebclient000001
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cognate-dev/cognate/verify"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "listen address")
	issuer := flag.String("issuer", os.Getenv("COGNATE_ISSUER"), "the pool's issuer: <public-url>/<poolId> (env COGNATE_ISSUER)")
	clients := flag.String("client-id", os.Getenv("COGNATE_CLIENT_ID"), "app client ids whose tokens are accepted, comma-separated (env COGNATE_CLIENT_ID)")
	flag.Parse()
	if *issuer == "" {
		log.Fatal("resource-server: --issuer is required")
	}
	var ids []string
	if *clients != "" {
		ids = strings.Split(*clients, ",")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	v, err := verify.New(verify.Config{Issuer: *issuer, ClientIDs: ids, Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	mux := http.NewServeMux()
	mux.Handle("GET /hello", v.Middleware(http.HandlerFunc(hello)))
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	// The address line is what scripts (and the tests) wait for.
	fmt.Printf("listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// hello greets the caller named by the verified token.
func hello(w http.ResponseWriter, r *http.Request) {
	c, _ := verify.ClaimsFrom(r.Context())
	fmt.Fprintf(w, "hello, %s\n", c.Username)
}
