package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/trigger/triggertest"
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

// A migrated user gets Cognito's welcome message unless the UserMigration
// function answers messageAction SUPPRESS: by SMS unless it asks for EMAIL
// in desiredDeliveryMediums. The message never carries the password.
func TestMigratedUserWelcomeMessage(t *testing.T) {
	const legacyPass = "Legacy-pass1!"
	mig := func(_ context.Context, raw json.RawMessage) (any, error) {
		var ev triggerEvent
		_ = json.Unmarshal(raw, &ev)
		resp := map[string]any{"userAttributes": map[string]string{"email": ev.UserName + "@example.com", "email_verified": "true",
			"phone_number":          map[string]string{"sms": "+15555550101", "mail": "+15555550102", "quiet": "+15555550103"}[ev.UserName],
			"phone_number_verified": "true"}, "finalUserStatus": "CONFIRMED"}
		switch ev.UserName {
		case "mail":
			resp["desiredDeliveryMediums"] = []string{"EMAIL"}
		case "quiet":
			resp["messageAction"] = "SUPPRESS"
			resp["desiredDeliveryMediums"] = []string{"EMAIL", "SMS"}
		}
		return triggertest.Respond(raw, resp)
	}
	e := newTriggerEnv(t, map[string]triggertest.Func{"mig": mig}, map[string]string{"UserMigration": "mig"}, testserver.Options{})
	for _, name := range []string{"sms", "mail", "quiet"} {
		signIn(t, e.srv.Admin, e.client, name, legacyPass)
	}
	sent := func(dest string) []string {
		var bodies []string
		for _, m := range e.srv.Outbox.List(e.pool, dest) {
			if strings.Contains(m.Body, legacyPass) || strings.Contains(m.Subject, legacyPass) {
				t.Fatalf("the welcome message to %s carries the password: %q", dest, m.Body)
			}
			bodies = append(bodies, m.Body)
		}
		return bodies
	}
	if got := sent("+15555550101"); len(got) != 1 || !strings.Contains(got[0], "Your username is sms") {
		t.Fatalf("default medium: SMS messages %q, want one welcome message", got)
	}
	if got := sent("sms@example.com"); len(got) != 0 {
		t.Fatalf("default medium: e-mails %q, want none", got)
	}
	if got := sent("mail@example.com"); len(got) != 1 || !strings.Contains(got[0], "Your username is mail") {
		t.Fatalf("EMAIL: e-mails %q, want one welcome message", got)
	}
	if got := sent("+15555550102"); len(got) != 0 {
		t.Fatalf("EMAIL: SMS messages %q, want none", got)
	}
	if got := append(sent("quiet@example.com"), sent("+15555550103")...); len(got) != 0 {
		t.Fatalf("SUPPRESS: messages %q, want none", got)
	}
}

// A CustomMessage function that fails on an invitation fails
// AdminCreateUser with its error, as Cognito answers a message it could
// not send; the user exists all the same (in FORCE_CHANGE_PASSWORD), and
// no message goes out.
func TestInvitationCustomMessageFailure(t *testing.T) {
	e := newTriggerEnv(t, map[string]triggertest.Func{
		"msg": func(context.Context, json.RawMessage) (any, error) { return nil, errors.New("Boom") },
	}, map[string]string{"CustomMessage": "msg"}, testserver.Options{})
	c := e.srv.Admin
	create := func(action types.MessageActionType) error {
		_, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &e.pool, Username: aws.String("lou"), MessageAction: action,
			DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
			UserAttributes:         []types.AttributeType{{Name: aws.String("email"), Value: aws.String("lou@example.com")}}})
		return err
	}
	wantAPIError[*types.UserLambdaValidationException](t, create(""), "CustomMessage failed with error Boom.")
	e.common(e.last("msg", 1), "CustomMessage_AdminCreateUser", "", "lou")
	u, err := c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &e.pool, Username: aws.String("lou")})
	if err != nil || u.UserStatus != types.UserStatusTypeForceChangePassword {
		t.Fatalf("the user after a failed invitation: %v %v", u, err)
	}
	wantAPIError[*types.UserLambdaValidationException](t, create(types.MessageActionTypeResend), "CustomMessage failed with error Boom.")
	if n := len(e.srv.Outbox.List(e.pool, "lou@example.com")); n != 0 {
		t.Fatalf("%d invitations sent", n)
	}
	// SUPPRESS runs no function: RESEND aside, the user exists already.
	wantAPIError[*types.UsernameExistsException](t, create(types.MessageActionTypeSuppress), "")
	e.last("msg", 2)
}

// The discovery document has Cognito's members and no others, and lists
// the OIDC scopes only: not aws.cognito.signin.user.admin, not a resource
// server's scopes.
func TestDiscoveryDocumentMatchesCognito(t *testing.T) {
	s := testserver.Start(t)
	h := newHostedUI(t, s)
	if _, err := s.Admin.CreateResourceServer(bg, &cip.CreateResourceServerInput{UserPoolId: &h.pool, Identifier: aws.String("https://api.example.com"),
		Name: aws.String("api"), Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("read")}}}); err != nil {
		t.Fatal(err)
	}
	r := h.get(h.url("/.well-known/openid-configuration"))
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("discovery: %d %s", r.status, r.header.Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"authorization_endpoint", "end_session_endpoint", "id_token_signing_alg_values_supported", "issuer", "jwks_uri",
		"response_types_supported", "revocation_endpoint", "scopes_supported", "subject_types_supported", "token_endpoint",
		"token_endpoint_auth_methods_supported", "userinfo_endpoint"}
	if !slices.Equal(keys, want) {
		t.Fatalf("members %v, want %v", keys, want)
	}
	b, _ := json.Marshal(doc["scopes_supported"])
	if string(b) != `["openid","email","phone","profile"]` {
		t.Fatalf("scopes_supported = %s", b)
	}
	// encoding/json writes the members sorted, as Cognito's document has them.
	if i, j := strings.Index(r.body, `"authorization_endpoint"`), strings.Index(r.body, `"userinfo_endpoint"`); i < 0 || j < i {
		t.Fatalf("members out of order: %s", r.body)
	}
}
