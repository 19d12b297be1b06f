package main

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestREADMEFlagsTable: the README's tables of `cognate serve` and
// `cognate proxy` flags list exactly the flags each command has, so that
// neither drifts from the other.
func TestREADMEFlagsTable(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		heading string
		cmd     *cobra.Command
	}{
		{"## Serving\n", serveCmd()},
		{"### `cognate proxy`\n", proxyCmd()},
	} {
		t.Run(tc.cmd.Name(), func(t *testing.T) { checkFlagsTable(t, string(raw), tc.heading, tc.cmd) })
	}
}

// checkFlagsTable compares the flag rows of the README section under
// heading (up to the next heading) with cmd's flags.
func checkFlagsTable(t *testing.T, readme, heading string, cmd *cobra.Command) {
	start := strings.Index(readme, heading)
	if start < 0 {
		t.Fatalf("README.md has no %q section", strings.TrimSpace(heading))
	}
	section := readme[start+len(heading):]
	if end := strings.Index(section, "\n#"); end >= 0 {
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
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
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
		t.Errorf("flags of cognate %s missing from README's table: %v", cmd.Name(), missing)
	}
	if len(stale) > 0 {
		t.Errorf("README's table lists flags cognate %s does not have: %v", cmd.Name(), stale)
	}
}
