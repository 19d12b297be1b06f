package userpool_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/userpool"
)

// ListGroupsForUser is the minting path's one read of a user's groups.
func (s *countingStore) ListGroupsForUser(ctx context.Context, poolID, sub, after string, limit int) ([]*store.Group, error) {
	s.count("ListGroupsForUser")
	return s.Store.ListGroupsForUser(ctx, poolID, sub, after, limit)
}

// payload decodes a JWT's claims without verifying it.
func payload(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// strs reads a claim that is an array of strings (nil when absent).
func strs(t *testing.T, m map[string]any, name string) []string {
	t.Helper()
	v, ok := m[name]
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		t.Fatalf("%s = %v, not an array", name, v)
	}
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		out = append(out, x.(string))
	}
	return out
}

func p64(v int64) *int64  { return &v }
func ps(v string) *string { return &v }
func (e *env) group(in userpool.GroupInput) *userpool.Group {
	e.t.Helper()
	in.PoolID = e.pool
	g, err := e.svc.CreateGroup(e.ctx(), in)
	if err != nil {
		e.t.Fatalf("CreateGroup %s: %v", in.Name, err)
	}
	return g
}

func wantKind(t *testing.T, what string, err error, kind userpool.Kind, cause userpool.Cause) {
	t.Helper()
	de := userpool.AsError(err)
	if de == nil || de.Kind != kind || (cause != "" && de.Cause != cause) {
		t.Fatalf("%s: err = %v, want %s/%s", what, err, kind, cause)
	}
}

func TestGroupCRUD(t *testing.T) {
	e := newEnv(t)
	g := e.group(userpool.GroupInput{Name: "admins", Description: ps("Admins"), Precedence: p64(1),
		RoleArn: ps("arn:aws:iam::123456789012:role/admins")})
	if g.Name != "admins" || g.Description != "Admins" || g.Precedence == nil || *g.Precedence != 1 ||
		g.RoleArn != "arn:aws:iam::123456789012:role/admins" || !g.CreationDate.Equal(t0) || !g.LastModifiedDate.Equal(t0) {
		t.Fatalf("CreateGroup = %+v", g)
	}
	_, err := e.svc.CreateGroup(e.ctx(), userpool.GroupInput{PoolID: e.pool, Name: "admins"})
	wantKind(t, "CreateGroup of a taken name", err, userpool.KindGroupExists, userpool.CauseGroupExists)
	e.group(userpool.GroupInput{Name: "Admins"}) // names are case-sensitive

	e.clock.Advance(time.Minute)
	// Only the members given change.
	u, err := e.svc.UpdateGroup(e.ctx(), userpool.GroupInput{PoolID: e.pool, Name: "admins", Precedence: p64(5)})
	if err != nil {
		t.Fatal(err)
	}
	if u.Description != "Admins" || *u.Precedence != 5 || u.RoleArn != g.RoleArn || !u.CreationDate.Equal(t0) ||
		!u.LastModifiedDate.Equal(t0.Add(time.Minute)) {
		t.Fatalf("UpdateGroup = %+v", u)
	}
	u, err = e.svc.UpdateGroup(e.ctx(), userpool.GroupInput{PoolID: e.pool, Name: "admins", RoleArn: ps("")})
	if err != nil || u.RoleArn != "" || u.Description != "Admins" {
		t.Fatalf("UpdateGroup clearing the role = %+v, %v", u, err)
	}
	got, err := e.svc.GetGroup(e.ctx(), e.pool, "admins")
	if err != nil || got.RoleArn != "" || *got.Precedence != 5 {
		t.Fatalf("GetGroup = %+v, %v", got, err)
	}
	_, err = e.svc.GetGroup(e.ctx(), e.pool, "nobody")
	wantKind(t, "GetGroup of a missing group", err, userpool.KindNotFound, userpool.CauseGroupNotFound)
	_, err = e.svc.UpdateGroup(e.ctx(), userpool.GroupInput{PoolID: e.pool, Name: "nobody"})
	wantKind(t, "UpdateGroup of a missing group", err, userpool.KindNotFound, userpool.CauseGroupNotFound)
	_, err = e.svc.GetGroup(e.ctx(), "us-east-1_nothere", "admins")
	wantKind(t, "GetGroup in a missing pool", err, userpool.KindNotFound, userpool.CausePoolNotFound)
	wantKind(t, "DeleteGroup of a missing group", e.svc.DeleteGroup(e.ctx(), e.pool, "nobody"),
		userpool.KindNotFound, userpool.CauseGroupNotFound)
	if err := e.svc.DeleteGroup(e.ctx(), e.pool, "admins"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.GetGroup(e.ctx(), e.pool, "admins")
	wantKind(t, "GetGroup of a deleted group", err, userpool.KindNotFound, userpool.CauseGroupNotFound)
}

func TestGroupValidation(t *testing.T) {
	e := newEnv(t)
	for _, in := range []userpool.GroupInput{
		{Name: ""},
		{Name: "with space"},
		{Name: "tab\tname"},
		{Name: strings.Repeat("g", 129)},
		{Name: "ok", Description: ps(strings.Repeat("d", 2049))},
		{Name: "ok", Precedence: p64(-1)},
		{Name: "ok", Precedence: p64(1 << 31)},
		{Name: "ok", RoleArn: ps("not-an-arn-but-long-enough")},
		{Name: "ok", RoleArn: ps("arn:a:b::1:c")},
	} {
		in.PoolID = e.pool
		_, err := e.svc.CreateGroup(e.ctx(), in)
		wantKind(t, fmt.Sprintf("CreateGroup(%.40q)", in.Name), err, userpool.KindInvalid, "")
	}
	// The limits themselves are fine.
	e.group(userpool.GroupInput{Name: strings.Repeat("é", 128), Description: ps(strings.Repeat("d", 2048)),
		Precedence: p64(1<<31 - 1)})
	e.group(userpool.GroupInput{Name: "ünïcødé-+=.@!", Precedence: p64(0)})
	for _, limit := range []int{-1, 61} {
		_, _, err := e.svc.ListGroups(e.ctx(), e.pool, limit, "")
		wantKind(t, fmt.Sprintf("ListGroups limit %d", limit), err, userpool.KindInvalid, "")
	}
	_, _, err := e.svc.ListGroups(e.ctx(), e.pool, 10, "!!not base64!!")
	wantKind(t, "ListGroups with a bad token", err, userpool.KindInvalid, "")
}

func TestGroupMembershipsAndPaging(t *testing.T) {
	e := newEnv(t)
	for i := range 7 {
		e.group(userpool.GroupInput{Name: fmt.Sprintf("g%d", i)})
	}
	for i := range 5 {
		e.newUser(fmt.Sprintf("user%d", i))
	}
	for i := range 5 {
		if err := e.svc.AdminAddUserToGroup(e.ctx(), e.pool, fmt.Sprintf("user%d", i), "g0"); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 7 {
		if err := e.svc.AdminAddUserToGroup(e.ctx(), e.pool, "alice", fmt.Sprintf("g%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Idempotent.
	if err := e.svc.AdminAddUserToGroup(e.ctx(), e.pool, "alice", "g0"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "AdminAddUserToGroup of a missing user", e.svc.AdminAddUserToGroup(e.ctx(), e.pool, "nobody", "g0"),
		userpool.KindUserNotFound, userpool.CauseUserNotFound)
	wantKind(t, "AdminAddUserToGroup to a missing group", e.svc.AdminAddUserToGroup(e.ctx(), e.pool, "alice", "nope"),
		userpool.KindNotFound, userpool.CauseGroupNotFound)
	wantKind(t, "AdminRemoveUserFromGroup of a missing group", e.svc.AdminRemoveUserFromGroup(e.ctx(), e.pool, "alice", "nope"),
		userpool.KindNotFound, userpool.CauseGroupNotFound)
	_, _, err := e.svc.AdminListGroupsForUser(e.ctx(), e.pool, "nobody", 0, "")
	wantKind(t, "AdminListGroupsForUser of a missing user", err, userpool.KindUserNotFound, userpool.CauseUserNotFound)
	_, _, err = e.svc.ListUsersInGroup(e.ctx(), e.pool, "nope", 0, "")
	wantKind(t, "ListUsersInGroup of a missing group", err, userpool.KindNotFound, userpool.CauseGroupNotFound)

	page := func(list func(next string) ([]string, string, error), limit int) []string {
		t.Helper()
		var all []string
		next := ""
		for range 20 {
			names, tok, err := list(next)
			if err != nil {
				t.Fatal(err)
			}
			if len(names) > limit {
				t.Fatalf("page of %d, limit %d", len(names), limit)
			}
			all = append(all, names...)
			if tok == "" {
				return all
			}
			next = tok
		}
		t.Fatal("paging does not end")
		return nil
	}
	groupNames := func(gs []*userpool.Group) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Name)
		}
		return out
	}
	wantGroups := []string{"g0", "g1", "g2", "g3", "g4", "g5", "g6"}
	for _, limit := range []int{1, 3, 7, 60} {
		got := page(func(next string) ([]string, string, error) {
			gs, tok, err := e.svc.ListGroups(e.ctx(), e.pool, limit, next)
			return groupNames(gs), tok, err
		}, limit)
		if !slices.Equal(got, wantGroups) {
			t.Errorf("ListGroups by %d = %v", limit, got)
		}
		got = page(func(next string) ([]string, string, error) {
			gs, tok, err := e.svc.AdminListGroupsForUser(e.ctx(), e.pool, "alice", limit, next)
			return groupNames(gs), tok, err
		}, limit)
		if !slices.Equal(got, wantGroups) {
			t.Errorf("AdminListGroupsForUser by %d = %v", limit, got)
		}
		got = page(func(next string) ([]string, string, error) {
			us, tok, err := e.svc.ListUsersInGroup(e.ctx(), e.pool, "g0", limit, next)
			var names []string
			for _, u := range us {
				names = append(names, u.Username)
			}
			return names, tok, err
		}, limit)
		if want := []string{"alice", "user0", "user1", "user2", "user3", "user4"}; !slices.Equal(got, want) {
			t.Errorf("ListUsersInGroup by %d = %v", limit, got)
		}
	}
	// A full page that is the last one has no NextToken.
	if _, tok, err := e.svc.ListGroups(e.ctx(), e.pool, 7, ""); err != nil || tok != "" {
		t.Errorf("ListGroups of exactly a page: token %q, %v", tok, err)
	}
	// ListUsersInGroup shows users as ListUsers does.
	us, _, err := e.svc.ListUsersInGroup(e.ctx(), e.pool, "g0", 1, "")
	if err != nil || len(us) != 1 || us[0].Attributes[0].Name != "sub" || us[0].Status != userpool.StatusConfirmed {
		t.Errorf("ListUsersInGroup = %+v, %v", us, err)
	}

	if err := e.svc.AdminRemoveUserFromGroup(e.ctx(), e.pool, "alice", "g3"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminRemoveUserFromGroup(e.ctx(), e.pool, "alice", "g3"); err != nil {
		t.Fatalf("removing a non-member: %v", err)
	}
	gs, _, _ := e.svc.AdminListGroupsForUser(e.ctx(), e.pool, "alice", 0, "")
	if got := groupNames(gs); slices.Contains(got, "g3") || len(got) != 6 {
		t.Errorf("alice's groups after a removal: %v", got)
	}
	// Deleting a user removes the memberships.
	if err := e.svc.AdminDeleteUser(e.ctx(), e.pool, "user0"); err != nil {
		t.Fatal(err)
	}
	us, _, _ = e.svc.ListUsersInGroup(e.ctx(), e.pool, "g0", 0, "")
	if len(us) != 5 {
		t.Errorf("g0 has %d members after a deletion, want 5", len(us))
	}
	// Deleting the pool removes the groups.
	if err := e.svc.DeleteUserPool(e.ctx(), e.pool); err != nil {
		t.Fatal(err)
	}
	if rows, err := e.st.ListGroups(e.ctx(), e.pool, "", 0); err != nil || len(rows) != 0 {
		t.Errorf("groups of a deleted pool: %d, %v", len(rows), err)
	}
}

func TestGroupClaims(t *testing.T) {
	e := newEnv(t)
	tk := e.signIn(e.app, "alice")
	if m := payload(t, tk.AccessToken); m["cognito:groups"] != nil {
		t.Fatalf("a user in no group has cognito:groups %v", m["cognito:groups"])
	}
	if m := payload(t, tk.IDToken); m["cognito:groups"] != nil || m["cognito:roles"] != nil || m["cognito:preferred_role"] != nil {
		t.Fatalf("a user in no group has group claims: %v", m)
	}
	role := func(n string) *string { return ps("arn:aws:iam::123456789012:role/" + n) }
	e.group(userpool.GroupInput{Name: "zeta", Precedence: p64(2), RoleArn: role("zeta")})
	e.group(userpool.GroupInput{Name: "alpha", Precedence: p64(2)})
	e.group(userpool.GroupInput{Name: "top", Precedence: p64(0)})
	e.group(userpool.GroupInput{Name: "none-b", RoleArn: role("none")})
	e.group(userpool.GroupInput{Name: "none-a"})
	for _, g := range []string{"zeta", "alpha", "top", "none-b", "none-a"} {
		if err := e.svc.AdminAddUserToGroup(e.ctx(), e.pool, "alice", g); err != nil {
			t.Fatal(err)
		}
	}
	// An issued token does not change.
	if m := payload(t, tk.AccessToken); m["cognito:groups"] != nil {
		t.Fatal("an issued token changed")
	}
	e.clock.Advance(time.Second)
	r, err := e.refresh(e.app, tk.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	wantOrder := []string{"top", "alpha", "zeta", "none-a", "none-b"}
	access, id := payload(t, r.AccessToken), payload(t, r.IDToken)
	if got := strs(t, access, "cognito:groups"); !slices.Equal(got, wantOrder) {
		t.Errorf("access cognito:groups = %v, want %v", got, wantOrder)
	}
	if got := strs(t, id, "cognito:groups"); !slices.Equal(got, wantOrder) {
		t.Errorf("ID cognito:groups = %v, want %v", got, wantOrder)
	}
	if got, want := strs(t, id, "cognito:roles"), []string{*role("zeta"), *role("none")}; !slices.Equal(got, want) {
		t.Errorf("cognito:roles = %v, want %v", got, want)
	}
	if access["cognito:roles"] != nil || access["cognito:preferred_role"] != nil {
		t.Error("the access token has role claims")
	}
	if got := id["cognito:preferred_role"]; got != *role("zeta") {
		t.Errorf("cognito:preferred_role = %v", got)
	}
	// Two groups of the same precedence with different roles: no
	// preferred role (Cognito's rule); with the same role, that role.
	if _, err := e.svc.UpdateGroup(e.ctx(), userpool.GroupInput{PoolID: e.pool, Name: "alpha", RoleArn: role("alpha")}); err != nil {
		t.Fatal(err)
	}
	r2 := e.signIn(e.app, "alice")
	if got, ok := payload(t, r2.IDToken)["cognito:preferred_role"]; ok {
		t.Errorf("a tie of roles gave cognito:preferred_role %v", got)
	}
	if _, err := e.svc.UpdateGroup(e.ctx(), userpool.GroupInput{PoolID: e.pool, Name: "alpha", RoleArn: role("zeta")}); err != nil {
		t.Fatal(err)
	}
	r2 = e.signIn(e.app, "alice")
	if got := payload(t, r2.IDToken)["cognito:preferred_role"]; got != *role("zeta") {
		t.Errorf("a tie of the same role gave cognito:preferred_role %v", got)
	}
	// A removal and a deletion show at the next refresh.
	if err := e.svc.AdminRemoveUserFromGroup(e.ctx(), e.pool, "alice", "top"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteGroup(e.ctx(), e.pool, "zeta"); err != nil {
		t.Fatal(err)
	}
	r, err = e.refresh(e.app, tk.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strs(t, payload(t, r.AccessToken), "cognito:groups"), []string{"alpha", "none-a", "none-b"}; !slices.Equal(got, want) {
		t.Errorf("cognito:groups after a removal and a deletion = %v, want %v", got, want)
	}
	// The access token still authenticates and GetUser is unaffected.
	e.wantLive("a token with groups", r.AccessToken)
}

// TestGroupMembershipAudited: membership changes are in the audit trail,
// with their outcome.
func TestGroupMembershipAudited(t *testing.T) {
	e := newEnv(t)
	e.group(userpool.GroupInput{Name: "admins"})
	if err := e.svc.AdminAddUserToGroup(e.ctx(), e.pool, "alice", "admins"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminRemoveUserFromGroup(e.ctx(), e.pool, "alice", "nope"); err == nil {
		t.Fatal("removal from a missing group succeeded")
	}
	if err := e.svc.FlushAudit(e.ctx()); err != nil {
		t.Fatal(err)
	}
	for typ, want := range map[string]string{userpool.EventAdminAddUserToGroup: userpool.OutcomePass,
		userpool.EventAdminRemoveUserFromGroup: userpool.OutcomeFail} {
		evs, _, err := e.svc.ListAuditEvents(e.ctx(), userpool.AuditQuery{PoolID: e.pool, EventType: typ})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Outcome != want || evs[0].Username != "alice" {
			t.Errorf("%s events: %+v", typ, evs)
		}
	}
}
