package auth_test

import (
	"context"
	"testing"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/internal/testserver"
)

func TestSmoke(t *testing.T) {
	srv := testserver.Start(t)
	pool, client, _ := srv.NewPool(t)
	srv.NewUser(t, pool, "alice", "Passw0rd!x")
	c, err := auth.New(auth.Config{UserPoolID: pool, ClientID: client, Endpoint: srv.URL, Region: srv.Region})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, err := c.SignIn(ctx, "alice", "Passw0rd!x", auth.SignInOptions{})
	t.Logf("%+v %v", r, err)
	s, err := c.FetchAuthSession(ctx, auth.FetchAuthSessionOptions{ForceRefresh: true})
	t.Logf("%v %v", s, err)
	res := c.SignOut(ctx, auth.SignOutOptions{Global: true})
	t.Logf("%#v %v", res, res.Err())
}
