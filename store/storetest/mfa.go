package storetest

import (
	"bytes"
	"testing"

	"github.com/cognate-dev/cognate/store"
)

// testUserMFA checks that a user's MFA document round-trips byte for byte
// through CreateUser, UpdateUser and every read, and that nil stays nil.
func testUserMFA(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustOK(t, "CreatePool", s.CreatePool(ctx, newPool("us-east-1_p")))
	u := newUser("us-east-1_p", "alice")
	mustOK(t, "CreateUser", s.CreateUser(ctx, u))
	got, err := s.GetUser(ctx, u.PoolID, u.Username)
	mustOK(t, "GetUser", err)
	if got.MFA != nil {
		t.Fatalf("GetUser: MFA = %q, want nil", got.MFA)
	}
	doc := []byte(`{"totp":"AAECAwQ=","enabled":["SOFTWARE_TOKEN_MFA"]}` + "\x00\xff")
	got.MFA = doc
	mustOK(t, "UpdateUser", s.UpdateUser(ctx, got))
	for name, read := range map[string]func() (*store.User, error){
		"GetUser":      func() (*store.User, error) { return s.GetUser(ctx, u.PoolID, u.Username) },
		"GetUserBySub": func() (*store.User, error) { return s.GetUserBySub(ctx, u.PoolID, u.Sub) },
	} {
		r, err := read()
		mustOK(t, name, err)
		if !bytes.Equal(r.MFA, doc) {
			t.Errorf("%s: MFA = %q, want %q", name, r.MFA, doc)
		}
	}
	v := newUser("us-east-1_p", "victor")
	v.MFA = doc
	mustOK(t, "CreateUser", s.CreateUser(ctx, v))
	r, err := s.GetUser(ctx, v.PoolID, v.Username)
	mustOK(t, "GetUser", err)
	if !bytes.Equal(r.MFA, doc) {
		t.Errorf("CreateUser: MFA = %q, want %q", r.MFA, doc)
	}
}
