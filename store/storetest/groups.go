package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// groupTests are the conformance tests of store.Groups, run with the rest
// of the suite.
var groupTests = []test{
	{"GroupCreateGet", testGroupCreateGet},
	{"GroupUpdateDelete", testGroupUpdateDelete},
	{"ListGroupsPaging", testListGroupsPaging},
	{"GroupMemberships", testGroupMemberships},
	{"GroupMembershipPaging", testGroupMembershipPaging},
	{"GroupCascades", testGroupCascades},
	{"GroupMembershipsConcurrent", testGroupMembershipsConcurrent},
	{"GroupDeleteConcurrent", testGroupDeleteConcurrent},
	{"SessionForMint", testSessionForMint},
	{"SessionForMintConcurrent", testSessionForMintConcurrent},
}

func init() { tests = append(tests, groupTests...) }

func groupName(g *store.Group) string { return g.Name }

// newGroup returns a group with every field set.
func newGroup(poolID, name string, precedence int64) *store.Group {
	return &store.Group{PoolID: poolID, Name: name, Description: "the " + name + " group",
		Precedence: &precedence, RoleArn: "arn:aws:iam::123456789012:role/" + name,
		CreatedAt: at(time.Minute), UpdatedAt: at(2 * time.Minute)}
}

// checkGroup compares groups, times to the millisecond.
func checkGroup(t *testing.T, what string, want, got *store.Group) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got no group, want %+v", what, want)
		return
	}
	if !same(want.CreatedAt, got.CreatedAt) || !same(want.UpdatedAt, got.UpdatedAt) ||
		(!got.CreatedAt.IsZero() && got.CreatedAt.Location() != time.UTC) {
		t.Errorf("%s: times %v %v, want %v %v (UTC)", what, got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	w, g := *want, *got
	w.CreatedAt, w.UpdatedAt, g.CreatedAt, g.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(w, g) {
		t.Errorf("%s: got %+v (precedence %s), want %+v (precedence %s)", what, g, prec(g.Precedence), w, prec(w.Precedence))
	}
}

func prec(p *int64) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}

func testGroupCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	setup(t, s, "us-east-1_q")
	g := newGroup(f.pool.ID, "admins", 1)
	mustOK(t, "CreateGroup", s.CreateGroup(ctx, g))
	got, err := s.GetGroup(ctx, f.pool.ID, "admins")
	mustOK(t, "GetGroup", err)
	checkGroup(t, "GetGroup", g, got)

	// Empty and absent fields survive: no precedence, no role, no description.
	bare := &store.Group{PoolID: f.pool.ID, Name: "bare", CreatedAt: at(0), UpdatedAt: at(0)}
	mustOK(t, "CreateGroup of a bare group", s.CreateGroup(ctx, bare))
	got, err = s.GetGroup(ctx, f.pool.ID, "bare")
	mustOK(t, "GetGroup", err)
	checkGroup(t, "GetGroup of a bare group", bare, got)
	// Precedence 0 is not "none".
	zero := newGroup(f.pool.ID, "zero", 0)
	mustOK(t, "CreateGroup", s.CreateGroup(ctx, zero))
	got, err = s.GetGroup(ctx, f.pool.ID, "zero")
	mustOK(t, "GetGroup", err)
	checkGroup(t, "GetGroup of precedence 0", zero, got)

	// Names are case-sensitive and per pool.
	mustOK(t, "CreateGroup Admins", s.CreateGroup(ctx, newGroup(f.pool.ID, "Admins", 2)))
	mustOK(t, "CreateGroup in another pool", s.CreateGroup(ctx, newGroup("us-east-1_q", "admins", 3)))
	wantErr(t, "CreateGroup of an existing name", s.CreateGroup(ctx, newGroup(f.pool.ID, "admins", 9)), store.ErrConflict)
	got, err = s.GetGroup(ctx, f.pool.ID, "admins")
	mustOK(t, "GetGroup", err)
	checkGroup(t, "GetGroup after a refused create", g, got)
	wantErr(t, "CreateGroup in a missing pool", s.CreateGroup(ctx, newGroup("us-east-1_none", "admins", 1)), store.ErrNotFound)

	_, err = s.GetGroup(ctx, f.pool.ID, "ADMINS")
	wantErr(t, "GetGroup of another case", err, store.ErrNotFound)
	_, err = s.GetGroup(ctx, "us-east-1_none", "admins")
	wantErr(t, "GetGroup in a missing pool", err, store.ErrNotFound)
}

func testGroupUpdateDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	setup(t, s, "us-east-1_q")
	g := newGroup(f.pool.ID, "admins", 5)
	mustOK(t, "CreateGroup", s.CreateGroup(ctx, g))
	other := newGroup("us-east-1_q", "admins", 5)
	mustOK(t, "CreateGroup", s.CreateGroup(ctx, other))

	upd := *g
	upd.Description, upd.Precedence, upd.RoleArn, upd.UpdatedAt = "", nil, "", at(time.Hour)
	upd.CreatedAt = at(99 * time.Hour) // not updated
	mustOK(t, "UpdateGroup", s.UpdateGroup(ctx, &upd))
	got, err := s.GetGroup(ctx, f.pool.ID, "admins")
	mustOK(t, "GetGroup", err)
	want := upd
	want.CreatedAt = g.CreatedAt
	checkGroup(t, "GetGroup after UpdateGroup", &want, got)
	got, err = s.GetGroup(ctx, "us-east-1_q", "admins")
	mustOK(t, "GetGroup", err)
	checkGroup(t, "the other pool's group after UpdateGroup", other, got)
	wantErr(t, "UpdateGroup of a missing group", s.UpdateGroup(ctx, newGroup(f.pool.ID, "nobody", 1)), store.ErrNotFound)

	wantErr(t, "DeleteGroup of a missing group", s.DeleteGroup(ctx, f.pool.ID, "nobody"), store.ErrNotFound)
	wantErr(t, "DeleteGroup of another case", s.DeleteGroup(ctx, f.pool.ID, "Admins"), store.ErrNotFound)
	mustOK(t, "DeleteGroup", s.DeleteGroup(ctx, f.pool.ID, "admins"))
	_, err = s.GetGroup(ctx, f.pool.ID, "admins")
	wantErr(t, "GetGroup of a deleted group", err, store.ErrNotFound)
	wantErr(t, "DeleteGroup twice", s.DeleteGroup(ctx, f.pool.ID, "admins"), store.ErrNotFound)
	_, err = s.GetGroup(ctx, "us-east-1_q", "admins")
	mustOK(t, "GetGroup of the other pool's group", err)
}

func testListGroupsPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	setup(t, s, "us-east-1_q")
	names := []string{"b", "B", "a", "Z", "é", "a-b", "a_b", "zz"}
	for i, n := range names {
		mustOK(t, "CreateGroup", s.CreateGroup(ctx, newGroup(f.pool.ID, n, int64(i))))
	}
	mustOK(t, "CreateGroup", s.CreateGroup(ctx, newGroup("us-east-1_q", "other", 0)))
	want := slices.Clone(names)
	slices.Sort(want) // byte order
	all, err := s.ListGroups(ctx, f.pool.ID, "", 0)
	mustOK(t, "ListGroups", err)
	checkIDs(t, "ListGroups", want, ids(all, groupName))
	for _, limit := range []int{1, 3, 100} {
		var seen []string
		after := ""
		for range len(names) + 2 {
			page, err := s.ListGroups(ctx, f.pool.ID, after, limit)
			mustOK(t, "ListGroups", err)
			if len(page) > limit {
				t.Fatalf("ListGroups(limit %d) returned %d", limit, len(page))
			}
			if len(page) == 0 {
				break
			}
			seen = append(seen, ids(page, groupName)...)
			after = page[len(page)-1].Name
		}
		checkIDs(t, fmt.Sprintf("ListGroups paged by %d", limit), want, seen)
	}
	none, err := s.ListGroups(ctx, "us-east-1_none", "", 10)
	mustOK(t, "ListGroups of a missing pool", err)
	checkIDs(t, "ListGroups of a missing pool", nil, ids(none, groupName))
}

func testGroupMemberships(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	q := setup(t, s, "us-east-1_q")
	for _, n := range []string{"admins", "readers", "writers"} {
		mustOK(t, "CreateGroup", s.CreateGroup(ctx, newGroup(f.pool.ID, n, 1)))
	}
	mustOK(t, "CreateGroup", s.CreateGroup(ctx, newGroup(q.pool.ID, "admins", 1)))

	mustOK(t, "AddUserToGroup", s.AddUserToGroup(ctx, f.pool.ID, "readers", f.alice.Sub))
	mustOK(t, "AddUserToGroup", s.AddUserToGroup(ctx, f.pool.ID, "admins", f.alice.Sub))
	mustOK(t, "AddUserToGroup again", s.AddUserToGroup(ctx, f.pool.ID, "admins", f.alice.Sub))
	mustOK(t, "AddUserToGroup", s.AddUserToGroup(ctx, f.pool.ID, "admins", f.bobby.Sub))
	wantErr(t, "AddUserToGroup of a missing group", s.AddUserToGroup(ctx, f.pool.ID, "nobody", f.alice.Sub), store.ErrNotFound)
	wantErr(t, "AddUserToGroup of a missing user", s.AddUserToGroup(ctx, f.pool.ID, "admins", newSub()), store.ErrNotFound)
	wantErr(t, "AddUserToGroup of another pool's user", s.AddUserToGroup(ctx, f.pool.ID, "admins", q.alice.Sub), store.ErrNotFound)

	groups, err := s.ListGroupsForUser(ctx, f.pool.ID, f.alice.Sub, "", 0)
	mustOK(t, "ListGroupsForUser", err)
	checkIDs(t, "alice's groups", []string{"admins", "readers"}, ids(groups, groupName))
	if len(groups) == 2 {
		checkGroup(t, "a group of ListGroupsForUser", newGroup(f.pool.ID, "admins", 1), groups[0])
	}
	groups, err = s.ListGroupsForUser(ctx, q.pool.ID, q.alice.Sub, "", 0)
	mustOK(t, "ListGroupsForUser", err)
	checkIDs(t, "the other pool's alice's groups", nil, ids(groups, groupName))
	users, err := s.ListUsersInGroup(ctx, f.pool.ID, "admins", "", 0)
	mustOK(t, "ListUsersInGroup", err)
	checkIDs(t, "admins' members", []string{"alice", "bobby"}, ids(users, username))
	if len(users) == 2 {
		check(t, "a user of ListUsersInGroup", f.alice, users[0])
	}
	users, err = s.ListUsersInGroup(ctx, f.pool.ID, "writers", "", 0)
	mustOK(t, "ListUsersInGroup", err)
	checkIDs(t, "writers' members", nil, ids(users, username))
	users, err = s.ListUsersInGroup(ctx, f.pool.ID, "nobody", "", 0)
	mustOK(t, "ListUsersInGroup of a missing group", err)
	checkIDs(t, "a missing group's members", nil, ids(users, username))

	mustOK(t, "RemoveUserFromGroup", s.RemoveUserFromGroup(ctx, f.pool.ID, "admins", f.alice.Sub))
	mustOK(t, "RemoveUserFromGroup again", s.RemoveUserFromGroup(ctx, f.pool.ID, "admins", f.alice.Sub))
	mustOK(t, "RemoveUserFromGroup of a missing group", s.RemoveUserFromGroup(ctx, f.pool.ID, "nobody", f.alice.Sub))
	groups, err = s.ListGroupsForUser(ctx, f.pool.ID, f.alice.Sub, "", 0)
	mustOK(t, "ListGroupsForUser", err)
	checkIDs(t, "alice's groups after a removal", []string{"readers"}, ids(groups, groupName))
	users, err = s.ListUsersInGroup(ctx, f.pool.ID, "admins", "", 0)
	mustOK(t, "ListUsersInGroup", err)
	checkIDs(t, "admins' members after a removal", []string{"bobby"}, ids(users, username))

	// An update of the group shows in its members' listing.
	upd := newGroup(f.pool.ID, "readers", 7)
	upd.RoleArn = "arn:aws:iam::123456789012:role/other"
	mustOK(t, "UpdateGroup", s.UpdateGroup(ctx, upd))
	groups, err = s.ListGroupsForUser(ctx, f.pool.ID, f.alice.Sub, "", 0)
	mustOK(t, "ListGroupsForUser", err)
	if len(groups) == 1 {
		checkGroup(t, "an updated group of ListGroupsForUser", upd, groups[0])
	}
}

func testGroupMembershipPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	mustOK(t, "CreateGroup", s.CreateGroup(ctx, newGroup(f.pool.ID, "all", 1)))
	var wantUsers []string
	for i := range 7 {
		u := newUser(f.pool.ID, fmt.Sprintf("user-%02d", 7-i))
		mustOK(t, "CreateUser", s.CreateUser(ctx, u))
		mustOK(t, "AddUserToGroup", s.AddUserToGroup(ctx, f.pool.ID, "all", u.Sub))
		wantUsers = append(wantUsers, u.Username)
	}
	slices.Sort(wantUsers)
	var wantGroups []string
	for i := range 7 {
		n := fmt.Sprintf("g%d", 7-i)
		mustOK(t, "CreateGroup", s.CreateGroup(ctx, newGroup(f.pool.ID, n, int64(i))))
		mustOK(t, "AddUserToGroup", s.AddUserToGroup(ctx, f.pool.ID, n, f.alice.Sub))
		wantGroups = append(wantGroups, n)
	}
	slices.Sort(wantGroups)
	for _, limit := range []int{1, 2, 3, 50} {
		var seen []string
		after := ""
		for range 10 {
			page, err := s.ListUsersInGroup(ctx, f.pool.ID, "all", after, limit)
			mustOK(t, "ListUsersInGroup", err)
			if len(page) > limit {
				t.Fatalf("ListUsersInGroup(limit %d) returned %d", limit, len(page))
			}
			if len(page) == 0 {
				break
			}
			seen = append(seen, ids(page, username)...)
			after = page[len(page)-1].Username
		}
		checkIDs(t, fmt.Sprintf("ListUsersInGroup paged by %d", limit), wantUsers, seen)
		seen, after = nil, ""
		for range 10 {
			page, err := s.ListGroupsForUser(ctx, f.pool.ID, f.alice.Sub, after, limit)
			mustOK(t, "ListGroupsForUser", err)
			if len(page) > limit {
				t.Fatalf("ListGroupsForUser(limit %d) returned %d", limit, len(page))
			}
			if len(page) == 0 {
				break
			}
			seen = append(seen, ids(page, groupName)...)
			after = page[len(page)-1].Name
		}
		checkIDs(t, fmt.Sprintf("ListGroupsForUser paged by %d", limit), wantGroups, seen)
	}
}

func testGroupCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	q := setup(t, s, "us-east-1_q")
	for _, p := range []string{f.pool.ID, q.pool.ID} {
		mustOK(t, "CreateGroup", s.CreateGroup(ctx, newGroup(p, "admins", 1)))
		mustOK(t, "CreateGroup", s.CreateGroup(ctx, newGroup(p, "readers", 2)))
	}
	for _, fx := range []fixture{f, q} {
		for _, u := range []*store.User{fx.alice, fx.bobby} {
			mustOK(t, "AddUserToGroup", s.AddUserToGroup(ctx, fx.pool.ID, "admins", u.Sub))
			mustOK(t, "AddUserToGroup", s.AddUserToGroup(ctx, fx.pool.ID, "readers", u.Sub))
		}
	}

	// A deleted user leaves its groups; a user re-created under the same
	// name (a new sub) belongs to none.
	mustOK(t, "DeleteUser", s.DeleteUser(ctx, f.pool.ID, "alice"))
	users, err := s.ListUsersInGroup(ctx, f.pool.ID, "admins", "", 0)
	mustOK(t, "ListUsersInGroup", err)
	checkIDs(t, "admins after DeleteUser", []string{"bobby"}, ids(users, username))
	groups, err := s.ListGroupsForUser(ctx, f.pool.ID, f.alice.Sub, "", 0)
	mustOK(t, "ListGroupsForUser", err)
	checkIDs(t, "a deleted user's groups", nil, ids(groups, groupName))
	again := newUser(f.pool.ID, "alice")
	mustOK(t, "CreateUser", s.CreateUser(ctx, again))
	groups, err = s.ListGroupsForUser(ctx, f.pool.ID, again.Sub, "", 0)
	mustOK(t, "ListGroupsForUser", err)
	checkIDs(t, "a re-created user's groups", nil, ids(groups, groupName))

	// A deleted group leaves its members; re-created, it has none.
	mustOK(t, "DeleteGroup", s.DeleteGroup(ctx, f.pool.ID, "readers"))
	groups, err = s.ListGroupsForUser(ctx, f.pool.ID, f.bobby.Sub, "", 0)
	mustOK(t, "ListGroupsForUser", err)
	checkIDs(t, "bobby's groups after DeleteGroup", []string{"admins"}, ids(groups, groupName))
	mustOK(t, "CreateGroup", s.CreateGroup(ctx, newGroup(f.pool.ID, "readers", 2)))
	users, err = s.ListUsersInGroup(ctx, f.pool.ID, "readers", "", 0)
	mustOK(t, "ListUsersInGroup", err)
	checkIDs(t, "a re-created group's members", nil, ids(users, username))

	// A deleted pool takes its groups and memberships; the other pool keeps
	// its own.
	mustOK(t, "DeletePool", s.DeletePool(ctx, f.pool.ID))
	all, err := s.ListGroups(ctx, f.pool.ID, "", 0)
	mustOK(t, "ListGroups", err)
	checkIDs(t, "a deleted pool's groups", nil, ids(all, groupName))
	_, err = s.GetGroup(ctx, f.pool.ID, "admins")
	wantErr(t, "GetGroup of a deleted pool", err, store.ErrNotFound)
	users, err = s.ListUsersInGroup(ctx, f.pool.ID, "admins", "", 0)
	mustOK(t, "ListUsersInGroup", err)
	checkIDs(t, "a deleted pool's members", nil, ids(users, username))
	mustOK(t, "CreatePool", s.CreatePool(ctx, newPool(f.pool.ID)))
	mustOK(t, "CreateGroup", s.CreateGroup(ctx, newGroup(f.pool.ID, "admins", 1)))
	users, err = s.ListUsersInGroup(ctx, f.pool.ID, "admins", "", 0)
	mustOK(t, "ListUsersInGroup", err)
	checkIDs(t, "a re-created pool's group's members", nil, ids(users, username))
	users, err = s.ListUsersInGroup(ctx, q.pool.ID, "admins", "", 0)
	mustOK(t, "ListUsersInGroup", err)
	checkIDs(t, "the other pool's members", []string{"alice", "bobby"}, ids(users, username))
}

// testGroupMembershipsConcurrent adds and removes memberships of many users
// at once, each user's own add-then-remove or add only: the result is
// exactly the adds that were not removed, and concurrent adds of the same
// membership all succeed.
func testGroupMembershipsConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	mustOK(t, "CreateGroup", s.CreateGroup(ctx, newGroup(f.pool.ID, "g", 1)))
	const n = 16
	users := make([]*store.User, n)
	for i := range users {
		users[i] = newUser(f.pool.ID, fmt.Sprintf("u%02d", i))
		mustOK(t, "CreateUser", s.CreateUser(ctx, users[i]))
	}
	race(n, func(i int) {
		if err := s.AddUserToGroup(ctx, f.pool.ID, "g", users[i].Sub); err != nil {
			t.Errorf("AddUserToGroup: %v", err)
		}
		if err := s.AddUserToGroup(ctx, f.pool.ID, "g", f.alice.Sub); err != nil {
			t.Errorf("AddUserToGroup of the same membership: %v", err)
		}
		if i%2 == 1 {
			if err := s.RemoveUserFromGroup(ctx, f.pool.ID, "g", users[i].Sub); err != nil {
				t.Errorf("RemoveUserFromGroup: %v", err)
			}
		}
	})
	want := []string{"alice"}
	for i := 0; i < n; i += 2 {
		want = append(want, users[i].Username)
	}
	got, err := s.ListUsersInGroup(ctx, f.pool.ID, "g", "", 0)
	mustOK(t, "ListUsersInGroup", err)
	checkIDs(t, "members after concurrent adds and removes", want, ids(got, username))
}

// testGroupDeleteConcurrent deletes a group while memberships of it are
// added: every add either fails with ErrNotFound or happened before the
// delete, and no membership outlives the group (a group re-created under
// its name has no members).
func testGroupDeleteConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	const n = 12
	users := make([]*store.User, n)
	for i := range users {
		users[i] = newUser(f.pool.ID, fmt.Sprintf("u%02d", i))
		mustOK(t, "CreateUser", s.CreateUser(ctx, users[i]))
	}
	for round := range 3 {
		mustOK(t, "CreateGroup", s.CreateGroup(ctx, newGroup(f.pool.ID, "g", 1)))
		race(n+1, func(i int) {
			if i == n {
				if err := s.DeleteGroup(ctx, f.pool.ID, "g"); err != nil {
					t.Errorf("DeleteGroup: %v", err)
				}
				return
			}
			if err := s.AddUserToGroup(ctx, f.pool.ID, "g", users[i].Sub); err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("AddUserToGroup racing DeleteGroup: %v", err)
			}
			// Racing the deletion of a user too.
			if i == 0 && round == 0 {
				if err := s.DeleteUser(ctx, f.pool.ID, users[0].Username); err != nil {
					t.Errorf("DeleteUser: %v", err)
				}
			}
		})
		mustOK(t, "CreateGroup again", s.CreateGroup(ctx, newGroup(f.pool.ID, "g", 1)))
		got, err := s.ListUsersInGroup(ctx, f.pool.ID, "g", "", 0)
		mustOK(t, "ListUsersInGroup", err)
		checkIDs(t, "members of a re-created group", nil, ids(got, username))
		for _, u := range users[1:] {
			groups, err := s.ListGroupsForUser(ctx, f.pool.ID, u.Sub, "", 0)
			mustOK(t, "ListGroupsForUser", err)
			checkIDs(t, "groups of a user after DeleteGroup", nil, ids(groups, groupName))
		}
		mustOK(t, "DeleteGroup", s.DeleteGroup(ctx, f.pool.ID, "g"))
	}
}

// mintGroup is what GetSessionForMint reads of a group.
func mintGroup(g *store.Group) string {
	return fmt.Sprintf("%s/%s/%s", g.Name, prec(g.Precedence), g.RoleArn)
}

// testSessionForMint: GetSessionForMint reads what GetSessionWithUser reads
// and the user's groups (name, precedence, role), ordered by name; nil for
// a user in none; ErrNotFound as GetSessionWithUser.
func testSessionForMint(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	other := setup(t, s, "us-east-1_q")
	bare := &store.Group{PoolID: f.pool.ID, Name: "b-bare", CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)}
	for _, g := range []*store.Group{newGroup(f.pool.ID, "z-last", 0), bare, newGroup(f.pool.ID, "a-first", 7),
		newGroup(f.pool.ID, "unjoined", 1), newGroup(other.pool.ID, "a-first", 3)} {
		mustOK(t, "CreateGroup", s.CreateGroup(ctx, g))
	}
	for _, g := range []string{"z-last", "b-bare", "a-first"} {
		mustOK(t, "AddUserToGroup", s.AddUserToGroup(ctx, f.pool.ID, g, f.alice.Sub))
	}
	mustOK(t, "AddUserToGroup", s.AddUserToGroup(ctx, other.pool.ID, "a-first", other.alice.Sub))
	sess := newSession("origin-jti-1", f.c1, f.alice, at(time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, sess))
	gotSess, gotUser, groups, err := s.GetSessionForMint(ctx, sess.ID)
	mustOK(t, "GetSessionForMint", err)
	wantSess, wantUser, err := s.GetSessionWithUser(ctx, sess.ID)
	mustOK(t, "GetSessionWithUser", err)
	check(t, "GetSessionForMint session", wantSess, gotSess)
	check(t, "GetSessionForMint user", wantUser, gotUser)
	listed, err := s.ListGroupsForUser(ctx, f.pool.ID, f.alice.Sub, "", 0)
	mustOK(t, "ListGroupsForUser", err)
	checkIDs(t, "GetSessionForMint groups", ids(listed, mintGroup), ids(groups, mintGroup))
	checkIDs(t, "GetSessionForMint group names", []string{"a-first", "b-bare", "z-last"}, ids(groups, groupName))
	for _, g := range groups {
		if g.PoolID != f.pool.ID {
			t.Errorf("group %s of pool %q", g.Name, g.PoolID)
		}
	}

	bobSess := newSession("origin-jti-2", f.c1, f.bobby, at(time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, bobSess))
	_, _, groups, err = s.GetSessionForMint(ctx, bobSess.ID)
	mustOK(t, "GetSessionForMint of a user in no group", err)
	if groups != nil {
		t.Errorf("a user in no group: %v", ids(groups, mintGroup))
	}
	wantFamilyReadGone(t, s, f, sess.ID, "GetSessionForMint", func(id string) error {
		_, _, _, err := s.GetSessionForMint(ctx, id)
		return err
	})
}

// testSessionForMintConcurrent reads a session's groups while its user
// joins and leaves groups: every read succeeds with names in order and no
// group the user never joined, and once the writers are done a read shows
// exactly the memberships left.
func testSessionForMintConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	const n = 8
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("g%02d", i)
		mustOK(t, "CreateGroup", s.CreateGroup(ctx, newGroup(f.pool.ID, names[i], int64(i))))
	}
	sess := newSession("origin-jti-1", f.c1, f.alice, at(time.Minute))
	mustOK(t, "CreateSession", s.CreateSession(ctx, sess))
	race(2*n, func(i int) {
		if i < n {
			if err := s.AddUserToGroup(ctx, f.pool.ID, names[i], f.alice.Sub); err != nil {
				t.Errorf("AddUserToGroup: %v", err)
			}
			if i%2 == 1 {
				if err := s.RemoveUserFromGroup(ctx, f.pool.ID, names[i], f.alice.Sub); err != nil {
					t.Errorf("RemoveUserFromGroup: %v", err)
				}
			}
			return
		}
		for range 5 {
			_, _, groups, err := s.GetSessionForMint(ctx, sess.ID)
			if err != nil {
				t.Errorf("GetSessionForMint during membership changes: %v", err)
				return
			}
			got := ids(groups, groupName)
			if !slices.IsSorted(got) || len(got) > n {
				t.Errorf("groups out of order or too many: %v", got)
			}
			for _, g := range got {
				if !slices.Contains(names, g) {
					t.Errorf("a group the user never joined: %s", g)
				}
			}
		}
	})
	var want []string
	for i := 0; i < n; i += 2 {
		want = append(want, names[i])
	}
	_, _, groups, err := s.GetSessionForMint(ctx, sess.ID)
	mustOK(t, "GetSessionForMint", err)
	checkIDs(t, "groups after concurrent joins and leaves", want, ids(groups, groupName))
}
