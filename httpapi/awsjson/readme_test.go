package awsjson_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/httpapi/awsjson"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's list of operations from the operation table")

const (
	opsBegin = "<!-- operations:begin (generated: go test ./httpapi/awsjson -run TestREADMEListsEveryOperation -update-readme) -->"
	opsEnd   = "<!-- operations:end -->"
)

// operationsSection renders the README's list of supported operations
// from the dispatch table.
func operationsSection() string {
	var public, admin, cognate []string
	for _, op := range awsjson.Operations() {
		if op.Cognate {
			kind := "public"
			if op.Admin {
				kind = "administrative"
			}
			cognate = append(cognate, "`"+op.Name+"` ("+kind+")")
			continue
		}
		if op.Admin {
			admin = append(admin, "`"+op.Name+"`")
		} else {
			public = append(public, "`"+op.Name+"`")
		}
	}
	var b strings.Builder
	b.WriteString(opsBegin + "\n")
	b.WriteString("**Public** (an app calls them with a client id or a user's access token; never signed):\n")
	b.WriteString(strings.Join(public, ", ") + ".\n\n")
	b.WriteString("**Administrative** (SigV4-signed with `--admin-credentials`; unsigned in dev mode):\n")
	b.WriteString(strings.Join(admin, ", ") + ".\n\n")
	b.WriteString("**Cognate's own** (X-Amz-Target prefix `" + awsjson.CognateTargetPrefix + "`; see [Sessions and the audit trail](#sessions-and-the-audit-trail)):\n")
	b.WriteString(strings.Join(cognate, ", ") + ".\n")
	b.WriteString(opsEnd)
	return b.String()
}

// TestREADMEListsEveryOperation keeps the README's list of supported
// operations equal to the table the server dispatches on.
func TestREADMEListsEveryOperation(t *testing.T) {
	const path = "../../README.md"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	i, j := strings.Index(readme, opsBegin), strings.Index(readme, opsEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q … %q section", opsBegin, opsEnd)
	}
	current, want := readme[i:j+len(opsEnd)], operationsSection()
	if current == want {
		return
	}
	if *updateREADME {
		if err := os.WriteFile(path, []byte(readme[:i]+want+readme[j+len(opsEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("README.md's list of operations is not the operation table's; run\n  go test ./httpapi/awsjson -run TestREADMEListsEveryOperation -update-readme\nwant:\n%s", want)
}
