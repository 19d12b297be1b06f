package e2e

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// TestVersionAndStartupLine: `cognate --version` names the build, and the
// start-up line says which version runs and where its data lives.
func TestVersionAndStartupLine(t *testing.T) {
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("cognate --version: %v: %s", err, out)
	}
	if !regexp.MustCompile(`^cognate version \S.*\(go1\.\d+`).Match(out) {
		t.Fatalf("cognate --version printed %q", out)
	}
	dir := t.TempDir()
	p := startBinary(t, dir)
	line := ""
	for _, l := range strings.Split(p.log(), "\n") {
		if strings.Contains(l, `msg="cognate listening"`) {
			line = l
		}
	}
	if !strings.Contains(line, "version=") {
		t.Errorf("the start-up line names no version: %s", line)
	}
	if !testserver.OnPostgres() {
		want := "data=" + filepath.Join(dir, "cognate.db")
		if !strings.Contains(line, want) {
			t.Errorf("the start-up line lacks %q: %s", want, line)
		}
	} else if !strings.Contains(line, "data=postgresql://") || strings.Contains(line, "postgres@") {
		t.Errorf("the start-up line should name the database without its user: %s", line)
	}
}
