package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

func username(u *store.User) string { return u.Username }

func testUserCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustOK(t, "CreatePool", s.CreatePool(ctx, newPool("us-east-1_p")))

	u := newUser("us-east-1_p", "alice")
	mustOK(t, "CreateUser", s.CreateUser(ctx, u))
	got, err := s.GetUser(ctx, u.PoolID, u.Username)
	mustOK(t, "GetUser", err)
	check(t, "GetUser", u, got)
	got, err = s.GetUserBySub(ctx, u.PoolID, u.Sub)
	mustOK(t, "GetUserBySub", err)
	check(t, "GetUserBySub", u, got)

	// A disabled, unconfirmed user with no pending code and a non-zero
	// generation: false, empty and zero values must survive too.
	v := newUser("us-east-1_p", "victor")
	v.Enabled = false
	v.Status = "UNCONFIRMED"
	v.TempPasswordExpiresAt = time.Time{}
	v.SRPSalt, v.SRPVerifier = "", ""
	v.SignOutGen = 7
	v.SignedOutAt = at(time.Minute)
	v.Version = 12 // ignored: a new user is version 0
	mustOK(t, "CreateUser", s.CreateUser(ctx, v))
	if v.Version != 0 {
		t.Errorf("CreateUser left Version %d, want 0", v.Version)
	}
	got, err = s.GetUser(ctx, v.PoolID, v.Username)
	mustOK(t, "GetUser", err)
	check(t, "GetUser of a disabled user", v, got)
}

func testUserCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustOK(t, "CreatePool", s.CreatePool(ctx, newPool("us-east-1_p1")))
	mustOK(t, "CreatePool", s.CreatePool(ctx, newPool("us-east-1_p2")))
	u := newUser("us-east-1_p1", "alice")
	mustOK(t, "CreateUser", s.CreateUser(ctx, u))

	sameName := newUser("us-east-1_p1", "alice") // fresh sub
	wantErr(t, "CreateUser with an existing username", s.CreateUser(ctx, sameName), store.ErrConflict)
	if _, err := s.GetUserBySub(ctx, "us-east-1_p1", sameName.Sub); !errorsIsNotFound(err) {
		t.Errorf("the conflicting user was stored anyway (GetUserBySub error %v)", err)
	}

	sameSub := newUser("us-east-1_p1", "alicia")
	sameSub.Sub = u.Sub
	wantErr(t, "CreateUser with an existing sub", s.CreateUser(ctx, sameSub), store.ErrConflict)
	if _, err := s.GetUser(ctx, "us-east-1_p1", "alicia"); !errorsIsNotFound(err) {
		t.Errorf("the conflicting user was stored anyway (GetUser error %v)", err)
	}

	got, err := s.GetUser(ctx, u.PoolID, u.Username)
	mustOK(t, "GetUser", err)
	check(t, "GetUser after the conflicts", u, got)

	// Usernames and subs are unique per pool only.
	other := newUser("us-east-1_p2", "alice")
	other.Sub = u.Sub
	mustOK(t, "CreateUser with the same username and sub in another pool", s.CreateUser(ctx, other))
	got, err = s.GetUserBySub(ctx, "us-east-1_p2", u.Sub)
	mustOK(t, "GetUserBySub", err)
	check(t, "GetUserBySub in the other pool", other, got)
	got, err = s.GetUserBySub(ctx, "us-east-1_p1", u.Sub)
	mustOK(t, "GetUserBySub", err)
	check(t, "GetUserBySub in the first pool", u, got)
}

func testUserGetNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetUser(ctx, "us-east-1_p", "alice")
	wantErr(t, "GetUser on an empty store", err, store.ErrNotFound)
	_, err = s.GetUserBySub(ctx, "us-east-1_p", newSub())
	wantErr(t, "GetUserBySub on an empty store", err, store.ErrNotFound)

	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")
	_, err = s.GetUser(ctx, f.pool.ID, "carol")
	wantErr(t, "GetUser of a missing user", err, store.ErrNotFound)
	_, err = s.GetUser(ctx, f.pool.ID, "Alice")
	wantErr(t, "GetUser with another case (the store does not fold case)", err, store.ErrNotFound)
	_, err = s.GetUserBySub(ctx, g.pool.ID, f.alice.Sub)
	wantErr(t, "GetUserBySub with another pool's sub", err, store.ErrNotFound)
	_, err = s.GetUserBySub(ctx, f.pool.ID, newSub())
	wantErr(t, "GetUserBySub of a missing sub", err, store.ErrNotFound)
}

func testUserUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	gen, err := s.BumpSignOutGen(ctx, f.pool.ID, f.alice.Username, at(time.Hour), "signed-out")
	mustOK(t, "BumpSignOutGen", err)

	u := *f.alice
	u.Version = 1 // the bump was a write
	oldSub := u.Sub
	u.Sub = newSub()
	u.Status = "RESET_REQUIRED"
	u.Enabled = false
	u.Attributes = map[string]string{"email": "new@example.com", "custom:tier": "gold"}
	u.PasswordHash = "$argon2id$v=19$m=65536,t=3,p=4$bmV3c2FsdA$bmV3aGFzaA"
	u.SRPSalt = "ffee"
	u.SRPVerifier = "ddcc"
	u.TempPasswordExpiresAt = time.Time{}
	u.CreatedAt = at(-time.Hour)
	u.UpdatedAt = at(time.Hour)
	u.SignOutGen = 99                 // must be ignored
	u.SignedOutAt = at(9 * time.Hour) // must be ignored
	mustOK(t, "UpdateUser", s.UpdateUser(ctx, &u))
	if u.Version != 2 {
		t.Errorf("UpdateUser left Version %d, want 2", u.Version)
	}

	want := u
	want.SignOutGen, want.SignedOutAt = gen, at(time.Hour)
	got, err := s.GetUser(ctx, u.PoolID, u.Username)
	mustOK(t, "GetUser", err)
	check(t, "GetUser after UpdateUser", &want, got)
	got, err = s.GetUserBySub(ctx, u.PoolID, u.Sub)
	mustOK(t, "GetUserBySub", err)
	check(t, "GetUserBySub (new sub) after UpdateUser", &want, got)
	_, err = s.GetUserBySub(ctx, u.PoolID, oldSub)
	wantErr(t, "GetUserBySub (old sub) after UpdateUser", err, store.ErrNotFound)

	got, err = s.GetUser(ctx, f.pool.ID, f.bobby.Username)
	mustOK(t, "GetUser", err)
	check(t, "the other user after UpdateUser", f.bobby, got)

	// A write from a stale version is refused and changes nothing.
	stale := *f.alice
	stale.Sub = u.Sub
	stale.Version = 1
	wantErr(t, "UpdateUser from a stale version", s.UpdateUser(ctx, &stale), store.ErrConflict)
	got, err = s.GetUser(ctx, u.PoolID, u.Username)
	mustOK(t, "GetUser", err)
	check(t, "GetUser after a stale UpdateUser", &want, got)

	// And back: a second update from the current version, with a stale
	// SignOutGen of 0.
	u2 := *f.alice
	u2.Sub = u.Sub
	u2.Version = 2
	mustOK(t, "UpdateUser", s.UpdateUser(ctx, &u2))
	want = u2
	want.SignOutGen, want.SignedOutAt = gen, at(time.Hour)
	got, err = s.GetUser(ctx, u.PoolID, u.Username)
	mustOK(t, "GetUser", err)
	check(t, "GetUser after a second UpdateUser", &want, got)
}

func testUserUpdateNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")
	carol := newUser(f.pool.ID, "carol")
	wantErr(t, "UpdateUser of a missing user", s.UpdateUser(ctx, carol), store.ErrNotFound)
	if _, err := s.GetUser(ctx, f.pool.ID, "carol"); !errorsIsNotFound(err) {
		t.Errorf("UpdateUser of a missing user created it (GetUser error %v)", err)
	}
	wrongPool := *f.alice
	wrongPool.PoolID = "us-east-1_none"
	wantErr(t, "UpdateUser in a missing pool", s.UpdateUser(ctx, &wrongPool), store.ErrNotFound)
	got, err := s.GetUser(ctx, g.pool.ID, g.alice.Username)
	mustOK(t, "GetUser", err)
	check(t, "the other pool's alice after a failed UpdateUser", g.alice, got)
}

func testUserDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")

	wantErr(t, "DeleteUser of a missing user", s.DeleteUser(ctx, f.pool.ID, "carol"), store.ErrNotFound)
	wantErr(t, "DeleteUser in a missing pool", s.DeleteUser(ctx, "us-east-1_none", "alice"), store.ErrNotFound)

	mustOK(t, "DeleteUser", s.DeleteUser(ctx, f.pool.ID, f.alice.Username))
	_, err := s.GetUser(ctx, f.pool.ID, f.alice.Username)
	wantErr(t, "GetUser after DeleteUser", err, store.ErrNotFound)
	_, err = s.GetUserBySub(ctx, f.pool.ID, f.alice.Sub)
	wantErr(t, "GetUserBySub after DeleteUser", err, store.ErrNotFound)
	wantErr(t, "DeleteUser again", s.DeleteUser(ctx, f.pool.ID, f.alice.Username), store.ErrNotFound)

	got, err := s.GetUser(ctx, f.pool.ID, f.bobby.Username)
	mustOK(t, "GetUser", err)
	check(t, "the pool's other user after DeleteUser", f.bobby, got)
	got, err = s.GetUser(ctx, g.pool.ID, g.alice.Username)
	mustOK(t, "GetUser", err)
	check(t, "the other pool's alice after DeleteUser", g.alice, got)

	mustOK(t, "CreateUser with a deleted user's username and sub", s.CreateUser(ctx, f.alice))
}

func testUserAttributes(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustOK(t, "CreatePool", s.CreatePool(ctx, newPool("us-east-1_p")))
	cases := []struct {
		name  string
		attrs map[string]string
	}{
		{"nil", nil},
		{"empty", map[string]string{}},
		{"one empty value", map[string]string{"custom:empty": ""}},
		{"unicode", map[string]string{
			"name":          "Zoë Ōkubo 大輔",
			"custom:emoji":  "🔐👩🏽‍💻",
			"custom:rtl":    "مرحبا بالعالم",
			"ключ":          "значение",
			"custom:seps":   "\u2028\u2029\ufeff",
			"custom:astral": "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
		}},
		{"syntax", map[string]string{
			"custom:quotes":  `he said "hi" \ and 'bye'`,
			"custom:ctl":     "a\nb\tc\rd\x00e\x1f",
			"custom:json":    `{"nested": [1, 2, {"k": null}]}`,
			"custom:html":    "<script>&amp;</script>",
			"custom:percent": "%s %d %%",
			"":               "empty key",
		}},
		{"many and long", func() map[string]string {
			m := map[string]string{"custom:long": strings.Repeat("xyz✓", 1024)}
			for i := range 50 {
				m["custom:k"+strings.Repeat("a", i)] = strings.Repeat("v", i)
			}
			return m
		}()},
	}
	for i, tc := range cases {
		u := newUser("us-east-1_p", "user"+string(rune('a'+i)))
		u.Attributes = tc.attrs
		mustOK(t, "CreateUser "+tc.name, s.CreateUser(ctx, u))
		got, err := s.GetUser(ctx, u.PoolID, u.Username)
		mustOK(t, "GetUser "+tc.name, err)
		check(t, "attributes "+tc.name+" after CreateUser", u, got)
	}

	// Updates replace the whole map, down to empty.
	u := newUser("us-east-1_p", "updated")
	mustOK(t, "CreateUser", s.CreateUser(ctx, u))
	for _, tc := range cases {
		u.Attributes = tc.attrs
		mustOK(t, "UpdateUser "+tc.name, s.UpdateUser(ctx, u))
		got, err := s.GetUserBySub(ctx, u.PoolID, u.Sub)
		mustOK(t, "GetUserBySub "+tc.name, err)
		check(t, "attributes "+tc.name+" after UpdateUser", u, got)
	}
}

func testListUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustOK(t, "CreatePool", s.CreatePool(ctx, newPool("us-east-1_p1")))
	mustOK(t, "CreatePool", s.CreatePool(ctx, newPool("us-east-1_p2")))
	names := []string{"bob", "alice", "Bob", "émile", "zoë", "_x", "0day", "Zed", "bob2", "alicé"}
	byName := map[string]*store.User{}
	for _, n := range names {
		u := newUser("us-east-1_p1", n)
		byName[n] = u
		mustOK(t, "CreateUser", s.CreateUser(ctx, u))
	}
	for _, n := range []string{"aardvark", "bz", "alice"} {
		mustOK(t, "CreateUser", s.CreateUser(ctx, newUser("us-east-1_p2", n)))
	}
	want := slices.Sorted(slices.Values(names))

	all, err := s.ListUsers(ctx, "us-east-1_p1", "", 100)
	mustOK(t, "ListUsers", err)
	checkIDs(t, "ListUsers", want, ids(all, username))
	for _, u := range all {
		if w, ok := byName[u.Username]; ok {
			check(t, "ListUsers record "+u.Username, w, u)
		}
	}

	var paged []string
	after := ""
	for page := 0; ; page++ {
		got, err := s.ListUsers(ctx, "us-east-1_p1", after, 3)
		mustOK(t, "ListUsers", err)
		if len(got) > 3 {
			t.Fatalf("ListUsers(%q, 3) returned %d users", after, len(got))
		}
		if len(got) == 0 {
			break
		}
		if page > len(names) {
			t.Fatal("ListUsers paging does not end")
		}
		paged = append(paged, ids(got, username)...)
		after = got[len(got)-1].Username
	}
	checkIDs(t, "ListUsers paged by 3", want, paged)

	got, err := s.ListUsers(ctx, "us-east-1_p1", "bob", 2)
	mustOK(t, "ListUsers", err)
	checkIDs(t, "ListUsers after bob", []string{"bob2", "zoë"}, ids(got, username))

	got, err = s.ListUsers(ctx, "us-east-1_none", "", 100)
	mustOK(t, "ListUsers of a missing pool", err)
	checkIDs(t, "ListUsers of a missing pool", nil, ids(got, username))
}

func testBumpSignOutGen(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")
	for want := int64(1); want <= 3; want++ {
		gen, err := s.BumpSignOutGen(ctx, f.pool.ID, f.alice.Username, at(time.Duration(want)*time.Minute), "signed-out")
		mustOK(t, "BumpSignOutGen", err)
		if gen != want {
			t.Errorf("BumpSignOutGen #%d = %d, want %d", want, gen, want)
		}
	}
	got, err := s.GetUser(ctx, f.pool.ID, f.alice.Username)
	mustOK(t, "GetUser", err)
	if got.SignOutGen != 3 || !got.SignedOutAt.Equal(at(3*time.Minute).Truncate(time.Millisecond)) || got.Version != 3 {
		t.Errorf("GetUser after 3 bumps: SignOutGen %d, SignedOutAt %v, Version %d; want 3, %v, 3",
			got.SignOutGen, got.SignedOutAt, got.Version, at(3*time.Minute).UTC())
	}
	got, err = s.GetUserBySub(ctx, f.pool.ID, f.alice.Sub)
	mustOK(t, "GetUserBySub", err)
	if got.SignOutGen != 3 {
		t.Errorf("GetUserBySub after 3 bumps: SignOutGen = %d, want 3", got.SignOutGen)
	}
	for _, u := range []*store.User{f.bobby, g.alice} {
		got, err := s.GetUser(ctx, u.PoolID, u.Username)
		mustOK(t, "GetUser", err)
		if got.SignOutGen != 0 || !got.SignedOutAt.IsZero() {
			t.Errorf("%s/%s: SignOutGen = %d after another user's bumps, want 0", u.PoolID, u.Username, got.SignOutGen)
		}
	}

	_, err = s.BumpSignOutGen(ctx, f.pool.ID, "carol", at(0), "signed-out")
	wantErr(t, "BumpSignOutGen of a missing user", err, store.ErrNotFound)
	_, err = s.BumpSignOutGen(ctx, "us-east-1_none", "alice", at(0), "signed-out")
	wantErr(t, "BumpSignOutGen in a missing pool", err, store.ErrNotFound)

	// UpdateUser from the current version with a stale SignOutGen does not
	// roll it back; one from a version before the bumps is refused.
	stale := *f.alice
	stale.Status = "FORCE_CHANGE_PASSWORD"
	wantErr(t, "UpdateUser from before the bumps", s.UpdateUser(ctx, &stale), store.ErrConflict)
	stale.Version = 3
	mustOK(t, "UpdateUser", s.UpdateUser(ctx, &stale))
	got, err = s.GetUser(ctx, f.pool.ID, f.alice.Username)
	mustOK(t, "GetUser", err)
	if got.SignOutGen != 3 || got.Status != "FORCE_CHANGE_PASSWORD" {
		t.Errorf("after UpdateUser: SignOutGen = %d, Status = %q; want 3, FORCE_CHANGE_PASSWORD", got.SignOutGen, got.Status)
	}
	gen, err := s.BumpSignOutGen(ctx, f.pool.ID, f.alice.Username, at(time.Hour), "signed-out")
	mustOK(t, "BumpSignOutGen", err)
	if gen != 4 {
		t.Errorf("BumpSignOutGen after UpdateUser = %d, want 4", gen)
	}
}

// testBumpSignOutGenConcurrent races bumps with updates: every bump counts,
// and an update either wins its compare-and-set or is refused — it never
// rolls a bump back.
func testBumpSignOutGenConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	const bumpers, updaters = 20, 10
	var mu sync.Mutex
	var gens []int64
	race(bumpers+updaters, func(i int) {
		if i >= bumpers {
			u := *f.alice
			u.UpdatedAt = at(time.Duration(i) * time.Second)
			if err := s.UpdateUser(ctx, &u); err != nil && !errorsIsConflict(err) {
				t.Errorf("UpdateUser: %v", err)
			}
			return
		}
		gen, err := s.BumpSignOutGen(ctx, f.pool.ID, f.alice.Username, at(time.Duration(i)*time.Second), "signed-out")
		if err != nil {
			t.Errorf("BumpSignOutGen: %v", err)
			return
		}
		mu.Lock()
		gens = append(gens, gen)
		mu.Unlock()
	})
	slices.Sort(gens)
	want := make([]int64, bumpers)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if !slices.Equal(gens, want) {
		t.Errorf("values returned by %d concurrent bumps = %v, want each of 1..%d once", bumpers, gens, bumpers)
	}
	got, err := s.GetUser(ctx, f.pool.ID, f.alice.Username)
	mustOK(t, "GetUser", err)
	if got.SignOutGen != bumpers {
		t.Errorf("SignOutGen after %d concurrent bumps = %d", bumpers, got.SignOutGen)
	}
}

// testUpdateUserCompareAndSet races updates from one version: exactly one
// wins, the row holds its fields, and the losers changed nothing. This is
// the rule that keeps a slow password change from undoing an admin's
// disable (or password reset) that committed while it hashed.
func testUpdateUserCompareAndSet(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	const writers = 16
	var wins atomic.Int64
	var winner atomic.Int64
	race(writers, func(i int) {
		u := *f.alice
		u.Status = fmt.Sprintf("STATUS_%d", i)
		u.Enabled = i%2 == 0
		err := s.UpdateUser(ctx, &u)
		switch {
		case err == nil:
			wins.Add(1)
			winner.Store(int64(i))
			if u.Version != 1 {
				t.Errorf("the winning UpdateUser left Version %d, want 1", u.Version)
			}
		case !errorsIsConflict(err):
			t.Errorf("UpdateUser: %v", err)
		}
	})
	if wins.Load() != 1 {
		t.Fatalf("%d of %d concurrent updates from one version won, want exactly 1", wins.Load(), writers)
	}
	got, err := s.GetUser(ctx, f.pool.ID, f.alice.Username)
	mustOK(t, "GetUser", err)
	w := int(winner.Load())
	if got.Status != fmt.Sprintf("STATUS_%d", w) || got.Enabled != (w%2 == 0) || got.Version != 1 {
		t.Errorf("after the race: Status %q Enabled %v Version %d, want the winner's (STATUS_%d, %v, 1)",
			got.Status, got.Enabled, got.Version, w, w%2 == 0)
	}
}
