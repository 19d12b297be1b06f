package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/auth/credstore"
	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/verify"
)

// The promise these tests hold: once a sign-out has been answered, a
// resource server that verifies tokens with package verify (or sits behind
// `cognate proxy`) refuses the signed-out tokens within one second. Each
// runs reachTrials sign-in / sign-out rounds (local and global in turn) and
// asserts the bound on every one of them.
const (
	reachTrials = 200
	reachBound  = time.Second
)

// reachSetup is a real server (the binary), a pool whose public client the
// user signs in with, a confidential client that reads the revocation feed,
// and a user.
type reachSetup struct {
	srv                        *process
	admin                      *cip.Client
	poolID, clientID           string
	feedClientID, feedSecret   string
	issuer, username, password string
}

func newReachSetup(t *testing.T) *reachSetup {
	t.Helper()
	p := startBinary(t, t.TempDir())
	admin := testserver.NewClient(p.url)
	ctx := context.Background()
	pool, err := admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("reach")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := *pool.UserPool.Id
	public, err := admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
	if err != nil {
		t.Fatal(err)
	}
	reader, err := admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("api"),
		GenerateSecret: true})
	if err != nil {
		t.Fatal(err)
	}
	const username, password = "reacher", "Reach-Passw0rd!"
	if _, err := admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String(username),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String(username),
		Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	return &reachSetup{srv: p, admin: admin, poolID: poolID, clientID: *public.UserPoolClient.ClientId,
		feedClientID: *reader.UserPoolClient.ClientId, feedSecret: *reader.UserPoolClient.ClientSecret,
		issuer: p.url + "/" + poolID, username: username, password: password}
}

// resourceServer is an API protected by verify.Middleware that answers 200
// with the caller's username.
func (r *reachSetup) resourceServer(t *testing.T) string {
	t.Helper()
	v, err := verify.New(verify.Config{Issuer: r.issuer, ClientIDs: []string{r.clientID},
		FeedClientID: r.feedClientID, FeedClientSecret: r.feedSecret, Feed: verify.FeedRequired})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	api := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		c, _ := verify.ClaimsFrom(req.Context())
		fmt.Fprintln(w, c.Username)
	})))
	t.Cleanup(api.Close)
	return api.URL
}

// status asks url with token as the bearer.
func status(t *testing.T, url, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// untilRefused asks url every 2 ms until it refuses token (401), and
// returns the time from start to that refusal; it gives up after 5 s.
func untilRefused(t *testing.T, url, token string, start time.Time) time.Duration {
	t.Helper()
	for {
		code := status(t, url, token)
		if code == http.StatusUnauthorized {
			return time.Since(start)
		}
		if code != http.StatusOK {
			t.Fatalf("the resource server answered %d", code)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the resource server still accepts the token 5 s after the sign-out")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// judge fails when a delay is over the bound and logs the distribution.
func judge(t *testing.T, how string, delays []time.Duration) {
	t.Helper()
	if len(delays) < reachTrials {
		t.Fatalf("%s: %d trials, want %d", how, len(delays), reachTrials)
	}
	sorted := slices.Clone(delays)
	slices.Sort(sorted)
	pct := func(p float64) time.Duration { return sorted[int(p*float64(len(sorted)-1))] }
	t.Logf("%s: %d trials, refused after p50 %v, p99 %v, max %v", how, len(sorted), pct(0.5), pct(0.99), sorted[len(sorted)-1])
	for i, d := range delays {
		if d > reachBound {
			t.Errorf("%s: trial %d refused %v after the sign-out, bound %v", how, i, d, reachBound)
		}
	}
}

// sdkTrials signs the user in and out through the auth SDK reachTrials
// times, asking api before (200) and after (until 401) each sign-out.
func (r *reachSetup) sdkTrials(t *testing.T, api string) []time.Duration {
	t.Helper()
	c, err := auth.New(auth.Config{Region: "us-east-1", UserPoolID: r.poolID, ClientID: r.clientID, Endpoint: r.srv.url,
		Store: credstore.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var delays []time.Duration
	for i := range reachTrials {
		global := i%2 == 1
		if res, err := c.SignIn(ctx, r.username, r.password, auth.SignInOptions{}); err != nil || !res.SignedIn {
			t.Fatalf("trial %d: SignIn: %v %+v", i, err, res)
		}
		s, err := c.FetchAuthSession(ctx, auth.FetchAuthSessionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if code := status(t, api, s.Tokens.AccessToken); code != http.StatusOK {
			t.Fatalf("trial %d: the resource server answered %d before the sign-out", i, code)
		}
		start := time.Now()
		if res := c.SignOut(ctx, auth.SignOutOptions{Global: global}); res.Err() != nil {
			t.Fatalf("trial %d: SignOut(global %v): %v", i, global, res.Err())
		}
		delays = append(delays, untilRefused(t, api, s.Tokens.AccessToken, start))
	}
	return delays
}

// TestSignOutReachesAPI: through the Go SDK, local and global sign-outs
// reach a resource server using package verify within one second.
func TestSignOutReachesAPI(t *testing.T) {
	r := newReachSetup(t)
	judge(t, "auth SDK → verify", r.sdkTrials(t, r.resourceServer(t)))
}

// TestSignOutReachesAPIThroughProxy: the same in front of an API that knows
// nothing of tokens, through `cognate proxy` (the binary). What the proxy
// passes upstream, and strips, is cmd/cognate's proxy_test.
func TestSignOutReachesAPIThroughProxy(t *testing.T) {
	r := newReachSetup(t)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Authorization") == "" {
			http.Error(w, "the proxy passed a request without its token", http.StatusTeapot)
			return
		}
		fmt.Fprintln(w, req.Header.Get("X-Cognate-Username"))
	}))
	defer upstream.Close()
	proxy := startProxy(t, "--upstream", upstream.URL, "--issuer", r.issuer, "--client-id", r.clientID,
		"--feed-client-id", r.feedClientID, "--feed-client-secret", r.feedSecret)
	judge(t, "auth SDK → cognate proxy", r.sdkTrials(t, proxy))
}

var proxyListenRE = regexp.MustCompile(`addr=(\S+)`)

// startProxy runs `cognate proxy` on a free loopback port and returns its URL.
func startProxy(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"proxy", "--listen", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening") {
				if m := proxyListenRE.FindStringSubmatch(sc.Text()); m != nil {
					addr <- m[1]
				}
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(20 * time.Second):
		t.Fatal("cognate proxy did not say where it listens")
	}
	return ""
}

// TestSignOutReachesAPIAmplify: Amplify JS signs the user in and out
// (signOut() and signOut({global: true}) in turn) and the resource server
// refuses each signed-out token within one second.
func TestSignOutReachesAPIAmplify(t *testing.T) {
	node := requireJSClients(t)
	r := newReachSetup(t)
	api := r.resourceServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), jsRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "signout-reaches-api.mjs")
	cmd.Dir = jsDir
	cmd.Env = append(os.Environ(), "COGNATE_URL="+r.srv.url, "POOL_ID="+r.poolID, "CLIENT_ID="+r.clientID,
		"USERNAME="+r.username, "PASSWORD="+r.password, "RESOURCE_URL="+api, fmt.Sprintf("TRIALS=%d", reachTrials))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	_, line, ok := strings.Cut(string(out), "RESULT ")
	if !ok {
		t.Fatalf("no RESULT line:\n%s", out)
	}
	var res struct {
		Trials   int
		Delays   []float64
		Failures []string
	}
	if err := json.Unmarshal([]byte(strings.SplitN(line, "\n", 2)[0]), &res); err != nil {
		t.Fatalf("RESULT: %v\n%s", err, out)
	}
	for _, f := range res.Failures {
		t.Error(f)
	}
	delays := make([]time.Duration, len(res.Delays))
	for i, ms := range res.Delays {
		delays[i] = time.Duration(ms * float64(time.Millisecond))
	}
	judge(t, "Amplify JS → verify", delays)
}
