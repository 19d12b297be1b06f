package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/userpool"
)

// jsonCall is one call to the JSON API by hand, so that the test chooses
// the target (CognateService.*), the user agent and the signature.
type jsonCall struct {
	target    string // full X-Amz-Target
	body      any
	userAgent string
	creds     *aws.Credentials // sign with SigV4 when set
}

// jsonAnswer is the status and decoded body of an answer.
type jsonAnswer struct {
	status int
	body   map[string]any
	raw    string
}

func (a jsonAnswer) errType() string { s, _ := a.body["__type"].(string); return s }

func (a jsonAnswer) message() string { s, _ := a.body["message"].(string); return s }

func call(t *testing.T, url string, c jsonCall) jsonAnswer {
	t.Helper()
	b, err := json.Marshal(c.body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", c.target)
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if c.creds != nil {
		sum := sha256.Sum256(b)
		if err := v4.NewSigner().SignHTTP(bg, *c.creds, req, hex.EncodeToString(sum[:]), "cognito-idp", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := jsonAnswer{status: resp.StatusCode, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("%s: answer %d %q is not JSON: %v", c.target, resp.StatusCode, raw, err)
	}
	return a
}

// mustCall is call that fails the test unless the answer is 200.
func mustCall(t *testing.T, url string, c jsonCall) map[string]any {
	t.Helper()
	a := call(t, url, c)
	if a.status != http.StatusOK {
		t.Fatalf("%s: %d %s", c.target, a.status, a.raw)
	}
	return a.body
}

// wantRefusal fails the test unless the answer is a 400 of the exception.
func wantRefusal(t *testing.T, a jsonAnswer, errType, msg string) {
	t.Helper()
	if a.status != http.StatusBadRequest || a.errType() != errType || (msg != "" && a.message() != msg) {
		t.Fatalf("answer %d %s, want 400 %s %q", a.status, a.raw, errType, msg)
	}
}

const cognate = "CognateService."

// signInAs signs in with USER_PASSWORD_AUTH from a user agent and returns
// the access and refresh tokens.
func signInAs(t *testing.T, url, clientID, user, pass, agent string) (access, refreshToken string) {
	t.Helper()
	out := mustCall(t, url, jsonCall{target: "AWSCognitoIdentityProviderService.InitiateAuth", userAgent: agent,
		body: map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": clientID,
			"AuthParameters": map[string]string{"USERNAME": user, "PASSWORD": pass}}})
	res, _ := out["AuthenticationResult"].(map[string]any)
	access, _ = res["AccessToken"].(string)
	refreshToken, _ = res["RefreshToken"].(string)
	if access == "" || refreshToken == "" {
		t.Fatalf("sign in %s: no tokens in %v", user, out)
	}
	return access, refreshToken
}

// sessionsOf lists sessions and indexes them by user agent.
func sessionsOf(t *testing.T, out map[string]any) map[string]map[string]any {
	t.Helper()
	list, ok := out["Sessions"].([]any)
	if !ok {
		t.Fatalf("no Sessions in %v", out)
	}
	byAgent := map[string]map[string]any{}
	for _, v := range list {
		s := v.(map[string]any)
		byAgent[s["UserAgent"].(string)] = s
	}
	return byAgent
}

// TestSessionsListAndRevoke: a user sees the sessions of two sign-ins with
// where they come from; revoking one ends its access token at once and its
// refresh token, and leaves the other; a user cannot revoke another user's
// session, and cannot tell it from a missing one.
func TestSessionsListAndRevoke(t *testing.T) {
	s := testserver.Start(t)
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "ann", password)
	s.NewUser(t, poolID, "ben", password)

	phoneAT, phoneRT := signInAs(t, s.URL, clientID, "ann", password, "phone/1.0")
	laptopAT, laptopRT := signInAs(t, s.URL, clientID, "ann", password, "laptop/2.0")
	before := float64(time.Now().Add(-time.Minute).Unix())

	out := mustCall(t, s.URL, jsonCall{target: cognate + "ListSessions", body: map[string]any{"AccessToken": phoneAT}})
	got := sessionsOf(t, out)
	if len(got) != 2 || got["phone/1.0"] == nil || got["laptop/2.0"] == nil {
		t.Fatalf("ListSessions: %v, want the phone's and the laptop's", out)
	}
	phone, laptop := got["phone/1.0"], got["laptop/2.0"]
	for name, sess := range got {
		if sess["SourceIp"] != "127.0.0.1" || sess["ClientId"] != clientID || sess["ClientName"] == "" {
			t.Errorf("%s: session %v lacks its address or client", name, sess)
		}
		if c, ok := sess["CreatedDate"].(float64); !ok || c < before {
			t.Errorf("%s: CreatedDate %v is not a recent epoch number", name, sess["CreatedDate"])
		}
		if _, ok := sess["LastUsedDate"].(float64); !ok {
			t.Errorf("%s: LastUsedDate %v is not a number", name, sess["LastUsedDate"])
		}
		if _, ok := sess["LastRefreshDate"]; ok {
			t.Errorf("%s: LastRefreshDate before any refresh", name)
		}
	}
	if phone["Current"] != true || laptop["Current"] != false {
		t.Errorf("Current: phone %v, laptop %v; want true, false", phone["Current"], laptop["Current"])
	}
	if ids := claims(t, phoneAT)["origin_jti"]; phone["SessionId"] != ids {
		t.Errorf("the phone's SessionId %v is not its tokens' origin_jti %v", phone["SessionId"], ids)
	}

	// A refresh from another user agent is recorded.
	mustCall(t, s.URL, jsonCall{target: "AWSCognitoIdentityProviderService.InitiateAuth", userAgent: "laptop/2.1",
		body: map[string]any{"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": clientID,
			"AuthParameters": map[string]string{"REFRESH_TOKEN": laptopRT}}})
	got = sessionsOf(t, mustCall(t, s.URL, jsonCall{target: cognate + "ListSessions", body: map[string]any{"AccessToken": phoneAT}}))
	if l := got["laptop/2.1"]; l == nil || l["SessionId"] != laptop["SessionId"] || l["LastRefreshDate"] == nil {
		t.Fatalf("after a refresh: %v, want the laptop's session with its new agent and a LastRefreshDate", got)
	}

	// Revoke the laptop's session from the phone.
	mustCall(t, s.URL, jsonCall{target: cognate + "RevokeSession",
		body: map[string]any{"AccessToken": phoneAT, "SessionId": laptop["SessionId"]}})
	_, err := getUser(s.Admin, laptopAT)
	wantCode(t, err, "NotAuthorizedException", "Access Token has been revoked")
	_, err = refresh(s.Admin, clientID, laptopRT)
	wantCode(t, err, "NotAuthorizedException", "Refresh Token has been revoked")
	if _, err := getUser(s.Admin, phoneAT); err != nil {
		t.Fatalf("the phone's session after revoking the laptop's: %v", err)
	}
	if _, err := refresh(s.Admin, clientID, phoneRT); err != nil {
		t.Fatalf("the phone's refresh after revoking the laptop's: %v", err)
	}
	out = mustCall(t, s.URL, jsonCall{target: cognate + "ListSessions", body: map[string]any{"AccessToken": phoneAT}})
	if list := out["Sessions"].([]any); len(list) != 1 || list[0].(map[string]any)["SessionId"] != phone["SessionId"] {
		t.Fatalf("after the revocation: %v, want the phone's session only", out)
	}

	// Ben can neither revoke Ann's session nor tell it from a missing one.
	benAT, _ := signInAs(t, s.URL, clientID, "ben", password, "ben/1")
	for _, id := range []any{phone["SessionId"], "00000000-0000-4000-8000-000000000000"} {
		a := call(t, s.URL, jsonCall{target: cognate + "RevokeSession", body: map[string]any{"AccessToken": benAT, "SessionId": id}})
		wantRefusal(t, a, "ResourceNotFoundException", "Session not found.")
	}
	if _, err := getUser(s.Admin, phoneAT); err != nil {
		t.Fatalf("Ann's session after Ben's attempt: %v", err)
	}
	benSessions := sessionsOf(t, mustCall(t, s.URL, jsonCall{target: cognate + "ListSessions", body: map[string]any{"AccessToken": benAT}}))
	if len(benSessions) != 1 || benSessions["ben/1"] == nil {
		t.Fatalf("Ben's sessions: %v", benSessions)
	}

	// An administrator sees and ends Ann's session.
	got = sessionsOf(t, mustCall(t, s.URL, jsonCall{target: cognate + "AdminListSessions",
		body: map[string]any{"UserPoolId": poolID, "Username": "ann"}}))
	if len(got) != 1 {
		t.Fatalf("AdminListSessions: %v, want one session", got)
	}
	for _, sess := range got {
		if sess["SessionId"] != phone["SessionId"] || sess["Current"] != false {
			t.Fatalf("AdminListSessions: %v", got)
		}
	}
	a := call(t, s.URL, jsonCall{target: cognate + "AdminRevokeSession",
		body: map[string]any{"UserPoolId": poolID, "Username": "ben", "SessionId": phone["SessionId"]}})
	wantRefusal(t, a, "ResourceNotFoundException", "Session not found.")
	mustCall(t, s.URL, jsonCall{target: cognate + "AdminRevokeSession",
		body: map[string]any{"UserPoolId": poolID, "Username": "ann", "SessionId": phone["SessionId"]}})
	_, err = getUser(s.Admin, phoneAT)
	wantCode(t, err, "NotAuthorizedException", "Access Token has been revoked")
	if _, err := getUser(s.Admin, benAT); err != nil {
		t.Fatalf("Ben's session after Ann's were revoked: %v", err)
	}

	// Bad input is the caller's error, in Cognito's shape.
	for _, tc := range []struct {
		c       jsonCall
		errType string
	}{
		{jsonCall{target: cognate + "ListSessions", body: map[string]any{"AccessToken": benAT, "MaxResults": 61}}, "InvalidParameterException"},
		{jsonCall{target: cognate + "ListSessions", body: map[string]any{"AccessToken": benAT, "NextToken": "%%%"}}, "InvalidParameterException"},
		{jsonCall{target: cognate + "ListSessions", body: map[string]any{"AccessToken": "garbage"}}, "NotAuthorizedException"},
		{jsonCall{target: cognate + "ListSessions", body: map[string]any{}}, "InvalidParameterException"},
		{jsonCall{target: cognate + "ListSessions", body: map[string]any{"AccessToken": 7}}, "SerializationException"},
		{jsonCall{target: cognate + "RevokeSession", body: map[string]any{"AccessToken": benAT}}, "InvalidParameterException"},
		{jsonCall{target: cognate + "RevokeSession", body: map[string]any{"AccessToken": benAT, "SessionId": strings.Repeat("x", 5000)}}, "ResourceNotFoundException"},
		{jsonCall{target: cognate + "AdminListSessions", body: map[string]any{"UserPoolId": poolID, "Username": "nobody"}}, "UserNotFoundException"},
		{jsonCall{target: cognate + "AdminListAuditEvents", body: map[string]any{"UserPoolId": "us-east-1_missing"}}, "ResourceNotFoundException"},
		{jsonCall{target: cognate + "MadeUp", body: map[string]any{}}, "UnknownOperationException"},
	} {
		wantRefusal(t, call(t, s.URL, tc.c), tc.errType, "")
	}

	// Paging visits every session once.
	for i := range 3 {
		signInAs(t, s.URL, clientID, "ben", password, "ben/page-"+string(rune('a'+i)))
	}
	seen := map[any]bool{}
	next := ""
	for range 10 {
		body := map[string]any{"UserPoolId": poolID, "Username": "ben", "MaxResults": 2}
		if next != "" {
			body["NextToken"] = next
		}
		out := mustCall(t, s.URL, jsonCall{target: cognate + "AdminListSessions", body: body})
		for _, v := range out["Sessions"].([]any) {
			id := v.(map[string]any)["SessionId"]
			if seen[id] {
				t.Fatalf("session %v listed twice", id)
			}
			seen[id] = true
		}
		next, _ = out["NextToken"].(string)
		if next == "" {
			break
		}
	}
	if len(seen) != 4 {
		t.Fatalf("paging saw %d sessions, want 4", len(seen))
	}
}

// TestSessionsAdminNeedSignature: with admin credentials the Admin
// operations of CognateService need a SigV4 signature, as Cognito's do;
// the user's own operations need only the access token.
func TestSessionsAdminNeedSignature(t *testing.T) {
	const akid, secret = "AKIDSESSIONSTEST0001", "sessions-test-secret-0001"
	s := testserver.StartWith(t, testserver.Options{AdminCredentials: map[string]string{akid: secret}})
	creds := &aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
	create := mustCall(t, s.URL, jsonCall{target: "AWSCognitoIdentityProviderService.CreateUserPool", creds: creds,
		body: map[string]any{"PoolName": "signed"}})
	poolID := create["UserPool"].(map[string]any)["Id"].(string)
	cl := mustCall(t, s.URL, jsonCall{target: "AWSCognitoIdentityProviderService.CreateUserPoolClient", creds: creds,
		body: map[string]any{"UserPoolId": poolID, "ClientName": "app", "ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}}})
	clientID := cl["UserPoolClient"].(map[string]any)["ClientId"].(string)
	mustCall(t, s.URL, jsonCall{target: "AWSCognitoIdentityProviderService.AdminCreateUser", creds: creds,
		body: map[string]any{"UserPoolId": poolID, "Username": "ann", "MessageAction": "SUPPRESS"}})
	mustCall(t, s.URL, jsonCall{target: "AWSCognitoIdentityProviderService.AdminSetUserPassword", creds: creds,
		body: map[string]any{"UserPoolId": poolID, "Username": "ann", "Password": password, "Permanent": true}})
	at, _ := signInAs(t, s.URL, clientID, "ann", password, "agent")

	for _, op := range []string{"AdminListSessions", "AdminRevokeSession", "AdminListAuditEvents"} {
		body := map[string]any{"UserPoolId": poolID, "Username": "ann", "SessionId": claims(t, at)["origin_jti"]}
		if op == "AdminListAuditEvents" {
			delete(body, "SessionId")
		}
		a := call(t, s.URL, jsonCall{target: cognate + op, body: body})
		if a.status != http.StatusBadRequest || a.errType() == "" || strings.HasPrefix(a.errType(), "Resource") {
			t.Fatalf("unsigned %s: %d %s, want a signature refusal", op, a.status, a.raw)
		}
		wrong := &aws.Credentials{AccessKeyID: akid, SecretAccessKey: "not-the-secret"}
		if a := call(t, s.URL, jsonCall{target: cognate + op, body: body, creds: wrong}); a.status != http.StatusBadRequest {
			t.Fatalf("%s signed with a wrong secret: %d %s", op, a.status, a.raw)
		}
	}
	if a := call(t, s.URL, jsonCall{target: "AWSCognitoIdentityProviderService.AdminListUserAuthEvents",
		body: map[string]any{"UserPoolId": poolID, "Username": "ann"}}); a.status != http.StatusBadRequest {
		t.Fatalf("unsigned AdminListUserAuthEvents: %d %s", a.status, a.raw)
	}
	out := mustCall(t, s.URL, jsonCall{target: cognate + "ListSessions", body: map[string]any{"AccessToken": at}})
	if len(out["Sessions"].([]any)) != 1 {
		t.Fatalf("ListSessions: %v", out)
	}
	out = mustCall(t, s.URL, jsonCall{target: cognate + "AdminListSessions", creds: creds,
		body: map[string]any{"UserPoolId": poolID, "Username": "ann"}})
	if len(out["Sessions"].([]any)) != 1 {
		t.Fatalf("signed AdminListSessions: %v", out)
	}
	mustCall(t, s.URL, jsonCall{target: cognate + "AdminRevokeSession", creds: creds,
		body: map[string]any{"UserPoolId": poolID, "Username": "ann", "SessionId": claims(t, at)["origin_jti"]}})
	_, err := getUser(s.Admin, at)
	wantCode(t, err, "NotAuthorizedException", "Access Token has been revoked")
}

// TestAuditEvents: sign-ins (passed, and failed for each reason), refreshes,
// sign-outs, revocations, password changes and administrators' actions are
// recorded with their outcome and reason, listed by
// CognateService.AdminListAuditEvents and, in Cognito's shape, by
// AdminListUserAuthEvents; each is logged, never with a secret.
func TestAuditEvents(t *testing.T) {
	logs := &lockedBuffer{}
	s := testserver.StartWith(t, testserver.Options{Logger: slog.New(slog.NewTextHandler(logs, nil)),
		SignInLimits: userpool.SignInLimits{FreeAttempts: 2, FirstLockout: time.Hour}})
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "ann", password)
	s.NewUser(t, poolID, "tom", password)
	const wrong = "Wrong-Passw0rd!"

	signInWith := func(user, pass string) error {
		_, err := s.Admin.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(clientID),
			AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pass}})
		return err
	}
	if err := signInWith("ann", wrong); err == nil {
		t.Fatal("a wrong password was accepted")
	}
	if err := signInWith("ghost", password); err == nil {
		t.Fatal("an unknown user signed in")
	}
	first := signIn(t, s.Admin, clientID, "ann", password)
	if _, err := refresh(s.Admin, clientID, *first.AuthenticationResult.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Admin.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: aws.String(clientID), Token: first.AuthenticationResult.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	second := signIn(t, s.Admin, clientID, "ann", password)
	const newPassword = "Second-Passw0rd!"
	if _, err := s.Admin.ChangePassword(bg, &cip.ChangePasswordInput{AccessToken: second.AuthenticationResult.AccessToken,
		PreviousPassword: aws.String(password), ProposedPassword: aws.String(newPassword)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Admin.GlobalSignOut(bg, &cip.GlobalSignOutInput{AccessToken: second.AuthenticationResult.AccessToken}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Admin.AdminDisableUser(bg, &cip.AdminDisableUserInput{UserPoolId: aws.String(poolID), Username: aws.String("ann")}); err != nil {
		t.Fatal(err)
	}
	if err := signInWith("ann", newPassword); err == nil {
		t.Fatal("a disabled user signed in")
	}
	if _, err := s.Admin.AdminEnableUser(bg, &cip.AdminEnableUserInput{UserPoolId: aws.String(poolID), Username: aws.String("ann")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Admin.AdminSetUserPassword(bg, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("ann"),
		Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Admin.AdminUpdateUserAttributes(bg, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(poolID), Username: aws.String("ann"),
		UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String("Ann")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Admin.AdminUserGlobalSignOut(bg, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(poolID), Username: aws.String("ann")}); err != nil {
		t.Fatal(err)
	}
	// Tom is locked out after two failures.
	for range 3 {
		if err := signInWith("tom", wrong); err == nil {
			t.Fatal("a wrong password was accepted")
		}
	}
	if _, err := s.Admin.AdminDeleteUser(bg, &cip.AdminDeleteUserInput{UserPoolId: aws.String(poolID), Username: aws.String("tom")}); err != nil {
		t.Fatal(err)
	}

	type row struct{ typ, outcome, reason string }
	list := func(body map[string]any) []row {
		t.Helper()
		body["UserPoolId"] = poolID
		out := mustCall(t, s.URL, jsonCall{target: cognate + "AdminListAuditEvents", body: body})
		var rows []row
		evs := out["Events"].([]any)
		for i := len(evs) - 1; i >= 0; i-- { // oldest first
			ev := evs[i].(map[string]any)
			reason, _ := ev["Reason"].(string)
			rows = append(rows, row{ev["EventType"].(string), ev["Outcome"].(string), reason})
			if ev["EventId"] == "" || ev["CreationDate"] == nil || ev["SourceIp"] != "127.0.0.1" {
				t.Errorf("event %v lacks its id, date or address", ev)
			}
		}
		return rows
	}
	ann := list(map[string]any{"Username": "ann"})
	want := []row{
		{"AdminCreateUser", "Pass", ""}, // testserver's NewUser
		{"AdminSetUserPassword", "Pass", ""},
		{"SignIn", "Fail", "wrong-password"},
		{"SignIn", "Pass", ""},
		{"TokenRefresh", "Pass", ""},
		{"SessionRevoked", "Pass", "revoked"},
		{"RevokeToken", "Pass", ""},
		{"SignIn", "Pass", ""},
		{"PasswordChange", "Pass", ""},
		{"GlobalSignOut", "Pass", ""},
		{"AdminDisableUser", "Pass", ""},
		{"SignIn", "Fail", "user-disabled"},
		{"AdminEnableUser", "Pass", ""},
		{"AdminSetUserPassword", "Pass", ""},
		{"AdminUpdateUserAttributes", "Pass", ""},
		{"AdminUserGlobalSignOut", "Pass", ""},
	}
	if len(ann) != len(want) {
		t.Fatalf("Ann's events:\n%v\nwant\n%v", ann, want)
	}
	for i := range want {
		if ann[i] != want[i] {
			t.Errorf("Ann's event %d: %v, want %v", i, ann[i], want[i])
		}
	}
	if got := list(map[string]any{"Username": "ghost"}); len(got) != 1 || got[0] != (row{"SignIn", "Fail", "user-not-found"}) {
		t.Errorf("the unknown user's events: %v", got)
	}
	tom := list(map[string]any{"Username": "tom"})[2:] // after testserver's NewUser
	wantTom := []row{{"SignIn", "Fail", "wrong-password"}, {"SignIn", "Fail", "wrong-password"}, {"SignIn", "Fail", "throttled"},
		{"AdminDeleteUser", "Pass", ""}}
	if len(tom) != len(wantTom) || tom[0] != wantTom[0] || tom[1] != wantTom[1] || tom[2] != wantTom[2] || tom[3] != wantTom[3] {
		t.Errorf("Tom's events: %v, want %v", tom, wantTom)
	}
	if got := list(map[string]any{"EventType": "GlobalSignOut"}); len(got) != 1 {
		t.Errorf("GlobalSignOut events: %v", got)
	}
	if got := list(map[string]any{"Username": "ann", "StartTime": float64(time.Now().Add(time.Hour).Unix())}); len(got) != 0 {
		t.Errorf("events from an hour on: %v", got)
	}

	// Cognito's shape, parsed by aws-sdk-go-v2.
	out, err := s.Admin.AdminListUserAuthEvents(bg, &cip.AdminListUserAuthEventsInput{UserPoolId: aws.String(poolID), Username: aws.String("ann")})
	if err != nil {
		t.Fatal(err)
	}
	var signIns []types.AuthEventType
	for _, ev := range out.AuthEvents {
		if ev.EventType == "" || ev.EventId == nil || ev.CreationDate == nil || time.Since(*ev.CreationDate) > time.Hour {
			t.Errorf("auth event %+v lacks its type, id or date", ev)
		}
		if ev.EventType == types.EventTypeSignIn {
			signIns = append(signIns, ev)
		}
	}
	if len(out.AuthEvents) != 5 || len(signIns) != 4 { // four sign-ins and the password change
		t.Fatalf("AdminListUserAuthEvents: %d events, %d sign-ins, want 5 and 4", len(out.AuthEvents), len(signIns))
	}
	oldest := signIns[len(signIns)-1]
	if oldest.EventResponse != types.EventResponseTypeFail || len(oldest.ChallengeResponses) != 1 ||
		oldest.ChallengeResponses[0].ChallengeName != types.ChallengeNamePassword ||
		oldest.ChallengeResponses[0].ChallengeResponse != types.ChallengeResponseFailure {
		t.Errorf("the wrong password's auth event: %+v", oldest)
	}
	if ctxData := oldest.EventContextData; ctxData == nil || aws.ToString(ctxData.IpAddress) != "127.0.0.1" || aws.ToString(ctxData.DeviceName) == "" {
		t.Errorf("EventContextData %+v, want the address and the user agent", oldest.EventContextData)
	}
	if signIns[2].EventResponse != types.EventResponseTypePass || len(signIns[2].ChallengeResponses) != 1 ||
		signIns[2].ChallengeResponses[0].ChallengeResponse != types.ChallengeResponseSuccess {
		t.Errorf("a passed sign-in's auth event: %+v", signIns[2])
	}
	page, err := s.Admin.AdminListUserAuthEvents(bg, &cip.AdminListUserAuthEventsInput{UserPoolId: aws.String(poolID), Username: aws.String("ann"), MaxResults: aws.Int32(2)})
	if err != nil || len(page.AuthEvents) == 0 || page.NextToken == nil {
		t.Fatalf("a page of 2: %v, %v", page, err)
	}
	_, err = s.Admin.AdminListUserAuthEvents(bg, &cip.AdminListUserAuthEventsInput{UserPoolId: aws.String(poolID), Username: aws.String("nobody")})
	wantAPIError[*types.UserNotFoundException](t, err, "")

	// Logged, and never a secret.
	log := logs.String()
	if !strings.Contains(log, "msg=audit event=SignIn outcome=Fail reason=wrong-password") {
		t.Errorf("no audit record of the failed sign-in in the log")
	}
	for _, secret := range []string{password, wrong, newPassword, *first.AuthenticationResult.RefreshToken,
		*second.AuthenticationResult.AccessToken, *first.AuthenticationResult.IdToken} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds a secret (%.12s...)", secret)
		}
	}
}

// TestAuditSRPSignIn: an SRP sign-in is recorded in progress (the
// PASSWORD_VERIFIER challenge), then passed or failed; its session carries
// the caller's address like any other.
func TestAuditSRPSignIn(t *testing.T) {
	s := testserver.Start(t)
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "lena", password)
	respond := func(ans map[string]string) error {
		_, err := s.Admin.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID,
			ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: ans})
		return err
	}
	cl, ch := srpChallenge(t, s.Admin, clientID, poolID, "lena")
	if err := respond(srpAnswer(t, cl, poolID, "Wrong-Passw0rd!", ch, time.Now())); err == nil {
		t.Fatal("a wrong SRP proof was accepted")
	}
	cl, ch = srpChallenge(t, s.Admin, clientID, poolID, "lena")
	if err := respond(srpAnswer(t, cl, poolID, password, ch, time.Now())); err != nil {
		t.Fatal(err)
	}
	out := mustCall(t, s.URL, jsonCall{target: cognate + "AdminListAuditEvents",
		body: map[string]any{"UserPoolId": poolID, "Username": "lena", "EventType": "SignIn"}})
	var got []string
	evs := out["Events"].([]any)
	for i := len(evs) - 1; i >= 0; i-- {
		ev := evs[i].(map[string]any)
		reason, _ := ev["Reason"].(string)
		got = append(got, ev["Outcome"].(string)+"/"+reason)
	}
	want := "InProgress/PASSWORD_VERIFIER Fail/wrong-password InProgress/PASSWORD_VERIFIER Pass/"
	if strings.Join(got, " ") != want {
		t.Fatalf("SRP sign-in events: %v, want %s", got, want)
	}
	sessions := mustCall(t, s.URL, jsonCall{target: cognate + "AdminListSessions",
		body: map[string]any{"UserPoolId": poolID, "Username": "lena"}})["Sessions"].([]any)
	if len(sessions) != 1 || sessions[0].(map[string]any)["SourceIp"] != "127.0.0.1" {
		t.Fatalf("the SRP sign-in's session: %v", sessions)
	}
	auth, err := s.Admin.AdminListUserAuthEvents(bg, &cip.AdminListUserAuthEventsInput{UserPoolId: aws.String(poolID), Username: aws.String("lena")})
	if err != nil {
		t.Fatal(err)
	}
	var responses []string
	for _, ev := range auth.AuthEvents {
		responses = append(responses, string(ev.EventResponse))
	}
	if strings.Join(responses, " ") != "Pass InProgress Fail InProgress" {
		t.Errorf("AdminListUserAuthEvents responses (newest first): %v", responses)
	}
}

// TestHostedUISessionsAndAudit: a hosted-UI sign-in is audited (a wrong
// password too), its session is listed with its source, a refresh through
// the token endpoint is audited, and /oauth2/revoke is a RevokeToken with
// its revocation.
func TestHostedUISessionsAndAudit(t *testing.T) {
	s := testserver.Start(t)
	h := newHostedUI(t, s)
	s.NewUser(t, h.pool, "ivy", password)
	_, challenge := pkce()
	action, csrf := h.openLogin(h.authorizeURL(challenge, map[string]string{"prompt": "login"}))
	if r := h.submitLogin(action, csrf, "ivy", "Wrong-Passw0rd!"); r.status == http.StatusSeeOther {
		t.Fatal("a wrong password signed in")
	}
	code, verifier := h.signIn("ivy", password, nil)
	tk := h.exchange(code, verifier)
	sessions := mustCall(t, s.URL, jsonCall{target: cognate + "ListSessions", body: map[string]any{"AccessToken": tk.AccessToken}})["Sessions"].([]any)
	if len(sessions) != 1 || sessions[0].(map[string]any)["Current"] != true || sessions[0].(map[string]any)["SourceIp"] != "127.0.0.1" {
		t.Fatalf("the hosted-UI session: %v", sessions)
	}
	if r, _ := h.tokenCall(url.Values{"grant_type": {"refresh_token"}, "client_id": {h.client}, "refresh_token": {tk.RefreshToken}}, "", ""); r.status != http.StatusOK {
		t.Fatalf("refresh grant: %d %s", r.status, r.body)
	}
	if r := h.postForm(h.url("/oauth2/revoke"), url.Values{"token": {tk.RefreshToken}, "client_id": {h.client}}, "", ""); r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	out := mustCall(t, s.URL, jsonCall{target: cognate + "AdminListAuditEvents", body: map[string]any{"UserPoolId": h.pool, "Username": "ivy"}})
	var got []string
	evs := out["Events"].([]any)
	for i := len(evs) - 1; i >= 0; i-- {
		ev := evs[i].(map[string]any)
		reason, _ := ev["Reason"].(string)
		got = append(got, ev["EventType"].(string)+"/"+ev["Outcome"].(string)+"/"+reason)
	}
	want := "AdminCreateUser/Pass/ AdminSetUserPassword/Pass/ SignIn/Fail/wrong-password SignIn/Pass/ TokenRefresh/Pass/ " +
		"SessionRevoked/Pass/revoked RevokeToken/Pass/"
	if strings.Join(got, " ") != want {
		t.Fatalf("hosted-UI events:\n%v\nwant\n%s", got, want)
	}
}
