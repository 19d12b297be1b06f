package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// iacTests are the conformance tests of store.Domains,
// store.ResourceServers and store.PoolEdits.
var iacTests = []test{
	{"Domains", testDomains},
	{"DomainCreateConcurrent", testDomainCreateConcurrent},
	{"ResourceServers", testResourceServers},
	{"ResourceServersPaging", testResourceServersPaging},
	{"IaCCascades", testIaCCascades},
	{"EditPool", testEditPool},
	{"EditPoolConcurrent", testEditPoolConcurrent},
}

func init() { tests = append(tests, iacTests...) }

func domainName(d *store.Domain) string { return d.Domain }

func rsID(rs *store.ResourceServer) string { return rs.Identifier }

func newDomain(poolID, name, cert string) *store.Domain {
	return &store.Domain{Domain: name, PoolID: poolID, CertificateArn: cert, CloudFrontDistribution: name + ".cloudfront.example",
		Version: "20260101000000", ManagedLoginVersion: 1, CreatedAt: at(time.Minute), UpdatedAt: at(2 * time.Minute)}
}

func checkDomain(t *testing.T, what string, want, got *store.Domain) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: no domain, want %+v", what, want)
		return
	}
	if !same(want.CreatedAt, got.CreatedAt) || !same(want.UpdatedAt, got.UpdatedAt) {
		t.Errorf("%s: times %v %v, want %v %v", what, got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	w, g := *want, *got
	w.CreatedAt, w.UpdatedAt, g.CreatedAt, g.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if w != g {
		t.Errorf("%s: got %+v, want %+v", what, g, w)
	}
}

func testDomains(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := setup(t, s, "us-east-1_p")
	q := setup(t, s, "us-east-1_q")
	prefix := newDomain(p.pool.ID, "myprefix", "")
	mustOK(t, "CreateDomain prefix", s.CreateDomain(ctx, prefix))
	got, err := s.GetDomain(ctx, "myprefix")
	mustOK(t, "GetDomain", err)
	checkDomain(t, "GetDomain", prefix, got)
	custom := newDomain(p.pool.ID, "auth.example.com", "arn:aws:acm:us-east-1:123456789012:certificate/abc")
	mustOK(t, "CreateDomain custom beside the prefix one", s.CreateDomain(ctx, custom))

	wantErr(t, "a second prefix domain of the pool", s.CreateDomain(ctx, newDomain(p.pool.ID, "other", "")), store.ErrConflict)
	wantErr(t, "a second custom domain of the pool",
		s.CreateDomain(ctx, newDomain(p.pool.ID, "login.example.com", "arn:aws:acm:us-east-1:1:certificate/x")), store.ErrConflict)
	wantErr(t, "a name another pool holds", s.CreateDomain(ctx, newDomain(q.pool.ID, "myprefix", "")), store.ErrConflict)
	wantErr(t, "a missing pool", s.CreateDomain(ctx, newDomain("us-east-1_none", "free", "")), store.ErrNotFound)
	_, err = s.GetDomain(ctx, "free")
	wantErr(t, "GetDomain of a missing domain", err, store.ErrNotFound)

	list, err := s.ListPoolDomains(ctx, p.pool.ID)
	mustOK(t, "ListPoolDomains", err)
	checkIDs(t, "ListPoolDomains", []string{"auth.example.com", "myprefix"}, ids(list, domainName))
	list, err = s.ListPoolDomains(ctx, q.pool.ID)
	mustOK(t, "ListPoolDomains of a pool without", err)
	checkIDs(t, "ListPoolDomains of a pool without", nil, ids(list, domainName))

	custom.CertificateArn, custom.Version, custom.ManagedLoginVersion, custom.UpdatedAt = "arn:aws:acm:us-east-1:1:certificate/new", "v2", 2, at(time.Hour)
	mustOK(t, "UpdateDomain", s.UpdateDomain(ctx, custom))
	got, err = s.GetDomain(ctx, custom.Domain)
	mustOK(t, "GetDomain after UpdateDomain", err)
	checkDomain(t, "GetDomain after UpdateDomain", custom, got)
	other := *custom
	other.PoolID = q.pool.ID
	wantErr(t, "UpdateDomain through another pool", s.UpdateDomain(ctx, &other), store.ErrNotFound)
	wantErr(t, "DeleteDomain through another pool", s.DeleteDomain(ctx, q.pool.ID, custom.Domain), store.ErrNotFound)
	mustOK(t, "DeleteDomain", s.DeleteDomain(ctx, p.pool.ID, custom.Domain))
	wantErr(t, "DeleteDomain twice", s.DeleteDomain(ctx, p.pool.ID, custom.Domain), store.ErrNotFound)
	// The name is free again, for any pool.
	again := newDomain(q.pool.ID, "auth.example.com", "arn:aws:acm:us-east-1:1:certificate/q")
	mustOK(t, "CreateDomain of a freed name", s.CreateDomain(ctx, again))
}

// testDomainCreateConcurrent races pools for one name: exactly one wins,
// the others get ErrConflict.
func testDomainCreateConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 6
	for i := range n {
		setup(t, s, fmt.Sprintf("us-east-1_r%d", i))
	}
	for round := range 3 {
		name := fmt.Sprintf("race%d", round)
		var won atomic.Int32
		race(n, func(i int) {
			err := s.CreateDomain(ctx, newDomain(fmt.Sprintf("us-east-1_r%d", i), name, ""))
			switch {
			case err == nil:
				won.Add(1)
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("CreateDomain racing: %v, want nil or ErrConflict", err)
			}
		})
		if won.Load() != 1 {
			t.Fatalf("round %d: %d creations won, want exactly 1", round, won.Load())
		}
		d, err := s.GetDomain(ctx, name)
		mustOK(t, "GetDomain of the winner", err)
		mustOK(t, "DeleteDomain of the winner", s.DeleteDomain(ctx, d.PoolID, name))
	}
}

func newResourceServer(poolID, id string) *store.ResourceServer {
	return &store.ResourceServer{PoolID: poolID, Identifier: id, Name: "server " + id,
		Scopes: []byte(`[{"ScopeName":"read","ScopeDescription":"Read"}]`), CreatedAt: at(time.Minute), UpdatedAt: at(2 * time.Minute)}
}

func checkResourceServer(t *testing.T, what string, want, got *store.ResourceServer) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: none, want %+v", what, want)
		return
	}
	if got.PoolID != want.PoolID || got.Identifier != want.Identifier || got.Name != want.Name ||
		string(got.Scopes) != string(want.Scopes) || !same(want.CreatedAt, got.CreatedAt) || !same(want.UpdatedAt, got.UpdatedAt) {
		t.Errorf("%s: got %+v (scopes %s), want %+v (scopes %s)", what, got, got.Scopes, want, want.Scopes)
	}
}

func testResourceServers(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := setup(t, s, "us-east-1_p")
	q := setup(t, s, "us-east-1_q")
	rs := newResourceServer(p.pool.ID, "https://api.example.com")
	mustOK(t, "CreateResourceServer", s.CreateResourceServer(ctx, rs))
	got, err := s.GetResourceServer(ctx, p.pool.ID, rs.Identifier)
	mustOK(t, "GetResourceServer", err)
	checkResourceServer(t, "GetResourceServer", rs, got)
	wantErr(t, "CreateResourceServer twice", s.CreateResourceServer(ctx, newResourceServer(p.pool.ID, rs.Identifier)), store.ErrConflict)
	mustOK(t, "the same identifier in another pool", s.CreateResourceServer(ctx, newResourceServer(q.pool.ID, rs.Identifier)))
	wantErr(t, "a missing pool", s.CreateResourceServer(ctx, newResourceServer("us-east-1_none", "x")), store.ErrNotFound)
	_, err = s.GetResourceServer(ctx, p.pool.ID, "missing")
	wantErr(t, "GetResourceServer of a missing one", err, store.ErrNotFound)

	empty := &store.ResourceServer{PoolID: p.pool.ID, Identifier: "bare", Name: "bare", Scopes: []byte(`[]`), CreatedAt: at(0), UpdatedAt: at(0)}
	mustOK(t, "CreateResourceServer without scopes", s.CreateResourceServer(ctx, empty))
	got, err = s.GetResourceServer(ctx, p.pool.ID, "bare")
	mustOK(t, "GetResourceServer", err)
	checkResourceServer(t, "a resource server without scopes", empty, got)

	rs.Name, rs.Scopes, rs.UpdatedAt = "renamed", []byte(`[{"ScopeName":"write","ScopeDescription":"Write"}]`), at(time.Hour)
	mustOK(t, "UpdateResourceServer", s.UpdateResourceServer(ctx, rs))
	got, err = s.GetResourceServer(ctx, p.pool.ID, rs.Identifier)
	mustOK(t, "GetResourceServer after update", err)
	checkResourceServer(t, "after UpdateResourceServer", rs, got)
	got, err = s.GetResourceServer(ctx, q.pool.ID, rs.Identifier)
	mustOK(t, "GetResourceServer of the other pool", err)
	if got.Name == "renamed" {
		t.Errorf("UpdateResourceServer reached another pool's resource server")
	}
	wantErr(t, "UpdateResourceServer of a missing one", s.UpdateResourceServer(ctx, newResourceServer(p.pool.ID, "missing")), store.ErrNotFound)
	mustOK(t, "DeleteResourceServer", s.DeleteResourceServer(ctx, p.pool.ID, rs.Identifier))
	wantErr(t, "DeleteResourceServer twice", s.DeleteResourceServer(ctx, p.pool.ID, rs.Identifier), store.ErrNotFound)
	_, err = s.GetResourceServer(ctx, q.pool.ID, rs.Identifier)
	mustOK(t, "the other pool's resource server survives", err)
}

func testResourceServersPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := setup(t, s, "us-east-1_p")
	var want []string
	for i := range 7 {
		id := fmt.Sprintf("rs%02d", i)
		want = append(want, id)
		mustOK(t, "CreateResourceServer", s.CreateResourceServer(ctx, newResourceServer(p.pool.ID, id)))
	}
	var got []string
	after := ""
	for {
		page, err := s.ListResourceServers(ctx, p.pool.ID, after, 3)
		mustOK(t, "ListResourceServers", err)
		if len(page) > 3 {
			t.Fatalf("page of %d, limit 3", len(page))
		}
		got = append(got, ids(page, rsID)...)
		if len(page) < 3 {
			break
		}
		after = page[len(page)-1].Identifier
	}
	checkIDs(t, "ListResourceServers paged", want, got)
	all, err := s.ListResourceServers(ctx, p.pool.ID, "", 0)
	mustOK(t, "ListResourceServers unlimited", err)
	checkIDs(t, "ListResourceServers unlimited", want, ids(all, rsID))
}

// testIaCCascades: a pool's domains and resource servers go with it.
func testIaCCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := setup(t, s, "us-east-1_p")
	mustOK(t, "CreateDomain", s.CreateDomain(ctx, newDomain(p.pool.ID, "gone", "")))
	mustOK(t, "CreateResourceServer", s.CreateResourceServer(ctx, newResourceServer(p.pool.ID, "api")))
	mustOK(t, "DeletePool", s.DeletePool(ctx, p.pool.ID))
	_, err := s.GetDomain(ctx, "gone")
	wantErr(t, "the domain of a deleted pool", err, store.ErrNotFound)
	list, err := s.ListResourceServers(ctx, p.pool.ID, "", 0)
	mustOK(t, "ListResourceServers of a deleted pool", err)
	checkIDs(t, "resource servers of a deleted pool", nil, ids(list, rsID))
	setup(t, s, "us-east-1_p")
	mustOK(t, "the name is free after the pool's deletion", s.CreateDomain(ctx, newDomain(p.pool.ID, "gone", "")))
}

func testEditPool(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := setup(t, s, "us-east-1_p")
	mustOK(t, "EditPool", s.EditPool(ctx, p.pool.ID, func(cur *store.Pool) error {
		if cur.Name != p.pool.Name || string(cur.Settings) != string(p.pool.Settings) {
			t.Errorf("EditPool read %+v, want %+v", cur, p.pool)
		}
		cur.Name, cur.Settings, cur.UpdatedAt = "edited", []byte(`{"edited":true}`), at(time.Hour)
		return nil
	}))
	got, err := s.GetPool(ctx, p.pool.ID)
	mustOK(t, "GetPool", err)
	if got.Name != "edited" || string(got.Settings) != `{"edited":true}` || !same(got.UpdatedAt, at(time.Hour)) || !same(got.CreatedAt, p.pool.CreatedAt) {
		t.Errorf("after EditPool: %+v (settings %s)", got, got.Settings)
	}
	boom := errors.New("boom")
	err = s.EditPool(ctx, p.pool.ID, func(cur *store.Pool) error {
		cur.Name = "not stored"
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("EditPool with a failing edit: %v, want the edit's error", err)
	}
	got, err = s.GetPool(ctx, p.pool.ID)
	mustOK(t, "GetPool", err)
	if got.Name != "edited" {
		t.Errorf("a failed edit was stored: %q", got.Name)
	}
	wantErr(t, "EditPool of a missing pool", s.EditPool(ctx, "us-east-1_none", func(*store.Pool) error { return nil }), store.ErrNotFound)
}

// testEditPoolConcurrent: concurrent edits each add a key to the settings;
// none is lost.
func testEditPoolConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := setup(t, s, "us-east-1_p")
	mustOK(t, "UpdatePool", s.UpdatePool(ctx, &store.Pool{ID: p.pool.ID, Name: p.pool.Name, Settings: []byte(`{}`),
		CreatedAt: p.pool.CreatedAt, UpdatedAt: p.pool.UpdatedAt}))
	const n = 8
	race(n, func(i int) {
		err := s.EditPool(ctx, p.pool.ID, func(cur *store.Pool) error {
			m := map[string]int{}
			if err := json.Unmarshal(cur.Settings, &m); err != nil {
				return err
			}
			m[fmt.Sprintf("k%d", i)] = i
			b, err := json.Marshal(m)
			cur.Settings = b
			return err
		})
		if err != nil {
			t.Errorf("EditPool %d: %v", i, err)
		}
	})
	got, err := s.GetPool(ctx, p.pool.ID)
	mustOK(t, "GetPool", err)
	m := map[string]int{}
	mustOK(t, "settings", json.Unmarshal(got.Settings, &m))
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) != n {
		t.Errorf("after %d concurrent edits the settings hold %v: edits were lost", n, keys)
	}
}
