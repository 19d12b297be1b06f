package seed_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/seed"
	"github.com/cognate-dev/cognate/internal/testserver"
)

func mustParse(t *testing.T, name, text string) *seed.File {
	t.Helper()
	f, err := seed.Parse(name, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// snapshot is the service's state as DescribeUserPool,
// DescribeUserPoolClient and ListUsers show it, as JSON.
func snapshot(t *testing.T, c *cip.Client, poolID string) string {
	t.Helper()
	ctx := context.Background()
	p, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	var clients []any
	for _, d := range cl.UserPoolClients {
		out, err := c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: d.ClientId})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, out.UserPoolClient)
	}
	u, err := c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(map[string]any{"pool": p.UserPool, "clients": clients, "users": u.Users}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApplyExampleTwice(t *testing.T) {
	s := testserver.Start(t)
	data, err := os.ReadFile("../../cognate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := mustParse(t, "cognate.yaml", string(data))
	ctx := context.Background()
	rep := seed.Apply(ctx, s.Admin, f, seed.Options{FixedIDs: true})
	if err := rep.Err(); err != nil {
		t.Fatalf("%v: %+v", err, rep.Results)
	}
	for _, r := range rep.Results {
		if r.Action != seed.Created {
			t.Errorf("first apply: %+v", r)
		}
	}
	if p, _ := rep.Find("pool", "my-app"); p.ID != "us-east-1_LocalDev01" {
		t.Errorf("pool %+v", p)
	}
	if c, _ := rep.Find("client", "web"); c.ID != "cognatedemowebclient000001" {
		t.Errorf("client %+v", c)
	}
	before := snapshot(t, s.Admin, "us-east-1_LocalDev01")
	rep = seed.Apply(ctx, s.Admin, f, seed.Options{FixedIDs: true})
	if err := rep.Err(); err != nil {
		t.Fatalf("%v: %+v", err, rep.Results)
	}
	for _, r := range rep.Results {
		if r.Action != seed.Unchanged {
			t.Errorf("second apply: %+v", r)
		}
	}
	if after := snapshot(t, s.Admin, "us-east-1_LocalDev01"); after != before {
		t.Errorf("the second apply changed the state:\n%s\n---\n%s", before, after)
	}
	if strings.Contains(before, "Passw0rd!") {
		t.Error("the snapshot shows the password")
	}
}

const base = `pools:
  - name: shop
    id: us-east-1_Shop1
    autoVerifiedAttributes: [email]
    clients:
      - name: web
        id: shopweb
        authFlows: [ALLOW_USER_PASSWORD_AUTH]
        accessTokenValidity: 1h
        refreshTokenValidity: 30d
        refreshTokenRotation: {enabled: true, gracePeriod: 10s}
      - name: backend
        id: shopbackend
        secret: a-fixed-secret-of-24-chars-or-more
        tokenRevocation: false
    users:
      - username: alice
        password: Passw0rd!
        attributes: {email: alice@example.com}
      - username: bob
        password: Passw0rd!
        confirmed: false
      - username: carol
        password: Temp0rary!
        temporaryPassword: true
`

func TestApplyChangesOnlyWhatChanged(t *testing.T) {
	s := testserver.Start(t)
	ctx := context.Background()
	rep := seed.Apply(ctx, s.Admin, mustParse(t, "a.yaml", base), seed.Options{FixedIDs: true})
	if err := rep.Err(); err != nil {
		t.Fatalf("%v: %+v", err, rep.Results)
	}
	status := func(name string) string {
		out, err := s.Admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String("us-east-1_Shop1"), Username: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return string(out.UserStatus) + map[bool]string{true: "", false: "/disabled"}[out.Enabled]
	}
	for name, want := range map[string]string{"alice": "CONFIRMED", "bob": "UNCONFIRMED", "carol": "FORCE_CHANGE_PASSWORD"} {
		if got := status(name); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	if c, _ := rep.Find("client", "backend"); c.ID != "shopbackend" {
		t.Errorf("backend %+v", c)
	}
	out, err := s.Admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String("us-east-1_Shop1"), ClientId: aws.String("shopbackend")})
	if err != nil || aws.ToString(out.UserPoolClient.ClientSecret) != "a-fixed-secret-of-24-chars-or-more" || aws.ToBool(out.UserPoolClient.EnableTokenRevocation) {
		t.Fatalf("backend: %+v %v", out, err)
	}

	changed := strings.NewReplacer(
		"accessTokenValidity: 1h", "accessTokenValidity: 5m",
		"gracePeriod: 10s", "gracePeriod: 30s",
		"email: alice@example.com", "email: alice@example.org",
		"confirmed: false", "confirmed: true\n        enabled: false",
	).Replace(base) + `      - username: dave
        password: Passw0rd!
`
	rep = seed.Apply(ctx, s.Admin, mustParse(t, "b.yaml", changed), seed.Options{FixedIDs: true})
	if err := rep.Err(); err != nil {
		t.Fatalf("%v: %+v", err, rep.Results)
	}
	want := map[string]string{
		"pool/shop":      "unchanged",
		"client/web":     "updated accessTokenValidity, refreshTokenRotation",
		"client/backend": "unchanged",
		"user/alice":     "updated attribute email",
		"user/bob":       "updated confirmed, disabled",
		"user/carol":     "unchanged",
		"user/dave":      "created password set",
	}
	for _, r := range rep.Results {
		got := strings.TrimSpace(string(r.Action) + " " + strings.Join(r.Changes, ", "))
		if w := want[r.Kind+"/"+r.Name]; got != w {
			t.Errorf("%s %s: %q, want %q", r.Kind, r.Name, got, w)
		}
	}
	if got := status("bob"); got != "CONFIRMED/disabled" {
		t.Errorf("bob: %s", got)
	}
	web, err := s.Admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String("us-east-1_Shop1"), ClientId: aws.String("shopweb")})
	if err != nil {
		t.Fatal(err)
	}
	wc := web.UserPoolClient
	if aws.ToInt32(wc.AccessTokenValidity) != 5 || wc.TokenValidityUnits.AccessToken != "minutes" || wc.RefreshTokenValidity != 30 ||
		aws.ToInt32(wc.RefreshTokenRotation.RetryGracePeriodSeconds) != 30 || len(wc.ExplicitAuthFlows) != 2 {
		t.Errorf("web after the update: %+v", wc)
	}
	// Once more: nothing to do.
	rep = seed.Apply(ctx, s.Admin, mustParse(t, "b.yaml", changed), seed.Options{FixedIDs: true})
	if rep.Changed() || rep.Err() != nil {
		t.Errorf("third apply: %+v", rep.Results)
	}
}

func TestApplyRefusesImmutableChangesAndTakenIDs(t *testing.T) {
	s := testserver.Start(t)
	ctx := context.Background()
	if rep := seed.Apply(ctx, s.Admin, mustParse(t, "a.yaml", "pools:\n  - name: p\n    id: us-east-1_P1\n    usernameAttributes: [email]\n"),
		seed.Options{FixedIDs: true}); rep.Err() != nil {
		t.Fatal(rep.Results)
	}
	rep := seed.Apply(ctx, s.Admin, mustParse(t, "a.yaml", "pools:\n  - name: p\n    id: us-east-1_P1\n    usernameAttributes: [phone_number]\n"),
		seed.Options{FixedIDs: true})
	if r := rep.Results[0]; r.Action != seed.Failed || !strings.Contains(r.Error, "usernameAttributes cannot change") || r.Line != 2 {
		t.Errorf("%+v", r)
	}
	// The name is taken by another id.
	rep = seed.Apply(ctx, s.Admin, mustParse(t, "a.yaml", "pools:\n  - name: p\n    id: us-east-1_P2\n"), seed.Options{FixedIDs: true})
	if r := rep.Results[0]; r.Action != seed.Failed || !strings.Contains(r.Error, "exists with id us-east-1_P1") {
		t.Errorf("%+v", r)
	}
	// Groups and memberships are applied, and applied again change nothing.
	groups := `pools:
  - name: g
    groups: [{name: admins, description: Administrators, precedence: 1}, {name: readers}]
    users:
      - {username: u, password: Passw0rd!, groups: [admins, readers]}
`
	rep = seed.Apply(ctx, s.Admin, mustParse(t, "a.yaml", groups), seed.Options{})
	g, _ := rep.Find("group", "admins")
	u, _ := rep.Find("user", "u")
	if g.Action != seed.Created || u.Action != seed.Created || u.ID == "" || rep.Err() != nil ||
		!slices.Contains(u.Changes, "added to admins") || !slices.Contains(u.Changes, "added to readers") {
		t.Errorf("groups: %+v", rep.Results)
	}
	poolID := g.PoolID
	got, err := s.Admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String("admins")})
	if err != nil || aws.ToString(got.Group.Description) != "Administrators" || aws.ToInt32(got.Group.Precedence) != 1 {
		t.Fatalf("GetGroup: %+v, %v", got, err)
	}
	if rep = seed.Apply(ctx, s.Admin, mustParse(t, "a.yaml", groups), seed.Options{}); rep.Changed() || rep.Err() != nil {
		t.Errorf("groups applied again: %+v", rep.Results)
	}
	// An edited file updates the group and makes the memberships exactly
	// the file's.
	rep = seed.Apply(ctx, s.Admin, mustParse(t, "a.yaml", `pools:
  - name: g
    groups: [{name: admins, description: Admins, precedence: 2}, {name: readers}]
    users:
      - {username: u, password: Passw0rd!, groups: [readers]}
`), seed.Options{})
	g, _ = rep.Find("group", "admins")
	u, _ = rep.Find("user", "u")
	if g.Action != seed.Updated || !slices.Equal(g.Changes, []string{"description", "precedence"}) ||
		u.Action != seed.Updated || !slices.Equal(u.Changes, []string{"removed from admins"}) || rep.Err() != nil {
		t.Errorf("groups edited: %+v", rep.Results)
	}
	mine, err := s.Admin.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: aws.String(poolID), Username: aws.String("u")})
	if err != nil || len(mine.Groups) != 1 || aws.ToString(mine.Groups[0].GroupName) != "readers" {
		t.Errorf("u's groups: %+v, %v", mine, err)
	}
	// A group the service refuses fails, and so do memberships of it; the
	// rest is applied.
	rep = seed.Apply(ctx, s.Admin, mustParse(t, "a.yaml", `pools:
  - name: g
    groups: [{name: bad, precedence: -1}]
    users:
      - {username: v, password: Passw0rd!, groups: [bad]}
`), seed.Options{})
	g, _ = rep.Find("group", "bad")
	u, _ = rep.Find("user", "v")
	if g.Action != seed.Failed || !strings.Contains(g.Error, "CreateGroup") || u.Action != seed.Failed || u.ID == "" || rep.Err() == nil {
		t.Errorf("a refused group: %+v", rep.Results)
	}
	// Without FixedIDs (Amazon Cognito), ids are not sent: matched by name.
	rep = seed.Apply(ctx, s.Admin, mustParse(t, "a.yaml", "pools:\n  - name: q\n    id: us-east-1_Q1\n"), seed.Options{})
	if r := rep.Results[0]; r.Action != seed.Created || r.ID == "us-east-1_Q1" || !strings.Contains(r.Note, "Cognate extension") {
		t.Errorf("%+v", r)
	}
	rep = seed.Apply(ctx, s.Admin, mustParse(t, "a.yaml", "pools:\n  - name: q\n    id: us-east-1_Q1\n"), seed.Options{})
	if r := rep.Results[0]; r.Action != seed.Unchanged {
		t.Errorf("%+v", r)
	}
}
