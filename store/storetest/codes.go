package storetest

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

func newCode(u *store.User, purpose, code string) *store.Code {
	return &store.Code{PoolID: u.PoolID, UserSub: u.Sub, Purpose: purpose, Code: code, Data: []byte{0, 1, 'x'},
		CreatedAt: at(0), ExpiresAt: at(time.Hour)}
}

func testCodes(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	c := newCode(f.alice, "signup", "123456")
	mustOK(t, "PutCode", s.PutCode(ctx, c))
	got, err := s.GetCode(ctx, f.pool.ID, f.alice.Sub, "signup")
	mustOK(t, "GetCode", err)
	check(t, "GetCode", c, got)
	_, err = s.GetCode(ctx, f.pool.ID, f.alice.Sub, "forgot-password")
	wantErr(t, "GetCode of another purpose", err, store.ErrNotFound)
	_, err = s.GetCode(ctx, f.pool.ID, f.bobby.Sub, "signup")
	wantErr(t, "GetCode of another user", err, store.ErrNotFound)

	// Attempts count up to the limit, then nothing more is counted.
	for want := 1; want <= 3; want++ {
		got, err := s.AttemptCode(ctx, f.pool.ID, f.alice.Sub, "signup", 3)
		mustOK(t, "AttemptCode", err)
		if got.Attempts != want || got.Code != "123456" {
			t.Fatalf("AttemptCode #%d: %+v", want, got)
		}
	}
	_, err = s.AttemptCode(ctx, f.pool.ID, f.alice.Sub, "signup", 3)
	wantErr(t, "AttemptCode past the limit", err, store.ErrConflict)
	_, err = s.AttemptCode(ctx, f.pool.ID, f.bobby.Sub, "signup", 3)
	wantErr(t, "AttemptCode without a code", err, store.ErrNotFound)

	// A new code replaces the old one and its attempts.
	c2 := newCode(f.alice, "signup", "654321")
	c2.ExpiresAt = at(2 * time.Hour)
	mustOK(t, "PutCode (replace)", s.PutCode(ctx, c2))
	got, err = s.GetCode(ctx, f.pool.ID, f.alice.Sub, "signup")
	mustOK(t, "GetCode", err)
	check(t, "GetCode after a new code", c2, got)
	wantErr(t, "DeleteCode of the replaced code", s.DeleteCode(ctx, f.pool.ID, f.alice.Sub, "signup", "123456"), store.ErrNotFound)
	mustOK(t, "DeleteCode", s.DeleteCode(ctx, f.pool.ID, f.alice.Sub, "signup", "654321"))
	_, err = s.GetCode(ctx, f.pool.ID, f.alice.Sub, "signup")
	wantErr(t, "GetCode after DeleteCode", err, store.ErrNotFound)

	ghost := newUser(f.pool.ID, "ghost")
	wantErr(t, "PutCode for a missing user", s.PutCode(ctx, newCode(ghost, "signup", "1")), store.ErrNotFound)
}

// testAttemptCodeConcurrent: many concurrent attempts are counted exactly up
// to the limit — a guesser cannot get more comparisons by racing.
func testAttemptCodeConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	mustOK(t, "PutCode", s.PutCode(ctx, newCode(f.alice, "signup", "123456")))
	const limit, attempts = 5, 32
	var counted, refused atomic.Int32
	race(attempts, func(int) {
		_, err := s.AttemptCode(ctx, f.pool.ID, f.alice.Sub, "signup", limit)
		switch {
		case err == nil:
			counted.Add(1)
		case errors.Is(err, store.ErrConflict):
			refused.Add(1)
		default:
			t.Errorf("AttemptCode: %v", err)
		}
	})
	if counted.Load() != limit || refused.Load() != attempts-limit {
		t.Errorf("%d concurrent attempts with a limit of %d: %d counted, %d refused", attempts, limit, counted.Load(), refused.Load())
	}
	got, err := s.GetCode(ctx, f.pool.ID, f.alice.Sub, "signup")
	mustOK(t, "GetCode", err)
	if got.Attempts != limit {
		t.Errorf("Attempts = %d, want %d", got.Attempts, limit)
	}
}

// testDeleteCodeOnce: a code is single use even when redeemed concurrently.
func testDeleteCodeOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	mustOK(t, "PutCode", s.PutCode(ctx, newCode(f.alice, "forgot-password", "777777")))
	raceTakeOnce(t, "DeleteCode", 16, func() (bool, error) {
		return true, s.DeleteCode(ctx, f.pool.ID, f.alice.Sub, "forgot-password", "777777")
	}, func(bool) bool { return true })
}

func testCodesCascadeAndPurge(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	old := newCode(f.alice, "signup", "111111")
	old.ExpiresAt = at(-time.Minute)
	mustOK(t, "PutCode", s.PutCode(ctx, old))
	mustOK(t, "PutCode", s.PutCode(ctx, newCode(f.alice, "verify:email", "222222")))
	mustOK(t, "PutCode", s.PutCode(ctx, newCode(f.bobby, "signup", "333333")))
	n, err := s.PurgeCodes(ctx, at(0), 0)
	mustOK(t, "PurgeCodes", err)
	if n != 1 {
		t.Errorf("PurgeCodes deleted %d, want 1", n)
	}
	_, err = s.GetCode(ctx, f.pool.ID, f.alice.Sub, "signup")
	wantErr(t, "GetCode of a purged code", err, store.ErrNotFound)
	mustOK(t, "DeleteUser", s.DeleteUser(ctx, f.pool.ID, f.alice.Username))
	_, err = s.GetCode(ctx, f.pool.ID, f.alice.Sub, "verify:email")
	wantErr(t, "GetCode of a deleted user", err, store.ErrNotFound)
	_, err = s.GetCode(ctx, f.pool.ID, f.bobby.Sub, "signup")
	mustOK(t, "GetCode of another user after DeleteUser", err)
	mustOK(t, "DeletePool", s.DeletePool(ctx, f.pool.ID))
	_, err = s.GetCode(ctx, f.pool.ID, f.bobby.Sub, "signup")
	wantErr(t, "GetCode after DeletePool", err, store.ErrNotFound)
}

func testThrottles(t *testing.T, s store.Store) {
	ctx := t.Context()
	var seen store.Throttle
	mustOK(t, "UpdateThrottle", s.UpdateThrottle(ctx, "user:alice", func(st *store.Throttle) error {
		seen = *st
		st.Count, st.Pending, st.Until, st.Since, st.UpdatedAt = 1, 3, at(time.Second), at(0), at(0)
		return nil
	}))
	if seen != (store.Throttle{}) {
		t.Errorf("a new key's state = %+v, want the zero Throttle", seen)
	}
	mustOK(t, "UpdateThrottle", s.UpdateThrottle(ctx, "user:alice", func(st *store.Throttle) error {
		seen = *st
		return nil
	}))
	want := store.Throttle{Count: 1, Pending: 3, Until: at(time.Second), Since: at(0), UpdatedAt: at(0)}
	check(t, "the stored state", &want, &seen)
	// An error stores nothing.
	boom := errors.New("boom")
	err := s.UpdateThrottle(ctx, "user:alice", func(st *store.Throttle) error {
		st.Count = 99
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("UpdateThrottle returned %v, want fn's error", err)
	}
	mustOK(t, "UpdateThrottle", s.UpdateThrottle(ctx, "user:alice", func(st *store.Throttle) error {
		seen = *st
		return nil
	}))
	if seen.Count != 1 {
		t.Errorf("after a failed update Count = %d, want 1", seen.Count)
	}
	mustOK(t, "UpdateThrottle", s.UpdateThrottle(ctx, "ip:192.0.2.1", func(st *store.Throttle) error {
		st.Count, st.UpdatedAt = 5, at(time.Hour)
		return nil
	}))
	n, err := s.PurgeThrottles(ctx, at(time.Minute), 0)
	mustOK(t, "PurgeThrottles", err)
	if n != 1 {
		t.Errorf("PurgeThrottles deleted %d, want 1", n)
	}
	mustOK(t, "UpdateThrottle", s.UpdateThrottle(ctx, "user:alice", func(st *store.Throttle) error {
		seen = *st
		return nil
	}))
	if seen != (store.Throttle{}) {
		t.Errorf("a purged key's state = %+v, want the zero Throttle", seen)
	}
}

// testThrottlesConcurrent: concurrent read-modify-writes of one key lose
// nothing.
func testThrottlesConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 40
	race(n, func(int) {
		if err := s.UpdateThrottle(ctx, "user:bob", func(st *store.Throttle) error {
			st.Count++
			st.Pending += 2
			st.UpdatedAt = at(0)
			return nil
		}); err != nil {
			t.Errorf("UpdateThrottle: %v", err)
		}
	})
	var got, pending int
	mustOK(t, "UpdateThrottle", s.UpdateThrottle(ctx, "user:bob", func(st *store.Throttle) error {
		got, pending = st.Count, st.Pending
		return nil
	}))
	if got != n || pending != 2*n {
		t.Errorf("%d concurrent increments left Count %d and Pending %d, want %d and %d", n, got, pending, n, 2*n)
	}
}
