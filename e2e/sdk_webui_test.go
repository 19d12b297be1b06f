package e2e

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/internal/testserver"
)

// chromeUser is the user's "system browser" for the SDK: headless chromium
// driven by chromedp. It signs in at the hosted UI's /login page like a person
// would, and the SDK's own loopback listener (auth.LoopbackBrowser) receives
// the redirect.
type chromeUser struct {
	ctx                context.Context // the chromedp tab
	username, password string

	mu     sync.Mutex
	opened []string
}

func (b *chromeUser) note(u string) {
	b.mu.Lock()
	b.opened = append(b.opened, u)
	b.mu.Unlock()
}

func (b *chromeUser) openedURLs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.opened...)
}

// OpenSignIn implements auth.SignInBrowser.
func (b *chromeUser) OpenSignIn(ctx context.Context, authorizeURL, redirectURI string) (string, error) {
	return auth.LoopbackBrowser{Open: b.signIn}.OpenSignIn(ctx, authorizeURL, redirectURI)
}

// OpenSignOut implements auth.Browser.
func (b *chromeUser) OpenSignOut(ctx context.Context, signOutURL, redirectURI string) error {
	return auth.LoopbackBrowser{Open: b.visit}.OpenSignOut(ctx, signOutURL, redirectURI)
}

// signIn opens the authorization request, types the user name and password
// into the sign-in page and submits it. The browser then goes on to the
// redirect URI by itself.
func (b *chromeUser) signIn(u string) error {
	b.note(u)
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx,
		chromedp.Navigate(u),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), b.username),
		chromedp.SendKeys(chromedp.ID("password"), b.password),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
	)
}

// visit opens u and lets the browser follow the redirects.
func (b *chromeUser) visit(u string) error {
	b.note(u)
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx, chromedp.Navigate(u))
}

// webUIEnv is a server, a pool whose app client has loopback callback and
// sign-out URLs, a user, chromium, and an SDK client.
type webUIEnv struct {
	t                   *testing.T
	s                   *testserver.Server
	pool, client        string
	base                string // http://127.0.0.1:PORT, the app's loopback address
	callback, signedOut string
	chrome              context.Context
	user                *chromeUser
	c                   *auth.Client
}

func newWebUIEnv(t *testing.T) *webUIEnv {
	t.Helper()
	s := testserver.Start(t)
	// Skips without chromium (fails in CI). Started after the server, so that
	// it is closed first and leaves no keep-alive connection to wait for.
	chrome := newChrome(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	e := &webUIEnv{t: t, s: s, base: base, callback: base + "/callback", signedOut: base + "/signed-out", chrome: chrome}
	e.pool, e.client, _ = s.NewPool(t, testserver.WithOAuth(testserver.OAuthSettings{
		CallbackURLs: []string{e.callback}, LogoutURLs: []string{e.signedOut}}))
	s.NewUser(t, e.pool, "alice", password)
	e.user = &chromeUser{ctx: chrome, username: "alice", password: password}
	e.c, err = auth.New(auth.Config{
		Region: s.Region, UserPoolID: e.pool, ClientID: e.client, Endpoint: s.URL,
		HostedUI: &auth.HostedUIConfig{
			Domain:             s.URL + "/" + e.pool,
			SignInRedirectURI:  e.callback,
			SignOutRedirectURI: e.signedOut,
			Scopes:             testserver.DefaultOAuthScopes,
			SignInTimeout:      time.Minute,
			SignOutTimeout:     30 * time.Second,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *webUIEnv) logoutURL() string {
	return e.s.URL + "/" + e.pool + "/logout?" + url.Values{"client_id": {e.client}, "logout_uri": {e.signedOut}}.Encode()
}

func (e *webUIEnv) authorizeURL() string {
	_, challenge := pkce()
	return e.s.URL + "/" + e.pool + "/oauth2/authorize?" + url.Values{"client_id": {e.client}, "redirect_uri": {e.callback},
		"response_type": {"code"}, "state": {"probe"}, "scope": {fullScope}, "code_challenge": {challenge},
		"code_challenge_method": {"S256"}}.Encode()
}

// signIn signs alice in through the SDK and the real /login page.
func (e *webUIEnv) signIn() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r, err := e.c.SignInWithWebUI(ctx, auth.WebUISignInOptions{Browser: e.user})
	if err != nil || !r.SignedIn {
		e.t.Fatalf("SignInWithWebUI = %+v, %v", r, err)
	}
}

// tokens returns the SDK's current tokens.
func (e *webUIEnv) tokens() auth.Tokens {
	e.t.Helper()
	s, err := e.c.FetchAuthSession(context.Background(), auth.FetchAuthSessionOptions{})
	if err != nil || !s.SignedIn {
		e.t.Fatalf("FetchAuthSession = %+v, %v", s, err)
	}
	return s.Tokens
}

// serveApp runs the app's loopback pages on the callback port (when the SDK is
// not listening there itself) until the returned function is called.
func (e *webUIEnv) serveApp() (stop func()) {
	e.t.Helper()
	ln, err := net.Listen("tcp", strings.TrimPrefix(e.base, "http://"))
	if err != nil {
		e.t.Fatalf("app listener: %v", err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		switch r.URL.Path {
		case "/callback":
			_, _ = w.Write([]byte(`<!doctype html><title>callback</title><p id="callback">code</p>`))
		case "/signed-out":
			_, _ = w.Write([]byte(`<!doctype html><title>signed out</title><p id="signed-out">bye</p>`))
		default:
			http.NotFound(w, r)
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }
}

// webSessionAlive opens an authorization request in chromium: with a live
// hosted-UI session it comes straight back to the app with a code (a silent
// sign-in); without one it shows the sign-in page.
func (e *webUIEnv) webSessionAlive() bool {
	e.t.Helper()
	stop := e.serveApp()
	defer stop()
	step(e.t, e.chrome, "authorize", chromedp.Navigate(e.authorizeURL()))
	loc := run(e.t, e.chrome, "location", chromedp.Location())
	switch {
	case strings.HasPrefix(loc, e.callback+"?code="):
		return true
	case strings.HasPrefix(loc, e.s.URL+"/"+e.pool+"/login?"):
		step(e.t, e.chrome, "sign-in page", chromedp.WaitVisible(chromedp.ID("username")))
		return false
	}
	e.t.Fatalf("authorize went to %s", loc)
	return false
}

// (a) SignInWithWebUI signs in through the real /login page in chromium;
// the SDK finishes the code exchange (PKCE) and its tokens work.
func TestSDKSignInWithWebUI(t *testing.T) {
	e := newWebUIEnv(t)
	events := make(chan auth.Event, 4)
	e.c.Subscribe(func(ev auth.Event) { events <- ev })

	e.signIn()

	opened := e.user.openedURLs()
	if len(opened) != 1 || !strings.HasPrefix(opened[0], e.s.URL+"/"+e.pool+"/oauth2/authorize?") {
		t.Fatalf("browser opened %v", opened)
	}
	q, _ := url.ParseQuery(opened[0][strings.Index(opened[0], "?")+1:])
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("redirect_uri") != e.callback {
		t.Fatalf("authorization request %v", q)
	}
	// The browser ended at the SDK's loopback page, with the code and state.
	loc := run(t, e.chrome, "location", chromedp.Location())
	if !strings.HasPrefix(loc, e.callback+"?") || !strings.Contains(loc, "code=") || !strings.Contains(loc, "state="+url.QueryEscape(q.Get("state"))) {
		t.Fatalf("browser ended at %s", loc)
	}
	if txt := run(t, e.chrome, "page text", chromedp.Text(chromedp.CSS("p"))); !strings.Contains(txt, "You are signed in") {
		t.Fatalf("loopback page says %q", txt)
	}

	u, err := e.c.CurrentUser(context.Background())
	if err != nil || u.Username != "alice" || u.SignInMethod != "hostedUI" {
		t.Fatalf("CurrentUser = %+v, %v", u, err)
	}
	tk := e.tokens()
	out, err := e.c.CognitoClient().GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(tk.AccessToken)})
	if err != nil || aws.ToString(out.Username) != "alice" {
		t.Fatalf("GetUser through the escape hatch: %v", err)
	}
	if c := claims(t, tk.IDToken); c["cognito:username"] != "alice" || c["aud"] != e.client {
		t.Fatalf("ID token claims %v", c)
	}
	select {
	case ev := <-events:
		if ev.Type != auth.EventSignedIn || ev.Username != "alice" {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no SignedIn event")
	}
}

// (b) SignOut with the hosted-UI step: the SDK opens the real /logout, waits
// for the redirect to its loopback listener, revokes the refresh token, and
// the next authorization request shows the sign-in page instead of signing in
// silently.
func TestSDKSignOutHostedUI(t *testing.T) {
	e := newWebUIEnv(t)
	e.signIn()
	tk := e.tokens()
	if !e.webSessionAlive() {
		t.Fatal("no web session after SignInWithWebUI: the check below would prove nothing")
	}

	// No Browser given: the SDK uses the one the user signed in with.
	r := e.c.SignOut(context.Background(), auth.SignOutOptions{})
	if _, ok := r.(auth.CompleteSignOut); !ok {
		t.Fatalf("SignOut = %#v (%v)", r, r.Err())
	}
	opened := e.user.openedURLs()
	if len(opened) != 2 || opened[1] != e.logoutURL() {
		t.Fatalf("browser opened %v, want the sign-out page %s last", opened, e.logoutURL())
	}
	if loc := run(t, e.chrome, "location", chromedp.Location()); loc != e.signedOut {
		t.Fatalf("browser ended at %s, want %s", loc, e.signedOut)
	}
	if _, err := e.c.CurrentUser(context.Background()); !errors.Is(err, auth.ErrNotSignedIn) {
		t.Fatalf("CurrentUser after sign-out: %v", err)
	}
	if e.webSessionAlive() {
		t.Fatal("authorize signed in silently after the hosted-UI sign-out")
	}
	if loc := run(t, e.chrome, "location", chromedp.Location()); !strings.HasPrefix(loc, e.s.URL+"/"+e.pool+"/login?") {
		t.Fatalf("authorize went to %s, want the sign-in page", loc)
	}
	_, err := getUser(e.s.Admin, tk.AccessToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
	if _, err := refresh(e.s.Admin, e.client, tk.RefreshToken); err == nil {
		t.Fatal("refresh token still works after SignOut")
	}
}

// (c) A browser that never reaches the redirect (the user closes it, or the
// deadline passes) → FailedSignOut: still signed in, tokens still good at the
// server, web session untouched.
func TestSDKSignOutHostedUINeverComesBack(t *testing.T) {
	e := newWebUIEnv(t)
	e.signIn()
	tk := e.tokens()

	for _, tc := range []struct {
		name    string
		browser auth.Browser
		timeout time.Duration
		want    error
	}{
		{"user closes the window", auth.BrowserFunc(func(context.Context, string, string) error {
			return auth.ErrUserCancelled
		}), 0, auth.ErrUserCancelled},
		{"deadline passes", auth.LoopbackBrowser{Open: func(string) error {
			// The user goes elsewhere instead of signing out.
			return e.user.visit("about:blank")
		}}, 2 * time.Second, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := e.c.SignOut(context.Background(), auth.SignOutOptions{Browser: tc.browser, HostedUITimeout: tc.timeout})
			f, ok := r.(auth.FailedSignOut)
			if !ok || r.SignedOutLocally() || !errors.Is(f.Cause, auth.ErrUserCancelled) || !errors.Is(f.Cause, tc.want) {
				t.Fatalf("SignOut = %#v, want FailedSignOut (user cancelled, %v)", r, tc.want)
			}
			if tc.timeout > 0 && time.Since(start) > tc.timeout+5*time.Second {
				t.Fatalf("took %v with a %v deadline", time.Since(start), tc.timeout)
			}
			var he *auth.HostedUIError
			if !errors.As(f.Cause, &he) || he.URL != e.logoutURL() {
				t.Fatalf("cause %v: want a HostedUIError with the logout URL", f.Cause)
			}
			// Still signed in, with the same, working tokens.
			if got := e.tokens(); got.RefreshToken != tk.RefreshToken {
				t.Fatal("the stored tokens changed")
			}
			if _, err := e.c.CognitoClient().GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(tk.AccessToken)}); err != nil {
				t.Fatalf("access token after a failed sign-out: %v", err)
			}
			if _, err := refresh(e.s.Admin, e.client, tk.RefreshToken); err != nil {
				t.Fatalf("refresh token after a failed sign-out: %v", err)
			}
			if !e.webSessionAlive() {
				t.Fatal("the web session ended although the browser never reached /logout")
			}
		})
	}
	// The user can still sign out afterwards.
	if r := e.c.SignOut(context.Background(), auth.SignOutOptions{Browser: e.user}); r.Err() != nil {
		t.Fatalf("SignOut after the failures: %v", r.Err())
	}
}

// (d) A browser that cannot start → PartialSignOut with HostedUIError.URL set
// to the logout URL; the user is signed out locally and the refresh token is
// revoked; opening the URL later ends the web session.
func TestSDKSignOutHostedUIBrowserUnavailable(t *testing.T) {
	e := newWebUIEnv(t)
	e.signIn()
	tk := e.tokens()
	noBrowser := auth.LoopbackBrowser{Open: func(string) error {
		return &exec.Error{Name: "xdg-open", Err: exec.ErrNotFound}
	}}

	r := e.c.SignOut(context.Background(), auth.SignOutOptions{Browser: noBrowser})
	p, ok := r.(auth.PartialSignOut)
	if !ok || p.HostedUIError == nil || p.GlobalSignOutError != nil || p.RevokeTokenError != nil {
		t.Fatalf("SignOut = %#v (%v), want PartialSignOut with a HostedUIError only", r, r.Err())
	}
	if p.HostedUIError.URL != e.logoutURL() || !errors.Is(p.HostedUIError, auth.ErrBrowserUnavailable) {
		t.Fatalf("HostedUIError = %#v, want URL %s and ErrBrowserUnavailable", p.HostedUIError, e.logoutURL())
	}
	if !r.SignedOutLocally() {
		t.Fatal("not signed out locally")
	}
	if _, err := e.c.CurrentUser(context.Background()); !errors.Is(err, auth.ErrNotSignedIn) {
		t.Fatalf("CurrentUser: %v", err)
	}
	if _, err := refresh(e.s.Admin, e.client, tk.RefreshToken); err == nil {
		t.Fatal("refresh token not revoked")
	}

	// The browser session is still there until the URL is opened.
	if !e.webSessionAlive() {
		t.Fatal("web session ended without /logout")
	}
	stop := e.serveApp()
	step(t, e.chrome, "open HostedUIError.URL later", chromedp.Navigate(p.HostedUIError.URL), chromedp.WaitVisible(chromedp.ID("signed-out")))
	stop()
	if e.webSessionAlive() {
		t.Fatal("opening HostedUIError.URL did not end the web session")
	}
}
