package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// readmeBlock returns the bash block between a README's start and end
// markers.
func readmeBlock(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start, end := strings.Index(s, "<!-- "+name+":start -->"), strings.Index(s, "<!-- "+name+":end -->")
	if start < 0 || end < start {
		t.Fatalf("README has no %s markers", name)
	}
	block := s[start:end]
	return block[strings.Index(block, "```bash")+len("```bash") : strings.LastIndex(block, "```")]
}

// TestHostedUIQuickStart runs the README's hosted-UI quick start verbatim
// with the real AWS CLI against the real binary: the URL it prints opens the
// sign-in page, alice signs in, and the README's curl exchanges the code for
// tokens.
func TestHostedUIQuickStart(t *testing.T) {
	t.Parallel() // see requireAWSCLI
	requireAWSCLI(t)
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	p := startBinary(t, t.TempDir())
	// The first block, then the variables the second needs, printed for Go.
	script := "set -eu\n" + readmeBlock(t, "hostedui") + "\necho \"POOL=$POOL\"; echo \"CLIENT=$CLIENT\"; echo \"VERIFIER=$VERIFIER\"\n"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Env = append(os.Environ(), "COGNATE="+p.url, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("the quick start: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	vars, authorize := map[string]string{}, ""
	for _, l := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && (k == "POOL" || k == "CLIENT" || k == "VERIFIER") {
			vars[k] = v
		}
		if strings.HasPrefix(l, p.url+"/") && strings.Contains(l, "/oauth2/authorize?") {
			authorize = l
		}
	}
	if authorize == "" || vars["POOL"] == "" || vars["CLIENT"] == "" || vars["VERIFIER"] == "" {
		t.Fatalf("the quick start printed no authorize URL or variables:\n%s", out.String())
	}

	// The browser: the URL leads to the sign-in page; alice signs in.
	h := &hostedUI{t: t, s: testserver.Remote(p.url), pool: vars["POOL"], client: vars["CLIENT"], hc: newBrowser()}
	r := h.get(authorize)
	action, csrf := h.loginForm(h.get(r.location()))
	r = h.get(h.submitLogin(action, csrf, "alice", "Passw0rd!").location())
	loc, err := url.Parse(r.location())
	if err != nil || !strings.HasPrefix(r.location(), "http://localhost:3000/callback?") || loc.Query().Get("code") == "" {
		t.Fatalf("after signing in: %d Location %q", r.status, r.location())
	}

	tokenScript := "set -eu\n" + readmeBlock(t, "hostedui-token")
	cmd = exec.CommandContext(ctx, "bash", "-c", tokenScript)
	cmd.Env = append(os.Environ(), "COGNATE="+p.url, "POOL="+vars["POOL"], "CLIENT="+vars["CLIENT"],
		"VERIFIER="+vars["VERIFIER"], "CODE="+loc.Query().Get("code"))
	tokens, err := cmd.Output()
	if err != nil {
		t.Fatalf("the token exchange: %v: %s", err, tokens)
	}
	var raw map[string]any
	if err := json.Unmarshal(tokens, &raw); err != nil {
		t.Fatalf("the token exchange printed %q", tokens)
	}
	for _, k := range []string{"id_token", "access_token", "refresh_token"} {
		if s, _ := raw[k].(string); s == "" {
			t.Fatalf("the token exchange lacks %s: %v", k, raw)
		}
	}
	if claims(t, raw["id_token"].(string))["cognito:username"] != "alice" {
		t.Fatal("the ID token is not alice's")
	}
}
