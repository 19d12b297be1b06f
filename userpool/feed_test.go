package userpool_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/userpool"
)

// withFeedPoll replaces the env's service by one on the same store whose
// feed polls every poll.
func (e *env) withFeedPoll(poll time.Duration) {
	e.svc = userpool.New(userpool.Options{Store: e.st, PublicURL: "https://idp.example.com", Now: e.clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Hash: userpool.HashParams{Time: 1, Memory: 64, Threads: 1},
		Sender: e.outbox, FeedPoll: poll})
	e.t.Cleanup(e.svc.Feed().Close)
}

// familyOf reads the origin_jti of an access token.
func familyOf(t *testing.T, access string) string {
	t.Helper()
	parts := strings.Split(access, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		OriginJTI string `json:"origin_jti"`
	}
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatal(err)
	}
	return claims.OriginJTI
}

func (e *env) sub(name string) string {
	e.t.Helper()
	u, err := e.svc.AdminGetUser(e.ctx(), e.pool, name)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range u.Attributes {
		if a.Name == "sub" {
			return a.Value
		}
	}
	e.t.Fatal("no sub")
	return ""
}

// TestFeedEvents: every kind of revocation shows in the feed with its
// fields; the snapshot keeps one user event per user; the family lookup
// tells a family's generation and recorded revocation.
func TestFeedEvents(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx()
	e.newUser("bob")
	aliceSub, bobSub := e.sub("alice"), e.sub("bob")
	first := e.signIn(e.app, "alice")
	fam := familyOf(t, first.AccessToken)
	if err := e.svc.RevokeToken(ctx, first.RefreshToken, e.app.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeToken(ctx, first.RefreshToken, e.app.ID, ""); err != nil { // a no-op
		t.Fatal(err)
	}
	if err := e.svc.AdminUserGlobalSignOut(ctx, e.pool, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminSetUserEnabled(ctx, e.pool, "alice", false); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminDeleteUser(ctx, e.pool, "bob"); err != nil {
		t.Fatal(err)
	}
	other := e.newClient(userpool.ClientInput{Name: "other"})
	if err := e.svc.DeleteUserPoolClient(ctx, e.pool, other.ID); err != nil {
		t.Fatal(err)
	}

	sub, err := e.svc.Feed().Subscribe(e.pool)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	evs, err := sub.Next(ctx, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	type ev struct {
		seq                           int64
		kind, id, sub, client, reason string
		gen                           int64
		deleted                       bool
	}
	want := []ev{
		{1, "family", fam, aliceSub, e.app.ID, "revoked", 0, false},
		{2, "user", aliceSub, "", "", "signed-out", 1, false},
		{3, "user", aliceSub, "", "", "user-disabled", 2, false},
		{4, "user", bobSub, "", "", "user-deleted", 0, true},
		{5, "client", other.ID, "", "", "client-deleted", 0, false},
	}
	if len(evs) != len(want) {
		t.Fatalf("events: %+v", evs)
	}
	for i, w := range want {
		g := evs[i]
		got := ev{g.Seq, g.Kind, g.ID, g.Sub, g.ClientID, g.Reason, g.Gen, g.Deleted}
		if got != w {
			t.Errorf("event %d: %+v, want %+v", i, got, w)
		}
	}
	if !evs[0].At.Equal(t0) {
		t.Errorf("family event at %v, want %v", evs[0].At, t0)
	}

	snap, err := e.svc.RevocationSnapshot(ctx, e.pool)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, ev := range snap.Events {
		seqs = append(seqs, ev.Seq)
	}
	if snap.Seq != 5 || snap.PoolID != e.pool || len(seqs) != 4 || seqs[0] != 1 || seqs[1] != 3 || seqs[2] != 4 || seqs[3] != 5 {
		t.Errorf("snapshot: seq %d, events %v (want 5, [1 3 4 5]: alice's sign-out compacted away)", snap.Seq, seqs)
	}

	f, err := e.svc.RevocationFamily(ctx, e.pool, fam)
	if err != nil {
		t.Fatal(err)
	}
	if f.ID != fam || f.Sub != aliceSub || f.ClientID != e.app.ID || f.Gen != 0 || f.Revoked != userpool.ReasonRevoked {
		t.Errorf("family: %+v", f)
	}
	if _, err := e.svc.RevocationFamily(ctx, e.pool, "nope"); userpool.AsError(err) == nil || userpool.AsError(err).Kind != userpool.KindNotFound {
		t.Errorf("unknown family: %v", err)
	}
	if _, err := e.svc.RevocationFamily(ctx, "us-east-1_none", fam); userpool.AsError(err) == nil || userpool.AsError(err).Kind != userpool.KindNotFound {
		t.Errorf("family in a missing pool: %v", err)
	}

	for _, c := range []struct {
		after int64
		want  error
	}{{0, nil}, {5, nil}, {6, userpool.ErrSequenceExpired}} {
		if err := e.svc.CheckFeedPosition(ctx, e.pool, c.after); !errors.Is(err, c.want) {
			t.Errorf("CheckFeedPosition(%d) = %v, want %v", c.after, err, c.want)
		}
	}
}

// TestFeedWakesAtOnce: a subscriber waiting on the feed gets a revocation
// this process commits at once, not at the next poll.
func TestFeedWakesAtOnce(t *testing.T) {
	e := newEnv(t)
	e.withFeedPoll(time.Hour)
	ctx := e.ctx()
	r := e.signIn(e.app, "alice")
	sub, err := e.svc.Feed().Subscribe(e.pool)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	got := make(chan []userpool.RevocationEvent, 1)
	go func() {
		evs, err := sub.Next(ctx, 0, 0, 10*time.Second)
		if err != nil {
			t.Error(err)
		}
		got <- evs
	}()
	time.Sleep(50 * time.Millisecond) // let the poller read the head
	start := time.Now()
	if err := e.svc.RevokeToken(ctx, r.RefreshToken, e.app.ID, ""); err != nil {
		t.Fatal(err)
	}
	evs := <-got
	if len(evs) != 1 || evs[0].Kind != "family" {
		t.Fatalf("events: %+v", evs)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the event took %v", d)
	}
	if st := e.svc.Feed().Stats(); st.Subscribers != 1 {
		t.Errorf("stats: %+v", st)
	}
	sub.Close()
	if st := e.svc.Feed().Stats(); st.Subscribers != 0 {
		t.Errorf("stats after Close: %+v", st)
	}

	// Close ends the waits.
	sub2, err := e.svc.Feed().Subscribe(e.pool)
	if err != nil {
		t.Fatal(err)
	}
	defer sub2.Close()
	done := make(chan error, 1)
	go func() { _, err := sub2.Next(ctx, 1, 0, time.Minute); done <- err }()
	e.svc.Feed().Close()
	select {
	case err := <-done:
		if !errors.Is(err, userpool.ErrFeedClosed) {
			t.Errorf("Next after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the wait")
	}
	if _, err := e.svc.Feed().Subscribe(e.pool); !errors.Is(err, userpool.ErrFeedClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
}

// TestFeedPurge: the janitor purges events older than 25 hours; following
// from before them is then ErrSequenceExpired.
func TestFeedPurge(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx()
	if err := e.svc.AdminUserGlobalSignOut(ctx, e.pool, "alice"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(24 * time.Hour)
	if c, err := e.svc.Purge(ctx); err != nil || c.Revocations != 0 {
		t.Fatalf("purge after 24 h: %+v, %v", c, err)
	}
	if err := e.svc.AdminUserGlobalSignOut(ctx, e.pool, "alice"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour)
	if c, err := e.svc.Purge(ctx); err != nil || c.Revocations != 1 {
		t.Fatalf("purge after 26 h: %+v, %v", c, err)
	}
	if err := e.svc.CheckFeedPosition(ctx, e.pool, 0); !errors.Is(err, userpool.ErrSequenceExpired) {
		t.Errorf("CheckFeedPosition(0) after the purge: %v", err)
	}
	if err := e.svc.CheckFeedPosition(ctx, e.pool, 1); err != nil {
		t.Errorf("CheckFeedPosition(1) after the purge: %v", err)
	}
	snap, err := e.svc.RevocationSnapshot(ctx, e.pool)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Seq != 2 || len(snap.Events) != 1 || snap.Events[0].Seq != 2 {
		t.Errorf("snapshot after the purge: %+v", snap)
	}
	sub, err := e.svc.Feed().Subscribe(e.pool)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if _, err := sub.Next(ctx, 0, 0, 0); !errors.Is(err, userpool.ErrSequenceExpired) {
		t.Errorf("Next(0) after the purge: %v", err)
	}
}

// TestAuthenticateFeedReader: only a confidential client of the pool with
// its secret reads the feed.
func TestAuthenticateFeedReader(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx()
	conf := e.newClient(userpool.ClientInput{Name: "conf", GenerateSecret: true})
	if err := e.svc.AuthenticateFeedReader(ctx, e.pool, conf.ID, conf.Secret); err != nil {
		t.Fatalf("the confidential client: %v", err)
	}
	p2, err := e.svc.CreateUserPool(ctx, "other", userpool.PoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, pool, id, secret string }{
		{"a public client", e.pool, e.app.ID, ""},
		{"a public client with a secret", e.pool, e.app.ID, "x"},
		{"a wrong secret", e.pool, conf.ID, conf.Secret + "x"},
		{"no secret", e.pool, conf.ID, ""},
		{"another pool's client", p2.ID, conf.ID, conf.Secret},
		{"an unknown client", e.pool, "nope", "x"},
		{"no client", e.pool, "", ""},
	} {
		err := e.svc.AuthenticateFeedReader(ctx, c.pool, c.id, c.secret)
		if de := userpool.AsError(err); de == nil || de.Kind != userpool.KindClientAuthFailed {
			t.Errorf("%s: %v, want client-auth-failed", c.what, err)
		}
	}
}

// TestFeedRefreshReuse: a replayed rotated refresh token revokes its family
// with the reason refresh-reuse, and the feed says so.
func TestFeedRefreshReuse(t *testing.T) {
	e := newEnv(t)
	rot := e.newClient(userpool.ClientInput{Name: "rotating", Config: userpool.ClientConfig{
		RefreshTokenRotation: &userpool.RefreshTokenRotation{Feature: "ENABLED"}}})
	tk := e.signIn(rot, "alice")
	if _, err := e.refresh(rot, tk.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := e.refresh(rot, tk.RefreshToken); err == nil {
		t.Fatal("a replayed refresh token was accepted")
	}
	snap, err := e.svc.RevocationSnapshot(e.ctx(), e.pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Events) != 1 || snap.Events[0].Kind != "family" || snap.Events[0].Reason != "refresh-reuse" ||
		snap.Events[0].ID != familyOf(t, tk.AccessToken) || snap.Events[0].ClientID != rot.ID {
		t.Errorf("snapshot: %+v", snap)
	}
	f, err := e.svc.RevocationFamily(e.ctx(), e.pool, familyOf(t, tk.AccessToken))
	if err != nil || f.Revoked != userpool.ReasonRefreshReuse {
		t.Errorf("family: %+v, %v", f, err)
	}
}

// TestFeedPasswordReset: an admin password reset, and the reset's
// confirmation, each end the user's sessions with the reason
// password-reset.
func TestFeedPasswordReset(t *testing.T) {
	e := newEnv(t)
	pool, c := e.newPool(amplifyPool())
	if _, err := e.svc.AdminCreateUser(e.ctx(), userpool.AdminCreateUserInput{PoolID: pool, Username: "fay@example.com",
		MessageAction: "SUPPRESS", Attributes: []userpool.Attribute{{Name: "email_verified", Value: "true"}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminSetUserPassword(e.ctx(), pool, "fay@example.com", password, true); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminResetUserPassword(e.ctx(), pool, "fay@example.com"); err != nil {
		t.Fatal(err)
	}
	code := e.lastCode(pool, "fay@example.com", message.KindForgotPassword)
	if err := e.svc.ConfirmForgotPassword(e.ctx(), userpool.ConfirmForgotPasswordInput{ClientID: c.ID, Username: "fay@example.com",
		Code: code, Password: "Reset-Passw0rd!"}); err != nil {
		t.Fatal(err)
	}
	sub, err := e.svc.Feed().Subscribe(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	evs, err := sub.Next(e.ctx(), 0, 0, 0)
	if err != nil || len(evs) != 2 {
		t.Fatalf("events: %+v, %v", evs, err)
	}
	for i, ev := range evs {
		if ev.Kind != "user" || ev.Reason != "password-reset" || ev.Gen != int64(i+1) {
			t.Errorf("event %d: %+v", i, ev)
		}
	}
}
