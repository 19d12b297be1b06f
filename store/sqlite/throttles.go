package sqlite

import (
	"context"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// throttles keeps sign-in throttle state in memory. One SQLite database is
// served by one process (the server locks its data directory), so memory is
// shared by every request that must see it; throttle state need not
// survive a restart, and keeping it out of the file spares every sign-in
// attempt an fsync'd write.
type throttles struct {
	mu sync.Mutex
	m  map[string]store.Throttle
}

// UpdateThrottle implements store.Throttles; updates of all keys are
// serialized by one mutex (fn is a few comparisons).
func (s *Store) UpdateThrottle(ctx context.Context, key string, fn func(*store.Throttle) error) error {
	if err := ctx.Err(); err != nil {
		return wrap("update throttle", err)
	}
	t := &s.throttles
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.m[key]
	if err := fn(&st); err != nil {
		return err
	}
	if t.m == nil {
		t.m = map[string]store.Throttle{}
	}
	st.UpdatedAt = st.UpdatedAt.UTC().Truncate(time.Millisecond)
	st.Until = st.Until.UTC().Truncate(time.Millisecond)
	st.Since = st.Since.UTC().Truncate(time.Millisecond)
	t.m[key] = st
	return nil
}

// PurgeThrottles implements store.Throttles.
func (s *Store) PurgeThrottles(ctx context.Context, before time.Time, limit int) (int64, error) {
	t := &s.throttles
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	for k, st := range t.m {
		if limit > 0 && n >= int64(limit) {
			break
		}
		if st.UpdatedAt.Before(before) {
			delete(t.m, k)
			n++
		}
	}
	return n, nil
}
