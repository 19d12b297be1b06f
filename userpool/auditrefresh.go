package userpool

import (
	"sync"
	"time"
)

// A token refresh is the most frequent event a pool has: a client that
// refreshes every few seconds would fill the audit trail with one event per
// request (Cognito's own auth events do not record refreshes at all). So a
// refresh that passes is recorded once per token family per interval, per
// server process: the trail still shows which sessions were in use and
// when, and every refresh that fails (a revoked, reused or expired token) is
// recorded, as is every sign-in and sign-out.

// DefaultAuditRefreshInterval is how often, at most, a passed refresh of one
// token family is recorded by default.
const DefaultAuditRefreshInterval = time.Minute

// refreshSamplerMax bounds the families a refreshSampler remembers.
const refreshSamplerMax = 100_000

// refreshSampler decides which passed refreshes are recorded.
type refreshSampler struct {
	every time.Duration // <= 0: every refresh is recorded

	mu   sync.Mutex
	last map[string]time.Time // family id → when a refresh of it was last recorded
}

// due reports whether a passed refresh of family id at now is recorded, and
// if so notes it.
func (r *refreshSampler) due(id string, now time.Time) bool {
	if r.every <= 0 || id == "" {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if at, ok := r.last[id]; ok && now.Sub(at) < r.every && !now.Before(at) {
		return false
	}
	if r.last == nil {
		r.last = map[string]time.Time{}
	}
	if len(r.last) >= refreshSamplerMax {
		r.forget(now)
	}
	r.last[id] = now
	return true
}

// forget drops the families whose interval has passed, and everything if
// that frees nothing (a burst of distinct families then costs at most one
// extra event each).
func (r *refreshSampler) forget(now time.Time) {
	for id, at := range r.last {
		if now.Sub(at) >= r.every || now.Before(at) {
			delete(r.last, id)
		}
	}
	if len(r.last) >= refreshSamplerMax {
		clear(r.last)
	}
}
