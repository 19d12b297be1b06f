package userpool_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/userpool"
)

// TestSessionsSeenAndRevoked: sessions record the caller's address and
// (bounded, cleaned) user agent at sign-in and at a refresh from elsewhere;
// the list is the rule's live families only; a revocation is the family
// rule's (reason revoked), and a stranger's session is not found.
func TestSessionsSeenAndRevoked(t *testing.T) {
	e := newEnv(t)
	e.newUser("bob")
	from := func(ip, ua string) *envCtx { return &envCtx{e, userpool.Caller{IP: ip, UserAgent: ua}} }
	long := "agent\x00\x1b[31m" + strings.Repeat("é", 300)
	phone := from("198.51.100.1", "phone/1").signIn(e.app, "alice")
	laptop := from("198.51.100.2", long).signIn(e.app, "alice")

	list, next, err := e.svc.ListSessions(e.ctx(), phone.AccessToken, 0, "")
	if err != nil || next != "" || len(list) != 2 {
		t.Fatalf("ListSessions: %v, %q, %v", list, next, err)
	}
	byIP := map[string]*userpool.SessionInfo{}
	for _, s := range list {
		byIP[s.SourceIP] = s
	}
	p, l := byIP["198.51.100.1"], byIP["198.51.100.2"]
	if p == nil || l == nil || !p.Current || l.Current || p.UserAgent != "phone/1" || p.ClientName != "app" {
		t.Fatalf("sessions %+v %+v", p, l)
	}
	if len(l.UserAgent) > 256 || !utf8.ValidString(l.UserAgent) || strings.ContainsAny(l.UserAgent, "\x00\x1b") ||
		!strings.HasPrefix(l.UserAgent, "agent[31m") {
		t.Errorf("a long, dirty user agent is kept as %q (%d bytes)", l.UserAgent, len(l.UserAgent))
	}
	if !p.CreatedAt.Equal(t0) || !p.LastRefresh.IsZero() {
		t.Errorf("before a refresh: created %v, last refresh %v", p.CreatedAt, p.LastRefresh)
	}

	// A refresh from elsewhere, a minute on.
	e.clock.Advance(time.Minute)
	if _, err := from("203.0.113.9", "phone/2").refresh(e.app, phone.RefreshToken); err != nil {
		t.Fatal(err)
	}
	list, _, _ = e.svc.ListSessions(e.ctx(), phone.AccessToken, 1, "")
	if len(list) != 1 {
		t.Fatalf("a page of one: %v", list)
	}
	all, _, _ := e.svc.AdminListSessions(e.ctx(), e.pool, "alice", 0, "")
	for _, s := range all {
		if s.ID == p.ID && (s.SourceIP != "203.0.113.9" || s.UserAgent != "phone/2" || !s.LastRefresh.Equal(t0.Add(time.Minute))) {
			t.Errorf("after a refresh from elsewhere: %+v", s)
		}
	}

	// Bob cannot revoke Alice's session; Alice can.
	bob := e.signIn(e.app, "bob")
	err = e.svc.RevokeSession(e.ctx(), bob.AccessToken, l.ID)
	wantRefused(t, "a stranger's session", err, userpool.KindNotFound, "", "")
	e.wantLive("the laptop after Bob's attempt", laptop.AccessToken)
	if err := e.svc.RevokeSession(e.ctx(), phone.AccessToken, l.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.GetUser(e.ctx(), laptop.AccessToken)
	wantRefused(t, "the revoked session's access token", err, userpool.KindNotAuthorized, userpool.CauseAccessTokenRevoked, userpool.ReasonRevoked)
	_, err = e.refresh(e.app, laptop.RefreshToken)
	wantRefused(t, "the revoked session's refresh token", err, userpool.KindNotAuthorized, userpool.CauseRefreshTokenRevoked, userpool.ReasonRevoked)
	if err := e.svc.RevokeSession(e.ctx(), phone.AccessToken, l.ID); err != nil {
		t.Errorf("revoking a revoked session again: %v", err)
	}

	// A global sign-out leaves nothing to list; so does expiry.
	if err := e.svc.AdminUserGlobalSignOut(e.ctx(), e.pool, "alice"); err != nil {
		t.Fatal(err)
	}
	if all, _, _ := e.svc.AdminListSessions(e.ctx(), e.pool, "alice", 0, ""); len(all) != 0 {
		t.Errorf("after a global sign-out: %v", all)
	}
	e.clock.Advance(31 * 24 * time.Hour)
	if all, _, _ := e.svc.AdminListSessions(e.ctx(), e.pool, "bob", 0, ""); len(all) != 0 {
		t.Errorf("after the refresh tokens expired: %v", all)
	}
	if n, err := e.svc.CountLiveSessions(e.ctx()); err != nil || n != 0 {
		t.Errorf("CountLiveSessions: %d, %v", n, err)
	}
	_, _, err = e.svc.AdminListSessions(e.ctx(), e.pool, "alice", 61, "")
	wantRefused(t, "61 results", err, userpool.KindInvalid, "", "")
}

// TestAuditTrailAndRetention: events carry the service's clock and the
// caller; AdminListUserAuthEvents shows only Cognito's event types; the
// janitor purges events past the retention.
func TestAuditTrailAndRetention(t *testing.T) {
	e := newEnv(t)
	c := &envCtx{e, userpool.Caller{IP: "198.51.100.7", UserAgent: "test/1"}}
	tk := c.signIn(e.app, "alice")
	e.clock.Advance(time.Second)
	if _, err := c.refresh(e.app, tk.RefreshToken); err != nil {
		t.Fatal(err)
	}
	evs, _, err := e.svc.ListAuditEvents(e.ctx(), userpool.AuditQuery{PoolID: e.pool, Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type+"/"+ev.Outcome)
	}
	if strings.Join(types, " ") != "TokenRefresh/Pass SignIn/Pass AdminSetUserPassword/Pass AdminCreateUser/Pass" {
		t.Fatalf("events: %v", types)
	}
	if ev := evs[0]; !ev.At.Equal(t0.Add(time.Second)) || ev.SourceIP != "198.51.100.7" || ev.UserAgent != "test/1" ||
		ev.SessionID == "" || ev.ClientID != e.app.ID || ev.Sub == "" {
		t.Errorf("the refresh event: %+v", ev)
	}
	auth, _, err := e.svc.AdminListUserAuthEvents(e.ctx(), e.pool, "alice", 0, "")
	if err != nil || len(auth) != 1 || auth[0].Type != userpool.EventSignIn {
		t.Fatalf("AdminListUserAuthEvents: %+v, %v", auth, err)
	}
	e.clock.Advance(userpool.DefaultAuditRetention + time.Second)
	c2 := &envCtx{e, userpool.Caller{}}
	c2.signIn(e.app, "alice")
	n, err := e.svc.Purge(e.ctx())
	if err != nil || n.AuditEvents != 4 {
		t.Fatalf("Purge: %+v, %v", n, err)
	}
	evs, _, _ = e.svc.ListAuditEvents(e.ctx(), userpool.AuditQuery{PoolID: e.pool})
	if len(evs) != 1 || evs[0].Type != userpool.EventSignIn {
		t.Fatalf("after the purge: %+v", evs)
	}
}

// envCtx is an env whose calls come from a caller.
type envCtx struct {
	e      *env
	caller userpool.Caller
}

func (c *envCtx) signIn(cl *userpool.Client, name string) *userpool.AuthResult {
	c.e.t.Helper()
	r, err := c.e.svc.InitiateAuth(userpool.WithCaller(c.e.ctx(), c.caller), userpool.InitiateAuthInput{ClientID: cl.ID,
		AuthFlow: userpool.FlowUserPassword, AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password}})
	if err != nil || r.Result == nil {
		c.e.t.Fatalf("sign-in of %s: %+v, %v", name, r, err)
	}
	return r.Result
}

func (c *envCtx) refresh(cl *userpool.Client, rt string) (*userpool.AuthResult, error) {
	r, err := c.e.svc.InitiateAuth(userpool.WithCaller(c.e.ctx(), c.caller), userpool.InitiateAuthInput{ClientID: cl.ID,
		AuthFlow: userpool.FlowRefreshToken, AuthParameters: map[string]string{"REFRESH_TOKEN": rt}})
	if err != nil {
		return nil, err
	}
	return r.Result, nil
}

// TestAuditRefreshInterval: a passed refresh of a token family is recorded
// once per interval, through every refresh entry point; a failed one always;
// another family is recorded on its own; a negative interval records all.
func TestAuditRefreshInterval(t *testing.T) {
	refreshEvents := func(e *env) []string {
		t.Helper()
		evs, _, err := e.svc.ListAuditEvents(e.ctx(), userpool.AuditQuery{PoolID: e.pool, EventType: userpool.EventRefresh})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, ev := range evs {
			out = append(out, ev.Outcome+"/"+ev.Reason)
		}
		return out
	}
	e := newEnv(t)
	one, two := e.signIn(e.app, "alice"), e.signIn(e.app, "alice")
	for range 3 {
		if _, err := e.refresh(e.app, one.RefreshToken); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.GetTokensFromRefreshToken(e.ctx(), e.app.ID, "", one.RefreshToken); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(10 * time.Second)
	}
	if _, err := e.refresh(e.app, two.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if got := refreshEvents(e); len(got) != 2 {
		t.Fatalf("six refreshes of one family and one of another within a minute: %v", got)
	}
	e.clock.Advance(userpool.DefaultAuditRefreshInterval)
	if _, err := e.refresh(e.app, one.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if got := refreshEvents(e); len(got) != 3 {
		t.Fatalf("after the interval: %v", got)
	}
	if err := e.svc.RevokeToken(e.ctx(), one.RefreshToken, e.app.ID, ""); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := e.refresh(e.app, one.RefreshToken); err == nil {
			t.Fatal("a revoked refresh token refreshed")
		}
	}
	if got := refreshEvents(e); len(got) != 5 || got[0] != "Fail/revoked" || got[1] != "Fail/revoked" {
		t.Fatalf("two failed refreshes are both recorded: %v", got)
	}

	all := newEnv(t, func(o *userpool.Options) { o.AuditRefreshInterval = -1 })
	tk := all.signIn(all.app, "alice")
	for range 3 {
		if _, err := all.refresh(all.app, tk.RefreshToken); err != nil {
			t.Fatal(err)
		}
	}
	if got := refreshEvents(all); len(got) != 3 {
		t.Fatalf("a negative interval records every refresh: %v", got)
	}
}
