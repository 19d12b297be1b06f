package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// TestCLISessionCommands: cognate session list and revoke through the built
// binary, against a server that wants admin signatures: a table for people
// and JSON for scripts, a revoked session's tokens refused, and the exit
// codes of failures (1) and usage errors (2).
func TestCLISessionCommands(t *testing.T) {
	const akid, secret = "AKIDCLISESSIONS00001", "cli-sessions-secret-0001"
	s := testserver.StartWith(t, testserver.Options{AdminCredentials: map[string]string{akid: secret}})
	s.Admin = cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL),
		Credentials: credentials.NewStaticCredentialsProvider(akid, secret, "")})
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "ann", password)
	phoneAT, _ := signInAs(t, s.URL, clientID, "ann", password, "phone/1.0")
	laptopAT, laptopRT := signInAs(t, s.URL, clientID, "ann", password, "laptop/2.0")
	laptopID := claims(t, laptopAT)["origin_jti"].(string)
	env := cliEnv(t, "COGNATE_ENDPOINT="+s.URL, "AWS_ACCESS_KEY_ID="+akid, "AWS_SECRET_ACCESS_KEY="+secret)

	r := must(t, 0, env, "", "session", "list", "--pool", poolID, "--username", "ann")
	lineMatches(t, r.stdout, `^SESSION ID\s+CLIENT\s+SIGNED IN\s+LAST REFRESH\s+SOURCE IP\s+USER AGENT$`)
	lineMatches(t, r.stdout, `^`+laptopID+`\s+test-client\s+\d{4}-\d\d-\d\dT\S+Z\s+-\s+127\.0\.0\.1\s+laptop/2\.0$`)
	lineMatches(t, r.stdout, `^\S+\s+test-client\s+\S+\s+-\s+127\.0\.0\.1\s+phone/1\.0$`)

	var sessions []struct {
		SessionId, ClientId, SourceIp, UserAgent string
		CreatedDate                              float64
	}
	out := must(t, 0, env, "", "session", "list", "--pool-id", poolID, "--username", "ann", "--output", "json").stdout
	if err := json.Unmarshal([]byte(out), &sessions); err != nil || len(sessions) != 2 {
		t.Fatalf("session list --output json: %v\n%s", err, out)
	}
	for _, ss := range sessions {
		if ss.ClientId != clientID || ss.SourceIp != "127.0.0.1" || ss.CreatedDate == 0 || ss.SessionId == "" {
			t.Errorf("session %+v lacks its metadata", ss)
		}
	}

	r = must(t, 0, env, "", "session", "revoke", "--pool", poolID, "--username", "ann", laptopID)
	if strings.TrimSpace(r.stdout) != laptopID+": revoked" {
		t.Errorf("session revoke printed %q", r.stdout)
	}
	_, err := getUser(s.Admin, laptopAT)
	wantCode(t, err, "NotAuthorizedException", "Access Token has been revoked")
	_, err = refresh(s.Admin, clientID, laptopRT)
	wantCode(t, err, "NotAuthorizedException", "Refresh Token has been revoked")
	if _, err := getUser(s.Admin, phoneAT); err != nil {
		t.Fatalf("the other session after the revocation: %v", err)
	}
	var left []struct{ SessionId string }
	out = must(t, 0, env, "", "session", "list", "--pool", poolID, "--username", "ann", "-o", "json").stdout
	if err := json.Unmarshal([]byte(out), &left); err != nil || len(left) != 1 || left[0].SessionId == laptopID {
		t.Fatalf("after the revocation: %v %s", err, out)
	}
	var done map[string]string
	out = must(t, 0, env, "", "session", "revoke", "--pool", poolID, "--username", "ann", left[0].SessionId, "-o", "json").stdout
	if err := json.Unmarshal([]byte(out), &done); err != nil || done["result"] != "revoked" || done["sessionId"] != left[0].SessionId {
		t.Fatalf("session revoke -o json: %v %s", err, out)
	}
	if r := must(t, 0, env, "", "session", "list", "--pool", poolID, "--username", "ann"); !strings.Contains(r.stdout, "no live sessions") {
		t.Errorf("an empty list: %q", r.stdout)
	}

	// Failures: exit 1 with the service's error; usage errors: exit 2.
	r = must(t, 1, env, "", "session", "revoke", "--pool", poolID, "--username", "ann", "00000000-0000-4000-8000-000000000000")
	if !strings.Contains(r.stderr, "ResourceNotFoundException") {
		t.Errorf("revoking a missing session: %s", r.stderr)
	}
	r = must(t, 1, env, "", "session", "list", "--pool", poolID, "--username", "nobody")
	if !strings.Contains(r.stderr, "UserNotFoundException") {
		t.Errorf("listing a missing user's sessions: %s", r.stderr)
	}
	unsigned := cliEnv(t, "COGNATE_ENDPOINT="+s.URL)
	r = must(t, 1, unsigned, "", "session", "list", "--pool", poolID, "--username", "ann")
	if !strings.Contains(r.stderr, "AdminListSessions") {
		t.Errorf("an unsigned call: %s", r.stderr)
	}
	must(t, 2, env, "", "session", "list", "--pool", poolID)
	must(t, 2, env, "", "session", "list", "--username", "ann")
	must(t, 2, env, "", "session", "revoke", "--pool", poolID, "--username", "ann")
	must(t, 2, env, "", "session", "list", "--pool", poolID, "--username", "ann", "--bogus")
	must(t, 2, env, "", "session", "frobnicate")
	if r := must(t, 0, env, "", "session", "revoke", "--help"); !strings.Contains(r.stdout, "Examples:") {
		t.Errorf("session revoke --help has no examples:\n%s", r.stdout)
	}
	r = must(t, 1, cliEnv(t), "", "session", "list", "--endpoint", "aws", "--region", "us-east-1", "--pool", poolID, "--username", "ann")
	if !strings.Contains(r.stderr, "Cognate's own") {
		t.Errorf("against Amazon Cognito: %s", r.stderr)
	}
}

// TestCLISessionCommandsDevMode: against a server in dev mode the session
// commands need no credentials, like the others.
func TestCLISessionCommandsDevMode(t *testing.T) {
	s := testserver.Start(t)
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "ann", password)
	at, _ := signInAs(t, s.URL, clientID, "ann", password, "phone/1.0")
	env := cliEnv(t, "COGNATE_ENDPOINT="+s.URL)
	r := must(t, 0, env, "", "session", "list", "--pool", poolID, "--username", "ann")
	lineMatches(t, r.stdout, `\s+phone/1\.0$`)
	must(t, 0, env, "", "session", "revoke", "--pool", poolID, "--username", "ann", claims(t, at)["origin_jti"].(string))
	_, err := getUser(s.Admin, at)
	wantCode(t, err, "NotAuthorizedException", "Access Token has been revoked")

	// The audit trail of it all.
	if err := signInWith(s, clientID, "ann", "Wrong-Passw0rd!"); err == nil {
		t.Fatal("a wrong password signed in")
	}
	r = must(t, 0, env, "", "audit", "list", "--pool", poolID, "--username", "ann")
	lineMatches(t, r.stdout, `^TIME\s+EVENT\s+OUTCOME\s+REASON\s+USERNAME\s+CLIENT\s+SOURCE IP$`)
	lineMatches(t, r.stdout, `^\d{4}-\S+Z\s+SignIn\s+Fail\s+wrong-password\s+ann\s+`+clientID+`\s+127\.0\.0\.1$`)
	lineMatches(t, r.stdout, `^\S+\s+SessionRevoked\s+Pass\s+revoked\s+ann\s+`)
	lineMatches(t, r.stdout, `^\S+\s+AdminRevokeSession\s+Pass\s+-\s+ann\s+`)
	var events []struct{ EventType, Outcome, Reason string }
	out := must(t, 0, env, "", "audit", "list", "--pool", poolID, "--event-type", "SignIn", "--since", "1h", "--limit", "1", "-o", "json").stdout
	if err := json.Unmarshal([]byte(out), &events); err != nil || len(events) != 1 || events[0].Reason != "wrong-password" {
		t.Fatalf("audit list --limit 1 -o json: %v %s", err, out)
	}
	must(t, 2, env, "", "audit", "list")
	must(t, 2, env, "", "audit", "list", "--pool", poolID, "--limit", "0")
	if r := must(t, 0, env, "", "audit", "list", "--pool", poolID, "--username", "nobody"); !strings.Contains(r.stdout, "no events") {
		t.Errorf("no events: %q", r.stdout)
	}
}

// signInWith runs USER_PASSWORD_AUTH and returns its error.
func signInWith(s *testserver.Server, clientID, user, pass string) error {
	_, err := s.Admin.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pass}})
	return err
}
