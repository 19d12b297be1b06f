package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// probe GETs path from a real loopback server and decodes the JSON answer.
func probe(t *testing.T, base, path string) (int, map[string]any, string) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%s: Cache-Control %q, want no-store", path, resp.Header.Get("Cache-Control"))
	}
	return resp.StatusCode, v, string(raw)
}

func database(v map[string]any) map[string]any { m, _ := v["database"].(map[string]any); return m }

// TestHealthAndReadiness: /health is 200 while the process runs and reports
// the database; /ready is 200 only while the database answers and the
// server is not draining. A ping result is reused for a second, so probes
// cannot load the database.
func TestHealthAndReadiness(t *testing.T) {
	s, err := openForTest(t, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	s.health.now = func() time.Time { return time.Unix(0, clock.Load()) }
	pings := 0
	ping := s.health.ping
	s.health.ping = func(ctx context.Context) error { pings++; return ping(ctx) }
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	code, v, raw := probe(t, srv.URL, "/health")
	if code != http.StatusOK || v["ok"] != true || database(v)["ok"] != true || database(v)["backend"] != "sqlite" {
		t.Fatalf("/health on a working server: %d %s", code, raw)
	}
	code, v, raw = probe(t, srv.URL, "/ready")
	if code != http.StatusOK || v["ready"] != true {
		t.Fatalf("/ready on a working server: %d %s", code, raw)
	}
	for range 20 {
		probe(t, srv.URL, "/ready")
	}
	if pings != 1 {
		t.Fatalf("22 probes within a second pinged the database %d times, want 1", pings)
	}

	// The database goes away (here: the store is closed under the server).
	if err := s.store.Close(); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := probe(t, srv.URL, "/ready"); code != http.StatusOK {
		t.Fatalf("/ready within the second a good ping is reused for: %d", code)
	}
	clock.Add(int64(pingEvery))
	code, v, raw = probe(t, srv.URL, "/health")
	if code != http.StatusOK || v["ok"] != true || database(v)["ok"] != false || database(v)["error"] != "the database does not answer" {
		t.Fatalf("/health without a database: %d %s", code, raw)
	}
	if strings.Contains(raw, "sql:") || strings.Contains(raw, "closed") {
		t.Fatalf("/health shows the driver's error: %s", raw)
	}
	code, v, raw = probe(t, srv.URL, "/ready")
	if code != http.StatusServiceUnavailable || v["ready"] != false {
		t.Fatalf("/ready without a database: %d %s", code, raw)
	}
}

// TestReadyFailsWhileDraining: once shutdown starts, /ready answers 503 so
// that a balancer stops sending new requests.
func TestReadyFailsWhileDraining(t *testing.T) {
	s, err := openForTest(t, Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	s.health.draining.Store(true)
	code, v, raw := probe(t, srv.URL, "/ready")
	if code != http.StatusServiceUnavailable || v["ready"] != false || v["draining"] != true || database(v)["ok"] != true {
		t.Fatalf("/ready while draining: %d %s", code, raw)
	}
	if code, _, _ := probe(t, srv.URL, "/health"); code != http.StatusOK {
		t.Fatalf("/health while draining: %d", code)
	}
}
