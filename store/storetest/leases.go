package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// acquire calls AcquireLease and checks its answer.
func acquire(t *testing.T, s store.Store, name, holder string, now time.Time, ttl time.Duration, want bool) {
	t.Helper()
	got, err := s.AcquireLease(t.Context(), name, holder, now, ttl)
	if err != nil {
		t.Errorf("AcquireLease(%q, %q, %v): %v", name, holder, now, err)
		return
	}
	if got != want {
		t.Errorf("AcquireLease(%q, %q, %v) = %v, want %v", name, holder, now, got, want)
	}
}

func testLeases(t *testing.T, s store.Store) {
	ctx := t.Context()
	const ttl = time.Minute

	// Free: taken.
	acquire(t, s, "janitor", "a", at(0), ttl, true)
	// Valid: refused to another holder, to the last millisecond.
	acquire(t, s, "janitor", "b", at(30*time.Second), ttl, false)
	acquire(t, s, "janitor", "b", at(ttl-time.Millisecond), ttl, false)
	// The holder renews it, which extends it to now+ttl.
	acquire(t, s, "janitor", "a", at(50*time.Second), ttl, true)
	acquire(t, s, "janitor", "b", at(90*time.Second), ttl, false) // past the first expiry
	acquire(t, s, "janitor", "b", at(50*time.Second+ttl-time.Millisecond), ttl, false)
	// Expired (its expiry is now): taken over by another holder, which the
	// first then cannot take back.
	acquire(t, s, "janitor", "b", at(50*time.Second+ttl), ttl, true)
	acquire(t, s, "janitor", "a", at(50*time.Second+ttl+time.Second), ttl, false)

	// Leases are independent of each other.
	acquire(t, s, "other", "a", at(2*time.Minute), ttl, true)
	acquire(t, s, "janitor", "c", at(2*time.Minute), ttl, false)

	// Release by a non-holder is a no-op.
	mustOK(t, "ReleaseLease by a non-holder", s.ReleaseLease(ctx, "janitor", "a"))
	mustOK(t, "ReleaseLease by a never-holder", s.ReleaseLease(ctx, "janitor", "c"))
	acquire(t, s, "janitor", "c", at(2*time.Minute), ttl, false)
	// Release by the holder frees it, before its expiry, for anyone.
	mustOK(t, "ReleaseLease by the holder", s.ReleaseLease(ctx, "janitor", "b"))
	acquire(t, s, "janitor", "c", at(2*time.Minute), ttl, true)
	// And leaves the other lease alone.
	acquire(t, s, "other", "c", at(2*time.Minute), ttl, false)
	// Releasing twice, or a lease that never existed, is a no-op.
	mustOK(t, "ReleaseLease again", s.ReleaseLease(ctx, "janitor", "b"))
	mustOK(t, "ReleaseLease of a lease never taken", s.ReleaseLease(ctx, "never", "a"))
	// Its holder releases the other lease.
	mustOK(t, "ReleaseLease by the other lease's holder", s.ReleaseLease(ctx, "other", "a"))
	acquire(t, s, "other", "c", at(2*time.Minute), ttl, true)

	// A renewal with a shorter TTL shortens it: the expiry is now+ttl.
	acquire(t, s, "short", "a", at(0), time.Hour, true)
	acquire(t, s, "short", "a", at(time.Minute), time.Second, true)
	acquire(t, s, "short", "b", at(time.Minute+time.Second), ttl, true)

	// Leases belong to no pool: deleting a pool leaves them.
	setup(t, s, "us-east-1_lease")
	mustOK(t, "DeletePool", s.DeletePool(ctx, "us-east-1_lease"))
	acquire(t, s, "janitor", "d", at(2*time.Minute), ttl, false)

	// Meaningless arguments are refused with an error, and take nothing.
	for _, c := range []struct {
		what         string
		name, holder string
		now          time.Time
		ttl          time.Duration
	}{
		{"an empty name", "", "a", at(0), ttl},
		{"an empty holder", "fresh", "", at(0), ttl},
		{"a zero TTL", "fresh", "a", at(0), 0},
		{"a negative TTL", "fresh", "a", at(0), -time.Second},
		{"the zero time", "fresh", "a", time.Time{}, ttl},
	} {
		if ok, err := s.AcquireLease(ctx, c.name, c.holder, c.now, c.ttl); err == nil || ok {
			t.Errorf("AcquireLease with %s = %v, %v; want false and an error", c.what, ok, err)
		}
	}
	acquire(t, s, "fresh", "z", at(0), ttl, true)
}

// testLeaseConcurrent: of holders racing for a free lease, or for an expired
// one, exactly one gets it; the others are refused without an error.
func testLeaseConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const rounds, n, ttl = 4, 12, time.Minute
	for r := range rounds {
		name := fmt.Sprintf("race-%d", r)
		// Free, then expired twice (each winner renews once, below).
		for phase, now := range []time.Time{at(0), at(2 * ttl), at(4 * ttl)} {
			var wins atomic.Int32
			winner := make([]bool, n)
			race(n, func(i int) {
				ok, err := s.AcquireLease(ctx, name, fmt.Sprintf("holder-%d-%d", phase, i), now, ttl)
				if err != nil {
					t.Errorf("round %d phase %d: AcquireLease: %v", r, phase, err)
					return
				}
				if ok {
					wins.Add(1)
					winner[i] = true
				}
			})
			if w := wins.Load(); w != 1 {
				t.Fatalf("round %d phase %d: %d of %d racing holders acquired the lease, want 1", r, phase, w, n)
			}
			// The winner holds it: it renews, the others are refused.
			for i := range n {
				acquire(t, s, name, fmt.Sprintf("holder-%d-%d", phase, i), now.Add(time.Second), ttl, winner[i])
			}
		}
	}
}

// LeaseAcrossStores races holders on several stores over one database (the
// replicas of a deployment, or processes on one file) for a free lease and
// then an expired one, and checks that exactly one holder gets it each
// time. A backend's tests call it with stores opened on the same database.
func LeaseAcrossStores(t *testing.T, stores ...store.Store) {
	t.Helper()
	ctx := t.Context()
	const rounds, perStore, ttl = 3, 4, time.Minute
	n := perStore * len(stores)
	for r := range rounds {
		name := fmt.Sprintf("replicas-%d", r)
		for phase, now := range []time.Time{at(0), at(2 * ttl)} {
			var wins atomic.Int32
			race(n, func(i int) {
				holder := fmt.Sprintf("replica-%d/%d", i%len(stores), i)
				ok, err := stores[i%len(stores)].AcquireLease(ctx, name, holder, now, ttl)
				if err != nil {
					t.Errorf("round %d phase %d: AcquireLease on store %d: %v", r, phase, i%len(stores), err)
				} else if ok {
					wins.Add(1)
				}
			})
			if w := wins.Load(); w != 1 {
				t.Errorf("round %d phase %d: %d of %d holders on %d stores acquired the lease, want 1",
					r, phase, w, n, len(stores))
			}
		}
	}
}
