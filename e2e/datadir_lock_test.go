package e2e

import (
	"bufio"
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

// TestDataDirLock: two `cognate serve` on one SQLite data directory would
// both write the same database; the second must refuse to start, naming the
// directory, and once the first has stopped a new one starts.
func TestDataDirLock(t *testing.T) {
	dir := t.TempDir()
	first := startBinary(t, dir)
	if _, err := testserver.NewClient(first.url).CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("one")}); err != nil {
		t.Fatal(err)
	}

	out, code := refusedToStart(t, dir)
	if code == 0 {
		t.Fatalf("second server exited 0:\n%s", out)
	}
	abs, _ := filepath.Abs(dir)
	if !strings.Contains(out, abs) || !strings.Contains(out, "another cognate serve") {
		t.Fatalf("second server's message does not name %s and say another cognate serve holds it:\n%s", abs, out)
	}
	// The same database through --db is the same lock.
	out, code = refusedToStart(t, t.TempDir(), "--db", filepath.Join(dir, "cognate.db"))
	if code == 0 || !strings.Contains(out, "another cognate serve") {
		t.Fatalf("second server on the same file through --db: exit %d:\n%s", code, out)
	}

	fi, err := os.Stat(filepath.Join(dir, "cognate.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("lock file mode %04o, want 0600", fi.Mode().Perm())
	}

	// The first server is untouched by the refused one.
	pools, err := testserver.NewClient(first.url).ListUserPools(bg, &cip.ListUserPoolsInput{MaxResults: aws.Int32(10)})
	if err != nil || len(pools.UserPools) != 1 {
		t.Fatalf("first server after the refusal: %v %v", pools, err)
	}
	first.stop(t)

	again := startBinary(t, dir)
	pools, err = testserver.NewClient(again.url).ListUserPools(bg, &cip.ListUserPoolsInput{MaxResults: aws.Int32(10)})
	if err != nil || len(pools.UserPools) != 1 {
		t.Fatalf("server started after the first stopped: %v %v", pools, err)
	}
	again.stop(t)
}

// refusedToStart runs `cognate serve` on dir and returns its output and exit
// code once it exits; a server that starts listening instead fails the test.
func refusedToStart(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	listening := false
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if listenRE.MatchString(sc.Text()) {
			listening = true
			break
		}
	}
	if listening {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("a second cognate serve started on %s:\n%s", dir, out.String())
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("second cognate serve neither listened nor exited:\n%s", out.String())
	}
	return out.String(), cmd.ProcessState.ExitCode()
}
