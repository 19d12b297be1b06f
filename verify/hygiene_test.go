package verify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/faultproxy"
	"github.com/cognate-dev/cognate/internal/testserver"
)

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

// TestLogsHoldNoTokensOrSecrets drives a verifier through acceptance,
// forgery, revocation, a wrong feed secret and an unreachable feed with
// debug logging, and reads the logs for any token or secret.
func TestLogsHoldNoTokensOrSecrets(t *testing.T) {
	e := newEnv(t, testserver.WithSecret())
	requireFeed(t, e)
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	u, _ := url.Parse(e.srv.URL)
	proxy := faultproxy.New(t, u.Host)
	v := e.newVerifier(t, Config{Feed: FeedRequired, FeedClientID: e.client, FeedClientSecret: e.secret, Logger: logger,
		MaxStaleness: 300 * time.Millisecond, HTTPClient: feedThrough(proxy)})
	wrong := e.newVerifier(t, Config{Feed: FeedRequired, FeedClientID: e.client, FeedClientSecret: e.secret + "-wrong",
		Logger: logger, InitialWait: 200 * time.Millisecond})
	waitFollowing(t, v)
	tok := e.signIn(t)
	mustVerify(t, v, tok.access)
	_, _ = v.Verify(context.Background(), tok.access+"x")
	_, _ = wrong.Verify(context.Background(), tok.access)
	revokeRefresh(t, e, tok.refresh)
	eventually(t, v, tok.access, ErrRevoked, revocationLimit)
	other := e.signIn(t)
	proxy.Down()
	eventually(t, v, other.access, ErrStale, 3*time.Second)
	time.Sleep(200 * time.Millisecond)

	out := logs.String()
	if !strings.Contains(out, "revocation feed unavailable") {
		t.Fatalf("the logs lack the feed failures:\n%s", out)
	}
	for name, secret := range map[string]string{"access token": tok.access, "signature": tok.access[strings.LastIndexByte(tok.access, '.')+1:],
		"refresh token": tok.refresh, "ID token": tok.id, "client secret": e.secret, "other token": other.access} {
		if strings.Contains(out, secret) {
			t.Errorf("the logs contain the %s", name)
		}
	}
}

// TestVerifyConcurrentlyWithRevocations: many goroutines verify while the
// feed applies revocations (run with -race); every revoked token ends up
// refused and every other accepted.
func TestVerifyConcurrentlyWithRevocations(t *testing.T) {
	e := newEnv(t)
	requireFeed(t, e)
	v := e.newVerifier(t, Config{Feed: FeedRequired, Logger: discardLogger()})
	waitFollowing(t, v)
	var toks []tokens
	for range 6 {
		toks = append(toks, e.signIn(t))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; ctx.Err() == nil; i++ {
				_, err := v.Verify(ctx, toks[i%len(toks)].access)
				if err != nil && !errors.Is(err, ErrRevoked) {
					t.Errorf("Verify: %v", err)
					return
				}
			}
		})
	}
	for i := 0; i < len(toks); i += 2 {
		revokeRefresh(t, e, toks[i].refresh)
	}
	for i := 0; i < len(toks); i += 2 {
		eventually(t, v, toks[i].access, ErrRevoked, revocationLimit)
	}
	cancel()
	wg.Wait()
	for i := 1; i < len(toks); i += 2 {
		mustVerify(t, v, toks[i].access)
	}
}

// TestCloseLetsTheServerStopPromptly: Close leaves no connection open
// behind it (an idle connection that never carried a request holds a Go
// server's graceful shutdown for 5 s).
func TestCloseLetsTheServerStopPromptly(t *testing.T) {
	for range 12 {
		e := newEnv(t)
		v := e.newVerifier(t, Config{Feed: FeedRequired, Logger: discardLogger()})
		waitFollowing(t, v)
		mustVerify(t, v, e.signIn(t).access)
		v.Close()
		start := time.Now()
		e.srv.Stop()
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("the server took %v to stop after Close", d)
		}
	}
}
