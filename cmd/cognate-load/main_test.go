package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:9229", "http://127.1.2.3", "http://localhost:1", "http://LOCALHOST",
		"http://[::1]:9229", "https://127.0.0.1"} {
		if err := checkLoopback(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1:9229", "http://example.com", "http://128.0.0.1", "http://[::2]",
		"http://0.0.0.0:9229", "ftp://127.0.0.1", "http://localhost.example.com", "http://127.0.0.1.nip.io"} {
		if err := checkLoopback(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// TestLoopCountsErrors: non-200 answers and 200 answers without the
// expected fields are errors; the loop stops by itself at the deadline.
func TestLoopCountsErrors(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != targetPrefix+"GetUser" {
			http.Error(w, "wrong target", http.StatusBadRequest)
			return
		}
		switch n.Add(1) % 4 {
		case 0:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"NotAuthorizedException","message":"no"}`))
		case 1:
			_, _ = w.Write([]byte(`{}`))
		default:
			_, _ = w.Write([]byte(`{"Username":"load-user-001"}`))
		}
	}))
	defer srv.Close()
	cl := newClient(srv.URL, 4)
	s, err := spec("getuser", &fixture{sessions: []session{{accessToken: "a"}, {accessToken: "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := loop(context.Background(), []*client{cl}, spreadRoundRobin, s, 4, 300*time.Millisecond)
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("loop ran %s", el)
	}
	if r.ok == 0 || r.errors == 0 {
		t.Fatalf("ok %d errors %d", r.ok, r.errors)
	}
	// Half the answers are good, a quarter are 400s, a quarter empty 200s.
	if rate := r.errorRate(); rate < 0.4 || rate > 0.6 {
		t.Fatalf("error rate %.2f, want about 0.5", rate)
	}
	var sawStatus, sawBody bool
	for k := range r.errSamples {
		sawStatus = sawStatus || strings.HasPrefix(k, "HTTP 400")
		sawBody = sawBody || strings.HasPrefix(k, "unexpected 200 body")
	}
	if !sawStatus || !sawBody {
		t.Fatalf("error samples %v", r.errSamples)
	}
	if len(r.latencies) != r.ok {
		t.Fatalf("%d latencies for %d successes", len(r.latencies), r.ok)
	}
}

// TestLoopOnceUsesEachBodyOnce: revoke-style specs never repeat a body and
// stop when they run out.
func TestLoopOnceUsesEachBodyOnce(t *testing.T) {
	seen := make(chan string, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		buf := make([]byte, 512)
		for {
			n, err := r.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		seen <- b.String()
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	fx := &fixture{clientID: "c"}
	for i := range 50 {
		fx.revokeTokens = append(fx.revokeTokens, strings.Repeat("t", i+1))
	}
	s, err := spec("revoke", fx)
	if err != nil {
		t.Fatal(err)
	}
	r := loop(context.Background(), []*client{newClient(srv.URL, 8)}, spreadRoundRobin, s, 8, 10*time.Second)
	close(seen)
	if r.ok != 50 || r.errors != 0 {
		t.Fatalf("ok %d errors %d", r.ok, r.errors)
	}
	if r.elapsed > 5*time.Second {
		t.Fatalf("did not stop when the tokens ran out: %s", r.elapsed)
	}
	distinct := map[string]bool{}
	for b := range seen {
		if distinct[b] {
			t.Fatalf("body sent twice: %s", b)
		}
		distinct[b] = true
	}
	if len(distinct) != 50 {
		t.Fatalf("%d distinct bodies", len(distinct))
	}
}
