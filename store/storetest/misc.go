package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

func keyID(k *store.Key) string { return k.ID }

func testChallengePutTake(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	c := newChallenge(f.c1, "challenge-1", "alice")
	other := newChallenge(f.c1, "challenge-2", "bobby")
	other.Name = "NEW_PASSWORD_REQUIRED"
	mustOK(t, "PutChallenge", s.PutChallenge(ctx, c))
	mustOK(t, "PutChallenge", s.PutChallenge(ctx, other))

	got, err := s.TakeChallenge(ctx, c.ID)
	mustOK(t, "TakeChallenge", err)
	check(t, "TakeChallenge", c, got)
	_, err = s.TakeChallenge(ctx, c.ID)
	wantErr(t, "TakeChallenge a second time", err, store.ErrNotFound)
	_, err = s.TakeChallenge(ctx, "challenge-missing")
	wantErr(t, "TakeChallenge of a missing challenge", err, store.ErrNotFound)

	// Expiry is the caller's business: an expired challenge is still taken.
	old := newChallenge(f.c2, "challenge-expired", "alice")
	old.ExpiresAt = at(-24 * time.Hour)
	mustOK(t, "PutChallenge", s.PutChallenge(ctx, old))
	got, err = s.TakeChallenge(ctx, old.ID)
	mustOK(t, "TakeChallenge of an expired challenge", err)
	check(t, "TakeChallenge of an expired challenge", old, got)

	got, err = s.TakeChallenge(ctx, other.ID)
	mustOK(t, "TakeChallenge", err)
	check(t, "TakeChallenge of the other challenge", other, got)

	// A taken id can be used again.
	mustOK(t, "PutChallenge with a taken id", s.PutChallenge(ctx, c))
}

func testPurgeChallenges(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	old := newChallenge(f.c1, "challenge-old", "alice")
	old.ExpiresAt = at(-time.Hour)
	live := newChallenge(f.c1, "challenge-live", "alice")
	live.ExpiresAt = at(time.Hour)
	mustOK(t, "PutChallenge", s.PutChallenge(ctx, old))
	mustOK(t, "PutChallenge", s.PutChallenge(ctx, live))
	n, err := s.PurgeChallenges(ctx, at(0), 0)
	mustOK(t, "PurgeChallenges", err)
	if n != 1 {
		t.Fatalf("PurgeChallenges deleted %d, want 1", n)
	}
	_, err = s.TakeChallenge(ctx, old.ID)
	wantErr(t, "TakeChallenge of a purged challenge", err, store.ErrNotFound)
	got, err := s.TakeChallenge(ctx, live.ID)
	mustOK(t, "TakeChallenge of a live challenge", err)
	check(t, "TakeChallenge after purge", live, got)
}

func testChallengeConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	c := newChallenge(f.c1, "challenge-1", "alice")
	mustOK(t, "PutChallenge", s.PutChallenge(ctx, c))
	dup := newChallenge(f.c2, c.ID, "bobby")
	dup.Data = []byte("other state")
	wantErr(t, "PutChallenge with an existing id", s.PutChallenge(ctx, dup), store.ErrConflict)
	got, err := s.TakeChallenge(ctx, c.ID)
	mustOK(t, "TakeChallenge", err)
	check(t, "TakeChallenge after the conflict", c, got)
}

func testTakeChallengeConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	const rounds, n = 5, 10
	for r := range rounds {
		c := newChallenge(f.c1, fmt.Sprintf("challenge-%d", r), "alice")
		mustOK(t, "PutChallenge", s.PutChallenge(ctx, c))
		raceTakeOnce(t, fmt.Sprintf("challenge %d", r), n,
			func() (*store.Challenge, error) { return s.TakeChallenge(ctx, c.ID) },
			func(got *store.Challenge) bool { return bytes.Equal(got.Data, c.Data) && got.ID == c.ID })
	}
}

func testKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	bare := newPool("us-east-1_bare")
	mustOK(t, "CreatePool without keys", s.CreatePool(ctx, bare))
	keys, err := s.ListKeys(ctx, bare.ID)
	mustOK(t, "ListKeys of a pool without keys", err)
	checkIDs(t, "ListKeys of a pool without keys", nil, ids(keys, keyID))
	keys, err = s.ListKeys(ctx, "us-east-1_missing")
	mustOK(t, "ListKeys of a missing pool", err)
	checkIDs(t, "ListKeys of a missing pool", nil, ids(keys, keyID))

	// Given out of order; created times decide.
	p, q := newPool("us-east-1_p"), newPool("us-east-1_q")
	k2 := newKey(p.ID, "kid-b", at(2*time.Hour))
	k1 := newKey(p.ID, "kid-c", at(1*time.Hour))
	k3 := newKey(p.ID, "kid-a", at(3*time.Hour+time.Millisecond))
	k1.Use = "id"
	k3.Use = "refresh"
	k3.Private = bytes.Repeat([]byte{0, 1, 2, 0xfe, 0xff}, 13) // 65 raw bytes
	retired := newKey(p.ID, "kid-old", at(-time.Hour))
	retired.RetiredAt = at(30 * time.Minute)
	qk := newKey(q.ID, "kid-q", at(0))
	want := map[string]*store.Key{}
	for _, k := range []*store.Key{k2, k1, k3, retired, qk} {
		want[k.ID] = k
	}
	mustOK(t, "CreatePool with keys", s.CreatePool(ctx, p, k2, k1, k3, retired))
	mustOK(t, "CreatePool with a key", s.CreatePool(ctx, q, qk))
	got, err := s.GetPool(ctx, p.ID)
	mustOK(t, "GetPool of a pool created with keys", err)
	check(t, "GetPool of a pool created with keys", p, got)

	keys, err = s.ListKeys(ctx, p.ID)
	mustOK(t, "ListKeys", err)
	checkIDs(t, "ListKeys (oldest first)", []string{"kid-old", "kid-c", "kid-b", "kid-a"}, ids(keys, keyID))
	for _, k := range keys {
		check(t, "ListKeys record "+k.ID, want[k.ID], k)
	}
	keys, err = s.ListKeys(ctx, q.ID)
	mustOK(t, "ListKeys", err)
	checkIDs(t, "ListKeys of the other pool", []string{"kid-q"}, ids(keys, keyID))
	for _, k := range keys {
		check(t, "ListKeys record "+k.ID, want[k.ID], k)
	}
}

// testCreatePoolAtomic: a CreatePool that fails, whichever record is at
// fault, stores neither the pool nor any of its keys, and leaves what
// existed as it was.
func testCreatePoolAtomic(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newPool("us-east-1_p")
	pk := []*store.Key{newKey(p.ID, "p-access", at(0)), newKey(p.ID, "p-id", at(0)), newKey(p.ID, "p-refresh", at(0))}
	pk[1].Use, pk[2].Use = "id", "refresh"
	mustOK(t, "CreatePool", s.CreatePool(ctx, p, pk...))

	// checkAbsent checks that a refused CreatePool stored nothing: no
	// pool, no key, and every key id still free.
	checkAbsent := func(what string, q *store.Pool, keys ...*store.Key) {
		t.Helper()
		if _, err := s.GetPool(ctx, q.ID); !errorsIsNotFound(err) {
			t.Errorf("%s: GetPool of the refused pool: error %v, want store.ErrNotFound", what, err)
		}
		got, err := s.ListKeys(ctx, q.ID)
		mustOK(t, what+": ListKeys", err)
		checkIDs(t, what+": ListKeys of the refused pool", nil, ids(got, keyID))
	}
	// checkFree checks that key ids are unused, by creating a pool with
	// keys of those ids (and deleting it again).
	checkFree := func(what string, keyIDs ...string) {
		t.Helper()
		probe := newPool("us-east-1_probe")
		var keys []*store.Key
		for _, id := range keyIDs {
			keys = append(keys, newKey(probe.ID, id, at(0)))
		}
		if err := s.CreatePool(ctx, probe, keys...); err != nil {
			t.Errorf("%s: key ids %q are not free: %v", what, keyIDs, err)
			return
		}
		mustOK(t, what+": DeletePool of the probe", s.DeletePool(ctx, probe.ID))
	}
	checkP := func(what string) {
		t.Helper()
		got, err := s.GetPool(ctx, p.ID)
		mustOK(t, what+": GetPool of the existing pool", err)
		check(t, what+": the existing pool", p, got)
		keys, err := s.ListKeys(ctx, p.ID)
		mustOK(t, what+": ListKeys of the existing pool", err)
		checkIDs(t, what+": the existing pool's keys", []string{"p-access", "p-id", "p-refresh"}, ids(keys, keyID))
		for i, k := range keys {
			check(t, what+": the existing pool's key "+k.ID, pk[i], k)
		}
	}

	// The pool's id exists: its new keys are not stored either.
	dup := newPool(p.ID)
	dup.Name = "impostor"
	err := s.CreatePool(ctx, dup, newKey(p.ID, "dup-access", at(time.Hour)), newKey(p.ID, "dup-id", at(time.Hour)))
	wantErr(t, "CreatePool with an existing pool id", err, store.ErrConflict)
	checkP("after a CreatePool with an existing pool id")
	checkFree("after a CreatePool with an existing pool id", "dup-access", "dup-id")

	// The last key's id exists in another pool: the pool and the keys
	// before it are not stored.
	q := newPool("us-east-1_q")
	err = s.CreatePool(ctx, q, newKey(q.ID, "q-access", at(0)), newKey(q.ID, "q-id", at(0)), newKey(q.ID, "p-refresh", at(0)))
	wantErr(t, "CreatePool with a key id existing in another pool", err, store.ErrConflict)
	checkAbsent("after a CreatePool with a key id existing in another pool", q)
	checkFree("after a CreatePool with a key id existing in another pool", "q-access", "q-id")
	checkP("after a CreatePool with a key id existing in another pool")

	// Two of its keys share an id.
	err = s.CreatePool(ctx, q, newKey(q.ID, "q-access", at(0)), newKey(q.ID, "q-twin", at(0)), newKey(q.ID, "q-twin", at(time.Second)))
	wantErr(t, "CreatePool with two keys of one id", err, store.ErrConflict)
	checkAbsent("after a CreatePool with two keys of one id", q)
	checkFree("after a CreatePool with two keys of one id", "q-access", "q-twin")

	// A key of another pool (existing or not) is refused with an error.
	for _, other := range []string{p.ID, "us-east-1_elsewhere", ""} {
		err = s.CreatePool(ctx, q, newKey(q.ID, "q-access", at(0)), newKey(other, "q-stray", at(0)))
		if err == nil {
			t.Errorf("CreatePool with a key of pool %q succeeded", other)
		}
		checkAbsent(fmt.Sprintf("after a CreatePool with a key of pool %q", other), q)
		checkFree(fmt.Sprintf("after a CreatePool with a key of pool %q", other), "q-access", "q-stray")
	}
	checkP("after the refused CreatePools")

	// Nothing lingers: the refused pool can be created now.
	mustOK(t, "CreatePool after the refusals", s.CreatePool(ctx, q, newKey(q.ID, "q-access", at(0))))
}

// testPoolKeysNeverPartial: readers never see a pool without all of its keys
// while pools are being created (a replica that saw a pool with part of its
// key set could cache the part). The readers probe the pool each writer is
// creating at the moment.
func testPoolKeysNeverPartial(t *testing.T, s store.Store) {
	ctx := t.Context()
	const writers, readers, perWriter = 3, 4, 25
	poolOf := func(w, j int) string { return fmt.Sprintf("us-east-1_w%dn%03d", w, j) }
	var creating [writers]atomic.Int32 // the pool each writer is creating
	var done atomic.Bool
	var seen, partial atomic.Int32

	var writing, reading sync.WaitGroup
	for w := range writers {
		writing.Go(func() {
			for j := range perWriter {
				creating[w].Store(int32(j))
				id := poolOf(w, j)
				keys := []*store.Key{newKey(id, id+"/access", at(0)), newKey(id, id+"/id", at(0)), newKey(id, id+"/refresh", at(0))}
				keys[1].Use, keys[2].Use = "id", "refresh"
				if err := s.CreatePool(ctx, newPool(id), keys...); err != nil {
					t.Errorf("CreatePool %s: %v", id, err)
					return
				}
			}
		})
	}
	for r := range readers {
		reading.Go(func() {
			for n := r; !done.Load(); n++ {
				w := n % writers
				id := poolOf(w, int(creating[w].Load()))
				if _, err := s.GetPool(ctx, id); err != nil {
					if !errorsIsNotFound(err) {
						t.Errorf("GetPool %s: %v", id, err)
						return
					}
					continue
				}
				seen.Add(1)
				keys, err := s.ListKeys(ctx, id)
				if err != nil {
					t.Errorf("ListKeys %s: %v", id, err)
					return
				}
				if len(keys) != 3 && partial.Add(1) <= 3 {
					t.Errorf("pool %s was visible with %d of its 3 keys", id, len(keys))
				}
			}
		})
	}
	writing.Wait()
	done.Store(true)
	reading.Wait()
	if n := partial.Load(); n > 0 {
		t.Errorf("%d times of %d, a reader found a pool without all of its keys", n, seen.Load())
	}
	t.Logf("readers found %d pools as they were being created", seen.Load())
	for w := range writers {
		for j := range perWriter {
			keys, err := s.ListKeys(ctx, poolOf(w, j))
			mustOK(t, "ListKeys", err)
			if len(keys) != 3 {
				t.Errorf("pool %s has %d keys after its creation, want 3", poolOf(w, j), len(keys))
			}
		}
	}
}

// populate gives a fixture sessions (alice: two through c1, one through c2;
// bobby: one through c1 and one through c2) and a challenge, and
// returns the session ids by owner and client.
func populate(t *testing.T, s store.Store, f fixture) (sessions map[string]*store.Session) {
	t.Helper()
	ctx := t.Context()
	p := f.pool.ID
	sessions = map[string]*store.Session{
		p + "/alice-c1-a": newSession(p+"/alice-c1-a", f.c1, f.alice, at(time.Hour)),
		p + "/alice-c1-b": newSession(p+"/alice-c1-b", f.c1, f.alice, at(2*time.Hour)),
		p + "/alice-c2":   newSession(p+"/alice-c2", f.c2, f.alice, at(3*time.Hour)),
		p + "/bobby-c1":   newSession(p+"/bobby-c1", f.c1, f.bobby, at(4*time.Hour)),
		p + "/bobby-c2":   newSession(p+"/bobby-c2", f.c2, f.bobby, at(5*time.Hour)),
	}
	for _, ss := range sessions {
		mustOK(t, "CreateSession", s.CreateSession(ctx, ss))
	}
	mustOK(t, "PutChallenge", s.PutChallenge(ctx, newChallenge(f.c1, p+"/challenge", "alice")))
	return sessions
}

// checkSessions checks which of sessions still exist.
func checkSessions(t *testing.T, s store.Store, what string, sessions map[string]*store.Session, gone func(*store.Session) bool) {
	t.Helper()
	for id, ss := range sessions {
		got, err := s.GetSession(t.Context(), id)
		if gone(ss) {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: GetSession(%q) = %v, want store.ErrNotFound", what, id, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: GetSession(%q): %v", what, id, err)
			continue
		}
		check(t, what+": session "+id, ss, got)
	}
}

func testDeletePoolCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")
	fs, gs := populate(t, s, f), populate(t, s, g)

	mustOK(t, "DeletePool", s.DeletePool(ctx, f.pool.ID))

	_, err := s.GetPool(ctx, f.pool.ID)
	wantErr(t, "GetPool", err, store.ErrNotFound)
	for _, c := range []*store.Client{f.c1, f.c2} {
		_, err := s.GetClient(ctx, c.ID)
		wantErr(t, "GetClient of a deleted pool's client", err, store.ErrNotFound)
	}
	for _, u := range []*store.User{f.alice, f.bobby} {
		_, err := s.GetUser(ctx, u.PoolID, u.Username)
		wantErr(t, "GetUser of a deleted pool's user", err, store.ErrNotFound)
		_, err = s.GetUserBySub(ctx, u.PoolID, u.Sub)
		wantErr(t, "GetUserBySub of a deleted pool's user", err, store.ErrNotFound)
	}
	checkSessions(t, s, "after DeletePool", fs, func(*store.Session) bool { return true })
	_, err = s.TakeChallenge(ctx, f.pool.ID+"/challenge")
	wantErr(t, "TakeChallenge of a deleted pool's challenge", err, store.ErrNotFound)
	keys, err := s.ListKeys(ctx, f.pool.ID)
	mustOK(t, "ListKeys", err)
	checkIDs(t, "ListKeys of a deleted pool", nil, ids(keys, keyID))
	clients, err := s.ListClients(ctx, f.pool.ID, "", 100)
	mustOK(t, "ListClients", err)
	checkIDs(t, "ListClients of a deleted pool", nil, ids(clients, clientID))
	users, err := s.ListUsers(ctx, f.pool.ID, "", 100)
	mustOK(t, "ListUsers", err)
	checkIDs(t, "ListUsers of a deleted pool", nil, ids(users, username))

	// The other pool is untouched.
	got, err := s.GetPool(ctx, g.pool.ID)
	mustOK(t, "GetPool of the other pool", err)
	check(t, "the other pool", g.pool, got)
	for _, c := range []*store.Client{g.c1, g.c2} {
		got, err := s.GetClient(ctx, c.ID)
		mustOK(t, "GetClient of the other pool's client", err)
		check(t, "the other pool's client", c, got)
	}
	for _, u := range []*store.User{g.alice, g.bobby} {
		got, err := s.GetUserBySub(ctx, u.PoolID, u.Sub)
		mustOK(t, "GetUserBySub of the other pool's user", err)
		check(t, "the other pool's user", u, got)
	}
	checkSessions(t, s, "the other pool's sessions", gs, func(*store.Session) bool { return false })
	keys, err = s.ListKeys(ctx, g.pool.ID)
	mustOK(t, "ListKeys", err)
	checkIDs(t, "ListKeys of the other pool", []string{g.pool.ID + "/key"}, ids(keys, keyID))
	if _, err := s.TakeChallenge(ctx, g.pool.ID+"/challenge"); err != nil {
		t.Errorf("TakeChallenge of the other pool's challenge: %v", err)
	}

	// Nothing of the deleted pool lingers: recreating it and everything in
	// it with the same ids works, and the new pool starts empty.
	mustOK(t, "CreatePool again", s.CreatePool(ctx, f.pool))
	keys, err = s.ListKeys(ctx, f.pool.ID)
	mustOK(t, "ListKeys", err)
	checkIDs(t, "ListKeys of the recreated pool", nil, ids(keys, keyID))
	for _, c := range []*store.Client{f.c1, f.c2} {
		mustOK(t, "CreateClient again", s.CreateClient(ctx, c))
	}
	for _, u := range []*store.User{f.alice, f.bobby} {
		mustOK(t, "CreateUser again", s.CreateUser(ctx, u))
	}
	users, err = s.ListUsers(ctx, f.pool.ID, "", 100)
	mustOK(t, "ListUsers", err)
	checkIDs(t, "ListUsers of the recreated pool", []string{"alice", "bobby"}, ids(users, username))
	populate(t, s, f)
}

func testDeleteUserRemovesSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")
	fs, gs := populate(t, s, f), populate(t, s, g)

	mustOK(t, "DeleteUser", s.DeleteUser(ctx, f.pool.ID, f.alice.Username))
	checkSessions(t, s, "after DeleteUser", fs, func(ss *store.Session) bool { return ss.UserSub == f.alice.Sub })
	checkSessions(t, s, "the other pool after DeleteUser", gs, func(*store.Session) bool { return false })
	for _, c := range []*store.Client{f.c1, f.c2} {
		if _, err := s.GetClient(ctx, c.ID); err != nil {
			t.Errorf("GetClient after DeleteUser: %v", err)
		}
	}

	// The same user again starts without sessions.
	mustOK(t, "CreateUser again", s.CreateUser(ctx, f.alice))
	checkSessions(t, s, "after recreating the user", fs, func(ss *store.Session) bool { return ss.UserSub == f.alice.Sub })
	for id, ss := range fs {
		if ss.UserSub == f.alice.Sub {
			mustOK(t, "CreateSession with a deleted session's id", s.CreateSession(ctx, fs[id]))
		}
	}
}

func testDeleteClientRemovesSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")
	fs, gs := populate(t, s, f), populate(t, s, g)

	mustOK(t, "DeleteClient", s.DeleteClient(ctx, f.pool.ID, f.c1.ID))
	checkSessions(t, s, "after DeleteClient", fs, func(ss *store.Session) bool { return ss.ClientID == f.c1.ID })
	checkSessions(t, s, "the other pool after DeleteClient", gs, func(*store.Session) bool { return false })
	for _, u := range []*store.User{f.alice, f.bobby} {
		got, err := s.GetUser(ctx, u.PoolID, u.Username)
		mustOK(t, "GetUser after DeleteClient", err)
		check(t, "user after DeleteClient", u, got)
	}
}

func testTimes(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	cases := map[string]time.Time{
		"sub-millisecond digits, non-UTC zone": base,
		"exact millisecond":                    time.Date(2024, 2, 29, 23, 59, 59, 999_000_000, time.UTC),
		"Unix epoch":                           time.Unix(0, 0),
		"before 1970":                          time.Date(1969, 7, 20, 20, 17, 40, 123_456_789, time.UTC),
		"far future":                           time.Date(2999, 12, 31, 23, 59, 59, 999_999_999, time.FixedZone("-0930", -(9*3600+1800))),
		"local time with monotonic reading":    time.Now(),
	}
	i := 0
	for name, tm := range cases {
		i++
		ss := newSession(fmt.Sprintf("times-%d", i), f.c1, f.alice, tm)
		ss.AuthTime, ss.LastUsed, ss.ExpiresAt, ss.RotatedAt, ss.RevokedAt = tm, tm, tm, tm, tm
		ss.Revoked = "admin"
		mustOK(t, "CreateSession "+name, s.CreateSession(ctx, ss))
		got, err := s.GetSession(ctx, ss.ID)
		mustOK(t, "GetSession "+name, err)
		check(t, "times "+name, ss, got)
		if !got.CreatedAt.Equal(tm.Truncate(time.Millisecond)) && !got.CreatedAt.Equal(tm) {
			t.Errorf("times %s: CreatedAt = %v, want %v (to the millisecond)", name, got.CreatedAt, tm)
		}
	}

	// Time-only updates keep their precision too.
	touched := at(time.Hour + 123*time.Millisecond + 456*time.Microsecond)
	mustOK(t, "TouchSession", s.TouchSession(ctx, "times-1", touched, 0))
	got, err := s.GetSession(ctx, "times-1")
	mustOK(t, "GetSession", err)
	if !same(got.LastUsed, touched) || got.LastUsed.Location() != time.UTC {
		t.Errorf("LastUsed after TouchSession = %v, want %v in UTC", got.LastUsed, touched)
	}
}

func testZeroTimes(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := &store.Pool{ID: "us-east-1_zero", Name: "zero"}
	k := &store.Key{ID: "zero-key", PoolID: p.ID, Use: "access", Private: []byte{0}}
	mustOK(t, "CreatePool", s.CreatePool(ctx, p, k))
	gp, err := s.GetPool(ctx, p.ID)
	mustOK(t, "GetPool", err)
	check(t, "pool with zero times", p, gp)

	c := &store.Client{ID: "zero-client", PoolID: p.ID, Name: "zero"}
	mustOK(t, "CreateClient", s.CreateClient(ctx, c))
	gc, err := s.GetClient(ctx, c.ID)
	mustOK(t, "GetClient", err)
	check(t, "client with zero times", c, gc)

	u := &store.User{PoolID: p.ID, Username: "zero", Sub: newSub(), Status: "UNCONFIRMED", Enabled: true}
	mustOK(t, "CreateUser", s.CreateUser(ctx, u))
	gu, err := s.GetUser(ctx, u.PoolID, u.Username)
	mustOK(t, "GetUser", err)
	check(t, "user with zero times", u, gu)

	ss := &store.Session{ID: "zero-session", PoolID: p.ID, ClientID: c.ID, UserSub: u.Sub, Username: u.Username}
	mustOK(t, "CreateSession", s.CreateSession(ctx, ss))
	gs, err := s.GetSession(ctx, ss.ID)
	mustOK(t, "GetSession", err)
	check(t, "session with zero times", ss, gs)
	for name, tm := range map[string]time.Time{"AuthTime": gs.AuthTime, "CreatedAt": gs.CreatedAt,
		"LastUsed": gs.LastUsed, "ExpiresAt": gs.ExpiresAt, "RotatedAt": gs.RotatedAt, "RevokedAt": gs.RevokedAt} {
		if !tm.IsZero() {
			t.Errorf("session %s = %v, want the zero time", name, tm)
		}
	}

	ch := &store.Challenge{ID: "zero-challenge", PoolID: p.ID}
	mustOK(t, "PutChallenge", s.PutChallenge(ctx, ch))
	gch, err := s.TakeChallenge(ctx, ch.ID)
	mustOK(t, "TakeChallenge", err)
	check(t, "challenge with zero times", ch, gch)

	keys, err := s.ListKeys(ctx, p.ID)
	mustOK(t, "ListKeys", err)
	if len(keys) != 1 {
		t.Fatalf("ListKeys: %d keys, want 1", len(keys))
	}
	check(t, "key with zero times", k, keys[0])
	if !keys[0].CreatedAt.IsZero() || !keys[0].RetiredAt.IsZero() {
		t.Errorf("key times = %v, %v; want zero", keys[0].CreatedAt, keys[0].RetiredAt)
	}

	// A rotation sets RotatedAt but leaves RevokedAt zero (a live session).
	mustOK(t, "RotateRefresh", s.RotateRefresh(ctx, ss.ID, 0, at(0)))
	gs, err = s.GetSession(ctx, ss.ID)
	mustOK(t, "GetSession", err)
	if !gs.RevokedAt.IsZero() || gs.RotatedAt.IsZero() {
		t.Errorf("after RotateRefresh: RevokedAt = %v (want zero), RotatedAt = %v (want set)", gs.RevokedAt, gs.RotatedAt)
	}
}

func testOpaqueBytes(t *testing.T, s store.Store) {
	ctx := t.Context()
	binary := make([]byte, 64<<10)
	for i := range binary {
		binary[i] = byte(i*7 + i>>8)
	}
	docs := map[string][]byte{
		"spaced JSON":   []byte("{ \"b\" : 1,\n  \"a\" : [true, null, 1.50] }"),
		"duplicate key": []byte(`{"a":1,"a":2}`),
		"empty":         {},
		"nil":           nil,
		"not JSON":      []byte("\x00\x01\xff binary \x00"),
		"64 KiB":        binary,
	}
	i := 0
	for name, doc := range docs {
		i++
		p := newPool(fmt.Sprintf("us-east-1_bytes%d", i))
		p.Settings = doc
		k := newKey(p.ID, fmt.Sprintf("bytes-key-%d", i), at(0))
		k.Private = doc
		mustOK(t, "CreatePool "+name, s.CreatePool(ctx, p, k))
		gp, err := s.GetPool(ctx, p.ID)
		mustOK(t, "GetPool "+name, err)
		check(t, "Pool.Settings "+name, p, gp)

		c := newClient(p.ID, fmt.Sprintf("bytes-client-%d", i))
		c.Settings = doc
		mustOK(t, "CreateClient "+name, s.CreateClient(ctx, c))
		gc, err := s.GetClient(ctx, c.ID)
		mustOK(t, "GetClient "+name, err)
		check(t, "Client.Settings "+name, c, gc)

		ch := newChallenge(c, fmt.Sprintf("bytes-challenge-%d", i), "alice")
		ch.Data = doc
		mustOK(t, "PutChallenge "+name, s.PutChallenge(ctx, ch))
		gch, err := s.TakeChallenge(ctx, ch.ID)
		mustOK(t, "TakeChallenge "+name, err)
		check(t, "Challenge.Data "+name, ch, gch)

		keys, err := s.ListKeys(ctx, p.ID)
		mustOK(t, "ListKeys "+name, err)
		if len(keys) != 1 {
			t.Errorf("ListKeys %s: %d keys, want 1", name, len(keys))
			continue
		}
		check(t, "Key.Private "+name, k, keys[0])

		// Updates keep bytes exact too.
		p.Settings = append([]byte("  "), doc...)
		mustOK(t, "UpdatePool "+name, s.UpdatePool(ctx, p))
		gp, err = s.GetPool(ctx, p.ID)
		mustOK(t, "GetPool "+name, err)
		check(t, "Pool.Settings after UpdatePool "+name, p, gp)
		c.Settings = append([]byte("  "), doc...)
		mustOK(t, "UpdateClient "+name, s.UpdateClient(ctx, c))
		gc, err = s.GetClient(ctx, c.ID)
		mustOK(t, "GetClient "+name, err)
		check(t, "Client.Settings after UpdateClient "+name, c, gc)
	}
}

// testReturnedRecordsAreCopies checks that a caller mutating what the store
// returned (or what it passed in) does not change what the store holds.
func testReturnedRecordsAreCopies(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	want := *f.alice
	want.Attributes = map[string]string{"email": "alice@example.com", "email_verified": "true"}

	f.alice.Attributes["email"] = "mutated-after-create@example.com"
	got, err := s.GetUser(ctx, f.pool.ID, "alice")
	mustOK(t, "GetUser", err)
	check(t, "GetUser after mutating the created record", &want, got)

	got.Attributes["email"] = "mutated-after-get@example.com"
	got.Status = "MUTATED"
	again, err := s.GetUser(ctx, f.pool.ID, "alice")
	mustOK(t, "GetUser", err)
	check(t, "GetUser after mutating a returned record", &want, again)

	p, err := s.GetPool(ctx, f.pool.ID)
	mustOK(t, "GetPool", err)
	if len(p.Settings) > 0 {
		p.Settings[0] = 'X'
	}
	p2, err := s.GetPool(ctx, f.pool.ID)
	mustOK(t, "GetPool", err)
	check(t, "GetPool after mutating a returned record", f.pool, p2)
}
