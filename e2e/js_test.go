package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// jsDir holds the JavaScript client tests (aws-amplify v6 and
// amazon-cognito-identity-js), installed by `npm ci` in scripts/test.
const jsDir = "js"

// requireJSClients skips the test when the npm packages or node are missing,
// except in CI, where a missing install step must fail rather than hide.
func requireJSClients(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s; CI must run the JavaScript client tests (scripts/test runs `npm ci` in e2e/js)", why)
		}
		t.Skip(why + "; run `cd e2e/js && npm ci` (scripts/test does)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(jsDir, "node_modules", "aws-amplify", "package.json")); err != nil {
		missing("e2e/js/node_modules has no aws-amplify")
	}
	if _, err := os.Stat(filepath.Join(jsDir, "node_modules", "amazon-cognito-identity-js", "package.json")); err != nil {
		missing("e2e/js/node_modules has no amazon-cognito-identity-js")
	}
	return node
}

var (
	ansiRE       = regexp.MustCompile(`\x1b\[[0-9;]*m`)
	nodeCountRE  = regexp.MustCompile(`(?m)^\s*(?:ℹ|#)\s*(tests|pass|fail|cancelled|skipped|todo)\s+(\d+)\s*$`)
	jsRunTimeout = 6 * time.Minute // a bound for a loaded 2-core machine, not a speed target
)

// jsTestConcurrency runs two test files at a time. node's default is one
// fewer than the CPUs, so on 2 cores the files ran one after another while
// a core sat idle: most of a file's time is its client's CPU (SRP's big
// numbers in JavaScript) and the server's answers. Each file makes its own
// pools and users, so files share nothing but the server.
const jsTestConcurrency = "--test-concurrency=2"

// nodeSummary reads the closing counts of node's spec or tap reporter.
func nodeSummary(out string) map[string]int {
	counts := map[string]int{}
	for _, m := range nodeCountRE.FindAllStringSubmatch(ansiRE.ReplaceAllString(out, ""), -1) {
		n, _ := strconv.Atoi(m[2])
		counts[m[1]] = n // the last summary wins
	}
	return counts
}

// TestJSClients runs e2e/js with node's own test runner against the real
// binary: Amplify JS v6 (signUp, SRP signIn, fetchAuthSession, signOut local
// and global, NEW_PASSWORD_REQUIRED, remembered devices, cognito:groups in
// fetchAuthSession's tokens) and amazon-cognito-identity-js
// (authenticateUser, getSession, refreshSession, revokeTokens, signOut,
// globalSignOut, and remembered devices: confirmDevice, device SRP,
// listDevices, forgetDevice; software-token MFA: associateSoftwareToken,
// verifySoftwareToken, setUserMfaPreference, totpRequired and sendMFACode,
// mfaSetup). The JS tests assert on the server's answers themselves.
func TestJSClients(t *testing.T) {
	node := requireJSClients(t)
	srv := startBinary(t, t.TempDir())

	ctx, cancel := context.WithTimeout(context.Background(), jsRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", jsTestConcurrency, "--test-reporter=spec")
	cmd.Dir = jsDir
	cmd.Env = append(os.Environ(), "COGNATE_URL="+srv.url, "NO_COLOR=1", "FORCE_COLOR=0")
	// node --test runs each file in a child process: on timeout, kill the
	// whole group, and don't wait for stray children holding the pipe.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second

	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var out bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // stream the runner's output into the test log (live with -v) and keep it
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			t.Log(sc.Text())
		}
		_, _ = io.Copy(io.Discard, pr)
	}()

	start := time.Now()
	err := cmd.Run()
	_ = pw.Close()
	wg.Wait()
	elapsed := time.Since(start).Round(time.Millisecond)

	if ctx.Err() != nil {
		t.Fatalf("node --test did not finish within %s\ncognate log:\n%s", jsRunTimeout, srv.log())
	}
	counts := nodeSummary(out.String())
	t.Logf("node --test: %d tests, %d passed, %d failed, %d skipped in %s", counts["tests"], counts["pass"], counts["fail"], counts["skipped"], elapsed)
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("running node: %v", err)
		}
		t.Fatalf("node --test exited with %v (%d failed)\ncognate log:\n%s", err, counts["fail"], srv.log())
	}
	if _, ok := counts["pass"]; !ok {
		t.Fatalf("node --test printed no summary:\n%s", out.String())
	}
	if counts["pass"] == 0 {
		t.Fatal("node --test passed no test")
	}
	if counts["fail"] != 0 || counts["cancelled"] != 0 {
		t.Fatalf("node --test: %d failed, %d cancelled, yet exited 0", counts["fail"], counts["cancelled"])
	}
}
