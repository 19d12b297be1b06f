package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

func sessionID(s *store.Session) string { return s.ID }

func testSetSessionClient(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	ss := newSession("origin-jti-1", f.c1, f.alice, at(time.Minute))
	other := newSession("origin-jti-2", f.c1, f.alice, at(time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, ss))
	mustOK(t, "CreateSession", s.CreateSession(ctx, other))
	mustOK(t, "SetSessionClient", s.SetSessionClient(ctx, ss.ID, "2001:db8::1", "agent/2 \u00e9"))
	want := *ss
	want.SourceIP, want.UserAgent = "2001:db8::1", "agent/2 \u00e9"
	got, err := s.GetSession(ctx, ss.ID)
	mustOK(t, "GetSession", err)
	check(t, "GetSession after SetSessionClient", &want, got)
	got, err = s.GetSession(ctx, other.ID)
	mustOK(t, "GetSession", err)
	check(t, "the other session after SetSessionClient", other, got)
	wantErr(t, "SetSessionClient of a missing session", s.SetSessionClient(ctx, "origin-jti-missing", "", ""), store.ErrNotFound)
}

func testListUserSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q") // another pool with a user of the same name
	now := at(time.Hour)
	mk := func(id string, c *store.Client, u *store.User, edit func(*store.Session)) *store.Session {
		ss := newSession(id, c, u, at(time.Minute))
		if edit != nil {
			edit(ss)
		}
		mustOK(t, "CreateSession", s.CreateSession(ctx, ss))
		return ss
	}
	live1 := mk("s-a", f.c1, f.alice, nil)
	live2 := mk("s-c", f.c2, f.alice, func(ss *store.Session) { ss.Source = "hostedui" })
	mk("s-b", f.c1, f.alice, func(ss *store.Session) { ss.RevokedAt, ss.Revoked = at(2*time.Minute), "revoked" })
	mk("s-d", f.c1, f.alice, func(ss *store.Session) { ss.ExpiresAt = now }) // expires now
	mk("s-e", f.c1, f.bobby, nil)                                            // another user
	mk("s-f", g.c1, g.alice, nil)                                            // another pool
	live3 := mk("s-g", f.c1, f.alice, func(ss *store.Session) { ss.ExpiresAt = now.Add(time.Millisecond) })

	got, err := s.ListUserSessions(ctx, f.pool.ID, f.alice.Sub, now, "", 0)
	mustOK(t, "ListUserSessions", err)
	checkIDs(t, "ListUserSessions ids", []string{"s-a", "s-c", "s-g"}, ids(got, sessionID))
	if len(got) == 3 {
		check(t, "ListUserSessions s-a", live1, got[0])
		check(t, "ListUserSessions s-c", live2, got[1])
		check(t, "ListUserSessions s-g", live3, got[2])
	}
	// Paging.
	page, err := s.ListUserSessions(ctx, f.pool.ID, f.alice.Sub, now, "", 2)
	mustOK(t, "ListUserSessions", err)
	checkIDs(t, "first page", []string{"s-a", "s-c"}, ids(page, sessionID))
	page, err = s.ListUserSessions(ctx, f.pool.ID, f.alice.Sub, now, "s-c", 2)
	mustOK(t, "ListUserSessions", err)
	checkIDs(t, "second page", []string{"s-g"}, ids(page, sessionID))

	// A global sign-out ends them all; a session started after it lives.
	_, err = s.BumpSignOutGen(ctx, f.pool.ID, f.alice.Username, at(2*time.Minute), "signed-out")
	mustOK(t, "BumpSignOutGen", err)
	mk("s-h", f.c1, f.alice, nil)
	got, err = s.ListUserSessions(ctx, f.pool.ID, f.alice.Sub, now, "", 0)
	mustOK(t, "ListUserSessions", err)
	checkIDs(t, "ListUserSessions after a global sign-out", []string{"s-h"}, ids(got, sessionID))

	// A disabled user has none.
	u, err := s.GetUser(ctx, f.pool.ID, f.alice.Username)
	mustOK(t, "GetUser", err)
	u.Enabled = false
	mustOK(t, "UpdateUser", s.UpdateUser(ctx, u))
	got, err = s.ListUserSessions(ctx, f.pool.ID, f.alice.Sub, now, "", 0)
	mustOK(t, "ListUserSessions", err)
	checkIDs(t, "ListUserSessions of a disabled user", []string{}, ids(got, sessionID))

	// The other pool's alice is untouched; a missing user has none.
	got, err = s.ListUserSessions(ctx, g.pool.ID, g.alice.Sub, now, "", 0)
	mustOK(t, "ListUserSessions", err)
	checkIDs(t, "ListUserSessions in the other pool", []string{"s-f"}, ids(got, sessionID))
	got, err = s.ListUserSessions(ctx, f.pool.ID, newSub(), now, "", 0)
	mustOK(t, "ListUserSessions of a missing user", err)
	checkIDs(t, "ListUserSessions of a missing user", []string{}, ids(got, sessionID))
}

// testListUserSessionsConcurrent lists a user's sessions while others
// rotate and revoke them: a session never revoked is in every listing, one
// whose revocation committed before a listing began is in none, and no
// session is listed twice.
func testListUserSessionsConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	const n = 12
	for i := range n {
		mustOK(t, "CreateSession", s.CreateSession(ctx, newSession(fmt.Sprintf("s-%02d", i), f.c1, f.alice, at(time.Minute))))
	}
	now := at(time.Hour)
	var mu sync.Mutex
	revoked := map[string]bool{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				before := make(map[string]bool, len(revoked))
				for k := range revoked {
					before[k] = true
				}
				mu.Unlock()
				got, err := s.ListUserSessions(ctx, f.pool.ID, f.alice.Sub, now, "", 0)
				if err != nil {
					t.Errorf("lister %d: ListUserSessions: %v", w, err)
					return
				}
				listed := ids(got, sessionID)
				if !slices.IsSorted(listed) || len(slices.Compact(slices.Clone(listed))) != len(listed) {
					t.Errorf("lister %d: listing %v is not sorted or has duplicates", w, listed)
				}
				for i := 0; i < n; i += 2 {
					if id := fmt.Sprintf("s-%02d", i); !slices.Contains(listed, id) {
						t.Errorf("lister %d: live session %s missing from %v", w, id, listed)
					}
				}
				for id := range before {
					if slices.Contains(listed, id) {
						t.Errorf("lister %d: session %s revoked before the listing began is listed", w, id)
					}
				}
			}
		}()
	}
	race(n, func(i int) {
		id := fmt.Sprintf("s-%02d", i)
		if i%2 == 0 {
			for gen := range int64(3) {
				if err := s.RotateRefresh(ctx, id, gen, at(time.Duration(gen+2)*time.Minute)); err != nil {
					t.Errorf("RotateRefresh %s: %v", id, err)
				}
			}
			return
		}
		if err := s.RevokeSession(ctx, id, at(2*time.Minute), "revoked"); err != nil {
			t.Errorf("RevokeSession %s: %v", id, err)
			return
		}
		mu.Lock()
		revoked[id] = true
		mu.Unlock()
	})
	close(stop)
	wg.Wait()
	got, err := s.ListUserSessions(ctx, f.pool.ID, f.alice.Sub, now, "", 0)
	mustOK(t, "ListUserSessions", err)
	var want []string
	for i := 0; i < n; i += 2 {
		want = append(want, fmt.Sprintf("s-%02d", i))
	}
	checkIDs(t, "ListUserSessions after the race", want, ids(got, sessionID))
}

func testCountLiveSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")
	now := at(time.Hour)
	count := func(want int64) {
		t.Helper()
		n, err := s.CountLiveSessions(ctx, now)
		mustOK(t, "CountLiveSessions", err)
		if n != want {
			t.Errorf("CountLiveSessions = %d, want %d", n, want)
		}
	}
	count(0)
	for i, u := range []*store.User{f.alice, f.alice, f.bobby, g.alice} {
		c := f.c1
		if u == g.alice {
			c = g.c1
		}
		mustOK(t, "CreateSession", s.CreateSession(ctx, newSession(fmt.Sprintf("s-%d", i), c, u, at(time.Minute))))
	}
	expired := newSession("s-expired", f.c1, f.bobby, at(time.Minute))
	expired.ExpiresAt = at(time.Hour)
	mustOK(t, "CreateSession", s.CreateSession(ctx, expired))
	count(4)
	mustOK(t, "RevokeSession", s.RevokeSession(ctx, "s-0", at(2*time.Minute), "revoked"))
	count(3)
	_, err := s.BumpSignOutGen(ctx, f.pool.ID, f.alice.Username, at(2*time.Minute), "signed-out")
	mustOK(t, "BumpSignOutGen", err)
	count(2)
	mustOK(t, "DeletePool", s.DeletePool(ctx, g.pool.ID))
	count(1)
}
