package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// newWebSession returns a web session of u with every field set.
func newWebSession(id string, u *store.User, created time.Time) *store.WebSession {
	return &store.WebSession{
		ID:        id,
		PoolID:    u.PoolID,
		UserSub:   u.Sub,
		UserGen:   u.SignOutGen,
		CreatedAt: created,
		ExpiresAt: created.Add(time.Hour),
	}
}

// newAuthCode returns an authorization code of u through c with every field set.
func newAuthCode(id string, c *store.Client, u *store.User, issued time.Time) *store.AuthCode {
	return &store.AuthCode{
		ID:                  id,
		PoolID:              c.PoolID,
		ClientID:            c.ID,
		UserSub:             u.Sub,
		UserGen:             u.SignOutGen,
		RedirectURI:         "http://localhost:3000/callback?x=1&y=" + id,
		Scopes:              "openid email aws.cognito.signin.user.admin",
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		Nonce:               "n-0S6_WzA2Mj-" + id,
		AuthTime:            issued.Add(-time.Minute),
		ExpiresAt:           issued.Add(5 * time.Minute),
	}
}

func testWebSessionCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	w := newWebSession("web-1", f.alice, at(time.Minute))
	w.UserGen = 7
	mustOK(t, "CreateWebSession", s.CreateWebSession(ctx, w))
	got, err := s.GetWebSession(ctx, w.ID)
	mustOK(t, "GetWebSession", err)
	check(t, "GetWebSession", w, got)

	bare := &store.WebSession{ID: "web-2", PoolID: f.pool.ID, UserSub: f.bobby.Sub}
	mustOK(t, "CreateWebSession", s.CreateWebSession(ctx, bare))
	got, err = s.GetWebSession(ctx, bare.ID)
	mustOK(t, "GetWebSession", err)
	check(t, "GetWebSession of a bare session", bare, got)

	_, err = s.GetWebSession(ctx, "web-missing")
	wantErr(t, "GetWebSession of a missing session", err, store.ErrNotFound)
	_, err = s.GetWebSession(ctx, "WEB-1")
	wantErr(t, "GetWebSession with another case", err, store.ErrNotFound)

	dup := newWebSession(w.ID, f.bobby, at(time.Hour))
	wantErr(t, "CreateWebSession with an existing id", s.CreateWebSession(ctx, dup), store.ErrConflict)
	got, err = s.GetWebSession(ctx, w.ID)
	mustOK(t, "GetWebSession", err)
	check(t, "GetWebSession after the conflict", w, got)

	ghost := newWebSession("web-ghost", f.alice, at(0))
	ghost.UserSub = newSub()
	wantErr(t, "CreateWebSession of a missing user", s.CreateWebSession(ctx, ghost), store.ErrNotFound)
	ghost = newWebSession("web-ghost", f.alice, at(0))
	ghost.PoolID = "us-east-1_missing"
	wantErr(t, "CreateWebSession in a missing pool", s.CreateWebSession(ctx, ghost), store.ErrNotFound)
	_, err = s.GetWebSession(ctx, "web-ghost")
	wantErr(t, "GetWebSession of a refused session", err, store.ErrNotFound)
}

func testDeleteWebSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	w1, w2 := newWebSession("web-1", f.alice, at(0)), newWebSession("web-2", f.alice, at(0))
	mustOK(t, "CreateWebSession", s.CreateWebSession(ctx, w1))
	mustOK(t, "CreateWebSession", s.CreateWebSession(ctx, w2))
	mustOK(t, "DeleteWebSession", s.DeleteWebSession(ctx, w1.ID))
	_, err := s.GetWebSession(ctx, w1.ID)
	wantErr(t, "GetWebSession of a deleted session", err, store.ErrNotFound)
	wantErr(t, "DeleteWebSession a second time", s.DeleteWebSession(ctx, w1.ID), store.ErrNotFound)
	got, err := s.GetWebSession(ctx, w2.ID)
	mustOK(t, "GetWebSession of the other session", err)
	check(t, "GetWebSession of the other session", w2, got)
	// A deleted id can be used again.
	mustOK(t, "CreateWebSession with a deleted id", s.CreateWebSession(ctx, w1))
}

func testPurgeWebSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	old := newWebSession("web-old", f.alice, at(-2*time.Hour))
	live := newWebSession("web-live", f.alice, at(0))
	mustOK(t, "CreateWebSession", s.CreateWebSession(ctx, old))
	mustOK(t, "CreateWebSession", s.CreateWebSession(ctx, live))
	n, err := s.PurgeWebSessions(ctx, at(0), 0)
	mustOK(t, "PurgeWebSessions", err)
	if n != 1 {
		t.Fatalf("PurgeWebSessions deleted %d, want 1", n)
	}
	_, err = s.GetWebSession(ctx, old.ID)
	wantErr(t, "GetWebSession of a purged session", err, store.ErrNotFound)
	got, err := s.GetWebSession(ctx, live.ID)
	mustOK(t, "GetWebSession of a live session", err)
	check(t, "GetWebSession after purge", live, got)
}

func testWebSessionCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")
	wa, wb := newWebSession("web-alice", f.alice, at(0)), newWebSession("web-bobby", f.bobby, at(0))
	wg := newWebSession("web-other-pool", g.alice, at(0))
	for _, w := range []*store.WebSession{wa, wb, wg} {
		mustOK(t, "CreateWebSession", s.CreateWebSession(ctx, w))
	}
	mustOK(t, "DeleteUser", s.DeleteUser(ctx, f.pool.ID, f.alice.Username))
	_, err := s.GetWebSession(ctx, wa.ID)
	wantErr(t, "GetWebSession of a deleted user's session", err, store.ErrNotFound)
	for _, w := range []*store.WebSession{wb, wg} {
		_, err := s.GetWebSession(ctx, w.ID)
		mustOK(t, "GetWebSession of another user's session after DeleteUser", err)
	}
	mustOK(t, "DeletePool", s.DeletePool(ctx, f.pool.ID))
	_, err = s.GetWebSession(ctx, wb.ID)
	wantErr(t, "GetWebSession in a deleted pool", err, store.ErrNotFound)
	_, err = s.GetWebSession(ctx, wg.ID)
	mustOK(t, "GetWebSession in the other pool after DeletePool", err)
}

func testAuthCodePutTake(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	c := newAuthCode("code-1", f.c1, f.alice, at(0))
	c.UserGen = 3
	bare := &store.AuthCode{ID: "code-2", PoolID: f.pool.ID, ClientID: f.c2.ID, UserSub: f.bobby.Sub}
	mustOK(t, "PutAuthCode", s.PutAuthCode(ctx, c))
	mustOK(t, "PutAuthCode", s.PutAuthCode(ctx, bare))

	got, err := s.TakeAuthCode(ctx, c.ID)
	mustOK(t, "TakeAuthCode", err)
	check(t, "TakeAuthCode", c, got)
	_, err = s.TakeAuthCode(ctx, c.ID)
	wantErr(t, "TakeAuthCode a second time", err, store.ErrNotFound)
	_, err = s.TakeAuthCode(ctx, "code-missing")
	wantErr(t, "TakeAuthCode of a missing code", err, store.ErrNotFound)
	got, err = s.TakeAuthCode(ctx, bare.ID)
	mustOK(t, "TakeAuthCode", err)
	check(t, "TakeAuthCode of a bare code", bare, got)

	// Expiry is the caller's business: an expired code is still taken.
	old := newAuthCode("code-expired", f.c2, f.alice, at(-24*time.Hour))
	mustOK(t, "PutAuthCode", s.PutAuthCode(ctx, old))
	got, err = s.TakeAuthCode(ctx, old.ID)
	mustOK(t, "TakeAuthCode of an expired code", err)
	check(t, "TakeAuthCode of an expired code", old, got)

	// References are checked: pool, client in that pool, user in that pool.
	g := setup(t, s, "us-east-1_q")
	for name, mut := range map[string]func(*store.AuthCode){
		"a missing pool":               func(a *store.AuthCode) { a.PoolID = "us-east-1_missing" },
		"a missing client":             func(a *store.AuthCode) { a.ClientID = "client-missing" },
		"a client of another pool":     func(a *store.AuthCode) { a.ClientID = g.c1.ID },
		"a missing user":               func(a *store.AuthCode) { a.UserSub = newSub() },
		"a user of another pool (sub)": func(a *store.AuthCode) { a.UserSub = g.alice.Sub },
	} {
		a := newAuthCode("code-ghost", f.c1, f.alice, at(0))
		mut(a)
		wantErr(t, "PutAuthCode with "+name, s.PutAuthCode(ctx, a), store.ErrNotFound)
	}
	_, err = s.TakeAuthCode(ctx, "code-ghost")
	wantErr(t, "TakeAuthCode of a refused code", err, store.ErrNotFound)

	// A taken id can be used again.
	mustOK(t, "PutAuthCode with a taken id", s.PutAuthCode(ctx, c))
}

func testAuthCodeConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	c := newAuthCode("code-1", f.c1, f.alice, at(0))
	mustOK(t, "PutAuthCode", s.PutAuthCode(ctx, c))
	dup := newAuthCode(c.ID, f.c2, f.bobby, at(time.Hour))
	wantErr(t, "PutAuthCode with an existing id", s.PutAuthCode(ctx, dup), store.ErrConflict)
	got, err := s.TakeAuthCode(ctx, c.ID)
	mustOK(t, "TakeAuthCode", err)
	check(t, "TakeAuthCode after the conflict", c, got)
}

func testTakeAuthCodeConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	const rounds, n = 5, 10
	for r := range rounds {
		c := newAuthCode(fmt.Sprintf("code-%d", r), f.c1, f.alice, at(0))
		mustOK(t, "PutAuthCode", s.PutAuthCode(ctx, c))
		raceTakeOnce(t, fmt.Sprintf("code %d", r), n,
			func() (*store.AuthCode, error) { return s.TakeAuthCode(ctx, c.ID) },
			func(got *store.AuthCode) bool { return got.ID == c.ID && got.UserSub == c.UserSub })
	}
}

func testPurgeAuthCodes(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	old := newAuthCode("code-old", f.c1, f.alice, at(-time.Hour))
	live := newAuthCode("code-live", f.c1, f.alice, at(0))
	mustOK(t, "PutAuthCode", s.PutAuthCode(ctx, old))
	mustOK(t, "PutAuthCode", s.PutAuthCode(ctx, live))
	n, err := s.PurgeAuthCodes(ctx, at(0), 0)
	mustOK(t, "PurgeAuthCodes", err)
	if n != 1 {
		t.Fatalf("PurgeAuthCodes deleted %d, want 1", n)
	}
	_, err = s.TakeAuthCode(ctx, old.ID)
	wantErr(t, "TakeAuthCode of a purged code", err, store.ErrNotFound)
	got, err := s.TakeAuthCode(ctx, live.ID)
	mustOK(t, "TakeAuthCode of a live code", err)
	check(t, "TakeAuthCode after purge", live, got)
}

func testUsedAuthCodes(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	sess := newSession("origin-jti-code", f.c1, f.alice, at(0))
	other := newSession("origin-jti-other", f.c1, f.alice, at(0))
	mustOK(t, "CreateSession", s.CreateSession(ctx, sess))
	mustOK(t, "CreateSession", s.CreateSession(ctx, other))
	mustOK(t, "RecordUsedAuthCode", s.RecordUsedAuthCode(ctx, "used-1", f.pool.ID, sess.ID, at(time.Hour)))
	mustOK(t, "RecordUsedAuthCode", s.RecordUsedAuthCode(ctx, "used-old", f.pool.ID, other.ID, at(-time.Hour)))
	wantErr(t, "RecordUsedAuthCode twice", s.RecordUsedAuthCode(ctx, "used-1", f.pool.ID, other.ID, at(time.Hour)), store.ErrConflict)
	wantErr(t, "RecordUsedAuthCode of a missing session",
		s.RecordUsedAuthCode(ctx, "used-2", f.pool.ID, "origin-jti-missing", at(time.Hour)), store.ErrNotFound)
	sid, err := s.UsedAuthCodeSession(ctx, "used-1")
	mustOK(t, "UsedAuthCodeSession", err)
	if sid != sess.ID {
		t.Fatalf("UsedAuthCodeSession = %q, want %q", sid, sess.ID)
	}
	_, err = s.UsedAuthCodeSession(ctx, "never-used")
	wantErr(t, "UsedAuthCodeSession of an unknown code", err, store.ErrNotFound)

	n, err := s.PurgeAuthCodes(ctx, at(0), 0)
	mustOK(t, "PurgeAuthCodes", err)
	if n != 1 {
		t.Fatalf("PurgeAuthCodes deleted %d, want the 1 expired record", n)
	}
	_, err = s.UsedAuthCodeSession(ctx, "used-old")
	wantErr(t, "UsedAuthCodeSession of a purged record", err, store.ErrNotFound)

	mustOK(t, "DeleteUser", s.DeleteUser(ctx, f.pool.ID, f.alice.Username))
	_, err = s.UsedAuthCodeSession(ctx, "used-1")
	wantErr(t, "UsedAuthCodeSession after the session was deleted", err, store.ErrNotFound)
}

func testAuthCodeCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	codes := map[string]*store.AuthCode{
		"c1-alice": newAuthCode("c1-alice", f.c1, f.alice, at(0)),
		"c2-alice": newAuthCode("c2-alice", f.c2, f.alice, at(0)),
		"c2-bobby": newAuthCode("c2-bobby", f.c2, f.bobby, at(0)),
	}
	for _, c := range codes {
		mustOK(t, "PutAuthCode", s.PutAuthCode(ctx, c))
	}
	mustOK(t, "DeleteClient", s.DeleteClient(ctx, f.pool.ID, f.c1.ID))
	mustOK(t, "DeleteUser", s.DeleteUser(ctx, f.pool.ID, f.alice.Username))
	for id := range codes {
		_, err := s.TakeAuthCode(ctx, id)
		if id == "c2-bobby" {
			mustOK(t, "TakeAuthCode of a code of a remaining client and user", err)
		} else {
			wantErr(t, "TakeAuthCode of "+id+" after DeleteClient and DeleteUser", err, store.ErrNotFound)
		}
	}
	mustOK(t, "PutAuthCode", s.PutAuthCode(ctx, codes["c2-bobby"]))
	mustOK(t, "DeletePool", s.DeletePool(ctx, f.pool.ID))
	_, err := s.TakeAuthCode(ctx, "c2-bobby")
	wantErr(t, "TakeAuthCode in a deleted pool", err, store.ErrNotFound)
}
