package server

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Health answers the two probes a load balancer or an orchestrator asks:
//
//   - GET /health: the process is up (always 200 while it runs), and how
//     the database answered its last ping. A database outage is not a
//     reason to restart the process, so liveness does not fail with it.
//   - GET /ready: this replica can serve — the database answers and the
//     server is not shutting down — 200, else 503, so that a balancer
//     sends the traffic elsewhere.
//
// Both are unauthenticated: a ping result is reused for pingEvery, so
// probing them cannot load the database.
type health struct {
	ping     func(context.Context) error
	backend  string
	now      func() time.Time
	draining atomic.Bool

	mu      sync.Mutex
	checked time.Time
	lastErr error
	latency time.Duration
}

const (
	pingEvery   = time.Second     // how long a ping result is reused
	pingTimeout = 2 * time.Second // longer than this is "not answering"
)

// check pings the database unless a recent result can be reused.
// Concurrent probes wait for one ping rather than each sending one.
func (h *health) check(ctx context.Context) (time.Duration, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.checked.IsZero() && h.now().Sub(h.checked) < pingEvery {
		return h.latency, h.lastErr
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pingTimeout)
	defer cancel()
	start := time.Now()
	err := h.ping(ctx)
	h.checked, h.lastErr, h.latency = h.now(), err, time.Since(start)
	return h.latency, err
}

type databaseStatus struct {
	OK        bool    `json:"ok"`
	Backend   string  `json:"backend"`
	LatencyMS float64 `json:"latencyMs"`
	// Error says what is wrong in words safe to show anyone: never the
	// driver's message, which can carry addresses and SQL.
	Error string `json:"error,omitempty"`
}

func (h *health) database(ctx context.Context) databaseStatus {
	latency, err := h.check(ctx)
	st := databaseStatus{OK: err == nil, Backend: h.backend, LatencyMS: float64(latency.Microseconds()) / 1000}
	if err != nil {
		st.Error = "the database does not answer"
	}
	return st
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *health) serveHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		OK       bool           `json:"ok"`
		Database databaseStatus `json:"database"`
	}{true, h.database(r.Context())})
}

func (h *health) serveReady(w http.ResponseWriter, r *http.Request) {
	db := h.database(r.Context())
	ready := db.OK && !h.draining.Load()
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, struct {
		Ready    bool           `json:"ready"`
		Draining bool           `json:"draining,omitempty"`
		Database databaseStatus `json:"database"`
	}{ready, h.draining.Load(), db})
}
