package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/creack/pty"

	"github.com/cognate-dev/cognate/internal/faultproxy"
	"github.com/cognate-dev/cognate/internal/testserver"
)

// The operator's commands (pool, client, user) and the user's (signin,
// whoami, signout) through the built binary against a running server.

// must runs a command that must exit with code.
func must(t *testing.T, code int, env []string, stdin string, args ...string) result {
	t.Helper()
	r := runCLI(t, env, stdin, args...)
	if r.code != code {
		t.Fatalf("cognate %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	return r
}

func lineMatches(t *testing.T, out, re string) {
	t.Helper()
	if !regexp.MustCompile(`(?m)` + re).MatchString(out) {
		t.Errorf("no line matching %s in:\n%s", re, out)
	}
}

func TestCLIOperatorCommands(t *testing.T) {
	p := startBinary(t, t.TempDir())
	env := cliEnv(t, "COGNATE_ENDPOINT="+p.url)

	// Pools.
	pool := strings.TrimSpace(must(t, 0, env, "", "pool", "create", "shop", "--username-attributes", "email",
		"--auto-verify", "email", "--case-sensitive", "off", "--account-recovery", "verified_email").stdout)
	if !regexp.MustCompile(`^us-east-1_[0-9A-Za-z]+$`).MatchString(pool) {
		t.Fatalf("pool create printed %q", pool)
	}
	fixed := must(t, 0, env, "", "pool", "create", "fixed", "--id", "us-east-1_Fixed01", "-o", "json").stdout
	var created struct{ Id, Name string }
	if err := json.Unmarshal([]byte(fixed), &created); err != nil || created.Id != "us-east-1_Fixed01" || created.Name != "fixed" {
		t.Fatalf("pool create --id: %v %s", err, fixed)
	}
	r := must(t, 0, env, "", "pool", "list")
	lineMatches(t, r.stdout, `^ID\s+NAME\s+CREATED$`)
	lineMatches(t, r.stdout, `^`+pool+`\s+shop\s+\d{4}-`)
	lineMatches(t, r.stdout, `^us-east-1_Fixed01\s+fixed\s+`)
	var pools []struct{ Id, Name string }
	if err := json.Unmarshal([]byte(must(t, 0, env, "", "pool", "list", "--output", "json").stdout), &pools); err != nil || len(pools) != 2 {
		t.Fatalf("pool list json: %v %v", err, pools)
	}
	r = must(t, 0, env, "", "pool", "describe", pool)
	lineMatches(t, r.stdout, `^UsernameAttributes\s+email$`)
	lineMatches(t, r.stdout, `^CaseSensitive\s+false$`)
	lineMatches(t, r.stdout, `^AccountRecovery\s+verified_email$`)
	var desc struct {
		Id                     string
		AutoVerifiedAttributes []string
	}
	if err := json.Unmarshal([]byte(must(t, 0, env, "", "pool", "describe", pool, "-o", "json").stdout), &desc); err != nil ||
		desc.Id != pool || len(desc.AutoVerifiedAttributes) != 1 {
		t.Errorf("pool describe json: %v %+v", err, desc)
	}
	must(t, 0, env, "", "pool", "delete", "us-east-1_Fixed01")
	r = must(t, 1, env, "", "pool", "describe", "us-east-1_Fixed01")
	if !strings.Contains(r.stderr, "ResourceNotFoundException") {
		t.Errorf("describe a deleted pool: %s", r.stderr)
	}

	// Clients.
	r = must(t, 0, env, "", "client", "create", "--pool", pool, "--name", "web", "--id", "shopweb",
		"--auth-flows", "ALLOW_USER_PASSWORD_AUTH,ALLOW_USER_SRP_AUTH", "--access-token-validity", "15m",
		"--refresh-token-validity", "30d", "--token-revocation", "on", "--rotation", "on", "--rotation-grace", "10s",
		"--oauth-flows", "code", "--oauth-scopes", "openid,email", "--callback-url", "http://localhost:3000/callback")
	lineMatches(t, r.stdout, `^ClientId\s+shopweb$`)
	lineMatches(t, r.stdout, `^AccessTokenValidity\s+15 minutes$`)
	lineMatches(t, r.stdout, `^RefreshTokenRotation\s+on, grace 10s$`)
	lineMatches(t, r.stdout, `^CallbackURLs\s+http://localhost:3000/callback$`)
	r = must(t, 0, env, "", "client", "create", "--pool", pool, "--name", "api", "--generate-secret", "-o", "json")
	var api struct{ ClientId, ClientSecret string }
	if err := json.Unmarshal([]byte(r.stdout), &api); err != nil || api.ClientId == "" || len(api.ClientSecret) < 24 {
		t.Fatalf("client create json: %v %s", err, r.stdout)
	}
	r = must(t, 0, env, "", "client", "update", "--pool", pool, "shopweb", "--access-token-validity", "1h", "--token-revocation", "off")
	if strings.TrimSpace(r.stdout) != "updated: accessTokenValidity, tokenRevocation" {
		t.Errorf("client update: %q", r.stdout)
	}
	if r = must(t, 0, env, "", "client", "update", "--pool", pool, "shopweb", "--access-token-validity", "60m"); strings.TrimSpace(r.stdout) != "unchanged" {
		t.Errorf("client update to the same length: %q", r.stdout)
	}
	admin := testserver.NewClient(p.url)
	out, err := admin.DescribeUserPoolClient(bg, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(pool), ClientId: aws.String("shopweb")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.UserPoolClient
	if aws.ToInt32(c.AccessTokenValidity) != 1 || c.TokenValidityUnits.AccessToken != "hours" || aws.ToBool(c.EnableTokenRevocation) ||
		c.RefreshTokenRotation.Feature != "ENABLED" || len(c.CallbackURLs) != 1 || len(c.AllowedOAuthScopes) != 2 {
		t.Errorf("after update (the other settings must be kept): %+v", c)
	}
	r = must(t, 0, env, "", "client", "describe", "--pool", pool, "shopweb")
	lineMatches(t, r.stdout, `^TokenRevocation\s+off$`)
	r = must(t, 0, env, "", "client", "list", "--pool", pool)
	lineMatches(t, r.stdout, `^CLIENT ID\s+NAME$`)
	lineMatches(t, r.stdout, `^shopweb\s+web$`)
	lineMatches(t, r.stdout, `^`+api.ClientId+`\s+api$`)

	// Users.
	r = must(t, 0, env, "Passw0rd!\n", "user", "create", "--pool", pool, "alice@example.com",
		"--attribute", "email=alice@example.com", "--attribute", "email_verified=true", "--password-stdin")
	lineMatches(t, r.stdout, `^USERNAME\s+STATUS\s+ENABLED\s+EMAIL\s+CREATED$`)
	lineMatches(t, r.stdout, `\s+CONFIRMED\s+true\s+alice@example.com\s+`)
	signIn(t, admin, "shopweb", "alice@example.com", "Passw0rd!")
	must(t, 0, env, "Temp0rary!\n", "user", "create", "--pool", pool, "bob@example.com",
		"--attribute", "email=bob@example.com", "--password-stdin", "--temporary")
	var users []struct {
		Username   string
		UserStatus string
		Enabled    bool
	}
	if err := json.Unmarshal([]byte(must(t, 0, env, "", "user", "list", "--pool", pool, "-o", "json").stdout), &users); err != nil || len(users) != 2 {
		t.Fatalf("user list json: %v %+v", err, users)
	}
	r = must(t, 0, env, "", "user", "list", "--pool", pool)
	lineMatches(t, r.stdout, `FORCE_CHANGE_PASSWORD\s+true\s+bob@example.com`)
	r = must(t, 0, env, "", "user", "get", "--pool", pool, "alice@example.com")
	lineMatches(t, r.stdout, `^Status\s+CONFIRMED$`)
	lineMatches(t, r.stdout, `^email\s+alice@example.com$`)
	must(t, 0, env, "", "user", "disable", "--pool", pool, "alice@example.com")
	var got struct{ Enabled bool }
	_ = json.Unmarshal([]byte(must(t, 0, env, "", "user", "get", "--pool", pool, "alice@example.com", "-o", "json").stdout), &got)
	if got.Enabled {
		t.Error("user disable did not disable")
	}
	must(t, 0, env, "", "user", "enable", "--pool", pool, "alice@example.com")
	must(t, 0, env, "N3w-Passw0rd!\n", "user", "set-password", "--pool", pool, "alice@example.com", "--password-stdin")
	tokens := signIn(t, admin, "shopweb", "alice@example.com", "N3w-Passw0rd!")
	r = must(t, 0, env, "", "user", "sign-out", "--pool", pool, "alice@example.com")
	if strings.TrimSpace(r.stdout) != "alice@example.com: signed out everywhere" {
		t.Errorf("user sign-out: %q", r.stdout)
	}
	if _, err := getUser(admin, aws.ToString(tokens.AuthenticationResult.AccessToken)); err == nil {
		t.Error("the access token still works after user sign-out")
	}
	must(t, 0, env, "", "user", "delete", "--pool", pool, "bob@example.com")
	r = must(t, 1, env, "", "user", "get", "--pool", pool, "bob@example.com")
	if !strings.Contains(r.stderr, "UserNotFoundException") {
		t.Errorf("get a deleted user: %s", r.stderr)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, "Passw0rd") {
			t.Error("a password was printed")
		}
	}
}

func TestCLIExitCodes(t *testing.T) {
	p := startBinary(t, t.TempDir())
	env := cliEnv(t, "COGNATE_ENDPOINT="+p.url)
	for _, c := range []struct {
		code int
		args []string
		err  string
	}{
		{0, []string{"pool", "list"}, ""},
		{0, []string{"pool", "--help"}, ""},
		{0, []string{"completion", "bash"}, ""},
		{2, []string{"pool", "list", "--bogus"}, "unknown flag: --bogus"},
		{2, []string{"frob"}, `unknown command "frob"`},
		{2, []string{"serve", "--bogus"}, "unknown flag: --bogus"},
		{2, []string{"health", "--bogus"}, "unknown flag: --bogus"},
		{2, []string{"pool", "describe"}, "want POOL_ID"},
		{2, []string{"pool", "frob"}, `unknown command "frob"`},
		{2, []string{"pool", "list", "--output", "yaml"}, "want table or json"},
		{2, []string{"client", "list"}, "--pool is required"},
		{2, []string{"client", "create", "--pool", "us-east-1_X", "--name", "w", "--access-token-validity", "5x"}, "bad duration"},
		{2, []string{"client", "create", "--pool", "us-east-1_X", "--name", "w", "--token-revocation", "maybe"}, "want on or off"},
		{2, []string{"user", "list", "--pool", "us-east-1_X", "extra"}, "takes no arguments"},
		{2, []string{"signout", "--global", "--local-only"}, "exclude each other"},
		{2, []string{"user", "set-password", "--pool", "us-east-1_X", "u"}, "use --password-stdin"},
		{1, []string{"pool", "describe", "us-east-1_Missing"}, "ResourceNotFoundException"},
		{1, []string{"pool", "list", "--endpoint", "http://127.0.0.1:1"}, "ListUserPools"},
		{1, []string{"whoami"}, "not signed in"},
	} {
		r := runCLI(t, env, "", c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.err) {
			t.Errorf("cognate %s: exit %d, stderr %q; want %d and %q", strings.Join(c.args, " "), r.code, r.stderr, c.code, c.err)
		}
	}
	// Every command has help with examples.
	for _, cmd := range [][]string{{"seed"}, {"seed", "apply"}, {"pool", "create"}, {"pool", "list"}, {"pool", "describe"},
		{"pool", "delete"}, {"client", "create"}, {"client", "update"}, {"client", "describe"}, {"client", "list"},
		{"user", "create"}, {"user", "list"}, {"user", "get"}, {"user", "delete"}, {"user", "disable"}, {"user", "enable"},
		{"user", "set-password"}, {"user", "sign-out"}, {"signin"}, {"whoami"}, {"signout"}} {
		r := runCLI(t, env, "", append(cmd, "--help")...)
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "cognate "+strings.Join(cmd, " ")) {
			t.Errorf("cognate %s --help: %d\n%s", strings.Join(cmd, " "), r.code, r.stdout)
		}
	}
	if r := runCLI(t, env, "", "completion", "zsh"); r.code != 0 || !strings.Contains(r.stdout, "compdef") {
		t.Errorf("completion zsh: %d", r.code)
	}
}

// TestCLISignInWhoAmISignOut: signin keeps the session in a 0600 file,
// whoami shows it (never the tokens), and signout says Complete (0),
// Partial (3: the service was unreachable for the revocation; a second
// signout finishes it) or Failed (1: still signed in).
func TestCLISignInWhoAmISignOut(t *testing.T) {
	p := startBinary(t, t.TempDir(), "--seed", "../cognate.yaml")
	admin := testserver.NewClient(p.url)
	waitSeeded(t, admin)
	proxy := faultproxy.New(t, strings.TrimPrefix(p.url, "http://"))
	env := cliEnv(t, "COGNATE_ENDPOINT=http://"+proxy.Addr())
	creds := filepath.Join(t.TempDir(), "creds")
	id := []string{"--credentials-dir", creds}
	signin := append([]string{"signin", "--pool", examplePool, "--client", exampleClient, "--username", "demo@example.com", "--password-stdin"}, id...)

	r := must(t, 0, env, "Passw0rd!\n", signin...)
	lineMatches(t, r.stdout, `^Signed in as demo@example.com$`)
	files, _ := filepath.Glob(filepath.Join(creds, "*"))
	if len(files) != 2 {
		t.Fatalf("credential files: %v", files)
	}
	var refresh string
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", f, st.Mode(), err)
		}
		if strings.HasSuffix(f, exampleClient+".json") {
			b, _ := os.ReadFile(f)
			var rec struct{ Session struct{ RefreshToken string } }
			_ = json.Unmarshal(b, &rec)
			refresh = rec.Session.RefreshToken
		}
	}
	if refresh == "" {
		t.Fatal("no refresh token in the credential file")
	}
	r = must(t, 0, env, "", append([]string{"whoami"}, id...)...)
	lineMatches(t, r.stdout, `^Signed in as demo@example.com$`)
	lineMatches(t, r.stdout, `^  sub:\s+[0-9a-f-]{36}$`)
	lineMatches(t, r.stdout, `^  access token expires: \S+ \(in (59m\d+s|1h0m0s)\)$`)
	var who struct{ Username, Sub, AccessTokenExpiresAt string }
	if err := json.Unmarshal([]byte(must(t, 0, env, "", append([]string{"whoami", "-o", "json"}, id...)...).stdout), &who); err != nil ||
		who.Sub == "" || who.Username != who.Sub || who.AccessTokenExpiresAt == "" {
		t.Errorf("whoami json: %v %+v", err, who)
	}
	if strings.Contains(r.stdout, refresh[:20]) || strings.Contains(r.stdout, "eyJ") {
		t.Error("whoami printed a token")
	}
	// A second sign-in on the same pool and client is refused.
	if r := must(t, 1, env, "Passw0rd!\n", signin...); !strings.Contains(r.stderr, "signout first") {
		t.Errorf("second signin: %s", r.stderr)
	}

	// Complete.
	r = must(t, 0, env, "", append([]string{"signout"}, id...)...)
	if strings.TrimSpace(r.stdout) != "Complete: signed out" {
		t.Errorf("signout: %q", r.stdout)
	}
	if _, err := refreshTokens(admin, exampleClient, refresh); err == nil {
		t.Error("the refresh token still works after a complete sign-out")
	}
	must(t, 1, env, "", append([]string{"whoami"}, id...)...)

	// Partial: the service is unreachable when the token is revoked.
	must(t, 0, env, "Passw0rd!\n", signin...)
	refresh = sessionRefresh(t, creds)
	proxy.Down()
	r = must(t, 3, env, "", append([]string{"signout"}, id...)...)
	for _, want := range []string{"Partial: signed out on this device, but:", "revoking the refresh token failed",
		`run "cognate signout" again`, "mode 0600"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("partial signout lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout+r.stderr, refresh[:20]) {
		t.Error("the partial sign-out printed the refresh token")
	}
	must(t, 1, env, "", append([]string{"whoami"}, id...)...) // signed out on this device
	if _, err := refreshTokens(admin, exampleClient, refresh); err != nil {
		t.Fatalf("the refresh token should still be live: %v", err)
	}
	// Still unreachable: still partial.
	must(t, 3, env, "", append([]string{"signout"}, id...)...)
	proxy.Restore()
	r = must(t, 0, env, "", append([]string{"signout"}, id...)...)
	if !strings.Contains(r.stdout, "Complete: the earlier partial sign-out is finished") {
		t.Errorf("retry: %s", r.stdout)
	}
	if _, err := refreshTokens(admin, exampleClient, refresh); err == nil {
		t.Error("the refresh token still works after the retried revocation")
	}
	if r := must(t, 0, env, "", append([]string{"signout"}, id...)...); !strings.Contains(r.stdout, "Complete") {
		t.Errorf("signout with nobody signed in: %s", r.stdout)
	}

	// Global, then --local-only (partial: the token is left live, revoked by the next signout).
	must(t, 0, env, "Passw0rd!\n", signin...)
	other := signIn(t, admin, exampleClient, "demo@example.com", "Passw0rd!")
	r = must(t, 0, env, "", append([]string{"signout", "--global"}, id...)...)
	if strings.TrimSpace(r.stdout) != "Complete: signed out on every device" {
		t.Errorf("signout --global: %q", r.stdout)
	}
	if _, err := getUser(admin, aws.ToString(other.AuthenticationResult.AccessToken)); err == nil {
		t.Error("another device's token works after signout --global")
	}
	must(t, 0, env, "Passw0rd!\n", signin...)
	refresh = sessionRefresh(t, creds)
	r = must(t, 3, env, "", append([]string{"signout", "--local-only"}, id...)...)
	if !strings.Contains(r.stdout, "not revoked") {
		t.Errorf("local-only: %s", r.stdout)
	}
	must(t, 0, env, "", append([]string{"signout"}, id...)...)
	if _, err := refreshTokens(admin, exampleClient, refresh); err == nil {
		t.Error("the refresh token left by --local-only was not revoked by the next signout")
	}

	// Failed: the session file is unsafe to use, so nothing is cleared.
	must(t, 0, env, "Passw0rd!\n", signin...)
	session := filepath.Join(creds, examplePool+"."+exampleClient+".json")
	if err := os.Chmod(session, 0o644); err != nil {
		t.Fatal(err)
	}
	r = must(t, 1, env, "", append([]string{"signout"}, id...)...)
	if !strings.HasPrefix(r.stdout, "Failed: still signed in:") || !strings.Contains(r.stdout, "chmod 600") {
		t.Errorf("failed signout: %s", r.stdout)
	}
	if _, err := os.Stat(session); err != nil {
		t.Errorf("the session file is gone: %v", err)
	}
	if err := os.Chmod(session, 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, 0, env, "", append([]string{"whoami"}, id...)...)
}

// waitSeeded waits until serve --seed cognate.yaml has made the demo user
// with its password.
func waitSeeded(t *testing.T, admin *cip.Client) {
	t.Helper()
	waitUntil(t, "the seed", func() bool {
		u, err := admin.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: aws.String(examplePool), Username: aws.String("demo@example.com")})
		return err == nil && u.UserStatus == "CONFIRMED"
	})
}

func refreshTokens(c *cip.Client, clientID, rt string) (*cip.InitiateAuthOutput, error) {
	return refresh(c, clientID, rt)
}

// sessionRefresh reads the refresh token the credential file holds.
func sessionRefresh(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, examplePool+"."+exampleClient+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ Session struct{ RefreshToken string } }
	if err := json.Unmarshal(b, &rec); err != nil || rec.Session.RefreshToken == "" {
		t.Fatalf("no refresh token: %v", err)
	}
	return rec.Session.RefreshToken
}

// TestCLIPasswordPromptDoesNotEcho: on a terminal, signin asks for the
// password and the terminal does not show what is typed.
func TestCLIPasswordPromptDoesNotEcho(t *testing.T) {
	p := startBinary(t, t.TempDir(), "--seed", "../cognate.yaml")
	admin := testserver.NewClient(p.url)
	waitSeeded(t, admin)
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "signin", "--pool", examplePool, "--client", exampleClient, "--username", "demo@example.com",
		"--credentials-dir", t.TempDir())
	cmd.Env = cliEnv(t, "COGNATE_ENDPOINT="+p.url)
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	screen := &lockedBuffer{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := make([]byte, 1024)
		for {
			n, err := tty.Read(b)
			_, _ = screen.Write(b[:n])
			if err != nil {
				return
			}
		}
	}()
	waitUntil(t, "the prompt", func() bool { return strings.Contains(screen.String(), "Password for demo@example.com: ") })
	if _, err := tty.Write([]byte("Passw0rd!\r")); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("signin: %v\n%s", err, screen.String())
	}
	<-done
	out := screen.String()
	if !strings.Contains(out, "Signed in as demo@example.com") {
		t.Errorf("screen:\n%s", out)
	}
	if strings.Contains(out, "Passw0rd") || strings.Contains(out, "*") {
		t.Errorf("the password (or a mask) was echoed:\n%q", out)
	}
}

// lockedBuffer is a buffer one goroutine writes while another reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p; it never fails.
func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
