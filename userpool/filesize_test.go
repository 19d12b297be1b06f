package userpool_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxFileLines is the house rule's "about 500 lines" for a domain file,
// with some slack so that a file a few lines over is not a failure; one
// well over it wants splitting by concern.
const maxFileLines = 550

// TestDomainFilesStaySmall: no file of the domain (tests excepted) grows
// past the house limit.
func TestDomainFilesStaySmall(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		if n := bytes.Count(b, []byte("\n")); n > maxFileLines {
			t.Errorf("%s has %d lines, more than %d: split it by concern", f, n, maxFileLines)
		}
	}
	if checked == 0 {
		t.Fatal("no domain files found")
	}
}
