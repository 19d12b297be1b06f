package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/faultproxy"
	"github.com/cognate-dev/cognate/internal/testserver"
)

// rawCall sends one JSON 1.1 call and returns the status and body.
func rawCall(t *testing.T, base, op string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

// TestDatabaseOutage: while PostgreSQL is away every call answers
// InternalErrorException (HTTP 500, saying nothing of the database), no
// revocation is acknowledged, /ready fails and /health says why; when it
// returns the server serves again by itself, and a revocation then holds.
func TestDatabaseOutage(t *testing.T) {
	dsn := testserver.PostgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := faultproxy.New(t, u.Host)
	u.Host = proxy.Addr()
	s := testserver.StartWith(t, testserver.Options{DB: u.String()})
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "olga", password)
	out := signIn(t, s.Admin, clientID, "olga", password)
	access, refreshTok := aws.ToString(out.AuthenticationResult.AccessToken), aws.ToString(out.AuthenticationResult.RefreshToken)

	proxy.Down()
	for _, call := range []struct {
		op   string
		body map[string]any
	}{
		{"GetUser", map[string]any{"AccessToken": access}},
		{"RevokeToken", map[string]any{"ClientId": clientID, "Token": refreshTok}},
		{"InitiateAuth", map[string]any{"ClientId": clientID, "AuthFlow": "USER_PASSWORD_AUTH",
			"AuthParameters": map[string]string{"USERNAME": "olga", "PASSWORD": password}}},
		{"DescribeUserPool", map[string]any{"UserPoolId": poolID}},
	} {
		status, v := rawCall(t, s.URL, call.op, call.body)
		msg, _ := v["message"].(string)
		if status != http.StatusInternalServerError || v["__type"] != "InternalErrorException" {
			t.Fatalf("%s with the database away: %d %v, want 500 InternalErrorException", call.op, status, v)
		}
		for _, leak := range []string{"SQL", "sql", "postgres", "pgx", "dial", "127.0.0.1", "goroutine", ".go:"} {
			if strings.Contains(msg, leak) {
				t.Fatalf("%s: the message shows %q: %q", call.op, leak, msg)
			}
		}
	}
	waitUntil(t, "/ready to fail", func() bool {
		resp, err := http.Get(s.URL + "/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	resp, err := http.Get(s.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		OK       bool `json:"ok"`
		Database struct {
			OK bool `json:"ok"`
		} `json:"database"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !h.OK || h.Database.OK {
		t.Fatalf("/health with the database away: %d %+v", resp.StatusCode, h)
	}

	proxy.Restore()
	waitUntil(t, "the server to serve again", func() bool {
		_, err := getUser(s.Admin, access)
		return err == nil
	})
	// The RevokeToken refused during the outage was not acknowledged, so
	// the session is alive; revoked now, it stays revoked.
	if _, err := refresh(s.Admin, clientID, refreshTok); err != nil {
		t.Fatalf("refresh after the outage (the revocation was refused, not half-done): %v", err)
	}
	if _, err := s.Admin.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &clientID, Token: &refreshTok}); err != nil {
		t.Fatal(err)
	}
	if _, err := refresh(s.Admin, clientID, refreshTok); err == nil {
		t.Fatal("a token revoked after the outage still refreshes")
	}
	waitUntil(t, "/ready to pass", func() bool {
		resp, err := http.Get(s.URL + "/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// TestDatabaseStopsAnswering: a database that keeps its connections open
// and stops answering (a partition) fails requests after the request
// timeout with InternalErrorException instead of holding them, and the
// server serves again once it answers.
func TestDatabaseStopsAnswering(t *testing.T) {
	dsn := testserver.PostgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := faultproxy.New(t, u.Host)
	u.Host = proxy.Addr()
	const timeout = time.Second
	s := testserver.StartWith(t, testserver.Options{DB: u.String(), RequestTimeout: timeout})
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "pia", password)
	out := signIn(t, s.Admin, clientID, "pia", password)
	access := aws.ToString(out.AuthenticationResult.AccessToken)

	proxy.Pause()
	for _, op := range []string{"GetUser", "RevokeToken"} {
		body := map[string]any{"AccessToken": access}
		if op == "RevokeToken" {
			body = map[string]any{"ClientId": clientID, "Token": aws.ToString(out.AuthenticationResult.RefreshToken)}
		}
		start := time.Now()
		status, v := rawCall(t, s.URL, op, body)
		if status != http.StatusInternalServerError || v["__type"] != "InternalErrorException" {
			t.Fatalf("%s with the database not answering: %d %v, want 500 InternalErrorException", op, status, v)
		}
		if d := time.Since(start); d < timeout || d > 10*timeout {
			t.Fatalf("%s failed after %v, want about the request timeout (%v)", op, d, timeout)
		}
	}
	proxy.Restore()
	// The RevokeToken answered 500 may still commit once the partition
	// heals (its bytes were in flight): a 500 promises nothing either way,
	// only a 200 promises the commit. So "serving" is an answer either way.
	waitUntil(t, "the server to serve again", func() bool {
		_, err := getUser(s.Admin, access)
		var api interface{ ErrorCode() string }
		return err == nil || (errors.As(err, &api) && api.ErrorCode() == "NotAuthorizedException")
	})
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
