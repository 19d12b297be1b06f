package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/server"
	"github.com/cognate-dev/cognate/internal/testserver"
)

// replica is a server serving on a loopback port until stop is called.
type replica struct {
	*server.Server
	stop func()
}

func startReplica(t *testing.T, dsn string, every time.Duration) *replica {
	t.Helper()
	s, err := server.Open(context.Background(), server.Config{DB: dsn, DataDir: t.TempDir(), PublicURL: "http://127.0.0.1:9229",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), JanitorEvery: every})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, time.Second) }()
	r := &replica{Server: s}
	stopped := false
	r.stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(r.stop)
	return r
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestJanitorRunsOnOneReplica: two replicas on one database take turns as
// the janitor through the lease: one runs every purge while both are up,
// and when it stops the other takes over.
func TestJanitorRunsOnOneReplica(t *testing.T) {
	dsn := testserver.PostgresDSN(t)
	const every = 20 * time.Millisecond
	a, b := startReplica(t, dsn, every), startReplica(t, dsn, every)
	waitFor(t, "ten janitor runs", func() bool { return a.JanitorRuns()+b.JanitorRuns() >= 10 })
	holder, other := a, b
	if b.JanitorRuns() > a.JanitorRuns() {
		holder, other = b, a
	}
	if n := other.JanitorRuns(); n != 0 {
		t.Fatalf("both replicas purged: %d and %d runs", holder.JanitorRuns(), n)
	}
	holder.stop() // gives the lease back on the way out
	waitFor(t, "the other replica to take over", func() bool { return other.JanitorRuns() >= 3 })
}
