package e2e

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// buildBinary builds cmd/cognate once per test binary, as the Dockerfile
// does (goBuild): every test runs the binary the image ships,
// TestContainerImage needs no build of its own, and with -trimpath the build
// cache serves any checkout of the repository, not only this directory.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "cognate-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "cognate")
	if err := goBuild(bin, "github.com/cognate-dev/cognate/cmd/cognate"); err != nil {
		return "", err
	}
	return bin, nil
})

// The Dockerfile's build: a static binary without cgo (TestContainerImage
// checks that the Dockerfile still builds so).
var (
	imageBuildEnv   = "CGO_ENABLED=0"
	imageBuildFlags = []string{"-trimpath", "-ldflags=-s -w"}
)

// goBuild builds pkg into bin as the Dockerfile builds the binary, so that
// every binary the tests build shares one build configuration's compiled
// packages.
func goBuild(bin, pkg string) error {
	cmd := exec.Command("go", append(append([]string{"build"}, imageBuildFlags...), "-o", bin, pkg)...)
	cmd.Env = append(os.Environ(), imageBuildEnv)
	if out, err := cmd.CombinedOutput(); err != nil {
		return &buildError{string(out), err}
	}
	return nil
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }

// process is a running `cognate serve`.
type process struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
	mu   *sync.Mutex
	done chan error
}

var listenRE = regexp.MustCompile(`msg="cognate listening" addr=(\S+)`)

// startBinary runs `cognate serve` on a free loopback port and waits until it listens.
func startBinary(t *testing.T, dataDir string, args ...string) *process {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs.WriteString(line + "\n")
			p.mu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() { p.done <- cmd.Wait() }()
	select {
	case a := <-addr:
		p.url = "http://" + a
	case err := <-p.done:
		t.Fatalf("cognate exited before listening: %v\n%s", err, p.log())
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("cognate did not start\n%s", p.log())
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

func (p *process) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// stop sends SIGTERM and waits for a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("cognate exited with %v after SIGTERM\n%s", err, p.log())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("cognate did not stop within 20 s of SIGTERM")
	}
}

// walkthrough returns the README's AWS CLI walkthrough.
func walkthrough(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "<!-- walkthrough:start -->")
	end := strings.Index(s, "<!-- walkthrough:end -->")
	if start < 0 || end < start {
		t.Fatal("README has no walkthrough markers")
	}
	block := s[start:end]
	block = block[strings.Index(block, "```bash")+len("```bash") : strings.LastIndex(block, "```")]
	return block
}

// requireAWSCLI skips the test without the AWS CLI (fails in CI). The tests
// that drive the CLI (TestCLIWalkthrough, TestAccountAdminWithAWSCLI,
// TestDomainWithAWSCLI, TestHostedUIQuickStart, TestREADMEProtectYourAPI)
// call t.Parallel: their time is Python starting the CLI, one process at a
// time on one core, so two of them share 2 cores well. Each has its own
// server and directories, none measures time, and Go runs them after the
// package's other tests, so they slow no timing test either.
func requireAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the AWS CLI is required in CI (scripts/test installs Debian's awscli)")
		}
		t.Skip("aws CLI not installed; scripts/test installs it")
	}
}

// runWalkthrough runs the README block against url with the given secret key
// and checks every step's observable outcome.
func runWalkthrough(t *testing.T, url, secret string) (stdout, stderr string) {
	t.Helper()
	script := "set -u\n" + strings.Replace(walkthrough(t), "AWS_SECRET_ACCESS_KEY=local", "AWS_SECRET_ACCESS_KEY="+secret, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Env = append(os.Environ(), "COGNATE="+url, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); ctx.Err() != nil {
		t.Fatalf("walkthrough timed out: %v\n%s\n%s", err, o.String(), e.String())
	}
	return o.String(), e.String()
}

func checkWalkthrough(t *testing.T, stdout, stderr string) {
	t.Helper()
	lines := strings.Fields(stdout)
	if len(lines) != 3 || lines[0] != "FORCE_CHANGE_PASSWORD" || lines[1] != "alice" || lines[2] != "alice" {
		t.Fatalf("walkthrough stdout = %q, want FORCE_CHANGE_PASSWORD, alice, alice\nstderr:\n%s", stdout, stderr)
	}
	for _, want := range []string{"(NotAuthorizedException) when calling the GetUser operation: Access Token has been revoked",
		"(NotAuthorizedException) when calling the InitiateAuth operation: Refresh Token has been revoked"} {
		if !strings.Contains(stderr, want) {
			t.Fatalf("walkthrough stderr lacks %q:\n%s", want, stderr)
		}
	}
	if n := strings.Count(stderr, "An error occurred"); n != 2 {
		t.Fatalf("walkthrough had %d errors, want exactly the 2 expected ones:\n%s", n, stderr)
	}
}

// TestCLIWalkthrough runs the README's walkthrough with the real AWS CLI
// against the real binary, in dev mode and with SigV4-checked admin calls,
// then checks graceful shutdown and that the data survived it.
func TestCLIWalkthrough(t *testing.T) {
	t.Parallel() // see requireAWSCLI
	requireAWSCLI(t)
	dir := t.TempDir()

	dev := startBinary(t, dir)
	// The walkthrough's last command fails on purpose, so its exit status is
	// not the verdict: checkWalkthrough reads every step's output instead.
	out, errOut := runWalkthrough(t, dev.url, "local")
	checkWalkthrough(t, out, errOut)
	dev.stop(t)
	if !strings.Contains(dev.log(), "shutting down") {
		t.Fatalf("no graceful shutdown in the log:\n%s", dev.log())
	}

	signed := startBinary(t, dir, "--admin-credentials", "local:local")
	out, errOut = runWalkthrough(t, signed.url, "local")
	checkWalkthrough(t, out, errOut)
	// A wrong secret is refused.
	cmd := exec.Command("aws", "cognito-idp", "list-user-pools", "--max-results", "5", "--endpoint-url", signed.url)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=not-the-secret", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "InvalidSignatureException") {
		t.Fatalf("wrong secret: want InvalidSignatureException, got %v\n%s", err, b)
	}
	// Unsigned admin calls are refused once credentials are configured.
	_, err := testserver.NewClient(signed.url).ListUserPools(bg, &cip.ListUserPoolsInput{MaxResults: aws.Int32(10)})
	wantCode(t, err, "MissingAuthenticationTokenException", "")
	signed.stop(t)

	// The database closed cleanly and kept both runs' pools.
	again := startBinary(t, dir)
	pools, err := testserver.NewClient(again.url).ListUserPools(bg, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	if len(pools.UserPools) != 2 {
		t.Fatalf("after restart: %d pools, want 2", len(pools.UserPools))
	}
	again.stop(t)
}
