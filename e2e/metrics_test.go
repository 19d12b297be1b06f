package e2e

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// TestMetrics: with --metrics-addr the binary serves Prometheus metrics on a
// listener of its own — requests per operation with their exception,
// latency histograms, revocations and global sign-outs, the live sessions,
// the revocation feed's subscribers and delivery lag, runtime metrics —
// and not on the public listener; a
// made-up operation name is counted as UnknownOperation, never as itself.
func TestMetrics(t *testing.T) {
	p := startBinary(t, t.TempDir(), "--metrics-addr", "127.0.0.1:0")
	var metricsURL string
	re := regexp.MustCompile(`msg=metrics url=(\S+)`)
	for deadline := time.Now().Add(10 * time.Second); metricsURL == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(p.log()); m != nil {
			metricsURL = m[1]
		}
	}
	if metricsURL == "" {
		t.Fatalf("no metrics URL in the log:\n%s", p.log())
	}
	s := testserver.Remote(p.url)
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "mia", password)
	// A revocation-feed stream (dev mode: no credentials) follows the pool.
	sctx, closeStream := context.WithCancel(bg)
	defer closeStream()
	sreq, _ := http.NewRequestWithContext(sctx, http.MethodGet, p.url+"/"+poolID+"/revocations", nil)
	sreq.Header.Set("Accept", "text/event-stream")
	stream, err := http.DefaultClient.Do(sreq)
	if err != nil || stream.StatusCode != http.StatusOK {
		t.Fatalf("revocation feed stream: %v, %v", stream, err)
	}
	defer stream.Body.Close()
	events := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "id: ") {
				events <- sc.Text()
			}
		}
	}()
	first := signIn(t, s.Admin, clientID, "mia", password)
	if _, err := s.Admin.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: aws.String(clientID), Token: first.AuthenticationResult.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	second := signIn(t, s.Admin, clientID, "mia", password)
	if _, err := s.Admin.GlobalSignOut(bg, &cip.GlobalSignOutInput{AccessToken: second.AuthenticationResult.AccessToken}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case <-events:
		case <-time.After(5 * time.Second):
			t.Fatal("the feed stream did not deliver the revocations")
		}
	}
	for range 2 {
		_, err := s.Admin.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(clientID),
			AuthParameters: map[string]string{"USERNAME": "mia", "PASSWORD": "Wrong-Passw0rd!"}})
		if err == nil {
			t.Fatal("a wrong password was accepted")
		}
	}
	// Two live sessions: the third sign-in's, and another user's.
	signIn(t, s.Admin, clientID, "mia", password)
	s.NewUser(t, poolID, "noa", password)
	signIn(t, s.Admin, clientID, "noa", password)
	req, _ := http.NewRequest(http.MethodPost, p.url+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.MadeUp-"+strings.Repeat("x", 40))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}

	resp, err := http.Get(p.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /metrics on the public listener: %d, want 404", resp.StatusCode)
	}
	scrape := func() string {
		resp, err := http.Get(metricsURL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b)
	}
	body := scrape()
	for _, want := range []string{
		`cognate_requests_total{code="200",exception="",route="InitiateAuth"} 4`,
		`cognate_requests_total{code="400",exception="NotAuthorizedException",route="InitiateAuth"} 2`,
		`cognate_requests_total{code="200",exception="",route="CreateUserPool"} 1`,
		`cognate_requests_total{code="400",exception="UnknownOperationException",route="UnknownOperation"} 1`,
		`cognate_request_duration_seconds_count{route="InitiateAuth"} 6`,
		"\ncognate_active_sessions 2\n",
		`cognate_revocations_total{reason="revoked"} 1`,
		`cognate_global_signouts_total{reason="signed-out"} 1`,
		"cognate_feed_subscribers 1\n",
		"cognate_feed_lag_seconds_count 2\n",
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// The stream's end shows.
	closeStream()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(scrape(), "cognate_feed_subscribers 0\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Error("cognate_feed_subscribers stayed above 0 after the stream closed")
			break
		}
	}
	if strings.Contains(body, "MadeUp") {
		t.Error("a made-up operation name became a label")
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", body)
	}
}
