package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

func auditID(e *store.AuditEvent) string { return e.ID }

// newAuditEvent returns an event with every field set.
func newAuditEvent(poolID, id, typ, username string, when time.Time) *store.AuditEvent {
	return &store.AuditEvent{PoolID: poolID, ID: id, At: when, Type: typ, Username: username,
		Sub: "sub-of-" + username, ClientID: poolID + "-client1", SessionID: "session-" + id, SourceIP: "192.0.2.1",
		UserAgent: "agent \u00e9/1", Outcome: "Pass", Reason: "reason-" + id}
}

func testAuditEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	setup(t, s, "us-east-1_q")
	events := []*store.AuditEvent{
		newAuditEvent(f.pool.ID, "e1", "SignIn", "alice", at(time.Minute)),
		newAuditEvent(f.pool.ID, "e2", "SignIn", "bobby", at(2*time.Minute)),
		newAuditEvent(f.pool.ID, "e3", "Refresh", "alice", at(3*time.Minute)),
		newAuditEvent(f.pool.ID, "e4", "SignIn", "alice", at(4*time.Minute)),
		newAuditEvent("us-east-1_q", "e5", "SignIn", "alice", at(5*time.Minute)),
	}
	events[1].Sub, events[1].Outcome, events[1].SessionID = "", "Fail", ""
	mustOK(t, "AppendAuditEvents", s.AppendAuditEvents(ctx, events[:2]...))
	mustOK(t, "AppendAuditEvents", s.AppendAuditEvents(ctx, events[2:]...))
	mustOK(t, "AppendAuditEvents of nothing", s.AppendAuditEvents(ctx))
	// A stored id is skipped, whatever the event says: a retried batch
	// stores nothing twice.
	mustOK(t, "AppendAuditEvents of a stored id", s.AppendAuditEvents(ctx, newAuditEvent(f.pool.ID, "e1", "Other", "x", at(0))))
	// A batch with an event of a missing pool stores nothing.
	wantErr(t, "AppendAuditEvents in a missing pool", s.AppendAuditEvents(ctx,
		newAuditEvent(f.pool.ID, "e8", "SignIn", "alice", at(0)),
		newAuditEvent("us-east-1_missing", "e9", "SignIn", "x", at(0))), store.ErrNotFound)

	list := func(what string, q store.AuditQuery, want ...string) []*store.AuditEvent {
		t.Helper()
		got, err := s.ListAuditEvents(ctx, q)
		mustOK(t, what, err)
		if want == nil {
			want = []string{}
		}
		checkIDs(t, what, want, ids(got, auditID))
		return got
	}
	got := list("the pool's events", store.AuditQuery{PoolID: f.pool.ID}, "e4", "e3", "e2", "e1")
	if len(got) == 4 {
		check(t, "a listed event", events[1], got[2])
		if got[0].At.Location() != time.UTC {
			t.Errorf("At = %v, want UTC", got[0].At)
		}
	}
	list("alice's events", store.AuditQuery{PoolID: f.pool.ID, Username: "alice"}, "e4", "e3", "e1")
	list("sign-ins", store.AuditQuery{PoolID: f.pool.ID, Type: "SignIn"}, "e4", "e2", "e1")
	list("alice's sign-ins", store.AuditQuery{PoolID: f.pool.ID, Username: "alice", Type: "SignIn"}, "e4", "e1")
	list("a time window", store.AuditQuery{PoolID: f.pool.ID, Since: at(2 * time.Minute), Until: at(4 * time.Minute)}, "e3", "e2")
	list("a limit", store.AuditQuery{PoolID: f.pool.ID, Limit: 1}, "e4")
	list("another pool", store.AuditQuery{PoolID: "us-east-1_q"}, "e5")
	list("a missing pool", store.AuditQuery{PoolID: "us-east-1_missing"})
	list("an unknown user", store.AuditQuery{PoolID: f.pool.ID, Username: "nobody"})
}

// testAuditEventsPaging pages through events with equal times: the id
// breaks ties, and every event is visited once.
func testAuditEventsPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	var want []string
	for i := 9; i >= 0; i-- {
		want = append(want, fmt.Sprintf("e%d", i))
	}
	for i := range 10 {
		mustOK(t, "AppendAuditEvents", s.AppendAuditEvents(ctx,
			newAuditEvent(f.pool.ID, fmt.Sprintf("e%d", i), "SignIn", "alice", at(time.Duration(i/3)*time.Minute))))
	}
	var seen []string
	q := store.AuditQuery{PoolID: f.pool.ID, Username: "alice", Limit: 3}
	for range 10 {
		page, err := s.ListAuditEvents(ctx, q)
		mustOK(t, "ListAuditEvents", err)
		if len(page) == 0 {
			break
		}
		seen = append(seen, ids(page, auditID)...)
		last := page[len(page)-1]
		q.AfterAt, q.AfterID = last.At, last.ID
	}
	checkIDs(t, "paged events", want, seen)
}

func testAuditEventsPurgeAndCascade(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")
	for i := range 5 {
		mustOK(t, "AppendAuditEvents", s.AppendAuditEvents(ctx,
			newAuditEvent(f.pool.ID, fmt.Sprintf("e%d", i), "SignIn", "alice", at(time.Duration(i)*time.Hour))))
	}
	mustOK(t, "AppendAuditEvents", s.AppendAuditEvents(ctx, newAuditEvent(g.pool.ID, "g1", "SignIn", "alice", at(0))))
	n, err := s.PurgeAuditEvents(ctx, at(3*time.Hour), 2)
	mustOK(t, "PurgeAuditEvents", err)
	if n != 2 {
		t.Errorf("PurgeAuditEvents with limit 2 deleted %d", n)
	}
	n, err = s.PurgeAuditEvents(ctx, at(3*time.Hour), 0)
	mustOK(t, "PurgeAuditEvents", err)
	if n != 2 { // e2 and g1
		t.Errorf("PurgeAuditEvents deleted %d, want 2", n)
	}
	got, err := s.ListAuditEvents(ctx, store.AuditQuery{PoolID: f.pool.ID})
	mustOK(t, "ListAuditEvents", err)
	checkIDs(t, "events after the purge", []string{"e4", "e3"}, ids(got, auditID))

	// A deleted user's events stay; a deleted pool's go.
	mustOK(t, "DeleteUser", s.DeleteUser(ctx, f.pool.ID, f.alice.Username))
	got, err = s.ListAuditEvents(ctx, store.AuditQuery{PoolID: f.pool.ID, Username: "alice"})
	mustOK(t, "ListAuditEvents", err)
	checkIDs(t, "a deleted user's events", []string{"e4", "e3"}, ids(got, auditID))
	mustOK(t, "DeletePool", s.DeletePool(ctx, f.pool.ID))
	got, err = s.ListAuditEvents(ctx, store.AuditQuery{PoolID: f.pool.ID})
	mustOK(t, "ListAuditEvents", err)
	checkIDs(t, "a deleted pool's events", []string{}, ids(got, auditID))
}

// testAuditEventsConcurrent appends from many writers while others list:
// no append is lost and no listing fails.
func testAuditEventsConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	const n = 20
	race(n, func(i int) {
		if i%4 == 3 {
			if _, err := s.ListAuditEvents(ctx, store.AuditQuery{PoolID: f.pool.ID, Username: "alice"}); err != nil {
				t.Errorf("ListAuditEvents: %v", err)
			}
			return
		}
		if err := s.AppendAuditEvents(ctx, newAuditEvent(f.pool.ID, fmt.Sprintf("e%02d", i), "SignIn", "alice", at(time.Minute))); err != nil {
			t.Errorf("AppendAuditEvents: %v", err)
		}
	})
	got, err := s.ListAuditEvents(ctx, store.AuditQuery{PoolID: f.pool.ID})
	mustOK(t, "ListAuditEvents", err)
	if len(got) != n-n/4 {
		t.Errorf("%d events listed after %d appends", len(got), n-n/4)
	}
}
