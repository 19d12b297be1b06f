package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cognate-dev/cognate/store"
)

func testUserAliases(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")
	u := newUser(f.pool.ID, "carol")
	u.Aliases = map[string]string{"email": "carol@example.com", "phone_number": "+15550100", "preferred_username": "caz"}
	mustOK(t, "CreateUser with aliases", s.CreateUser(ctx, u))
	for attr, v := range u.Aliases {
		got, err := s.GetUserByAlias(ctx, f.pool.ID, attr, v)
		mustOK(t, "GetUserByAlias "+attr, err)
		check(t, "GetUserByAlias "+attr, u, got)
		_, err = s.GetUserByAlias(ctx, g.pool.ID, attr, v)
		wantErr(t, "GetUserByAlias in another pool", err, store.ErrNotFound)
	}
	_, err := s.GetUserByAlias(ctx, f.pool.ID, "email", "CAROL@example.com")
	wantErr(t, "GetUserByAlias with another case (normalizing is the caller's business)", err, store.ErrNotFound)
	_, err = s.GetUserByAlias(ctx, f.pool.ID, "phone_number", "carol@example.com")
	wantErr(t, "GetUserByAlias of another attribute", err, store.ErrNotFound)
	_, err = s.GetUserByAlias(ctx, f.pool.ID, "nickname", "caz")
	wantErr(t, "GetUserByAlias of a non-alias attribute", err, store.ErrNotFound)

	// An alias is unique in its pool, for new and updated users alike.
	dup := newUser(f.pool.ID, "carla")
	dup.Aliases = map[string]string{"email": "carol@example.com"}
	wantErr(t, "CreateUser with a taken alias", s.CreateUser(ctx, dup), store.ErrConflict)
	twin := newUser(g.pool.ID, "carol")
	twin.Aliases = map[string]string{"email": "carol@example.com"}
	mustOK(t, "the same alias in another pool", s.CreateUser(ctx, twin))
	b, err := s.GetUser(ctx, f.pool.ID, f.bobby.Username)
	mustOK(t, "GetUser", err)
	b.Aliases = map[string]string{"preferred_username": "caz"}
	wantErr(t, "UpdateUser taking another user's alias", s.UpdateUser(ctx, b), store.ErrConflict)

	// Dropping an alias frees it.
	u.Aliases = map[string]string{"phone_number": "+15550100"}
	mustOK(t, "UpdateUser dropping aliases", s.UpdateUser(ctx, u))
	_, err = s.GetUserByAlias(ctx, f.pool.ID, "email", "carol@example.com")
	wantErr(t, "GetUserByAlias of a dropped alias", err, store.ErrNotFound)
	got, err := s.GetUser(ctx, f.pool.ID, "carol")
	mustOK(t, "GetUser", err)
	check(t, "GetUser after dropping aliases", u, got)
	b, err = s.GetUser(ctx, f.pool.ID, f.bobby.Username)
	mustOK(t, "GetUser", err)
	b.Aliases = map[string]string{"email": "carol@example.com"}
	mustOK(t, "UpdateUser taking a freed alias", s.UpdateUser(ctx, b))

	bad := newUser(f.pool.ID, "dave")
	bad.Aliases = map[string]string{"nickname": "d"}
	if err := s.CreateUser(ctx, bad); err == nil {
		t.Error("CreateUser with a non-alias attribute in Aliases succeeded")
	}
}

// testAliasRace: users racing to take one alias — exactly one gets it.
func testAliasRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	const n = 12
	users := make([]*store.User, n)
	for i := range users {
		users[i] = newUser(f.pool.ID, fmt.Sprintf("racer-%02d", i))
		mustOK(t, "CreateUser", s.CreateUser(ctx, users[i]))
	}
	var wins atomic.Int32
	race(n, func(i int) {
		u := *users[i]
		u.Aliases = map[string]string{"email": "prize@example.com"}
		switch err := s.UpdateUser(ctx, &u); {
		case err == nil:
			wins.Add(1)
		case !errorsIsConflict(err):
			t.Errorf("UpdateUser: %v", err)
		}
	})
	if wins.Load() != 1 {
		t.Fatalf("%d users took one alias, want exactly 1", wins.Load())
	}
	if _, err := s.GetUserByAlias(ctx, f.pool.ID, "email", "prize@example.com"); err != nil {
		t.Fatalf("GetUserByAlias after the race: %v", err)
	}
}
