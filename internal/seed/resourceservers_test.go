package seed_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/seed"
	"github.com/cognate-dev/cognate/internal/testserver"
)

const withResourceServer = `pools:
  - name: machines
    resourceServers:
      - identifier: https://api.example.com
        name: api
        scopes:
          - {name: read, description: Read things}
    clients:
      - name: worker
        generateSecret: true
        oauth:
          flows: [client_credentials]
          scopes: [https://api.example.com/read]
`

// TestApplyResourceServers: a resource server is created before the
// client that names its scope, left alone when unchanged, and updated
// (scopes replaced) when the file changes.
func TestApplyResourceServers(t *testing.T) {
	s := testserver.Start(t)
	ctx := context.Background()
	rep := seed.Apply(ctx, s.Admin, mustParse(t, "seed.yaml", withResourceServer), seed.Options{})
	if err := rep.Err(); err != nil {
		t.Fatalf("%v: %+v", err, rep.Results)
	}
	r, ok := rep.Find("resource server", "https://api.example.com")
	if !ok || r.Action != seed.Created {
		t.Fatalf("resource server: %+v", r)
	}
	pool, _ := rep.Find("pool", "machines")
	rep = seed.Apply(ctx, s.Admin, mustParse(t, "seed.yaml", withResourceServer), seed.Options{})
	if r, _ := rep.Find("resource server", "https://api.example.com"); r.Action != seed.Unchanged {
		t.Errorf("second apply: %+v", r)
	}
	changed := withResourceServer[:len(withResourceServer)-len("          scopes: [https://api.example.com/read]\n")] +
		"          scopes: [https://api.example.com/read, https://api.example.com/write]\n"
	changed = strings.Replace(changed, "- {name: read, description: Read things}", "- {name: read, description: Read things}\n          - {name: write, description: Write things}", 1)
	rep = seed.Apply(ctx, s.Admin, mustParse(t, "seed.yaml", changed), seed.Options{})
	if err := rep.Err(); err != nil {
		t.Fatalf("%v: %+v", err, rep.Results)
	}
	if r, _ := rep.Find("resource server", "https://api.example.com"); r.Action != seed.Updated || !slices.Contains(r.Changes, "scopes") {
		t.Errorf("apply of new scopes: %+v", r)
	}
	out, err := s.Admin.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: aws.String(pool.ID),
		Identifier: aws.String("https://api.example.com")})
	if err != nil || len(out.ResourceServer.Scopes) != 2 {
		t.Fatalf("DescribeResourceServer: %v %+v", err, out)
	}
}
