package userpool_test

import (
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/userpool"
)

func TestFixedPoolID(t *testing.T) {
	e := newEnv(t)
	tags := map[string]string{userpool.PoolIDTag: "us-east-1_Fixed123", "team": "web"}
	p, err := e.svc.CreateUserPool(e.ctx(), "fixed", userpool.PoolConfig{UserPoolTags: tags})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "us-east-1_Fixed123" {
		t.Fatalf("id %q, want the tag's", p.ID)
	}
	if got, err := e.svc.DescribeUserPool(e.ctx(), "us-east-1_Fixed123"); err != nil || got.Name != "fixed" ||
		got.Config.UserPoolTags[userpool.PoolIDTag] != "us-east-1_Fixed123" {
		t.Fatalf("describe: %+v, %v", got, err)
	}
	// Its keys were made with it: a client and a sign-in work.
	c, err := e.svc.CreateUserPoolClient(e.ctx(), userpool.ClientInput{PoolID: p.ID, Name: "app",
		Config: userpool.ClientConfig{ExplicitAuthFlows: []string{"ALLOW_USER_PASSWORD_AUTH"}}})
	if err != nil {
		t.Fatal(err)
	}
	if c.PoolID != p.ID {
		t.Fatalf("client of %q", c.PoolID)
	}

	for _, c := range []struct{ id, msg string }{
		{"us-east-1_Fixed123", "User pool us-east-1_Fixed123 already exists"},
		{"eu-west-1_Fixed123", "region eu-west-1 is not this server's region us-east-1"},
		{"us-east-1_", "must be a user pool id"},
		{"us-east-1_has-dash", "must be a user pool id"},
		{"nounderscore", "must be a user pool id"},
		{"us-east-1_" + strings.Repeat("a", 50), "at most 55 characters"},
		{"", "must be a user pool id"},
	} {
		_, err := e.svc.CreateUserPool(e.ctx(), "again", userpool.PoolConfig{UserPoolTags: map[string]string{userpool.PoolIDTag: c.id}})
		if ae := userpool.AsError(err); ae == nil || ae.Kind != userpool.KindInvalid || !strings.Contains(ae.Error(), c.msg) {
			t.Errorf("tag %q: %v, want InvalidParameter %q", c.id, err, c.msg)
		}
	}
	// Without the tag ids stay random and of the region.
	q, err := e.svc.CreateUserPool(e.ctx(), "random", userpool.PoolConfig{UserPoolTags: map[string]string{"team": "web"}})
	if err != nil || !strings.HasPrefix(q.ID, "us-east-1_") || q.ID == p.ID {
		t.Fatalf("random pool %v, %v", q, err)
	}
}

func TestFixedClientID(t *testing.T) {
	e := newEnv(t)
	in := userpool.ClientInput{PoolID: e.pool, ClientID: "webclient0000000000000001", Name: "web",
		Secret: "a-fixed-secret-of-24-chars-or-more"}
	c, err := e.svc.CreateUserPoolClient(e.ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != in.ClientID || c.Secret != in.Secret {
		t.Fatalf("client %s/%s, want the chosen id and secret", c.ID, c.Secret)
	}
	got, err := e.svc.DescribeUserPoolClient(e.ctx(), e.pool, in.ClientID)
	if err != nil || got.Name != "web" {
		t.Fatalf("describe: %+v, %v", got, err)
	}
	for _, c := range []struct{ id, msg string }{
		{in.ClientID, "App client webclient0000000000000001 already exists"},
		{e.app.ID, "already exists"},
		{"has space", "ClientId must be"},
		{"slash/", "ClientId must be"},
		{strings.Repeat("a", 129), "ClientId must be"},
	} {
		_, err := e.svc.CreateUserPoolClient(e.ctx(), userpool.ClientInput{PoolID: e.pool, ClientID: c.id, Name: "again"})
		if ae := userpool.AsError(err); ae == nil || ae.Kind != userpool.KindInvalid || !strings.Contains(ae.Error(), c.msg) {
			t.Errorf("id %q: %v, want InvalidParameter %q", c.id, err, c.msg)
		}
	}
}
