package storetest

import (
	"bytes"
	"errors"
	"fmt"
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
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")

	keys, err := s.ListKeys(ctx, f.pool.ID)
	mustOK(t, "ListKeys of a pool without keys", err)
	checkIDs(t, "ListKeys of a pool without keys", nil, ids(keys, keyID))

	// Inserted out of order; created times decide.
	k2 := newKey(f.pool.ID, "kid-b", at(2*time.Hour))
	k1 := newKey(f.pool.ID, "kid-c", at(1*time.Hour))
	k3 := newKey(f.pool.ID, "kid-a", at(3*time.Hour+time.Millisecond))
	k1.Use = "id"
	k3.Use = "refresh"
	k3.Private = bytes.Repeat([]byte{0, 1, 2, 0xfe, 0xff}, 13) // 65 raw bytes
	retired := newKey(f.pool.ID, "kid-old", at(-time.Hour))
	retired.RetiredAt = at(30 * time.Minute)
	gk := newKey(g.pool.ID, "kid-q", at(0))
	want := map[string]*store.Key{}
	for _, k := range []*store.Key{k2, k1, k3, retired, gk} {
		want[k.ID] = k
		mustOK(t, "PutKey", s.PutKey(ctx, k))
	}

	keys, err = s.ListKeys(ctx, f.pool.ID)
	mustOK(t, "ListKeys", err)
	checkIDs(t, "ListKeys (oldest first)", []string{"kid-old", "kid-c", "kid-b", "kid-a"}, ids(keys, keyID))
	for _, k := range keys {
		check(t, "ListKeys record "+k.ID, want[k.ID], k)
	}
	keys, err = s.ListKeys(ctx, g.pool.ID)
	mustOK(t, "ListKeys", err)
	checkIDs(t, "ListKeys of the other pool", []string{"kid-q"}, ids(keys, keyID))

	dup := newKey(f.pool.ID, k1.ID, at(5*time.Hour))
	wantErr(t, "PutKey with an existing id", s.PutKey(ctx, dup), store.ErrConflict)
	dupElsewhere := newKey(g.pool.ID, k1.ID, at(5*time.Hour))
	wantErr(t, "PutKey with an id existing in another pool", s.PutKey(ctx, dupElsewhere), store.ErrConflict)
	keys, err = s.ListKeys(ctx, f.pool.ID)
	mustOK(t, "ListKeys", err)
	if len(keys) != 4 {
		t.Errorf("ListKeys after refused PutKeys: %d keys, want 4", len(keys))
	}
	for _, k := range keys {
		check(t, "ListKeys record after refused PutKeys "+k.ID, want[k.ID], k)
	}
}

// populate gives a fixture sessions (alice: two through c1, one through c2;
// bobby: one through c1 and one through c2), a challenge and a key, and
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
	mustOK(t, "PutKey", s.PutKey(ctx, newKey(p, p+"/key", at(0))))
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
	mustOK(t, "CreatePool", s.CreatePool(ctx, p))
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

	k := &store.Key{ID: "zero-key", PoolID: p.ID, Use: "access", Private: []byte{0}}
	mustOK(t, "PutKey", s.PutKey(ctx, k))
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
		mustOK(t, "CreatePool "+name, s.CreatePool(ctx, p))
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

		k := newKey(p.ID, fmt.Sprintf("bytes-key-%d", i), at(0))
		k.Private = doc
		mustOK(t, "PutKey "+name, s.PutKey(ctx, k))
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
