package main

// End to end: the new ops against real servers run in this process
// (internal/server, the same assembly as `cognate serve`), with cheap
// password hashing. TestEndToEndSQLite uses one SQLite server;
// TestEndToEndPostgresReplicas two replicas of one PostgreSQL schema, so it
// needs COGNATE_TEST_POSTGRES_URL (skipped without it, failed without it
// when COGNATE_REQUIRE_POSTGRES=1, as in store/postgres).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/internal/server"
	"github.com/cognate-dev/cognate/userpool"
)

// lockedBuffer collects a server's error log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServers runs n servers on loopback ports, all with the first one's
// URL as their public URL (replicas: a token minted by one is valid on
// all). dsn "" gives each a SQLite database of its own (use n = 1 then).
// They stop, and any error they logged fails the test, at cleanup.
func startServers(t *testing.T, n int, dsn string) []string {
	t.Helper()
	var lns []net.Listener
	var urls []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		urls = append(urls, "http://"+ln.Addr().String())
	}
	for i, ln := range lns {
		logs := &lockedBuffer{}
		log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelError}))
		srv, err := server.Open(context.Background(), server.Config{DataDir: t.TempDir(), DB: dsn, PublicURL: urls[0], Logger: log,
			Hash: userpool.HashParams{Time: 1, Memory: 1024, Threads: 1}})
		if err != nil {
			ln.Close()
			t.Fatalf("server %d: %v", i, err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx, ln, 5*time.Second) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server %d: %v", i, err)
			}
			if s := logs.String(); s != "" {
				t.Errorf("server %d logged errors:\n%s", i, s)
			}
		})
	}
	return urls
}

// runLoad runs cognate-load with args and returns what it printed.
func runLoad(t *testing.T, args ...string) string {
	t.Helper()
	c, err := parseFlags(args)
	if err != nil {
		t.Fatalf("flags %q: %v", args, err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&out, r); close(copied) }()
	start := time.Now()
	err = run(c)
	os.Stdout = stdout
	w.Close()
	<-copied
	r.Close()
	t.Logf("cognate-load %s (%.1fs):\n%s", strings.Join(args, " "), time.Since(start).Seconds(), out.String())
	if err != nil {
		t.Fatalf("cognate-load %q: %v", args, err)
	}
	return out.String()
}

func wantLines(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q", w)
		}
	}
}

// small keeps the runs short: few users and tokens, one-second phases.
var small = []string{"-duration", "1s", "-concurrency", "4", "-users", "2", "-signins", "1", "-raw-rsa=false",
	"-gso-users", "12", "-revoke-tokens", "12", "-visibility-trials", "8", "-sessions", "12", "-gso-calls", "3"}

func TestEndToEndSQLite(t *testing.T) {
	urls := startServers(t, 1, "")
	ep := urls[0]
	out := runLoad(t, append([]string{"-endpoint", ep, "-op", "globalsignout"}, small...)...)
	wantLines(t, out, "globalsignout: 12 requests", "errors 0 (0.000%)", "all 12 pre-minted tokens used",
		"checked that 3 signed-out access tokens are refused", "| globalsignout | ")
	out = runLoad(t, append([]string{"-endpoint", ep, "-op", "visibility"}, small...)...)
	wantLines(t, out, "A and B are the same server", "refused on B's first request after A's 200: 8 of 8 checked (100.00%)",
		"| all | 8 | 8 (100.00%) | 0 | 0 | 0 |")
	out = runLoad(t, append([]string{"-endpoint", ep, "-op", "gso-latency", "-mint", "password"}, small...)...)
	wantLines(t, out, "minted 12 sessions for load-gso-many", "12 sessions minted before the first GlobalSignOut are refused",
		"user with 1 session (then 1 live session and up to 3 rows): n 3,", "user with 12 sessions (then 1 live session and 12 to 14 rows): n 3,",
		"| ratio many / one |")
}

func TestEndToEndPostgresReplicas(t *testing.T) {
	base := os.Getenv("COGNATE_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("COGNATE_REQUIRE_POSTGRES") == "1" {
			t.Fatal("COGNATE_REQUIRE_POSTGRES=1 but COGNATE_TEST_POSTGRES_URL is not set: the two-replica test cannot run")
		}
		t.Skip("two replicas need PostgreSQL: set COGNATE_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) to run this test")
	}
	dsn := freshSchema(t, base)
	urls := startServers(t, 2, dsn)
	eps := urls[0] + "," + urls[1]
	out := runLoad(t, append([]string{"-endpoint", eps, "-op", "all"}, small...)...)
	for _, op := range []string{"refresh", "getuser", "revoke", "globalsignout"} {
		wantLines(t, out, op+": per endpoint: "+urls[0]+" ")
	}
	wantLines(t, out, "globalsignout: 12 requests", "all 12 pre-minted tokens used", "checked that 3 signed-out access tokens are refused",
		"revoke: checked that 3 revoked refresh tokens are refused", "| op | "+urls[0]+" | "+urls[1]+" |")
	out = runLoad(t, append([]string{"-endpoint", eps, "-op", "visibility"}, small...)...)
	wantLines(t, out, "A "+urls[0]+", B "+urls[1], "refused on B's first request after A's 200: 8 of 8 checked (100.00%)")
	out = runLoad(t, append([]string{"-endpoint", eps, "-op", "gso-latency"}, small...)...)
	wantLines(t, out, "checked on "+urls[1]+" that 12 sessions minted before the first GlobalSignOut are refused")
}

// freshSchema makes an empty schema on the test server, dropped at cleanup,
// and returns a DSN whose search_path is that schema.
func freshSchema(t *testing.T, base string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "cognate_load_test_" + hex.EncodeToString(b)
	exec := func(sql string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connect to COGNATE_TEST_POSTGRES_URL: %v", err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	t.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" {
		t.Skipf("COGNATE_TEST_POSTGRES_URL is not a URL; this test adds search_path to it")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
