package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// TestExamples runs the sign-out examples as a user would: with nobody
// signed in they say so (and claim no sign-out), and with a user they sign
// the user out — globally, so that the user's other session ends too.
func TestExamples(t *testing.T) {
	s := testserver.Start(t)
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "ezra", password)
	other := signIn(t, s.Admin, clientID, "ezra", password)
	dir := t.TempDir()
	build := func(name string) string {
		bin := filepath.Join(dir, name)
		if err := goBuild(bin, "../examples/"+name); err != nil {
			t.Fatalf("build %s: %v", name, err)
		}
		return bin
	}
	run := func(bin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"-endpoint", s.URL, "-pool", poolID, "-client", clientID,
			"-store", filepath.Join(dir, "creds")}, args...)...)
		cmd.Env = append(cmd.Environ(), "COGNATE_USERNAME=", "COGNATE_PASSWORD=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, out)
		}
		return string(out)
	}
	global, local := build("signout-global"), build("signout-local")
	for _, bin := range []string{global, local} {
		out := run(bin)
		if !strings.Contains(out, "nobody is signed in: there is nothing to sign out") || strings.Contains(out, "signed out successfully") {
			t.Fatalf("%s with nobody signed in: %q", filepath.Base(bin), out)
		}
	}
	if out := run(local, "-user", "ezra", "-password", password); !strings.Contains(out, "signed out") {
		t.Fatalf("signout-local: %q", out)
	}
	if _, err := getUser(s.Admin, *other.AuthenticationResult.AccessToken); err != nil {
		t.Fatalf("a local sign-out ended another session: %v", err)
	}
	if out := run(global, "-user", "ezra", "-password", password); !strings.Contains(out, "signed out successfully, on every device") {
		t.Fatalf("signout-global: %q", out)
	}
	if _, err := getUser(s.Admin, *other.AuthenticationResult.AccessToken); err == nil {
		t.Fatal("the user's other session survived the global sign-out")
	}
}
