package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// feed reads a pool's whole retained feed.
func feed(t *testing.T, s store.Store, poolID string) []*store.RevocationEvent {
	t.Helper()
	evs, err := s.RevocationsAfter(t.Context(), poolID, 0, 0)
	mustOK(t, "RevocationsAfter", err)
	return evs
}

// checkHead checks a pool's head and floor.
func checkHead(t *testing.T, s store.Store, poolID string, head, floor int64) {
	t.Helper()
	h, f, err := s.RevocationHead(t.Context(), poolID)
	mustOK(t, "RevocationHead", err)
	if h != head || f != floor {
		t.Errorf("RevocationHead(%s) = %d, %d; want %d, %d", poolID, h, f, head, floor)
	}
}

// testRevocationEvents: each kind of revocation appends its event, with its
// fields, numbered per pool from 1; what revokes nothing appends nothing.
func testRevocationEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_rev")
	g := setup(t, s, "us-east-1_other")
	checkHead(t, s, f.pool.ID, 0, 0)
	checkHead(t, s, "us-east-1_none", 0, 0)
	if evs := feed(t, s, f.pool.ID); len(evs) != 0 {
		t.Fatalf("a new pool's feed: %d events", len(evs))
	}
	sess := newSession("rev-s1", f.c1, f.alice, at(time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, sess))
	other := newSession("rev-s2", g.c1, g.alice, at(time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, other))

	mustOK(t, "RevokeSession", s.RevokeSession(ctx, sess.ID, at(2*time.Minute), "revoked"))
	mustOK(t, "RevokeSession again", s.RevokeSession(ctx, sess.ID, at(3*time.Minute), "refresh-reuse"))
	wantErr(t, "RevokeSession of a missing session", s.RevokeSession(ctx, "nope", at(3*time.Minute), "revoked"), store.ErrNotFound)
	gen, err := s.BumpSignOutGen(ctx, f.pool.ID, f.bobby.Username, at(4*time.Minute), "user-disabled")
	mustOK(t, "BumpSignOutGen", err)
	_, err = s.BumpSignOutGen(ctx, f.pool.ID, "nobody", at(4*time.Minute), "signed-out")
	wantErr(t, "BumpSignOutGen of a missing user", err, store.ErrNotFound)
	before := time.Now().Add(-time.Second)
	mustOK(t, "DeleteUser", s.DeleteUser(ctx, f.pool.ID, f.alice.Username))
	wantErr(t, "DeleteUser again", s.DeleteUser(ctx, f.pool.ID, f.alice.Username), store.ErrNotFound)
	mustOK(t, "DeleteClient", s.DeleteClient(ctx, f.pool.ID, f.c2.ID))
	wantErr(t, "DeleteClient of another pool's client", s.DeleteClient(ctx, f.pool.ID, g.c2.ID), store.ErrNotFound)
	after := time.Now().Add(time.Second)
	mustOK(t, "RevokeSession in the other pool", s.RevokeSession(ctx, other.ID, at(5*time.Minute), "code-replay"))

	evs := feed(t, s, f.pool.ID)
	if len(evs) != 4 {
		t.Fatalf("feed: %d events, want 4: %v", len(evs), evs)
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) || ev.PoolID != f.pool.ID {
			t.Errorf("event %d: seq %d, pool %s", i, ev.Seq, ev.PoolID)
		}
	}
	check(t, "family event", store.RevocationEvent{PoolID: f.pool.ID, Seq: 1, Kind: store.RevocationFamily, ID: sess.ID,
		Sub: f.alice.Sub, ClientID: f.c1.ID, Reason: "revoked", At: at(2 * time.Minute)}, *evs[0])
	check(t, "user event", store.RevocationEvent{PoolID: f.pool.ID, Seq: 2, Kind: store.RevocationUser, ID: f.bobby.Sub,
		Gen: gen, Reason: "user-disabled", At: at(4 * time.Minute)}, *evs[1])
	del := *evs[2]
	if del.At.Before(before) || del.At.After(after) {
		t.Errorf("deletion event at %v, want between %v and %v", del.At, before, after)
	}
	del.At = time.Time{}
	check(t, "deletion event", store.RevocationEvent{PoolID: f.pool.ID, Seq: 3, Kind: store.RevocationUser, ID: f.alice.Sub,
		Deleted: true, Reason: store.ReasonUserDeleted}, del)
	cl := *evs[3]
	cl.At = time.Time{}
	check(t, "client event", store.RevocationEvent{PoolID: f.pool.ID, Seq: 4, Kind: store.RevocationClient, ID: f.c2.ID,
		Reason: store.ReasonClientDeleted}, cl)
	checkHead(t, s, f.pool.ID, 4, 0)
	checkHead(t, s, g.pool.ID, 1, 0)
	if o := feed(t, s, g.pool.ID); len(o) != 1 || o[0].Seq != 1 || o[0].ID != other.ID || o[0].Reason != "code-replay" {
		t.Errorf("the other pool's feed: %v", o)
	}

	page, err := s.RevocationsAfter(ctx, f.pool.ID, 1, 2)
	mustOK(t, "RevocationsAfter", err)
	if len(page) != 2 || page[0].Seq != 2 || page[1].Seq != 3 {
		t.Errorf("RevocationsAfter(1, 2): %v", page)
	}
	if none, err := s.RevocationsAfter(ctx, f.pool.ID, 4, 10); err != nil || len(none) != 0 {
		t.Errorf("RevocationsAfter(head): %v, %v", none, err)
	}
	if none, err := s.RevocationsAfter(ctx, "us-east-1_none", 0, 10); err != nil || len(none) != 0 {
		t.Errorf("RevocationsAfter(missing pool): %v, %v", none, err)
	}

	// The feed goes with its pool.
	mustOK(t, "DeletePool", s.DeletePool(ctx, f.pool.ID))
	checkHead(t, s, f.pool.ID, 0, 0)
	if evs := feed(t, s, f.pool.ID); len(evs) != 0 {
		t.Errorf("a deleted pool's feed: %d events", len(evs))
	}
}

// testRevocationsPurge: a purge deletes old events in bounded batches and
// raises the floor to the highest seq it deleted; numbering goes on.
func testRevocationsPurge(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_purge")
	for i := range 5 {
		_, err := s.BumpSignOutGen(ctx, f.pool.ID, f.alice.Username, at(time.Duration(i)*time.Hour), "signed-out")
		mustOK(t, "BumpSignOutGen", err)
	}
	n, err := s.PurgeRevocations(ctx, at(3*time.Hour), 2)
	mustOK(t, "PurgeRevocations", err)
	if n != 2 {
		t.Errorf("PurgeRevocations deleted %d, want 2 (its limit)", n)
	}
	checkHead(t, s, f.pool.ID, 5, 2)
	n, err = s.PurgeRevocations(ctx, at(3*time.Hour), 0)
	mustOK(t, "PurgeRevocations", err)
	if n != 1 {
		t.Errorf("PurgeRevocations deleted %d, want 1", n)
	}
	checkHead(t, s, f.pool.ID, 5, 3)
	evs := feed(t, s, f.pool.ID)
	if len(evs) != 2 || evs[0].Seq != 4 || evs[1].Seq != 5 {
		t.Fatalf("feed after the purge: %v", evs)
	}
	_, err = s.BumpSignOutGen(ctx, f.pool.ID, f.alice.Username, at(0), "signed-out")
	mustOK(t, "BumpSignOutGen", err)
	checkHead(t, s, f.pool.ID, 6, 3)
	n, err = s.PurgeRevocations(ctx, at(24*time.Hour), 0)
	mustOK(t, "PurgeRevocations", err)
	if n != 3 {
		t.Errorf("PurgeRevocations deleted %d, want 3", n)
	}
	checkHead(t, s, f.pool.ID, 6, 6)
	if evs := feed(t, s, f.pool.ID); len(evs) != 0 {
		t.Errorf("feed after purging all: %v", evs)
	}
	_, err = s.BumpSignOutGen(ctx, f.pool.ID, f.alice.Username, at(0), "signed-out")
	mustOK(t, "BumpSignOutGen", err)
	if evs := feed(t, s, f.pool.ID); len(evs) != 1 || evs[0].Seq != 7 {
		t.Errorf("numbering after purging all: %v", evs)
	}
}

// testRevocationsConcurrent races revocations (some of them no-ops) and
// sign-out bumps on one pool while a reader follows the feed: the seqs are
// 1..N with no gap and no duplicate, one event per committed revocation,
// and the reader, which sees events as they commit, never sees one before
// every earlier one (commit order).
func testRevocationsConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_conc")
	const sessions, bumps = 24, 12
	for i := range sessions {
		mustOK(t, "CreateSession", s.CreateSession(ctx, newSession(fmt.Sprintf("conc-%02d", i), f.c1, f.alice, at(time.Minute))))
	}
	done := make(chan struct{})
	var readerErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var last int64
		for {
			evs, err := s.RevocationsAfter(ctx, f.pool.ID, last, 0)
			if err != nil {
				readerErr = err
				return
			}
			for _, ev := range evs {
				if ev.Seq != last+1 {
					readerErr = fmt.Errorf("the reader saw seq %d right after %d", ev.Seq, last)
					return
				}
				last = ev.Seq
			}
			select {
			case <-done:
				if len(evs) == 0 {
					return
				}
			default:
			}
		}
	}()
	var mu sync.Mutex
	gens := map[int64]bool{}
	// Each session is revoked twice (the second is a no-op).
	race(2*sessions+bumps, func(i int) {
		switch {
		case i < 2*sessions:
			if err := s.RevokeSession(ctx, fmt.Sprintf("conc-%02d", i%sessions), at(time.Hour), "revoked"); err != nil {
				t.Errorf("RevokeSession: %v", err)
			}
		default:
			gen, err := s.BumpSignOutGen(ctx, f.pool.ID, f.bobby.Username, at(time.Hour), "signed-out")
			if err != nil {
				t.Errorf("BumpSignOutGen: %v", err)
				return
			}
			mu.Lock()
			gens[gen] = true
			mu.Unlock()
		}
	})
	close(done)
	wg.Wait()
	if readerErr != nil {
		t.Fatal(readerErr)
	}
	evs := feed(t, s, f.pool.ID)
	if len(evs) != sessions+bumps {
		t.Fatalf("feed: %d events, want %d", len(evs), sessions+bumps)
	}
	families := map[string]int{}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
		switch ev.Kind {
		case store.RevocationFamily:
			families[ev.ID]++
		case store.RevocationUser:
			if !gens[ev.Gen] {
				t.Errorf("user event with gen %d, which no bump returned", ev.Gen)
			}
			delete(gens, ev.Gen)
		}
	}
	if len(families) != sessions || len(gens) != 0 {
		t.Errorf("families with events: %d, want %d; bumps without one: %v", len(families), sessions, gens)
	}
	for id, n := range families {
		if n != 1 {
			t.Errorf("family %s has %d events", id, n)
		}
	}
	checkHead(t, s, f.pool.ID, sessions+bumps, 0)
}
