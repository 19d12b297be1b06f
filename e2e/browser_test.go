package e2e

import (
	"context"
	"flag"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/chromedp/chromedp"

	"github.com/cognate-dev/cognate/internal/testserver"
)

var loginScreenshot = flag.String("login-screenshot", "",
	"write a screenshot of the hosted sign-in page to this file (e.g. ../docs/login.png)")

// chromium finds Debian's chromium (or another Chrome) for the browser
// tests; without one they are skipped, unless CI is set: then they fail.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH (apt-get install chromium); browser tests are required in CI")
	}
	t.Skip("no chromium on PATH (apt-get install chromium): skipping browser tests")
	return ""
}

// newChrome starts a headless chromium for the test.
func newChrome(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-sync", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first action starts the browser; it must not run under a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// step runs browser actions with a timeout.
func step(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// app is the client application: a loopback server with the callback and
// sign-out pages, which records the callbacks it receives.
type app struct {
	*httptest.Server
	mu        sync.Mutex
	callbacks []url.Values
}

func newApp(t *testing.T) *app {
	a := &app{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/callback":
			a.mu.Lock()
			a.callbacks = append(a.callbacks, r.URL.Query())
			a.mu.Unlock()
			fmt.Fprintf(w, `<!doctype html><title>callback</title><p id="callback">%s</p>`, html.EscapeString(r.URL.RawQuery))
		case "/signed-out":
			fmt.Fprint(w, `<!doctype html><title>signed out</title><p id="signed-out">bye</p>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *app) lastCallback(t *testing.T) url.Values {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.callbacks) == 0 {
		t.Fatal("the app received no callback")
	}
	return a.callbacks[len(a.callbacks)-1]
}

// TestBrowserHostedUI signs in with a real browser at the hosted UI, gets
// the code at a loopback redirect URI, exchanges it, signs out through
// /logout (after which authorize shows the sign-in page again), and checks
// that an unregistered logout_uri gets the error page.
func TestBrowserHostedUI(t *testing.T) {
	ctx := newChrome(t)
	s := testserver.Start(t)
	a := newApp(t)
	callback, signedOut := a.URL+"/callback", a.URL+"/signed-out"
	pool, client, _ := s.NewPool(t, testserver.WithOAuth(testserver.OAuthSettings{
		CallbackURLs: []string{callback}, LogoutURLs: []string{signedOut}}))
	s.NewUser(t, pool, "alice", password)
	h := &hostedUI{t: t, s: s, pool: pool, client: client, hc: newBrowser()}

	verifier, challenge := pkce()
	authorize := s.URL + "/" + pool + "/oauth2/authorize?" + url.Values{"client_id": {client}, "redirect_uri": {callback},
		"response_type": {"code"}, "state": {"browser-state"}, "scope": {fullScope}, "code_challenge": {challenge},
		"code_challenge_method": {"S256"}}.Encode()

	// The sign-in page, on a phone-sized screen.
	step(t, ctx, "open the sign-in page",
		chromedp.EmulateViewport(390, 700, chromedp.EmulateScale(2)),
		chromedp.Navigate(authorize),
		chromedp.WaitVisible(chromedp.ID("username")),
	)
	if loc := run(t, ctx, "location", chromedp.Location()); !strings.HasPrefix(loc, s.URL+"/"+pool+"/login?") {
		t.Fatalf("authorize without a session went to %s, want the sign-in page", loc)
	}
	if title := run(t, ctx, "title", chromedp.Title()); !strings.Contains(title, "test-client") {
		t.Errorf("sign-in page title %q does not name the app client", title)
	}
	if *loginScreenshot != "" {
		png := run(t, ctx, "screenshot", chromedp.FullScreenshot(100))
		if err := os.MkdirAll(filepath.Dir(*loginScreenshot), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*loginScreenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// A wrong password: the page says so in its alert region.
	step(t, ctx, "wrong password",
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), "wrong-password"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#form-error`)),
	)
	if msg := run(t, ctx, "error text", chromedp.Text(chromedp.CSS("#form-error"))); !strings.Contains(msg, "Incorrect username or password.") {
		t.Fatalf("error region says %q", msg)
	}

	// The right one: the code arrives at the app's loopback callback.
	step(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("callback")),
	)
	cb := a.lastCallback(t)
	if cb.Get("state") != "browser-state" || cb.Get("code") == "" {
		t.Fatalf("callback %v: want a code and the state", cb)
	}
	tk := h.exchangeAt(callback, cb.Get("code"), verifier)
	if u, err := getUser(s.Admin, tk.AccessToken); err != nil || *u.Username != "alice" {
		t.Fatalf("GetUser with the browser's tokens: %v", err)
	}
	r, again := h.tokenCall(url.Values{"grant_type": {"authorization_code"}, "client_id": {client}, "code": {cb.Get("code")},
		"redirect_uri": {callback}, "code_verifier": {verifier}}, "", "")
	if r.status != http.StatusBadRequest || again.Error != "invalid_grant" {
		t.Fatalf("the browser's code twice: %d %s", r.status, r.body)
	}

	// Signed in: authorize goes straight back to the app.
	n := len(a.callbacks)
	step(t, ctx, "authorize again", chromedp.Navigate(authorize), chromedp.WaitVisible(chromedp.ID("callback")))
	if len(a.callbacks) != n+1 {
		t.Fatal("authorize with a web session did not come back to the app")
	}

	// An unregistered logout_uri: the error page, no redirect, still signed in.
	evil := s.URL + "/" + pool + "/logout?" + url.Values{"client_id": {client}, "logout_uri": {"https://evil.example/"}}.Encode()
	step(t, ctx, "unregistered logout_uri", chromedp.Navigate(evil), chromedp.WaitVisible(chromedp.CSS("h1")))
	if loc := run(t, ctx, "location", chromedp.Location()); loc != evil {
		t.Fatalf("unregistered logout_uri went to %s", loc)
	}
	if msg := run(t, ctx, "error page", chromedp.Text(chromedp.CSS(".error"))); !strings.Contains(msg, "logout_uri") {
		t.Fatalf("error page says %q", msg)
	}

	// Sign out: to the registered sign-out URL, and the next authorize asks
	// for the password again.
	logout := s.URL + "/" + pool + "/logout?" + url.Values{"client_id": {client}, "logout_uri": {signedOut}}.Encode()
	step(t, ctx, "logout", chromedp.Navigate(logout), chromedp.WaitVisible(chromedp.ID("signed-out")))
	if loc := run(t, ctx, "location", chromedp.Location()); loc != signedOut {
		t.Fatalf("logout went to %s, want %s", loc, signedOut)
	}
	step(t, ctx, "authorize after logout", chromedp.Navigate(authorize), chromedp.WaitVisible(chromedp.ID("username")))
	if loc := run(t, ctx, "location", chromedp.Location()); !strings.HasPrefix(loc, s.URL+"/"+pool+"/login?") {
		t.Fatalf("authorize after logout went to %s, want the sign-in page", loc)
	}

	// Global sign-out ends the browser's web session too (Cognito leaves it alive).
	step(t, ctx, "sign in again",
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("callback")),
	)
	tk = h.exchangeAt(callback, a.lastCallback(t).Get("code"), verifier)
	n = len(a.callbacks)
	step(t, ctx, "authorize with a live session", chromedp.Navigate(authorize), chromedp.WaitVisible(chromedp.ID("callback")))
	if len(a.callbacks) != n+1 {
		t.Fatal("authorize with a web session did not come back to the app")
	}
	if _, err := s.Admin.GlobalSignOut(bg, &cip.GlobalSignOutInput{AccessToken: &tk.AccessToken}); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "authorize after global sign-out", chromedp.Navigate(authorize), chromedp.WaitVisible(chromedp.ID("username")))
	if loc := run(t, ctx, "location", chromedp.Location()); !strings.HasPrefix(loc, s.URL+"/"+pool+"/login?") {
		t.Fatalf("authorize after global sign-out went to %s, want the sign-in page", loc)
	}
}
