package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// testSessionTakesUserGeneration: CreateSession records the user's current
// generation whatever the caller says, and refuses a disabled user.
func testSessionTakesUserGeneration(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	for range 2 {
		_, err := s.BumpSignOutGen(ctx, f.pool.ID, f.alice.Username, at(0), "signed-out")
		mustOK(t, "BumpSignOutGen", err)
	}
	sess := newSession("s-gen", f.c1, f.alice, at(time.Minute))
	sess.UserGen = 0 // stale: must be ignored
	mustOK(t, "CreateSession", s.CreateSession(ctx, sess))
	if sess.UserGen != 2 {
		t.Errorf("CreateSession left UserGen %d, want the user's 2", sess.UserGen)
	}
	got, err := s.GetSession(ctx, sess.ID)
	mustOK(t, "GetSession", err)
	check(t, "GetSession", sess, got)

	u, err := s.GetUser(ctx, f.pool.ID, f.bobby.Username)
	mustOK(t, "GetUser", err)
	u.Enabled = false
	mustOK(t, "UpdateUser", s.UpdateUser(ctx, u))
	wantErr(t, "CreateSession of a disabled user", s.CreateSession(ctx, newSession("s-off", f.c1, f.bobby, at(0))), store.ErrConflict)
	_, err = s.GetSession(ctx, "s-off")
	wantErr(t, "GetSession of a refused session", err, store.ErrNotFound)

	ghost := newUser(f.pool.ID, "ghost")
	wantErr(t, "CreateSession of a missing user", s.CreateSession(ctx, newSession("s-ghost", f.c1, ghost, at(0))), store.ErrNotFound)
}

// testSessionNeverBornDead races session creation with global sign-outs:
// a session created after a bump committed must carry that bump's (or a
// later) generation.
func testSessionNeverBornDead(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	var committed atomic.Int64 // highest generation whose bump has returned
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			gen, err := s.BumpSignOutGen(ctx, f.pool.ID, f.alice.Username, at(0), "signed-out")
			if err != nil {
				t.Errorf("BumpSignOutGen: %v", err)
				return
			}
			for {
				cur := committed.Load()
				if gen <= cur || committed.CompareAndSwap(cur, gen) {
					break
				}
			}
		}
	})
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				before := committed.Load()
				sess := newSession(fmt.Sprintf("s-%d-%d", w, i), f.c1, f.alice, at(time.Duration(i)*time.Second))
				if err := s.CreateSession(ctx, sess); err != nil {
					t.Errorf("CreateSession: %v", err)
					return
				}
				if sess.UserGen < before {
					t.Errorf("session %s born dead: generation %d, but %d was committed before it was created", sess.ID, sess.UserGen, before)
				}
				got, err := s.GetSession(ctx, sess.ID)
				if err != nil || got.UserGen != sess.UserGen {
					t.Errorf("GetSession(%s): UserGen %v, %v; CreateSession said %d", sess.ID, got, err, sess.UserGen)
				}
			}
		})
	}
	time.Sleep(10 * time.Millisecond)
	close(stop)
	wg.Wait()
}

// testPurgeSessions: the janitor's query deletes the families that can
// mint no more tokens and whose tokens have all expired — expired, revoked
// or signed out more than their AccessTTL ago — and nothing else.
func testPurgeSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	mk := func(id string, c *store.Client, u *store.User, mod func(*store.Session)) {
		ss := newSession(id, c, u, at(0))
		ss.ExpiresAt, ss.AccessTTL = at(48*time.Hour), time.Hour
		if mod != nil {
			mod(ss)
		}
		mustOK(t, "CreateSession "+id, s.CreateSession(ctx, ss))
	}
	mk("live", f.c1, f.alice, nil)
	mk("expired", f.c1, f.alice, func(ss *store.Session) { ss.ExpiresAt = at(time.Hour) })
	mk("expired-tokens-alive", f.c1, f.alice, func(ss *store.Session) { ss.ExpiresAt = at(9*time.Hour + 30*time.Minute) })
	mk("revoked-long-ago", f.c1, f.alice, nil)
	mk("revoked-recently", f.c2, f.alice, nil)
	mk("revoked-long-lived-tokens", f.c2, f.alice, func(ss *store.Session) { ss.AccessTTL = 24 * time.Hour })
	mk("bobby-before-signout", f.c1, f.bobby, nil)
	mustOK(t, "RevokeSession", s.RevokeSession(ctx, "revoked-long-ago", at(2*time.Hour), "revoked"))
	mustOK(t, "RevokeSession", s.RevokeSession(ctx, "revoked-recently", at(9*time.Hour+30*time.Minute), "revoked"))
	mustOK(t, "RevokeSession", s.RevokeSession(ctx, "revoked-long-lived-tokens", at(2*time.Hour), "revoked"))
	_, err := s.BumpSignOutGen(ctx, f.pool.ID, f.bobby.Username, at(3*time.Hour), "signed-out")
	mustOK(t, "BumpSignOutGen", err)
	mk("bobby-after-signout", f.c2, f.bobby, nil)

	// Now is 10 h in, and the tokens live an hour (one family's a day).
	n, err := s.PurgeSessions(ctx, at(10*time.Hour), 0)
	mustOK(t, "PurgeSessions", err)
	if n != 3 {
		t.Errorf("PurgeSessions deleted %d, want 3", n)
	}
	for id, gone := range map[string]bool{"live": false, "expired": true, "expired-tokens-alive": false,
		"revoked-long-ago": true, "revoked-recently": false, "revoked-long-lived-tokens": false,
		"bobby-before-signout": true, "bobby-after-signout": false} {
		_, err := s.GetSession(ctx, id)
		if gone && !errorsIsNotFound(err) {
			t.Errorf("session %s survived the purge (%v)", id, err)
		}
		if !gone && err != nil {
			t.Errorf("session %s: %v after the purge", id, err)
		}
	}
}

// testPurgesAreBounded: every purge deletes at most its limit per call.
func testPurgesAreBounded(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	for i := range 5 {
		ss := newSession(fmt.Sprintf("old-%d", i), f.c1, f.alice, at(0))
		ss.ExpiresAt = at(time.Hour)
		mustOK(t, "CreateSession", s.CreateSession(ctx, ss))
		ch := newChallenge(f.c1, fmt.Sprintf("ch-%d", i), "alice")
		ch.ExpiresAt = at(time.Hour)
		mustOK(t, "PutChallenge", s.PutChallenge(ctx, ch))
		mustOK(t, "CreateWebSession", s.CreateWebSession(ctx, newWebSession(fmt.Sprintf("ws-%d", i), f.alice, at(-2*time.Hour))))
	}
	for _, p := range []struct {
		name  string
		purge func(limit int) (int64, error)
	}{
		{"PurgeSessions", func(l int) (int64, error) { return s.PurgeSessions(ctx, at(3*time.Hour), l) }},
		{"PurgeChallenges", func(l int) (int64, error) { return s.PurgeChallenges(ctx, at(2*time.Hour), l) }},
		{"PurgeWebSessions", func(l int) (int64, error) { return s.PurgeWebSessions(ctx, at(2*time.Hour), l) }},
	} {
		var got []int64
		for range 4 {
			n, err := p.purge(2)
			mustOK(t, p.name, err)
			got = append(got, n)
		}
		if fmt.Sprint(got) != "[2 2 1 0]" {
			t.Errorf("%s with limit 2 over 5 records deleted %v per call, want [2 2 1 0]", p.name, got)
		}
	}
}
