package storetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

func testSessionWithUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	sess := newSession("origin-jti-1", f.c1, f.alice, at(time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, sess))
	gen, err := s.BumpSignOutGen(ctx, f.pool.ID, f.alice.Username, at(time.Hour), "signed-out")
	mustOK(t, "BumpSignOutGen", err)
	gotSess, gotUser, err := s.GetSessionWithUser(ctx, sess.ID)
	mustOK(t, "GetSessionWithUser", err)
	check(t, "GetSessionWithUser session", sess, gotSess)
	wantUser, err := s.GetUserBySub(ctx, f.pool.ID, f.alice.Sub)
	mustOK(t, "GetUserBySub", err)
	check(t, "GetSessionWithUser user", wantUser, gotUser)
	if gotUser.SignOutGen != gen {
		t.Fatalf("GetSessionWithUser: SignOutGen %d, want the bumped %d", gotUser.SignOutGen, gen)
	}
	wantFamilyReadGone(t, s, f, sess.ID, "GetSessionWithUser", func(id string) error {
		_, _, err := s.GetSessionWithUser(ctx, id)
		return err
	})
}

// wantFamilyReadGone checks that read, a read of a session with its user,
// finds neither a missing session nor, once alice (the session's user) is
// deleted, the session id.
func wantFamilyReadGone(t *testing.T, s store.Store, f fixture, id, name string, read func(id string) error) {
	t.Helper()
	wantErr(t, name+" of a missing session", read("origin-jti-missing"), store.ErrNotFound)
	mustOK(t, "DeleteUser", s.DeleteUser(t.Context(), f.pool.ID, f.alice.Username))
	wantErr(t, name+" after the user was deleted", read(id), store.ErrNotFound)
}

// testSessionWithProfile: GetSessionWithProfile reads the fields it
// documents as GetSessionWithUser reads them, and leaves every other field
// zero (the user's Version included); ErrNotFound as GetSessionWithUser.
func testSessionWithProfile(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	sess := newSession("origin-jti-1", f.c1, f.alice, at(time.Minute))
	sess.DeviceKey, sess.Scopes, sess.SourceIP, sess.UserAgent = "us-east-1_dev", "openid", "192.0.2.1", "ua/1"
	mustOK(t, "CreateSession", s.CreateSession(ctx, sess))
	alice, err := s.GetUser(ctx, f.pool.ID, "alice")
	mustOK(t, "GetUser", err)
	alice.MFA = []byte(`{"totp":true}`)
	alice.Aliases = map[string]string{"email": "alice@example.com"}
	mustOK(t, "UpdateUser", s.UpdateUser(ctx, alice))
	mustOK(t, "RevokeSession", s.RevokeSession(ctx, sess.ID, at(2*time.Minute), "revoked"))
	gen, err := s.BumpSignOutGen(ctx, f.pool.ID, "alice", at(time.Hour), "signed-out")
	mustOK(t, "BumpSignOutGen", err)

	fullSess, fullUser, err := s.GetSessionWithUser(ctx, sess.ID)
	mustOK(t, "GetSessionWithUser", err)
	gotSess, gotUser, err := s.GetSessionWithProfile(ctx, sess.ID)
	mustOK(t, "GetSessionWithProfile", err)
	wantSess := store.Session{ID: fullSess.ID, PoolID: fullSess.PoolID, ClientID: fullSess.ClientID,
		UserSub: fullSess.UserSub, Username: fullSess.Username, UserGen: fullSess.UserGen,
		ExpiresAt: fullSess.ExpiresAt, RevokedAt: fullSess.RevokedAt, Revoked: fullSess.Revoked}
	check(t, "GetSessionWithProfile session", &wantSess, gotSess)
	wantUser := store.User{PoolID: fullUser.PoolID, Username: fullUser.Username, Sub: fullUser.Sub,
		Status: fullUser.Status, Enabled: fullUser.Enabled, Attributes: fullUser.Attributes, MFA: fullUser.MFA,
		SignOutGen: fullUser.SignOutGen, CreatedAt: fullUser.CreatedAt, UpdatedAt: fullUser.UpdatedAt}
	check(t, "GetSessionWithProfile user", &wantUser, gotUser)
	if gotUser.SignOutGen != gen || gotSess.RevokedAt.IsZero() || string(gotUser.MFA) != `{"totp":true}` || gotUser.Version != 0 {
		t.Fatalf("GetSessionWithProfile: gen %d (want %d), revoked at %v, MFA %q, version %d",
			gotUser.SignOutGen, gen, gotSess.RevokedAt, gotUser.MFA, gotUser.Version)
	}
	// What it leaves out cannot be written back.
	gotUser.Attributes = map[string]string{"email": "mallory@example.com"}
	wantErr(t, "UpdateUser of a profile read", s.UpdateUser(ctx, gotUser), store.ErrConflict)

	wantFamilyReadGone(t, s, f, sess.ID, "GetSessionWithProfile", func(id string) error {
		_, _, err := s.GetSessionWithProfile(ctx, id)
		return err
	})
}

// testSessionWithProfileConcurrent reads a session while it is revoked and
// its user is signed out everywhere: every read succeeds, and once the
// writers are done a read shows both.
func testSessionWithProfileConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	sess := newSession("origin-jti-1", f.c1, f.alice, at(time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, sess))
	var gen atomic.Int64
	race(10, func(i int) {
		switch i {
		case 0:
			if err := s.RevokeSession(ctx, sess.ID, at(2*time.Minute), "revoked"); err != nil {
				t.Errorf("RevokeSession: %v", err)
			}
		case 1:
			g, err := s.BumpSignOutGen(ctx, f.pool.ID, "alice", at(time.Hour), "signed-out")
			if err != nil {
				t.Errorf("BumpSignOutGen: %v", err)
			}
			gen.Store(g)
		default:
			for range 5 {
				if _, u, err := s.GetSessionWithProfile(ctx, sess.ID); err != nil || u.Sub != f.alice.Sub {
					t.Errorf("GetSessionWithProfile during a revocation: %v", err)
					return
				}
			}
		}
	})
	gotSess, gotUser, err := s.GetSessionWithProfile(ctx, sess.ID)
	mustOK(t, "GetSessionWithProfile", err)
	if gotSess.RevokedAt.IsZero() || gotSess.Revoked != "revoked" || gotUser.SignOutGen != gen.Load() {
		t.Fatalf("after the writers: revoked %q at %v, sign-out generation %d (want %d)",
			gotSess.Revoked, gotSess.RevokedAt, gotUser.SignOutGen, gen.Load())
	}
}

func testSessionCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	live := newSession("origin-jti-1", f.c1, f.alice, at(time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, live))
	got, err := s.GetSession(ctx, live.ID)
	mustOK(t, "GetSession", err)
	check(t, "GetSession", live, got)

	// Every field set, including the ones a fresh session leaves zero.
	full := newSession("origin-jti-2", f.c2, f.bobby, at(2*time.Minute))
	full.UserGen = 5
	full.RefreshGen = 3
	full.RotatedAt = at(3 * time.Minute)
	full.RevokedAt = at(4 * time.Minute)
	full.Revoked = "admin"
	full.Source = "hostedui"
	mustOK(t, "CreateSession", s.CreateSession(ctx, full))
	got, err = s.GetSession(ctx, full.ID)
	mustOK(t, "GetSession", err)
	check(t, "GetSession of a fully set session", full, got)

	// And every optional field empty.
	bare := &store.Session{ID: "origin-jti-3", PoolID: f.pool.ID, ClientID: f.c1.ID,
		UserSub: f.alice.Sub, Username: f.alice.Username}
	mustOK(t, "CreateSession", s.CreateSession(ctx, bare))
	got, err = s.GetSession(ctx, bare.ID)
	mustOK(t, "GetSession", err)
	check(t, "GetSession of a bare session", bare, got)
}

func testSessionCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	ss := newSession("origin-jti-1", f.c1, f.alice, at(time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, ss))
	dup := newSession(ss.ID, f.c2, f.bobby, at(time.Hour))
	wantErr(t, "CreateSession with an existing id", s.CreateSession(ctx, dup), store.ErrConflict)
	got, err := s.GetSession(ctx, ss.ID)
	mustOK(t, "GetSession", err)
	check(t, "GetSession after the conflict", ss, got)
}

func testSessionGetNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetSession(ctx, "origin-jti-1")
	wantErr(t, "GetSession on an empty store", err, store.ErrNotFound)
	f := setup(t, s, "us-east-1_p")
	mustOK(t, "CreateSession", s.CreateSession(ctx, newSession("origin-jti-1", f.c1, f.alice, at(0))))
	_, err = s.GetSession(ctx, "origin-jti-2")
	wantErr(t, "GetSession of a missing session", err, store.ErrNotFound)
	_, err = s.GetSession(ctx, "ORIGIN-JTI-1")
	wantErr(t, "GetSession with another case", err, store.ErrNotFound)
}

func testRevokeSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	ss := newSession("origin-jti-1", f.c1, f.alice, at(time.Minute))
	other := newSession("origin-jti-2", f.c1, f.alice, at(2*time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, ss))
	mustOK(t, "CreateSession", s.CreateSession(ctx, other))

	mustOK(t, "RevokeSession", s.RevokeSession(ctx, ss.ID, at(time.Hour), "revoke"))
	want := *ss
	want.RevokedAt = at(time.Hour)
	want.Revoked = "revoke"
	got, err := s.GetSession(ctx, ss.ID)
	mustOK(t, "GetSession", err)
	check(t, "GetSession after RevokeSession", &want, got)

	// A second revocation is a no-op that succeeds: the first time and
	// reason stay.
	mustOK(t, "RevokeSession again", s.RevokeSession(ctx, ss.ID, at(2*time.Hour), "reuse"))
	got, err = s.GetSession(ctx, ss.ID)
	mustOK(t, "GetSession", err)
	check(t, "GetSession after a second RevokeSession", &want, got)

	got, err = s.GetSession(ctx, other.ID)
	mustOK(t, "GetSession", err)
	check(t, "the user's other session after RevokeSession", other, got)

	wantErr(t, "RevokeSession of a missing session",
		s.RevokeSession(ctx, "origin-jti-missing", at(time.Hour), "revoke"), store.ErrNotFound)
}

func testRevokeSessionConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	ss := newSession("origin-jti-1", f.c1, f.alice, at(time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, ss))
	const n = 10
	race(n, func(i int) {
		if err := s.RevokeSession(ctx, ss.ID, at(time.Duration(i+1)*time.Hour), fmt.Sprintf("reason-%d", i)); err != nil {
			t.Errorf("RevokeSession: %v", err)
		}
	})
	got, err := s.GetSession(ctx, ss.ID)
	mustOK(t, "GetSession", err)
	// Whichever revocation came first, its time and reason belong together.
	var i int
	if _, err := fmt.Sscanf(got.Revoked, "reason-%d", &i); err != nil {
		t.Fatalf("Revoked = %q after concurrent revocations", got.Revoked)
	}
	if !same(got.RevokedAt, at(time.Duration(i+1)*time.Hour)) {
		t.Errorf("RevokedAt = %v with reason %q: time and reason come from different revocations", got.RevokedAt, got.Revoked)
	}
}

func testRotateRefresh(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	ss := newSession("origin-jti-1", f.c1, f.alice, at(time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, ss))

	mustOK(t, "RotateRefresh from 0", s.RotateRefresh(ctx, ss.ID, 0, at(time.Hour)))
	want := *ss
	want.RefreshGen = 1
	want.RotatedAt = at(time.Hour)
	want.LastUsed = at(time.Hour) // a rotation is a use
	got, err := s.GetSession(ctx, ss.ID)
	mustOK(t, "GetSession", err)
	check(t, "GetSession after RotateRefresh", &want, got)

	wantErr(t, "RotateRefresh from a stale generation", s.RotateRefresh(ctx, ss.ID, 0, at(2*time.Hour)), store.ErrConflict)
	wantErr(t, "RotateRefresh from a future generation", s.RotateRefresh(ctx, ss.ID, 2, at(2*time.Hour)), store.ErrConflict)
	got, err = s.GetSession(ctx, ss.ID)
	mustOK(t, "GetSession", err)
	check(t, "GetSession after refused rotations", &want, got)

	mustOK(t, "RotateRefresh from 1", s.RotateRefresh(ctx, ss.ID, 1, at(3*time.Hour)))
	want.RefreshGen = 2
	want.RotatedAt = at(3 * time.Hour)
	want.LastUsed = at(3 * time.Hour)
	got, err = s.GetSession(ctx, ss.ID)
	mustOK(t, "GetSession", err)
	check(t, "GetSession after a second RotateRefresh", &want, got)

	mustOK(t, "RevokeSession", s.RevokeSession(ctx, ss.ID, at(4*time.Hour), "reuse"))
	want.RevokedAt = at(4 * time.Hour)
	want.Revoked = "reuse"
	wantErr(t, "RotateRefresh of a revoked session", s.RotateRefresh(ctx, ss.ID, 2, at(5*time.Hour)), store.ErrConflict)
	got, err = s.GetSession(ctx, ss.ID)
	mustOK(t, "GetSession", err)
	check(t, "GetSession after rotating a revoked session", &want, got)

	err = s.RotateRefresh(ctx, "origin-jti-missing", 0, at(time.Hour))
	wantErr(t, "RotateRefresh of a missing session", err, store.ErrNotFound)
}

func testRotateRefreshConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	ss := newSession("origin-jti-1", f.c1, f.alice, at(time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, ss))
	const rounds, n = 5, 10
	for gen := int64(0); gen < rounds; gen++ {
		var wins, conflicts atomic.Int32
		race(n, func(i int) {
			err := s.RotateRefresh(ctx, ss.ID, gen, at(time.Duration(gen)*time.Hour+time.Duration(i)*time.Second))
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrConflict):
				conflicts.Add(1)
			default:
				t.Errorf("RotateRefresh: %v", err)
			}
		})
		if wins.Load() != 1 || conflicts.Load() != n-1 {
			t.Errorf("round %d: %d concurrent rotations from the same generation: %d won, %d conflicted; want 1 and %d",
				gen, n, wins.Load(), conflicts.Load(), n-1)
		}
		got, err := s.GetSession(ctx, ss.ID)
		mustOK(t, "GetSession", err)
		if got.RefreshGen != gen+1 {
			t.Fatalf("round %d: RefreshGen = %d, want %d", gen, got.RefreshGen, gen+1)
		}
	}
}

func testTouchSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	ss := newSession("origin-jti-1", f.c1, f.alice, at(time.Minute))
	other := newSession("origin-jti-2", f.c1, f.alice, at(time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, ss))
	mustOK(t, "CreateSession", s.CreateSession(ctx, other))

	for _, tc := range []struct {
		d, ttl, want time.Duration
	}{
		{time.Hour, 2 * time.Hour, 2 * time.Hour},                             // raised
		{2*time.Hour + 345*time.Millisecond, 30 * time.Minute, 2 * time.Hour}, // never lowered
	} {
		d := tc.d
		mustOK(t, "TouchSession", s.TouchSession(ctx, ss.ID, at(d), tc.ttl))
		want := *ss
		want.LastUsed, want.AccessTTL = at(d), tc.want
		got, err := s.GetSession(ctx, ss.ID)
		mustOK(t, "GetSession", err)
		check(t, "GetSession after TouchSession", &want, got)
	}
	got, err := s.GetSession(ctx, other.ID)
	mustOK(t, "GetSession", err)
	check(t, "the other session after TouchSession", other, got)

	wantErr(t, "TouchSession of a missing session", s.TouchSession(ctx, "origin-jti-missing", at(time.Hour), time.Hour), store.ErrNotFound)
}
