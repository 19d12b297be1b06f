package awsjson_test

import (
	"strings"
	"testing"
)

// TestGroupsOnTheWire: GroupType's shape (epoch dates, optional members
// omitted) and Cognito's exceptions for the group operations; bad input is
// a 400, never a 5xx.
func TestGroupsOnTheWire(t *testing.T) {
	h, ids := newHandler(t)
	pool := ids["pool"]
	code, out := call(t, h, "CreateGroup", `{"UserPoolId":"`+pool+`","GroupName":"admins"}`)
	g, _ := out["Group"].(map[string]any)
	if code != 200 || g["GroupName"] != "admins" || g["UserPoolId"] != pool {
		t.Fatalf("CreateGroup: %d %v", code, out)
	}
	for _, k := range []string{"Description", "Precedence", "RoleArn"} {
		if _, ok := g[k]; ok {
			t.Errorf("CreateGroup without %s answers it: %v", k, g)
		}
	}
	for _, k := range []string{"CreationDate", "LastModifiedDate"} {
		if _, ok := g[k].(float64); !ok {
			t.Errorf("%s is not an epoch number: %v", k, g[k])
		}
	}
	code, out = call(t, h, "CreateGroup", `{"UserPoolId":"`+pool+`","GroupName":"zero","Precedence":0}`)
	if g, _ := out["Group"].(map[string]any); code != 200 || g["Precedence"] != float64(0) {
		t.Errorf("Precedence 0 is answered: %d %v", code, out)
	}
	for _, c := range []struct{ op, body, typ, msg string }{
		{"CreateGroup", `{"UserPoolId":"POOL","GroupName":"admins"}`, "GroupExistsException", "A group with the name already exists."},
		{"CreateGroup", `{"UserPoolId":"us-east-1_None","GroupName":"admins"}`, "ResourceNotFoundException", "User pool us-east-1_None does not exist."},
		{"CreateGroup", `{"UserPoolId":"POOL"}`, "InvalidParameterException", "1 validation error detected: Value null at 'groupName' failed to satisfy constraint: Member must not be null"},
		{"CreateGroup", `{"UserPoolId":"POOL","GroupName":"a b"}`, "InvalidParameterException", "Member must satisfy regular expression pattern"},
		{"CreateGroup", `{"UserPoolId":"POOL","GroupName":"p","Precedence":-1}`, "InvalidParameterException", "at 'precedence'"},
		{"CreateGroup", `{"UserPoolId":"POOL","GroupName":"p","Precedence":"high"}`, "SerializationException", ""},
		{"CreateGroup", `{"UserPoolId":"POOL","GroupName":"p","Precedence":1e30}`, "SerializationException", ""},
		{"CreateGroup", `{"UserPoolId":"POOL","GroupName":"p","RoleArn":"role"}`, "InvalidParameterException", "at 'roleArn'"},
		{"GetGroup", `{"UserPoolId":"POOL","GroupName":"nobody"}`, "ResourceNotFoundException", "Group not found."},
		{"UpdateGroup", `{"UserPoolId":"POOL","GroupName":"nobody"}`, "ResourceNotFoundException", "Group not found."},
		{"DeleteGroup", `{"UserPoolId":"POOL","GroupName":"nobody"}`, "ResourceNotFoundException", "Group not found."},
		{"ListGroups", `{"UserPoolId":"POOL","Limit":61}`, "InvalidParameterException", "at 'limit'"},
		{"ListGroups", `{"UserPoolId":"POOL","NextToken":"%%%"}`, "InvalidParameterException", ""},
		{"AdminAddUserToGroup", `{"UserPoolId":"POOL","Username":"nobody","GroupName":"admins"}`, "UserNotFoundException", "User does not exist."},
		{"AdminAddUserToGroup", `{"UserPoolId":"POOL","Username":"u","GroupName":"nobody"}`, "ResourceNotFoundException", "Group not found."},
		{"AdminRemoveUserFromGroup", `{"UserPoolId":"POOL","Username":"u","GroupName":"nobody"}`, "ResourceNotFoundException", "Group not found."},
		{"AdminListGroupsForUser", `{"UserPoolId":"POOL","Username":"nobody"}`, "UserNotFoundException", "User does not exist."},
		{"ListUsersInGroup", `{"UserPoolId":"POOL","GroupName":"nobody"}`, "ResourceNotFoundException", "Group not found."},
	} {
		code, out := call(t, h, c.op, strings.ReplaceAll(c.body, "POOL", pool))
		msg, _ := out["message"].(string)
		if code != 400 || out["__type"] != c.typ || !strings.Contains(msg, c.msg) {
			t.Errorf("%s %s: %d %v, want 400 %s %q", c.op, c.body, code, out, c.typ, c.msg)
		}
	}
	// Membership and listing answers.
	if code, out := call(t, h, "AdminAddUserToGroup", `{"UserPoolId":"`+pool+`","Username":"u","GroupName":"admins"}`); code != 200 || len(out) != 0 {
		t.Fatalf("AdminAddUserToGroup: %d %v", code, out)
	}
	code, out = call(t, h, "ListUsersInGroup", `{"UserPoolId":"`+pool+`","GroupName":"admins"}`)
	users, _ := out["Users"].([]any)
	if code != 200 || len(users) != 1 || users[0].(map[string]any)["Username"] != "u" || out["NextToken"] != nil {
		t.Fatalf("ListUsersInGroup: %d %v", code, out)
	}
	code, out = call(t, h, "ListGroups", `{"UserPoolId":"`+pool+`","Limit":1}`)
	if groups, _ := out["Groups"].([]any); code != 200 || len(groups) != 1 || out["NextToken"] == nil {
		t.Fatalf("ListGroups: %d %v", code, out)
	}
	code, out = call(t, h, "AdminListGroupsForUser", `{"UserPoolId":"`+pool+`","Username":"u","Limit":0}`)
	if groups, _ := out["Groups"].([]any); code != 200 || len(groups) != 1 {
		t.Fatalf("AdminListGroupsForUser: %d %v", code, out)
	}
}
