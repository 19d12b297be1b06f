package awsjson_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/httpapi/awsjson"
)

// call sends one operation to h and decodes the answer.
func call(t *testing.T, h http.Handler, op, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", awsjson.TargetPrefix+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s: %d %q: %v", op, w.Code, w.Body.String(), err)
	}
	return w.Code, out
}

// TestFixedIDsOnTheWire: the cognate:pool-id tag of CreateUserPool and the
// ClientId member of CreateUserPoolClient choose the ids; a taken or
// malformed one is Cognito's InvalidParameterException.
func TestFixedIDsOnTheWire(t *testing.T) {
	h, _ := newHandler(t)
	code, out := call(t, h, "CreateUserPool", `{"PoolName":"fixed","UserPoolTags":{"cognate:pool-id":"us-east-1_Wire1"}}`)
	if code != 200 || out["UserPool"].(map[string]any)["Id"] != "us-east-1_Wire1" {
		t.Fatalf("CreateUserPool: %d %v", code, out)
	}
	if tags := out["UserPool"].(map[string]any)["UserPoolTags"].(map[string]any); tags["cognate:pool-id"] != "us-east-1_Wire1" {
		t.Errorf("tags not echoed: %v", tags)
	}
	code, out = call(t, h, "CreateUserPoolClient",
		`{"UserPoolId":"us-east-1_Wire1","ClientName":"web","ClientId":"wireclient","ClientSecret":"a-fixed-secret-of-24-chars-or-more"}`)
	c, _ := out["UserPoolClient"].(map[string]any)
	if code != 200 || c["ClientId"] != "wireclient" || c["ClientSecret"] != "a-fixed-secret-of-24-chars-or-more" {
		t.Fatalf("CreateUserPoolClient: %d %v", code, out)
	}
	for _, c := range []struct{ op, body, msg string }{
		{"CreateUserPool", `{"PoolName":"again","UserPoolTags":{"cognate:pool-id":"us-east-1_Wire1"}}`, "User pool us-east-1_Wire1 already exists"},
		{"CreateUserPool", `{"PoolName":"again","UserPoolTags":{"cognate:pool-id":"eu-west-1_Wire2"}}`, "is not this server's region"},
		{"CreateUserPool", `{"PoolName":"again","UserPoolTags":{"cognate:pool-id":"Wire2"}}`, "must be a user pool id"},
		{"CreateUserPoolClient", `{"UserPoolId":"us-east-1_Wire1","ClientName":"again","ClientId":"wireclient"}`, "App client wireclient already exists"},
		{"CreateUserPoolClient", `{"UserPoolId":"us-east-1_Wire1","ClientName":"again","ClientId":"wire client"}`, "ClientId must be"},
	} {
		code, out := call(t, h, c.op, c.body)
		if code != 400 || out["__type"] != "InvalidParameterException" || !strings.Contains(out["message"].(string), c.msg) {
			t.Errorf("%s %s: %d %v, want InvalidParameterException %q", c.op, c.body, code, out, c.msg)
		}
	}
	// The pool was not created twice: one fixed pool besides the handler's.
	_, out = call(t, h, "ListUserPools", `{"MaxResults":60}`)
	if n := len(out["UserPools"].([]any)); n != 2 {
		t.Errorf("%d pools, want 2", n)
	}
}
