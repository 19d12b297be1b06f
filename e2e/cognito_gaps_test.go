package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// Behaviours where Cognate once differed from Amazon Cognito.

// listUsernames runs ListUsers with a filter and returns the usernames.
func listUsernames(t *testing.T, c *cip.Client, poolID, filter string) []string {
	t.Helper()
	out, err := c.ListUsers(bg, &cip.ListUsersInput{UserPoolId: &poolID, Filter: aws.String(filter)})
	if err != nil {
		t.Fatalf("ListUsers %s: %v", filter, err)
	}
	var names []string
	for _, u := range out.Users {
		names = append(names, aws.ToString(u.Username))
	}
	return names
}

// A case-insensitive pool takes every username input without case, the
// ListUsers filter included; a case-sensitive pool (the default) does not.
func TestListUsersUsernameFilterFollowsPoolCase(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	for _, sensitive := range []bool{false, true} {
		p, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("case"),
			UsernameConfiguration: &types.UsernameConfigurationType{CaseSensitive: aws.Bool(sensitive)}})
		if err != nil {
			t.Fatal(err)
		}
		poolID := aws.ToString(p.UserPool.Id)
		for _, name := range []string{"Bob", "bobby", "alice"} {
			if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String(name),
				MessageAction: types.MessageActionTypeSuppress}); err != nil {
				t.Fatal(err)
			}
		}
		eq := listUsernames(t, c, poolID, `username = "BOB"`)
		prefix := listUsernames(t, c, poolID, `username ^= "BO"`)
		exact := listUsernames(t, c, poolID, `username = "alice"`)
		if len(exact) != 1 {
			t.Fatalf("sensitive=%v: exact filter found %v", sensitive, exact)
		}
		if sensitive {
			if len(eq) != 0 || len(prefix) != 0 {
				t.Fatalf("case-sensitive pool: = found %v, ^= found %v; want none", eq, prefix)
			}
			continue
		}
		if len(eq) != 1 || len(prefix) != 2 {
			t.Fatalf("case-insensitive pool: = found %v (want bob), ^= found %v (want bob, bobby)", eq, prefix)
		}
	}
}

// In a pool whose users sign in with an e-mail address or phone number,
// the invitation's {username} is that address or number, not the username
// Cognito generates.
func TestInvitationShowsSignInName(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	for _, tc := range []struct {
		attr   types.UsernameAttributeType
		name   string
		medium types.DeliveryMediumType
	}{
		{types.UsernameAttributeTypeEmail, "ann@example.com", types.DeliveryMediumTypeEmail},
		{types.UsernameAttributeTypePhoneNumber, "+15555550123", types.DeliveryMediumTypeSms},
	} {
		p, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("invite"),
			UsernameAttributes: []types.UsernameAttributeType{tc.attr}})
		if err != nil {
			t.Fatal(err)
		}
		poolID := aws.ToString(p.UserPool.Id)
		u, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String(tc.name),
			DesiredDeliveryMediums: []types.DeliveryMediumType{tc.medium}})
		if err != nil {
			t.Fatal(err)
		}
		generated := aws.ToString(u.User.Username)
		msgs := s.Outbox.List(poolID, tc.name)
		if len(msgs) != 1 {
			t.Fatalf("%s: %d messages to %s, want the invitation", tc.attr, len(msgs), tc.name)
		}
		if body := msgs[0].Body; !strings.Contains(body, "Your username is "+tc.name+" and") || strings.Contains(body, generated) {
			t.Fatalf("%s: invitation %q, want it to name %s and not %s", tc.attr, body, tc.name, generated)
		}
	}
}
