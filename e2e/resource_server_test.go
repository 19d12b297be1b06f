package e2e

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// startResourceServer builds and runs examples/resource-server with args
// (plus --listen on a free port) and returns its base URL.
func startResourceServer(t *testing.T, args ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "resource-server")
	if out, err := exec.Command("go", "build", "-o", bin, "../examples/resource-server").CombinedOutput(); err != nil {
		t.Fatalf("build resource-server: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append(args, "--listen", "127.0.0.1:0")...)
	var logs lockedBuffer
	cmd.Stderr = &logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("resource-server log:\n%s", logs.String())
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				addr <- rest
			}
		}
	}()
	select {
	case a := <-addr:
		return a
	case <-time.After(30 * time.Second):
		t.Fatalf("resource-server did not start:\n%s", logs.String())
		return ""
	}
}

// feedServed reports whether the server serves the pool's revocation feed.
func feedServed(t *testing.T, issuer string) bool {
	t.Helper()
	resp, err := http.Get(issuer + "/revocations/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

// callHello calls GET /hello with the access token.
func callHello(t *testing.T, api, access string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", api+"/hello", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("WWW-Authenticate")
}

// TestResourceServerExample runs examples/resource-server against a real
// server: a signed-in user is greeted, and once the user signs out
// everywhere the very token is refused within a second.
func TestResourceServerExample(t *testing.T) {
	s := testserver.Start(t)
	poolID, clientID, _ := s.NewPool(t)
	issuer := s.URL + "/" + poolID
	if !feedServed(t, issuer) {
		t.Skip("this server does not serve the revocation feed yet")
	}
	s.NewUser(t, poolID, "ezra", password)
	api := startResourceServer(t, "--issuer", issuer, "--client-id", clientID)
	access := *signIn(t, s.Admin, clientID, "ezra", password).AuthenticationResult.AccessToken
	if code, body, _ := callHello(t, api, access); code != 200 || body != "hello, ezra\n" {
		t.Fatalf("GET /hello: %d %q", code, body)
	}
	if code, _, challenge := callHello(t, api, ""); code != 401 || challenge != `Bearer realm="api"` {
		t.Fatalf("GET /hello without a token: %d %q", code, challenge)
	}
	if _, err := s.Admin.GlobalSignOut(bg, &cip.GlobalSignOutInput{AccessToken: aws.String(access)}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		code, _, challenge := callHello(t, api, access)
		if code == 401 {
			if !strings.Contains(challenge, `error="invalid_token"`) || !strings.Contains(challenge, "revoked") {
				t.Fatalf("after sign-out: WWW-Authenticate %q", challenge)
			}
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("the API still answers %d a second after the sign-out", code)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("the sign-out reached the API in %v", time.Since(start))
}

// TestREADMEProtectYourAPI runs the README's "Protecting your API" blocks
// with the real AWS CLI and curl against the real binary, with the example
// API started as the README says.
func TestREADMEProtectYourAPI(t *testing.T) {
	t.Parallel() // see requireAWSCLI
	requireAWSCLI(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	p := startBinary(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := func(block string, env ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, "bash", "-c", "set -eu\n"+readmeBlock(t, block))
		cmd.Env = append(append(os.Environ(), "COGNATE="+p.url, "AWS_CONFIG_FILE=/dev/null",
			"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER="), env...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("README block %s: %v\n%s\n%s", block, err, out.String(), errOut.String())
		}
		return out.String()
	}
	vars := map[string]string{}
	for _, l := range strings.Split(run("protect-setup"), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			vars[k] = v
		}
	}
	issuer := vars["ISSUER"]
	if issuer == "" || vars["CLIENT"] == "" {
		t.Fatalf("the setup block printed %v", vars)
	}
	if !feedServed(t, issuer) {
		t.Skip("this server does not serve the revocation feed yet")
	}
	api := startResourceServer(t, "--issuer", issuer, "--client-id", vars["CLIENT"])
	// The second block continues the first one's shell: its exports and
	// variables.
	out := run("protect-call", "CLIENT="+vars["CLIENT"], "API="+api, "AWS_ACCESS_KEY_ID=local",
		"AWS_SECRET_ACCESS_KEY=local", "AWS_DEFAULT_REGION=us-east-1")
	want := []string{"hello, alice", "HTTP/1.1 401 Unauthorized"}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || lines[0] != want[0] || strings.TrimSpace(lines[1]) != want[1] {
		t.Fatalf("README block protect-call printed %q, want %q", out, want)
	}
}
