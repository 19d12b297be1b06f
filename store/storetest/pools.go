package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

func poolID(p *store.Pool) string     { return p.ID }
func clientID(c *store.Client) string { return c.ID }

func testPoolCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newPool("us-east-1_AbC123xyZ")
	mustOK(t, "CreatePool", s.CreatePool(ctx, p))
	got, err := s.GetPool(ctx, p.ID)
	mustOK(t, "GetPool", err)
	check(t, "GetPool", p, got)
}

func testPoolCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newPool("us-east-1_AbC123xyZ")
	mustOK(t, "CreatePool", s.CreatePool(ctx, p))
	dup := newPool(p.ID)
	dup.Name = "impostor"
	wantErr(t, "CreatePool with an existing id", s.CreatePool(ctx, dup), store.ErrConflict)
	got, err := s.GetPool(ctx, p.ID)
	mustOK(t, "GetPool", err)
	check(t, "GetPool after the conflict", p, got)
}

func testPoolGetNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetPool(ctx, "us-east-1_missing")
	wantErr(t, "GetPool on an empty store", err, store.ErrNotFound)
	mustOK(t, "CreatePool", s.CreatePool(ctx, newPool("us-east-1_present")))
	_, err = s.GetPool(ctx, "us-east-1_PRESENT")
	wantErr(t, "GetPool with another case", err, store.ErrNotFound)
}

func testPoolUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newPool("us-east-1_upd")
	other := newPool("us-east-1_other")
	mustOK(t, "CreatePool", s.CreatePool(ctx, p))
	mustOK(t, "CreatePool", s.CreatePool(ctx, other))
	p.Name = "renamed ✓"
	p.Settings = []byte(`{"mfa":"ON"}`)
	p.UpdatedAt = at(time.Hour)
	mustOK(t, "UpdatePool", s.UpdatePool(ctx, p))
	got, err := s.GetPool(ctx, p.ID)
	mustOK(t, "GetPool", err)
	check(t, "GetPool after UpdatePool", p, got)
	got, err = s.GetPool(ctx, other.ID)
	mustOK(t, "GetPool", err)
	check(t, "the other pool after UpdatePool", other, got)

	wantErr(t, "UpdatePool of a missing pool", s.UpdatePool(ctx, newPool("us-east-1_missing")), store.ErrNotFound)
	if _, err := s.GetPool(ctx, "us-east-1_missing"); !errorsIsNotFound(err) {
		t.Errorf("UpdatePool of a missing pool created it (GetPool error %v)", err)
	}
}

func testPoolDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	p, keep := newPool("us-east-1_del"), newPool("us-east-1_keep")
	mustOK(t, "CreatePool", s.CreatePool(ctx, p))
	mustOK(t, "CreatePool", s.CreatePool(ctx, keep))
	mustOK(t, "DeletePool", s.DeletePool(ctx, p.ID))
	_, err := s.GetPool(ctx, p.ID)
	wantErr(t, "GetPool after DeletePool", err, store.ErrNotFound)
	wantErr(t, "DeletePool again", s.DeletePool(ctx, p.ID), store.ErrNotFound)
	wantErr(t, "DeletePool of a never-created pool", s.DeletePool(ctx, "us-east-1_never"), store.ErrNotFound)
	if _, err := s.GetPool(ctx, keep.ID); err != nil {
		t.Errorf("GetPool of the other pool after DeletePool: %v", err)
	}
	// The id is free again.
	mustOK(t, "CreatePool with a deleted pool's id", s.CreatePool(ctx, p))
}

func testListPools(t *testing.T, s store.Store) {
	ctx := t.Context()
	created := []string{"us-east-1_b", "us-east-1_B", "eu-west-1_Zz9", "us-east-1_A", "ap-south-1_x",
		"us-east-1_a", "us-east-1_B0", "ca-central-1_Q"}
	for _, id := range created {
		mustOK(t, "CreatePool", s.CreatePool(ctx, newPool(id)))
	}
	want := slices.Sorted(slices.Values(created)) // byte order

	all, err := s.ListPools(ctx, "", 100)
	mustOK(t, "ListPools", err)
	checkIDs(t, "ListPools(\"\", 100)", want, ids(all, poolID))
	for _, p := range all {
		check(t, "ListPools record "+p.ID, newPool(p.ID), p)
	}

	// Page through with limit 3: 3 + 3 + 2, then nothing.
	var paged []string
	after := ""
	for page := 0; ; page++ {
		got, err := s.ListPools(ctx, after, 3)
		mustOK(t, "ListPools", err)
		if len(got) > 3 {
			t.Fatalf("ListPools(%q, 3) returned %d pools", after, len(got))
		}
		if len(got) == 0 {
			break
		}
		if page > len(created) {
			t.Fatal("ListPools paging does not end")
		}
		paged = append(paged, ids(got, poolID)...)
		after = got[len(got)-1].ID
	}
	checkIDs(t, "ListPools paged by 3", want, paged)

	got, err := s.ListPools(ctx, "us-east-1_A", 2)
	mustOK(t, "ListPools", err)
	checkIDs(t, "ListPools after an existing id", want[slices.Index(want, "us-east-1_A")+1:][:2], ids(got, poolID))

	got, err = s.ListPools(ctx, "eu-west-1_Zz8", 100) // between two ids
	mustOK(t, "ListPools", err)
	checkIDs(t, "ListPools after a non-existing id", want[slices.Index(want, "eu-west-1_Zz9"):], ids(got, poolID))

	got, err = s.ListPools(ctx, want[len(want)-1], 100)
	mustOK(t, "ListPools", err)
	checkIDs(t, "ListPools after the last id", nil, ids(got, poolID))
}

func testClientCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustOK(t, "CreatePool", s.CreatePool(ctx, newPool("us-east-1_p")))
	c := newClient("us-east-1_p", "1example23456789abcdefghij")
	mustOK(t, "CreateClient", s.CreateClient(ctx, c))
	got, err := s.GetClient(ctx, c.ID)
	mustOK(t, "GetClient", err)
	check(t, "GetClient", c, got)

	public := newClient("us-east-1_p", "public0client0000000000000")
	public.Secret = ""
	public.Settings = nil
	mustOK(t, "CreateClient", s.CreateClient(ctx, public))
	got, err = s.GetClient(ctx, public.ID)
	mustOK(t, "GetClient", err)
	check(t, "GetClient of a public client", public, got)
}

func testClientCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustOK(t, "CreatePool", s.CreatePool(ctx, newPool("us-east-1_p1")))
	mustOK(t, "CreatePool", s.CreatePool(ctx, newPool("us-east-1_p2")))
	c := newClient("us-east-1_p1", "client0000000000000000000a")
	mustOK(t, "CreateClient", s.CreateClient(ctx, c))
	dup := newClient("us-east-1_p1", c.ID)
	dup.Name = "impostor"
	wantErr(t, "CreateClient with an existing id", s.CreateClient(ctx, dup), store.ErrConflict)
	elsewhere := newClient("us-east-1_p2", c.ID)
	wantErr(t, "CreateClient with an id existing in another pool", s.CreateClient(ctx, elsewhere), store.ErrConflict)
	got, err := s.GetClient(ctx, c.ID)
	mustOK(t, "GetClient", err)
	check(t, "GetClient after the conflicts", c, got)
}

func testClientGetNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetClient(ctx, "nosuchclient")
	wantErr(t, "GetClient on an empty store", err, store.ErrNotFound)
	f := setup(t, s, "us-east-1_p")
	_, err = s.GetClient(ctx, f.c1.ID+"x")
	wantErr(t, "GetClient of a missing client", err, store.ErrNotFound)
}

func testClientUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	c := *f.c1
	c.Name = "renamed"
	c.Secret = "rotated-secret"
	c.Settings = []byte(`{"flows":[]}`)
	c.UpdatedAt = at(time.Hour)
	mustOK(t, "UpdateClient", s.UpdateClient(ctx, &c))
	got, err := s.GetClient(ctx, c.ID)
	mustOK(t, "GetClient", err)
	check(t, "GetClient after UpdateClient", &c, got)
	got, err = s.GetClient(ctx, f.c2.ID)
	mustOK(t, "GetClient", err)
	check(t, "the other client after UpdateClient", f.c2, got)

	wantErr(t, "UpdateClient of a missing client",
		s.UpdateClient(ctx, newClient(f.pool.ID, "missing")), store.ErrNotFound)
	if _, err := s.GetClient(ctx, "missing"); !errorsIsNotFound(err) {
		t.Errorf("UpdateClient of a missing client created it (GetClient error %v)", err)
	}
}

func testClientDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")

	wantErr(t, "DeleteClient with another pool's id", s.DeleteClient(ctx, g.pool.ID, f.c1.ID), store.ErrNotFound)
	if _, err := s.GetClient(ctx, f.c1.ID); err != nil {
		t.Errorf("GetClient after DeleteClient with the wrong pool: %v", err)
	}

	mustOK(t, "DeleteClient", s.DeleteClient(ctx, f.pool.ID, f.c1.ID))
	_, err := s.GetClient(ctx, f.c1.ID)
	wantErr(t, "GetClient after DeleteClient", err, store.ErrNotFound)
	wantErr(t, "DeleteClient again", s.DeleteClient(ctx, f.pool.ID, f.c1.ID), store.ErrNotFound)
	if _, err := s.GetClient(ctx, f.c2.ID); err != nil {
		t.Errorf("GetClient of the pool's other client: %v", err)
	}
	if _, err := s.GetPool(ctx, f.pool.ID); err != nil {
		t.Errorf("GetPool after DeleteClient: %v", err)
	}
	mustOK(t, "CreateClient with a deleted client's id", s.CreateClient(ctx, f.c1))
}

func testListClients(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustOK(t, "CreatePool", s.CreatePool(ctx, newPool("us-east-1_p1")))
	mustOK(t, "CreatePool", s.CreatePool(ctx, newPool("us-east-1_p2")))
	mine := []string{"m5", "M1", "m2", "a9", "Z0"}
	for _, id := range mine {
		mustOK(t, "CreateClient", s.CreateClient(ctx, newClient("us-east-1_p1", id)))
	}
	for _, id := range []string{"b0", "m3", "zz"} {
		mustOK(t, "CreateClient", s.CreateClient(ctx, newClient("us-east-1_p2", id)))
	}
	want := slices.Sorted(slices.Values(mine))

	all, err := s.ListClients(ctx, "us-east-1_p1", "", 100)
	mustOK(t, "ListClients", err)
	checkIDs(t, "ListClients", want, ids(all, clientID))
	for _, c := range all {
		check(t, "ListClients record "+c.ID, newClient("us-east-1_p1", c.ID), c)
	}

	var paged []string
	after := ""
	for page := 0; ; page++ {
		got, err := s.ListClients(ctx, "us-east-1_p1", after, 2)
		mustOK(t, "ListClients", err)
		if len(got) > 2 {
			t.Fatalf("ListClients(%q, 2) returned %d clients", after, len(got))
		}
		if len(got) == 0 {
			break
		}
		if page > len(mine) {
			t.Fatal("ListClients paging does not end")
		}
		paged = append(paged, ids(got, clientID)...)
		after = got[len(got)-1].ID
	}
	checkIDs(t, "ListClients paged by 2", want, paged)

	got, err := s.ListClients(ctx, "us-east-1_p1", "m2", 100)
	mustOK(t, "ListClients", err)
	checkIDs(t, "ListClients after m2", []string{"m5"}, ids(got, clientID))

	got, err = s.ListClients(ctx, "us-east-1_none", "", 100)
	mustOK(t, "ListClients of a missing pool", err)
	checkIDs(t, "ListClients of a missing pool", nil, ids(got, clientID))
}
