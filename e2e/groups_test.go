package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/verify"
)

// signedGroupsServer is a server that wants admin signatures, with a
// signed SDK client as its Admin.
func signedGroupsServer(t *testing.T) *testserver.Server {
	t.Helper()
	const akid, secret = "AKIDGROUPSTEST000001", "groups-test-secret-0001"
	s := testserver.StartWith(t, testserver.Options{AdminCredentials: map[string]string{akid: secret}})
	s.Admin = cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL),
		Credentials: credentials.NewStaticCredentialsProvider(akid, secret, "")})
	return s
}

// groupNames lists the names of groups.
func groupNames(gs []types.GroupType) []string {
	out := []string{}
	for _, g := range gs {
		out = append(out, aws.ToString(g.GroupName))
	}
	return out
}

// strClaim reads a claim that is an array of strings (nil when absent).
func strClaim(t *testing.T, m map[string]any, name string) []string {
	t.Helper()
	v, ok := m[name]
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		t.Fatalf("%s = %v, not an array", name, v)
	}
	var out []string
	for _, x := range arr {
		out = append(out, x.(string))
	}
	return out
}

// TestGroupsOperations: every group operation through aws-sdk-go-v2,
// signed, with paging and Cognito's errors; unsigned calls are refused.
func TestGroupsOperations(t *testing.T) {
	s := signedGroupsServer(t)
	c := s.Admin
	poolID, _, _ := s.NewPool(t)
	for i := range 3 {
		s.NewUser(t, poolID, fmt.Sprintf("user%d", i), password)
	}

	created, err := c.CreateGroup(bg, &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins"),
		Description: aws.String("Administrators"), Precedence: aws.Int32(1),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/admins")})
	if err != nil {
		t.Fatal(err)
	}
	g := created.Group
	if aws.ToString(g.GroupName) != "admins" || aws.ToString(g.UserPoolId) != poolID || aws.ToString(g.Description) != "Administrators" ||
		aws.ToInt32(g.Precedence) != 1 || aws.ToString(g.RoleArn) != "arn:aws:iam::123456789012:role/admins" ||
		g.CreationDate == nil || g.LastModifiedDate == nil {
		t.Fatalf("CreateGroup = %+v", g)
	}
	_, err = c.CreateGroup(bg, &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins")})
	wantAPIError[*types.GroupExistsException](t, err, "A group with the name already exists.")
	// Names are case-sensitive.
	if _, err := c.CreateGroup(bg, &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String("Admins")}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := c.CreateGroup(bg, &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String(fmt.Sprintf("g%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.CreateGroup(bg, &cip.CreateGroupInput{UserPoolId: aws.String("us-east-1_Nothere1"), GroupName: aws.String("x")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "User pool us-east-1_Nothere1 does not exist.")
	_, err = c.CreateGroup(bg, &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String("bad name")})
	wantAPIError[*types.InvalidParameterException](t, err, "")
	_, err = c.CreateGroup(bg, &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String("neg"), Precedence: aws.Int32(-1)})
	wantAPIError[*types.InvalidParameterException](t, err, "")
	_, err = c.CreateGroup(bg, &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String("long"),
		Description: aws.String(strings.Repeat("d", 2049))})
	wantAPIError[*types.InvalidParameterException](t, err, "")

	got, err := c.GetGroup(bg, &cip.GetGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins")})
	if err != nil || aws.ToString(got.Group.Description) != "Administrators" {
		t.Fatalf("GetGroup = %+v, %v", got, err)
	}
	_, err = c.GetGroup(bg, &cip.GetGroupInput{UserPoolId: &poolID, GroupName: aws.String("ADMINS")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "Group not found.")

	// UpdateGroup changes only what it is given.
	upd, err := c.UpdateGroup(bg, &cip.UpdateGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins"), Precedence: aws.Int32(7)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(upd.Group.Precedence) != 7 || aws.ToString(upd.Group.Description) != "Administrators" ||
		aws.ToString(upd.Group.RoleArn) != "arn:aws:iam::123456789012:role/admins" {
		t.Fatalf("UpdateGroup = %+v", upd.Group)
	}
	_, err = c.UpdateGroup(bg, &cip.UpdateGroupInput{UserPoolId: &poolID, GroupName: aws.String("nobody"), Description: aws.String("x")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "Group not found.")

	// ListGroups pages.
	var names []string
	var next *string
	for range 20 {
		out, err := c.ListGroups(bg, &cip.ListGroupsInput{UserPoolId: &poolID, Limit: aws.Int32(3), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Groups) > 3 {
			t.Fatalf("ListGroups returned %d, limit 3", len(out.Groups))
		}
		names = append(names, groupNames(out.Groups)...)
		if next = out.NextToken; next == nil {
			break
		}
	}
	if want := []string{"Admins", "admins", "g0", "g1", "g2", "g3", "g4"}; !slices.Equal(names, want) {
		t.Fatalf("ListGroups paged = %v, want %v", names, want)
	}
	_, err = c.ListGroups(bg, &cip.ListGroupsInput{UserPoolId: &poolID, Limit: aws.Int32(61)})
	wantAPIError[*types.InvalidParameterException](t, err, "")
	_, err = c.ListGroups(bg, &cip.ListGroupsInput{UserPoolId: &poolID, NextToken: aws.String("***")})
	wantAPIError[*types.InvalidParameterException](t, err, "")

	// Memberships: idempotent adds, Cognito's errors.
	for _, m := range [][2]string{{"user0", "admins"}, {"user1", "admins"}, {"user2", "admins"}, {"user0", "admins"},
		{"user0", "g0"}, {"user0", "g1"}, {"user0", "g2"}} {
		if _, err := c.AdminAddUserToGroup(bg, &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, Username: aws.String(m[0]),
			GroupName: aws.String(m[1])}); err != nil {
			t.Fatalf("AdminAddUserToGroup %v: %v", m, err)
		}
	}
	_, err = c.AdminAddUserToGroup(bg, &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, Username: aws.String("nobody"), GroupName: aws.String("admins")})
	wantAPIError[*types.UserNotFoundException](t, err, "User does not exist.")
	_, err = c.AdminAddUserToGroup(bg, &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, Username: aws.String("user0"), GroupName: aws.String("nope")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "Group not found.")
	_, err = c.AdminRemoveUserFromGroup(bg, &cip.AdminRemoveUserFromGroupInput{UserPoolId: &poolID, Username: aws.String("nobody"), GroupName: aws.String("admins")})
	wantAPIError[*types.UserNotFoundException](t, err, "User does not exist.")
	_, err = c.AdminListGroupsForUser(bg, &cip.AdminListGroupsForUserInput{UserPoolId: &poolID, Username: aws.String("nobody")})
	wantAPIError[*types.UserNotFoundException](t, err, "User does not exist.")
	_, err = c.ListUsersInGroup(bg, &cip.ListUsersInGroupInput{UserPoolId: &poolID, GroupName: aws.String("nope")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "Group not found.")

	names, next = nil, nil
	for range 20 {
		out, err := c.AdminListGroupsForUser(bg, &cip.AdminListGroupsForUserInput{UserPoolId: &poolID, Username: aws.String("user0"),
			Limit: aws.Int32(2), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, groupNames(out.Groups)...)
		if next = out.NextToken; next == nil {
			break
		}
	}
	if want := []string{"admins", "g0", "g1", "g2"}; !slices.Equal(names, want) {
		t.Fatalf("AdminListGroupsForUser paged = %v, want %v", names, want)
	}
	var users []types.UserType
	next = nil
	for range 20 {
		out, err := c.ListUsersInGroup(bg, &cip.ListUsersInGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins"),
			Limit: aws.Int32(2), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, out.Users...)
		if next = out.NextToken; next == nil {
			break
		}
	}
	var usernames []string
	for _, u := range users {
		usernames = append(usernames, aws.ToString(u.Username))
	}
	if want := []string{"user0", "user1", "user2"}; !slices.Equal(usernames, want) {
		t.Fatalf("ListUsersInGroup paged = %v, want %v", usernames, want)
	}
	// Users as ListUsers shows them.
	lu, err := c.ListUsers(bg, &cip.ListUsersInput{UserPoolId: &poolID, Filter: aws.String(`username = "user0"`)})
	if err != nil || len(lu.Users) != 1 {
		t.Fatalf("ListUsers: %v", err)
	}
	if a, b := users[0], lu.Users[0]; aws.ToString(a.Username) != aws.ToString(b.Username) || a.UserStatus != b.UserStatus ||
		a.Enabled != b.Enabled || fmt.Sprint(attrs(a.Attributes)) != fmt.Sprint(attrs(b.Attributes)) ||
		!a.UserCreateDate.Equal(*b.UserCreateDate) || !a.UserLastModifiedDate.Equal(*b.UserLastModifiedDate) {
		t.Fatalf("ListUsersInGroup's user %+v differs from ListUsers' %+v", a, b)
	}

	// Removal, deleting a user and deleting a group end memberships.
	if _, err := c.AdminRemoveUserFromGroup(bg, &cip.AdminRemoveUserFromGroupInput{UserPoolId: &poolID, Username: aws.String("user1"),
		GroupName: aws.String("admins")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminDeleteUser(bg, &cip.AdminDeleteUserInput{UserPoolId: &poolID, Username: aws.String("user2")}); err != nil {
		t.Fatal(err)
	}
	members, err := c.ListUsersInGroup(bg, &cip.ListUsersInGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins")})
	if err != nil || len(members.Users) != 1 || aws.ToString(members.Users[0].Username) != "user0" {
		t.Fatalf("admins after a removal and a deletion: %+v, %v", members, err)
	}
	if _, err := c.DeleteGroup(bg, &cip.DeleteGroupInput{UserPoolId: &poolID, GroupName: aws.String("g0")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteGroup(bg, &cip.DeleteGroupInput{UserPoolId: &poolID, GroupName: aws.String("g0")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "Group not found.")
	mine, err := c.AdminListGroupsForUser(bg, &cip.AdminListGroupsForUserInput{UserPoolId: &poolID, Username: aws.String("user0")})
	if err != nil || fmt.Sprint(groupNames(mine.Groups)) != "[admins g1 g2]" {
		t.Fatalf("user0's groups after DeleteGroup: %v, %v", groupNames(mine.Groups), err)
	}

	// Every group operation is an admin operation: unsigned, it is refused.
	anon := testserver.NewClient(s.URL)
	_, err = anon.ListGroups(bg, &cip.ListGroupsInput{UserPoolId: &poolID})
	if err == nil {
		t.Fatal("an unsigned ListGroups was served")
	}
	_, err = anon.AdminAddUserToGroup(bg, &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, Username: aws.String("user1"), GroupName: aws.String("admins")})
	if err == nil {
		t.Fatal("an unsigned AdminAddUserToGroup was served")
	}

	// Deleting the pool deletes its groups.
	if _, err := c.DeleteUserPool(bg, &cip.DeleteUserPoolInput{UserPoolId: &poolID}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetGroup(bg, &cip.GetGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "")
}

// attrs renders attributes as name=value pairs.
func attrs(as []types.AttributeType) []string {
	var out []string
	for _, a := range as {
		out = append(out, aws.ToString(a.Name)+"="+aws.ToString(a.Value))
	}
	return out
}

// TestGroupsInTokens: tokens after sign-in and after refresh carry the
// user's groups in precedence order, ID tokens their roles; a removal or a
// deleted group shows at the next refresh and never in a token already
// issued; the verify package sees the groups and RequireGroups admits or
// refuses accordingly.
func TestGroupsInTokens(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "ann", password)
	role := func(n string) *string { return aws.String("arn:aws:iam::123456789012:role/" + n) }
	for _, g := range []cip.CreateGroupInput{
		{GroupName: aws.String("readers"), Precedence: aws.Int32(10), RoleArn: role("readers")},
		{GroupName: aws.String("admins"), Precedence: aws.Int32(1), RoleArn: role("admins")},
		{GroupName: aws.String("misc")},
		{GroupName: aws.String("others")},
	} {
		g.UserPoolId = &poolID
		if _, err := c.CreateGroup(bg, &g); err != nil {
			t.Fatal(err)
		}
	}
	add := func(g string) {
		t.Helper()
		if _, err := c.AdminAddUserToGroup(bg, &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, Username: aws.String("ann"), GroupName: &g}); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []string{"readers", "admins", "misc"} {
		add(g)
	}
	tk := signIn(t, c, clientID, "ann", password).AuthenticationResult
	access, id := claims(t, aws.ToString(tk.AccessToken)), claims(t, aws.ToString(tk.IdToken))
	want := []string{"admins", "readers", "misc"}
	if got := strClaim(t, access, "cognito:groups"); !slices.Equal(got, want) {
		t.Fatalf("access cognito:groups after sign-in = %v, want %v", got, want)
	}
	if got := strClaim(t, id, "cognito:groups"); !slices.Equal(got, want) {
		t.Fatalf("ID cognito:groups after sign-in = %v, want %v", got, want)
	}
	if got := strClaim(t, id, "cognito:roles"); !slices.Equal(got, []string{*role("admins"), *role("readers")}) {
		t.Fatalf("cognito:roles = %v", got)
	}
	if id["cognito:preferred_role"] != *role("admins") {
		t.Fatalf("cognito:preferred_role = %v", id["cognito:preferred_role"])
	}

	// The verify package sees the groups.
	v, err := verify.New(verify.Config{Issuer: access["iss"].(string), ClientIDs: []string{clientID}, Feed: verify.FeedOff})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	vc, err := v.Verify(bg, aws.ToString(tk.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(vc.Groups, want) {
		t.Fatalf("verify Groups = %v, want %v", vc.Groups, want)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	adminsAPI := httptest.NewServer(v.Middleware(ok, verify.RequireGroups("admins")))
	t.Cleanup(adminsAPI.Close)
	othersAPI := httptest.NewServer(v.Middleware(ok, verify.RequireGroups("others", "nobody")))
	t.Cleanup(othersAPI.Close)
	if got := status(t, adminsAPI.URL, aws.ToString(tk.AccessToken)); got != http.StatusOK {
		t.Fatalf("RequireGroups(admins) for an admin: %d", got)
	}
	if got := status(t, othersAPI.URL, aws.ToString(tk.AccessToken)); got != http.StatusForbidden {
		t.Fatalf("RequireGroups(others) for a non-member: %d", got)
	}

	// Removed from admins, added to others: the next refresh shows it, the
	// tokens already issued do not change.
	if _, err := c.AdminRemoveUserFromGroup(bg, &cip.AdminRemoveUserFromGroupInput{UserPoolId: &poolID, Username: aws.String("ann"),
		GroupName: aws.String("admins")}); err != nil {
		t.Fatal(err)
	}
	add("others")
	r, err := refresh(c, clientID, aws.ToString(tk.RefreshToken))
	if err != nil {
		t.Fatal(err)
	}
	fresh := aws.ToString(r.AuthenticationResult.AccessToken)
	if got, want := strClaim(t, claims(t, fresh), "cognito:groups"), []string{"readers", "misc", "others"}; !slices.Equal(got, want) {
		t.Fatalf("cognito:groups after refresh = %v, want %v", got, want)
	}
	freshID := claims(t, aws.ToString(r.AuthenticationResult.IdToken))
	if freshID["cognito:preferred_role"] != *role("readers") || !slices.Equal(strClaim(t, freshID, "cognito:roles"), []string{*role("readers")}) {
		t.Fatalf("ID token role claims after refresh: %v %v", freshID["cognito:roles"], freshID["cognito:preferred_role"])
	}
	if got := strClaim(t, claims(t, aws.ToString(tk.AccessToken)), "cognito:groups"); !slices.Equal(got, want) {
		t.Fatalf("the issued token changed: %v", got)
	}
	if got := status(t, adminsAPI.URL, fresh); got != http.StatusForbidden {
		t.Fatalf("RequireGroups(admins) for a removed admin: %d", got)
	}
	if got := status(t, othersAPI.URL, fresh); got != http.StatusOK {
		t.Fatalf("RequireGroups(others) for a new member: %d", got)
	}

	// Deleting a group removes it from the members' next tokens; with no
	// group left, the claims are gone.
	for _, g := range []string{"readers", "misc", "others"} {
		if _, err := c.DeleteGroup(bg, &cip.DeleteGroupInput{UserPoolId: &poolID, GroupName: aws.String(g)}); err != nil {
			t.Fatal(err)
		}
		r, err := refresh(c, clientID, aws.ToString(tk.RefreshToken))
		if err != nil {
			t.Fatal(err)
		}
		got := strClaim(t, claims(t, aws.ToString(r.AuthenticationResult.AccessToken)), "cognito:groups")
		if slices.Contains(got, g) {
			t.Fatalf("a deleted group %s is in the next token: %v", g, got)
		}
	}
	r, err = refresh(c, clientID, aws.ToString(tk.RefreshToken))
	if err != nil {
		t.Fatal(err)
	}
	last := claims(t, aws.ToString(r.AuthenticationResult.IdToken))
	for _, name := range []string{"cognito:groups", "cognito:roles", "cognito:preferred_role"} {
		if _, ok := last[name]; ok {
			t.Fatalf("%s present for a user in no group", name)
		}
	}
	if _, ok := claims(t, aws.ToString(r.AuthenticationResult.AccessToken))["cognito:groups"]; ok {
		t.Fatal("cognito:groups present in the access token of a user in no group")
	}
}
