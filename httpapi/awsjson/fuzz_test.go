package awsjson_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/httpapi/awsjson"
	"github.com/cognate-dev/cognate/store/sqlite"
	"github.com/cognate-dev/cognate/userpool"
)

// newHandler serves the API over a real SQLite store in a temp dir, with one
// pool, client and user so that inputs can reach deep code paths.
func newHandler(t testing.TB) (http.Handler, map[string]string) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "fuzz.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := userpool.New(userpool.Options{Store: st, PublicURL: "http://127.0.0.1:9229", Logger: log, DevMode: true,
		Hash: userpool.HashParams{Time: 1, Memory: 64, Threads: 1}})
	ctx := context.Background()
	p, err := svc.CreateUserPool(ctx, "fuzz", userpool.PoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.CreateUserPoolClient(ctx, userpool.ClientInput{PoolID: p.ID, Name: "fuzz",
		Config: userpool.ClientConfig{ExplicitAuthFlows: []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: p.ID, Username: "u", TemporaryPassword: "Passw0rd!"}); err != nil {
		t.Fatal(err)
	}
	return awsjson.New(awsjson.Options{Service: svc, Logger: log}), map[string]string{"pool": p.ID, "client": c.ID}
}

var targets = []string{
	"CreateUserPool", "DescribeUserPool", "ListUserPools", "DeleteUserPool", "CreateUserPoolClient",
	"DescribeUserPoolClient", "UpdateUserPoolClient", "ListUserPoolClients", "DeleteUserPoolClient", "SignUp",
	"ConfirmSignUp", "AdminConfirmSignUp", "AdminCreateUser", "AdminSetUserPassword", "AdminGetUser",
	"AdminDeleteUser", "AdminDisableUser", "AdminEnableUser", "ListUsers", "GetUser", "DeleteUser", "ChangePassword",
	"InitiateAuth", "AdminInitiateAuth", "RespondToAuthChallenge", "AdminRespondToAuthChallenge",
	"GetTokensFromRefreshToken", "GlobalSignOut", "AdminUserGlobalSignOut", "RevokeToken",
	"UpdateUserPool", "ConfirmDevice", "GetDevice", "ListDevices", "UpdateDeviceStatus", "ForgetDevice",
	"AdminGetDevice", "AdminListDevices", "AdminUpdateDeviceStatus", "AdminForgetDevice", "CreateGroup", "GetGroup",
	"UpdateGroup", "DeleteGroup", "ListGroups", "AdminAddUserToGroup", "AdminRemoveUserFromGroup",
	"AdminListGroupsForUser", "ListUsersInGroup", "NoSuchOperation",
}

// FuzzHandler feeds arbitrary bodies to every operation: no input may yield
// a 5xx or a panic, and every error must be Cognito-shaped.
func FuzzHandler(f *testing.F) {
	h, ids := newHandler(f)
	seeds := []string{
		`{}`, `null`, `[]`, `"x"`, `{"UserPoolId":"POOL"}`, `{"UserPoolId":"POOL","Username":"u"}`,
		`{"ClientId":"CLIENT","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{"USERNAME":"u","PASSWORD":"Passw0rd!"}}`,
		`{"ClientId":"CLIENT","AuthFlow":"USER_SRP_AUTH","AuthParameters":{"USERNAME":"u","SRP_A":"0"}}`,
		`{"ClientId":"CLIENT","AuthFlow":"USER_SRP_AUTH","AuthParameters":{"USERNAME":"u","SRP_A":"ffffffffffffffffffff"}}`,
		`{"ClientId":"CLIENT","ChallengeName":"NEW_PASSWORD_REQUIRED","Session":"abc","ChallengeResponses":{"USERNAME":"u"}}`,
		`{"ClientId":"CLIENT","ChallengeName":"PASSWORD_VERIFIER","ChallengeResponses":{"PASSWORD_CLAIM_SECRET_BLOCK":"AAAA","TIMESTAMP":"Mon Nov 23 08:10:29 UTC 2026"}}`,
		`{"ClientId":"CLIENT","ChallengeName":"DEVICE_SRP_AUTH","Session":"abc","ChallengeResponses":{"USERNAME":"u","DEVICE_KEY":"k","SRP_A":"0"}}`,
		`{"ClientId":"CLIENT","ChallengeName":"DEVICE_PASSWORD_VERIFIER","ChallengeResponses":{"PASSWORD_CLAIM_SECRET_BLOCK":"AAAA","DEVICE_KEY":"k"}}`,
		`{"UserPoolId":"POOL","DeviceConfiguration":{"ChallengeRequiredOnNewDevice":"yes"}}`,
		`{"UserPoolId":"POOL","DeviceConfiguration":[1]}`,
		`{"UserPoolId":"POOL","Username":"u","DeviceKey":"us-east-1_x","DeviceRememberedStatus":"forever"}`,
		`{"UserPoolId":"POOL","Username":"u","Limit":-5,"PaginationToken":"%%%"}`,
		`{"AccessToken":"x","DeviceKey":"k","DeviceSecretVerifierConfig":{"PasswordVerifier":"AA==","Salt":"!"}}`,
		`{"ClientId":"CLIENT","Token":"a.b.c.d.e"}`, `{"AccessToken":"eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjkyMjkvUE9PTCJ9."}`,
		`{"UserPoolId":"POOL","ClientName":"c","AccessTokenValidity":-1,"TokenValidityUnits":{"AccessToken":"years"}}`,
		`{"UserPoolId":"POOL","ClientName":"c","RefreshTokenRotation":{"Feature":"ENABLED","RetryGracePeriodSeconds":99999999999}}`,
		`{"PoolName":"p","Policies":{"PasswordPolicy":{"MinimumLength":1e9}}}`,
		`{"UserPoolId":"POOL","Filter":"email ^= \"a"}`, `{"UserPoolId":"POOL","Limit":-5,"PaginationToken":"%%%"}`,
		`{"ClientId":"CLIENT","Username":"` + strings.Repeat("\u00e9", 200) + `","Password":"p"}`,
		`{"UserPoolId":"POOL","GroupName":"g","Precedence":-1,"RoleArn":"arn:aws:iam::1:role/x","Description":"d"}`,
		`{"UserPoolId":"POOL","GroupName":"g","Username":"u","Limit":61,"NextToken":"%%%"}`,
		`{"UserPoolId":"POOL","GroupName":"` + strings.Repeat("\u00e9", 129) + `","Precedence":1e30}`,
	}
	for i, body := range seeds {
		body = strings.NewReplacer("POOL", ids["pool"], "CLIENT", ids["client"]).Replace(body)
		f.Add(uint8(i), body)
	}
	f.Fuzz(func(t *testing.T, target uint8, body string) {
		answersLikeCognito(t, h, targets[int(target)%len(targets)], body)
	})
}

// answersLikeCognito sends body as operation name and fails on a 5xx, or
// on an error that is not Cognito-shaped (a __type and a message, and the
// x-amzn-ErrorType header matching __type). Every fuzz target checks this.
func answersLikeCognito(t *testing.T, h http.Handler, name, body string) {
	t.Helper()
	req := httptest.NewRequest("POST", "/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", awsjson.TargetPrefix+name)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %q: status %d: %s", name, body, rec.Code, rec.Body.String())
	}
	if rec.Code != 200 {
		var e map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e["__type"] == "" || e["message"] == "" {
			t.Fatalf("%s %q: error body not Cognito-shaped: %s", name, body, rec.Body.String())
		}
		if rec.Header().Get("x-amzn-ErrorType") != e["__type"]+":" {
			t.Fatalf("%s: x-amzn-ErrorType %q does not match __type %q", name, rec.Header().Get("x-amzn-ErrorType"), e["__type"])
		}
	}
}

// TestOperationsAreDocumentedTargets guards the fuzz target list against drift.
func TestOperationsAreDocumentedTargets(t *testing.T) {
	h, _ := newHandler(t)
	var unknown []string
	for _, name := range targets[:len(targets)-1] {
		req := httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
		req.Header.Set("X-Amz-Target", awsjson.TargetPrefix+name)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), "UnknownOperationException") {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Fatalf("operations not served: %v", unknown)
	}
}
