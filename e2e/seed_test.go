package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// The seed file, through the built binary: `cognate serve --seed` and
// `cognate seed apply` against a running server.

// cliEnv is the environment of a cognate command: this one without AWS
// settings (a developer's credentials must not leak into the tests), plus
// HOME in a temporary directory and the extra variables given.
func cliEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "COGNATE_ENDPOINT=") || strings.HasPrefix(kv, "HOME=") ||
			strings.HasPrefix(kv, "XDG_CONFIG_HOME=") || strings.HasPrefix(kv, "COGNATE_CLIENT_SECRET=") {
			continue
		}
		env = append(env, kv)
	}
	home := t.TempDir()
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"AWS_CONFIG_FILE="+filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "none"))
	return append(env, extra...)
}

// result is what a cognate command did.
type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs the built cognate binary to its end (at most a minute).
func runCLI(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("cognate %v: %v", args, err)
	}
	return result{out.String(), errb.String(), cmd.ProcessState.ExitCode()}
}

// noRedirects is an HTTP client that shows redirects instead of following them.
var noRedirects = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// served is a `cognate serve` whose stdout is kept.
type served struct {
	*process
	mu  sync.Mutex
	out bytes.Buffer
}

func (s *served) stdout() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// waitStdout waits until the server's stdout matches re.
func (s *served) waitStdout(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if out := s.stdout(); re.MatchString(out) {
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("stdout never matched %s:\n%s\nlogs:\n%s", re, s.stdout(), s.log())
	return ""
}

// serveWithStdout runs `cognate serve` like startBinary, keeping stdout.
func serveWithStdout(t *testing.T, dataDir string, args ...string) *served {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir}, args...)...)
	cmd.Env = cliEnv(t)
	s := &served{process: &process{cmd: cmd, logs: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan error, 1)}}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait must not close the pipes before the readers have drained them
	// (os/exec): the done goroutine waits for both readers first, so that a
	// server that exits at once (a failed seed) leaves all its output.
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		b := make([]byte, 4096)
		for {
			n, err := stdout.Read(b)
			s.mu.Lock()
			s.out.Write(b[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	addr := make(chan string, 1)
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.process.mu.Lock()
			s.logs.WriteString(line + "\n")
			s.process.mu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default: // never block the reader (Wait waits for it)
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() {
		readers.Wait()
		s.done <- cmd.Wait()
	}()
	select {
	case a := <-addr:
		s.url = "http://" + a
	case err := <-s.done:
		t.Fatalf("cognate exited before listening: %v\n%s", err, s.log())
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("cognate did not start\n%s", s.log())
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return s
}

// state is the service's view of a pool — DescribeUserPool, each
// DescribeUserPoolClient and ListUsers — as JSON, for diffs.
func state(t *testing.T, c *cip.Client, poolID string) string {
	t.Helper()
	ctx := context.Background()
	p, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	var clients []any
	for _, d := range list.UserPoolClients {
		out, err := c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: d.ClientId})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, out.UserPoolClient)
	}
	users, err := c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(map[string]any{"pool": p.UserPool, "clients": clients, "users": users.Users}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const examplePool, exampleClient = "us-east-1_LocalDev01", "cognatedemowebclient000001"

// TestSeedServeAndApplyTwice: `serve --seed cognate.yaml` makes the example
// environment and says how to use it; `seed apply` of the same file then
// changes nothing, twice (the state is diffed), and says so.
func TestSeedServeAndApplyTwice(t *testing.T) {
	s := serveWithStdout(t, t.TempDir(), "--seed", "../cognate.yaml")
	out := s.waitStdout(t, regexp.MustCompile(`Sign in as .*\n`))
	for _, want := range []string{
		"pool    my-app", "us-east-1_LocalDev01", "created",
		"App client web: " + exampleClient,
		"Hosted UI sign-in: " + s.url + "/" + examplePool + "/oauth2/authorize?client_id=" + exampleClient,
		"code_challenge_method=S256", "redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback",
		"Sign in as demo@example.com with the password in ../cognate.yaml",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --seed output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Passw0rd!") || strings.Contains(s.log(), "Passw0rd!") {
		t.Error("the password was printed")
	}
	// The hosted-UI address it printed works: the sign-in page.
	m := regexp.MustCompile(`Hosted UI sign-in: (\S+)`).FindStringSubmatch(out)
	res, err := noRedirects.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 302 && !(res.StatusCode == 200 && strings.Contains(string(body), "password")) {
		t.Errorf("hosted UI: %d %s", res.StatusCode, body)
	}
	admin := testserver.NewClient(s.url)
	signIn(t, admin, exampleClient, "demo@example.com", "Passw0rd!")
	before := state(t, admin, examplePool)

	env := cliEnv(t, "COGNATE_ENDPOINT="+s.url)
	for i := 0; i < 2; i++ {
		r := runCLI(t, env, "", "seed", "apply", "../cognate.yaml", "--output", "json")
		if r.code != 0 {
			t.Fatalf("seed apply: %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		var rep struct {
			Results []struct{ Kind, Name, Action, ID string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("%v:\n%s", err, r.stdout)
		}
		if len(rep.Results) != 3 {
			t.Errorf("%d results, want 3", len(rep.Results))
		}
		for _, x := range rep.Results {
			if x.Action != "unchanged" {
				t.Errorf("apply %d: %s %s %s", i+2, x.Kind, x.Name, x.Action)
			}
		}
		if after := state(t, admin, examplePool); after != before {
			t.Fatalf("apply %d changed the state:\n%s\n---\n%s", i+2, before, after)
		}
	}
	r := runCLI(t, env, "", "seed", "apply", "../cognate.yaml")
	if r.code != 0 || strings.Count(r.stdout, "unchanged") != 3 || strings.Contains(r.stdout, "created") {
		t.Errorf("table: %d\n%s", r.code, r.stdout)
	}
}

// TestSeedChangedFileUpdatesOnlyWhatChanged: an edited file updates what
// was edited and nothing else.
func TestSeedChangedFileUpdatesOnlyWhatChanged(t *testing.T) {
	p := startBinary(t, t.TempDir())
	env := cliEnv(t, "COGNATE_ENDPOINT="+p.url)
	if r := runCLI(t, env, "", "seed", "apply", "../cognate.yaml"); r.code != 0 {
		t.Fatalf("%d %s %s", r.code, r.stdout, r.stderr)
	}
	admin := testserver.NewClient(p.url)
	before := state(t, admin, examplePool)
	orig, err := os.ReadFile("../cognate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.NewReplacer(
		"accessTokenValidity: 1h", "accessTokenValidity: 15m",
		"logoutURLs: [http://localhost:3000/]", "logoutURLs: [http://localhost:3000/, http://localhost:3000/bye]",
	).Replace(string(orig)) + "      - username: second@example.com\n        password: Passw0rd!\n        attributes: {email: second@example.com}\n"
	file := filepath.Join(t.TempDir(), "edited.yaml")
	if err := os.WriteFile(file, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, env, "", "seed", "apply", file)
	if r.code != 0 {
		t.Fatalf("%d %s %s", r.code, r.stdout, r.stderr)
	}
	for _, re := range []string{
		`pool\s+my-app\s+us-east-1_LocalDev01\s+unchanged`,
		`client\s+web\s+cognatedemowebclient000001\s+updated\s+accessTokenValidity, oauth`,
		`user\s+demo@example.com\s+\S+\s+unchanged`,
		`user\s+second@example.com\s+\S+\s+created\s+password set`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("no line %s in\n%s", re, r.stdout)
		}
	}
	after := state(t, admin, examplePool)
	var b, a struct {
		Pool    map[string]any
		Clients []map[string]any
		Users   []map[string]any
	}
	_ = json.Unmarshal([]byte(before), &b)
	_ = json.Unmarshal([]byte(after), &a)
	if !jsonEqual(b.Pool, a.Pool) {
		t.Errorf("the pool changed:\n%v\n%v", b.Pool, a.Pool)
	}
	bc, ac := b.Clients[0], a.Clients[0]
	if ac["AccessTokenValidity"] != float64(15) || ac["TokenValidityUnits"].(map[string]any)["AccessToken"] != "minutes" ||
		len(ac["LogoutURLs"].([]any)) != 2 {
		t.Errorf("client after: %v", ac)
	}
	for _, k := range []string{"AccessTokenValidity", "TokenValidityUnits", "LogoutURLs", "LastModifiedDate"} {
		delete(bc, k)
		delete(ac, k)
	}
	if !jsonEqual(bc, ac) {
		t.Errorf("the client changed beyond the edit:\n%v\n%v", bc, ac)
	}
	if len(a.Users) != 2 {
		t.Errorf("%d users, want 2", len(a.Users))
	}
	signIn(t, admin, exampleClient, "second@example.com", "Passw0rd!")
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestSeedFixedIDsSurviveAFreshDataDir: the same file on a new machine (an
// empty data directory) makes the same pool and client ids, so the app's
// configuration keeps working.
func TestSeedFixedIDsSurviveAFreshDataDir(t *testing.T) {
	for i := 0; i < 2; i++ {
		s := serveWithStdout(t, t.TempDir(), "--seed", "../cognate.yaml")
		s.waitStdout(t, regexp.MustCompile(`Sign in as`))
		admin := testserver.NewClient(s.url)
		out, err := admin.DescribeUserPoolClient(context.Background(), &cip.DescribeUserPoolClientInput{
			UserPoolId: aws.String(examplePool), ClientId: aws.String(exampleClient)})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if aws.ToString(out.UserPoolClient.ClientName) != "web" {
			t.Errorf("run %d: %+v", i, out.UserPoolClient)
		}
		signIn(t, admin, exampleClient, "demo@example.com", "Passw0rd!")
		s.stop(t)
	}
	// And a restart on the same directory finds them (reported unchanged).
	dir := t.TempDir()
	s := serveWithStdout(t, dir, "--seed", "../cognate.yaml")
	s.waitStdout(t, regexp.MustCompile(`Sign in as`))
	s.stop(t)
	s = serveWithStdout(t, dir, "--seed", "../cognate.yaml")
	out := s.waitStdout(t, regexp.MustCompile(`Sign in as`))
	if strings.Count(out, "unchanged") != 3 {
		t.Errorf("restart:\n%s", out)
	}
}

// TestSeedBadFile: a bad file is refused with its line, by seed apply and
// by serve (which does not start).
func TestSeedBadFile(t *testing.T) {
	p := startBinary(t, t.TempDir())
	env := cliEnv(t, "COGNATE_ENDPOINT="+p.url)
	dir := t.TempDir()
	for _, c := range []struct{ text, want string }{
		{"pools:\n  - name: a\n    clients:\n      - name: web\n        oauth:\n          flows: [code]\n          callbackUrls: [http://localhost/]\n",
			`bad.yaml:7: seed file.pools[0].clients[0].oauth: unknown key "callbackUrls": did you mean "callbackURLs"?`},
		{"pools:\n  - name: a\n    clients:\n      - name: web\n        accessTokenValidity: 1 hour\n",
			`bad.yaml:5: seed file.pools[0].clients[0].accessTokenValidity: bad duration "1 hour"`},
		{"pools:\n  - name: a\n    deletionProtection: maybe\n", `bad.yaml:3: seed file.pools[0].deletionProtection: want true or false, not "maybe"`},
		{"pools:\n  - name: a\n    users:\n      - password: Passw0rd!\n", `bad.yaml:4: seed file.pools[0].users[0]: missing required key "username"`},
	} {
		file := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(file, []byte(c.text), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, env, "", "seed", "apply", file)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("seed apply: exit %d, stderr %q, want %q", r.code, r.stderr, c.want)
		}
		if r := runCLI(t, env, "", "seed", "check", file); r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("seed check: exit %d, stderr %q", r.code, r.stderr)
		}
		r = runCLI(t, env, "", "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--seed", file)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "cognate listening") {
			t.Errorf("serve --seed: exit %d, stderr %q", r.code, r.stderr)
		}
	}
	// Nothing was created.
	if r := runCLI(t, env, "", "pool", "list", "--output", "json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("pools after bad files: %s", r.stdout)
	}
}

// TestSeedWithAdminCredentials: outside dev mode the seed is signed —
// serve --seed with its own admin credential, seed apply with the AWS
// credential chain — and fixed ids are honoured; unsigned, refused.
func TestSeedWithAdminCredentials(t *testing.T) {
	const keyID, secret = "AKIDSEEDTEST", "seed-test-secret-0123456789"
	credFile := filepath.Join(t.TempDir(), "admin")
	if err := os.WriteFile(credFile, []byte(keyID+":"+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := serveWithStdout(t, t.TempDir(), "--admin-credentials-file", credFile, "--seed", "../cognate.yaml")
	out := s.waitStdout(t, regexp.MustCompile(`Sign in as`))
	if !strings.Contains(out, "pool    my-app            us-east-1_LocalDev01") {
		t.Errorf("serve --seed with admin credentials:\n%s", out)
	}
	r := runCLI(t, cliEnv(t, "COGNATE_ENDPOINT="+s.url), "", "seed", "apply", "../cognate.yaml")
	if r.code != 1 || !strings.Contains(r.stdout, "failed") {
		t.Errorf("unsigned: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, cliEnv(t, "COGNATE_ENDPOINT="+s.url, "AWS_ACCESS_KEY_ID="+keyID, "AWS_SECRET_ACCESS_KEY="+secret), "",
		"seed", "apply", "../cognate.yaml")
	if r.code != 0 || strings.Count(r.stdout, "unchanged") != 3 {
		t.Errorf("signed: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestSeedFailureStopsTheServer: when serve --seed cannot apply the file
// (here: a group whose precedence the service refuses), the report says what
// failed and the server stops with exit code 1 instead of running half-seeded.
func TestSeedFailureStopsTheServer(t *testing.T) {
	file := filepath.Join(t.TempDir(), "groups.yaml")
	if err := os.WriteFile(file, []byte("pools:\n  - name: g\n    groups: [{name: admins, precedence: -1}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := serveWithStdout(t, t.TempDir(), "--seed", file)
	select {
	case err := <-s.done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("exit: %v, want code 1", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server kept running after a failed seed")
	}
	time.Sleep(100 * time.Millisecond) // the output readers finish
	if out := s.stdout(); !regexp.MustCompile(`group\s+admins\s+admins\s+failed\s+line 3: CreateGroup: InvalidParameterException`).MatchString(out) {
		t.Errorf("report:\n%s", out)
	}
	if !strings.Contains(s.log(), "the seed file was not applied") {
		t.Errorf("logs:\n%s", s.log())
	}
}
