package main

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestREADMEFlagsTable: the README's table of `cognate serve` flags lists
// exactly the flags the command has, so that neither drifts from the other.
func TestREADMEFlagsTable(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	start := strings.Index(readme, "## Serving\n")
	if start < 0 {
		t.Fatal("README.md has no Serving section")
	}
	section := readme[start:]
	if end := strings.Index(section[1:], "\n## "); end >= 0 {
		section = section[:end+1]
	}
	row := regexp.MustCompile("(?m)^\\| `--([a-z0-9-]+)` \\|")
	documented := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		if documented[m[1]] {
			t.Errorf("--%s is in the table twice", m[1])
		}
		documented[m[1]] = true
	}
	var missing, stale []string
	serveCmd().Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		if !documented[f.Name] {
			missing = append(missing, "--"+f.Name)
		}
		delete(documented, f.Name)
	})
	for name := range documented {
		stale = append(stale, "--"+name)
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("flags of cognate serve missing from README's table: %v", missing)
	}
	if len(stale) > 0 {
		t.Errorf("README's table lists flags cognate serve does not have: %v", stale)
	}
}
