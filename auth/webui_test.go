package auth_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/auth/credstore"
	"github.com/cognate-dev/cognate/internal/testserver"
)

// webEnv is an env whose app client is set up for the hosted UI, with
// loopback callback and sign-out URLs on one free port.
type webEnv struct {
	*env
	domain    string // <server>/<pool>
	callback  string
	signedOut string
}

func newWebEnv(t *testing.T, opts ...testserver.PoolOption) *webEnv {
	t.Helper()
	base := "http://127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t))
	w := &webEnv{callback: base + "/callback", signedOut: base + "/signed-out"}
	opts = append([]testserver.PoolOption{testserver.WithOAuth(testserver.OAuthSettings{
		CallbackURLs: []string{w.callback}, LogoutURLs: []string{w.signedOut}})}, opts...)
	w.env = newEnv(t, opts...)
	w.domain = w.srv.URL + "/" + w.poolID
	return w
}

// client returns a Client with the hosted UI configured (the domain is the
// server itself, not the fault proxy, which is for the user-pool API).
func (w *webEnv) client(t *testing.T, mod ...func(*auth.Config)) *auth.Client {
	t.Helper()
	return w.env.client(t, append([]func(*auth.Config){func(c *auth.Config) {
		c.HostedUI = &auth.HostedUIConfig{Domain: w.domain, SignInRedirectURI: w.callback, SignOutRedirectURI: w.signedOut,
			Scopes: testserver.DefaultOAuthScopes, SignInTimeout: 10 * time.Second, SignOutTimeout: 10 * time.Second}
	}}, mod...)...)
}

// webUser plays the user in a browser with a plain HTTP client: a cookie
// jar, redirects followed by hand, the sign-in form filled in.
type webUser struct {
	t                  testing.TB
	hc                 *http.Client
	username, password string
	stopAt             []string // redirect targets the "browser" hands over instead of following

	mu     sync.Mutex
	opened []string
}

func newWebUser(t testing.TB, w *webEnv) *webUser {
	jar, _ := cookiejar.New(nil)
	return &webUser{t: t, username: testUser, password: testPassword, stopAt: []string{w.callback, w.signedOut},
		hc: &http.Client{Jar: jar, Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var (
	csrfRE   = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
)

// drive opens u and goes where the hosted UI sends it, signing in at the
// login page, until a redirect to one of stopAt, which it returns.
func (u *webUser) drive(start string) (string, error) {
	u.mu.Lock()
	u.opened = append(u.opened, start)
	u.mu.Unlock()
	next, method, form := start, http.MethodGet, url.Values(nil)
	for range 10 {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, next, body)
		if err != nil {
			return "", err
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := u.hc.Do(req)
		if err != nil {
			return "", err
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch {
		case res.StatusCode >= 300 && res.StatusCode < 400:
			loc, err := res.Request.URL.Parse(res.Header.Get("Location"))
			if err != nil {
				return "", err
			}
			for _, s := range u.stopAt {
				if strings.HasPrefix(loc.String(), s) {
					return loc.String(), nil
				}
			}
			next, method, form = loc.String(), http.MethodGet, nil
		case res.StatusCode == http.StatusOK && form == nil && csrfRE.Match(b):
			a, c := actionRE.FindSubmatch(b), csrfRE.FindSubmatch(b)
			if a == nil {
				return "", fmt.Errorf("sign-in page without a form action")
			}
			action, err := res.Request.URL.Parse(html.UnescapeString(string(a[1])))
			if err != nil {
				return "", err
			}
			next, method = action.String(), http.MethodPost
			form = url.Values{"username": {u.username}, "password": {u.password}, "_csrf": {string(c[1])}}
		default:
			return "", fmt.Errorf("stuck at %s: %d %.200s", next, res.StatusCode, b)
		}
	}
	return "", errors.New("too many redirects")
}

// arrive is the browser loading the redirect target (the loopback listener).
func (u *webUser) arrive(target string) error {
	res, err := u.hc.Get(target)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %d", target, res.StatusCode)
	}
	return nil
}

// open is LoopbackBrowser.Open for this user: go through the hosted UI, then
// load the redirect target.
func (u *webUser) open(target string) error {
	cb, err := u.drive(target)
	if err != nil {
		return err
	}
	return u.arrive(cb)
}

func (u *webUser) browser() auth.LoopbackBrowser { return auth.LoopbackBrowser{Open: u.open} }

// direct is a SignInBrowser without a listener: it hands the redirect
// target over, changed by tamper.
func (u *webUser) direct(tamper func(string) string) auth.SignInBrowserFunc {
	return func(_ context.Context, authorizeURL, _ string) (string, error) {
		cb, err := u.drive(authorizeURL)
		if err != nil {
			return "", err
		}
		return tamper(cb), nil
	}
}

func (u *webUser) openedURLs() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.opened...)
}

// webSessionAlive reports whether the user's browser is still signed in at
// the hosted UI: an authorization request then comes straight back with a
// code instead of going to the sign-in page.
func (u *webUser) webSessionAlive(t *testing.T, w *webEnv) bool {
	t.Helper()
	q := url.Values{"client_id": {w.clientID}, "redirect_uri": {w.callback}, "response_type": {"code"}, "state": {"probe"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGlSstw-cM"}, "code_challenge_method": {"S256"}}
	res, err := u.hc.Get(w.domain + "/oauth2/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	switch {
	case strings.HasPrefix(loc, w.callback+"?code="):
		return true
	case strings.HasPrefix(loc, "/"+w.poolID+"/login?"):
		return false
	}
	t.Fatalf("authorize: %d Location %q", res.StatusCode, loc)
	return false
}

func withQuery(t *testing.T, raw string, set map[string]string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, v := range set {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Rule: SignInWithWebUI runs the code flow with PKCE through a loopback
// listener, stores a hosted-UI session with working tokens, emits SignedIn;
// the hosted-UI sign-out step then ends the web session at the real /logout.
func TestSignInWithWebUI(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []testserver.PoolOption
	}{
		{"public client", nil},
		{"client with a secret", []testserver.PoolOption{testserver.WithSecret()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWebEnv(t, tc.opts...)
			c := w.client(t)
			ev := record(c)
			u := newWebUser(t, w)

			r, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: u.browser()})
			if err != nil || !r.SignedIn || r.NextStep != auth.SignInStepDone {
				t.Fatalf("SignInWithWebUI = %+v, %v", r, err)
			}
			// The authorization request.
			opened := u.openedURLs()
			if len(opened) != 1 || !strings.HasPrefix(opened[0], w.domain+"/oauth2/authorize?") {
				t.Fatalf("browser opened %v", opened)
			}
			au, _ := url.Parse(opened[0])
			q := au.Query()
			for k, want := range map[string]string{"response_type": "code", "client_id": w.clientID, "redirect_uri": w.callback,
				"code_challenge_method": "S256", "scope": strings.Join(testserver.DefaultOAuthScopes, " ")} {
				if q.Get(k) != want {
					t.Errorf("authorize %s = %q, want %q", k, q.Get(k), want)
				}
			}
			if len(q.Get("state")) < 43 || len(q.Get("code_challenge")) != 43 {
				t.Errorf("state %q / code_challenge %q: want 256-bit random state and an S256 challenge", q.Get("state"), q.Get("code_challenge"))
			}
			// The stored session.
			s := w.session(t)
			if s == nil || s.SignInMethod != credstore.SignInMethodHostedUI || s.PrivateSession || s.Username != testUser ||
				s.AuthFlow != "" || s.IDToken == "" || s.RefreshToken == "" {
				t.Fatalf("session = %v", s)
			}
			if cu, err := c.CurrentUser(bg()); err != nil || cu.Username != testUser || cu.SignInMethod != credstore.SignInMethodHostedUI {
				t.Fatalf("CurrentUser = %+v, %v", cu, err)
			}
			// The tokens work at the user-pool API (escape hatch) and refresh.
			out, err := c.CognitoClient().GetUser(bg(), &cip.GetUserInput{AccessToken: aws.String(s.AccessToken)})
			if err != nil || aws.ToString(out.Username) != testUser {
				t.Fatalf("GetUser with the hosted-UI tokens: %v", err)
			}
			as, err := c.FetchAuthSession(bg(), auth.FetchAuthSessionOptions{ForceRefresh: true})
			if err != nil || !as.SignedIn || as.Tokens.AccessToken == s.AccessToken {
				t.Fatalf("refresh after a hosted-UI sign-in: %v", err)
			}
			if got := w.session(t); got.SignInMethod != credstore.SignInMethodHostedUI {
				t.Fatal("refresh forgot the sign-in method")
			}
			if got := ev.waitFor(t, 1); got[0] != auth.EventSignedIn {
				t.Fatalf("events = %v", got)
			}
			// One user at a time.
			if _, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: u.browser()}); !errors.Is(err, auth.ErrInvalidState) {
				t.Fatalf("second SignInWithWebUI = %v", err)
			}
			if len(u.openedURLs()) != 1 {
				t.Fatal("the browser was opened while a user is signed in")
			}
			if _, err := c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{}); !errors.Is(err, auth.ErrInvalidState) {
				t.Fatalf("SignIn after SignInWithWebUI = %v", err)
			}

			// Sign-out: no browser configured, so the one of the sign-in is used;
			// the real /logout ends the web session; the refresh token is revoked.
			if !u.webSessionAlive(t, w) {
				t.Fatal("no web session after the sign-in")
			}
			refresh := w.session(t).RefreshToken
			if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
				t.Fatalf("SignOut = %#v (%v)", r, r.Err())
			}
			opened = u.openedURLs()
			wantLogout := w.domain + "/logout?" + url.Values{"client_id": {w.clientID}, "logout_uri": {w.signedOut}}.Encode()
			if len(opened) != 2 || opened[1] != wantLogout {
				t.Fatalf("browser opened %v, want the sign-out page %s", opened, wantLogout)
			}
			if u.webSessionAlive(t, w) {
				t.Fatal("the web session survived the hosted-UI sign-out")
			}
			if err := w.refreshWorks(t, testUser, refresh); err == nil {
				t.Fatal("refresh token not revoked")
			}
			if got := ev.waitFor(t, 2); got[1] != auth.EventSignedOut {
				t.Fatalf("events = %v", got)
			}
		})
	}
}

// Rule: the state of the response must be the one sent; otherwise the code is
// not redeemed and nobody is signed in. A response elsewhere than the redirect
// URI is refused too.
func TestSignInWithWebUI_StateMismatch(t *testing.T) {
	w := newWebEnv(t)
	c := w.client(t)
	ev := record(c)
	for name, tamper := range map[string]func(string) string{
		"other state": func(cb string) string { return withQuery(t, cb, map[string]string{"state": "forged"}) },
		"empty state": func(cb string) string { return withQuery(t, cb, map[string]string{"state": ""}) },
		"no state":    func(cb string) string { return strings.Split(cb, "?")[0] + "?code=x" },
		"longer state": func(cb string) string {
			u, _ := url.Parse(cb)
			return withQuery(t, cb, map[string]string{"state": u.Query().Get("state") + "x"})
		},
		"prefix state": func(cb string) string {
			u, _ := url.Parse(cb)
			return withQuery(t, cb, map[string]string{"state": u.Query().Get("state")[:10]})
		},
		"twice, forged": func(cb string) string { return cb + "&state=forged" },
	} {
		t.Run(name, func(t *testing.T) {
			u := newWebUser(t, w)
			_, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: u.direct(tamper)})
			if !errors.Is(err, auth.ErrStateMismatch) {
				t.Fatalf("SignInWithWebUI = %v, want ErrStateMismatch", err)
			}
			if w.session(t) != nil {
				t.Fatal("signed in despite the state mismatch")
			}
		})
	}
	t.Run("elsewhere than the redirect URI", func(t *testing.T) {
		u := newWebUser(t, w)
		_, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: u.direct(func(cb string) string {
			return strings.Replace(cb, "/callback?", "/evil?", 1)
		})})
		if !errors.Is(err, auth.ErrInvalidCallback) || w.session(t) != nil {
			t.Fatalf("SignInWithWebUI = %v, want ErrInvalidCallback", err)
		}
	})
	time.Sleep(50 * time.Millisecond)
	if got := ev.types(); len(got) != 0 {
		t.Fatalf("events = %v", got)
	}
	// The client is still usable.
	if _, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: newWebUser(t, w).browser()}); err != nil {
		t.Fatal(err)
	}
}

// Rule: an error= answer at the redirect URI becomes an *OAuthError with the
// code and description; a refused code at the token endpoint too.
func TestSignInWithWebUI_ErrorPropagated(t *testing.T) {
	w := newWebEnv(t)
	c := w.client(t)

	t.Run("server answers error= (scope not allowed)", func(t *testing.T) {
		u := newWebUser(t, w)
		_, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: u.browser(), Scopes: []string{"openid", "not-allowed"}})
		var oe *auth.OAuthError
		if !errors.As(err, &oe) || oe.Endpoint != "authorize" || oe.Code != "invalid_scope" || !strings.Contains(oe.Description, "not-allowed") {
			t.Fatalf("SignInWithWebUI = %v, want OAuthError invalid_scope", err)
		}
	})
	t.Run("access_denied", func(t *testing.T) {
		b := auth.SignInBrowserFunc(func(_ context.Context, authorizeURL, redirect string) (string, error) {
			au, _ := url.Parse(authorizeURL)
			return redirect + "?" + url.Values{"error": {"access_denied"}, "error_description": {"The user said no"},
				"state": {au.Query().Get("state")}}.Encode(), nil
		})
		_, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: b})
		var oe *auth.OAuthError
		if !errors.As(err, &oe) || oe.Code != "access_denied" || oe.Description != "The user said no" {
			t.Fatalf("SignInWithWebUI = %v", err)
		}
		if !strings.Contains(err.Error(), "access_denied") {
			t.Fatalf("Error() = %q", err)
		}
	})
	t.Run("code refused at the token endpoint", func(t *testing.T) {
		u := newWebUser(t, w)
		_, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: u.direct(func(cb string) string {
			return withQuery(t, cb, map[string]string{"code": "not-a-code"})
		})})
		var oe *auth.OAuthError
		if !errors.As(err, &oe) || oe.Endpoint != "token" || oe.Code != "invalid_grant" || oe.StatusCode != http.StatusBadRequest {
			t.Fatalf("SignInWithWebUI = %v, want OAuthError invalid_grant from the token endpoint", err)
		}
	})
	t.Run("response without a code", func(t *testing.T) {
		b := auth.SignInBrowserFunc(func(_ context.Context, authorizeURL, redirect string) (string, error) {
			au, _ := url.Parse(authorizeURL)
			return redirect + "?state=" + url.QueryEscape(au.Query().Get("state")), nil
		})
		if _, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: b}); !errors.Is(err, auth.ErrInvalidCallback) {
			t.Fatalf("SignInWithWebUI = %v", err)
		}
	})
	t.Run("token endpoint unreachable", func(t *testing.T) {
		dead := w.client(t, func(cfg *auth.Config) { cfg.HostedUI.Domain = deadAddress(t) })
		b := auth.SignInBrowserFunc(func(_ context.Context, authorizeURL, redirect string) (string, error) {
			au, _ := url.Parse(authorizeURL)
			return redirect + "?code=abc&state=" + url.QueryEscape(au.Query().Get("state")), nil
		})
		_, err := dead.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: b})
		var ne *auth.NetworkError
		if !errors.As(err, &ne) {
			t.Fatalf("SignInWithWebUI = %v, want a NetworkError", err)
		}
	})
	if w.session(t) != nil {
		t.Fatal("signed in after failures")
	}
}

// Rule: the user cancelling, the deadline passing or ctx ending give
// ErrUserCancelled; a browser that cannot start gives ErrBrowserUnavailable.
// Nothing is stored, the listener is gone, and the client serves the next call.
func TestSignInWithWebUI_CancelDeadlineUnavailable(t *testing.T) {
	w := newWebEnv(t)
	c := w.client(t)
	port := strings.TrimPrefix(strings.TrimSuffix(w.callback, "/callback"), "http://")
	block := make(chan struct{})
	defer close(block)
	ctxCancelled, cancel := context.WithCancel(bg())
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		opts    auth.WebUISignInOptions
		want    []error
		maxTime time.Duration
	}{
		{"user cancels", bg(), auth.WebUISignInOptions{Browser: auth.SignInBrowserFunc(func(context.Context, string, string) (string, error) {
			return "", auth.ErrUserCancelled
		})}, []error{auth.ErrUserCancelled}, 5 * time.Second},
		{"deadline, loopback listener waiting", bg(), auth.WebUISignInOptions{Timeout: 200 * time.Millisecond,
			Browser: auth.LoopbackBrowser{Open: func(string) error { return nil }}},
			[]error{auth.ErrUserCancelled, context.DeadlineExceeded}, time.Second},
		{"deadline, browser ignoring ctx", bg(), auth.WebUISignInOptions{Timeout: 200 * time.Millisecond,
			Browser: auth.SignInBrowserFunc(func(context.Context, string, string) (string, error) { <-block; return "", nil })},
			[]error{auth.ErrUserCancelled, context.DeadlineExceeded}, time.Second},
		{"ctx cancelled", ctxCancelled, auth.WebUISignInOptions{Browser: auth.LoopbackBrowser{Open: func(string) error {
			go func() { time.Sleep(100 * time.Millisecond); cancel() }()
			return nil
		}}}, []error{auth.ErrUserCancelled, context.Canceled}, time.Second},
		{"browser cannot start", bg(), auth.WebUISignInOptions{Browser: auth.LoopbackBrowser{Open: func(string) error {
			return errors.New(`exec: "xdg-open": executable file not found in $PATH`)
		}}}, []error{auth.ErrBrowserUnavailable}, 5 * time.Second},
		{"browser panics", bg(), auth.WebUISignInOptions{Browser: auth.SignInBrowserFunc(func(context.Context, string, string) (string, error) {
			panic("boom")
		})}, []error{auth.ErrBrowserUnavailable}, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := c.SignInWithWebUI(tc.ctx, tc.opts)
			if took := time.Since(start); took > tc.maxTime {
				t.Fatalf("took %v", took)
			}
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Fatalf("SignInWithWebUI = %v, want it to match %v", err, want)
				}
			}
			if w.session(t) != nil {
				t.Fatal("signed in")
			}
			if conn, err := net.DialTimeout("tcp", port, 200*time.Millisecond); err == nil {
				conn.Close()
				t.Fatal("the loopback listener is still open")
			}
		})
	}
	if _, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: newWebUser(t, w).browser()}); err != nil {
		t.Fatalf("after the failures: %v", err)
	}
}

// Rule: SignOut cancels a SignInWithWebUI waiting for the browser instead of
// waiting for it (the sign-in holds the operation lock for as long as the
// browser is out, five minutes by default): the sign-in returns an error
// matching ErrSignInCancelled and context.Canceled, its loopback listener is
// closed, nobody is signed in, and the sign-out goes on (nobody to sign out:
// Complete). The client serves the next sign-in.
func TestSignOut_CancelsPendingWebUISignIn(t *testing.T) {
	w := newWebEnv(t)
	c := w.client(t)
	ev := record(c)
	opened := make(chan struct{})
	never := auth.LoopbackBrowser{Open: func(string) error { close(opened); return nil }} // never comes back
	signIn := make(chan error, 1)
	go func() {
		_, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: never, Timeout: time.Minute})
		signIn <- err
	}()
	<-opened

	signOut := make(chan auth.SignOutResult, 1)
	go func() { signOut <- c.SignOut(bg(), auth.SignOutOptions{}) }()
	// The sign-in's own deadline is a minute: returnBound (5 s) tells a
	// cancelled wait from one that ran out, on a loaded machine too.
	select {
	case r := <-signOut:
		if _, ok := r.(auth.CompleteSignOut); !ok {
			t.Fatalf("SignOut = %#v (%v), want Complete", r, r.Err())
		}
	case <-time.After(returnBound):
		t.Fatalf("SignOut still waiting after %v for the hosted-UI sign-in", returnBound)
	}
	select {
	case err := <-signIn:
		if !errors.Is(err, auth.ErrSignInCancelled) || !errors.Is(err, context.Canceled) {
			t.Fatalf("SignInWithWebUI = %v, want ErrSignInCancelled and context.Canceled", err)
		}
	case <-time.After(returnBound):
		t.Fatal("SignInWithWebUI did not return")
	}
	if w.session(t) != nil {
		t.Fatal("signed in after the cancelled sign-in")
	}
	addr := strings.TrimPrefix(strings.TrimSuffix(w.callback, "/callback"), "http://")
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatal("the loopback listener is still open")
	}
	if _, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: newWebUser(t, w).browser()}); err != nil {
		t.Fatalf("sign-in after the cancelled one: %v", err)
	}
	if got := ev.waitFor(t, 1); got[0] != auth.EventSignedIn { // no SignedOut: nobody was signed in
		t.Fatalf("events = %v", got)
	}
}

// Rule: SignInWithWebUI needs the hosted UI configured; it then opens no
// browser. New validates the new HostedUI fields.
func TestSignInWithWebUI_Config(t *testing.T) {
	w := newWebEnv(t)
	opened := false
	b := auth.SignInBrowserFunc(func(context.Context, string, string) (string, error) { opened = true; return "", nil })
	for name, mod := range map[string]func(*auth.Config){
		"no hosted UI":          func(c *auth.Config) { c.HostedUI = nil },
		"no sign-in redirect":   func(c *auth.Config) { c.HostedUI.SignInRedirectURI = "" },
		"negative call timeout": func(*auth.Config) {},
	} {
		t.Run(name, func(t *testing.T) {
			c := w.client(t, mod)
			opts := auth.WebUISignInOptions{Browser: b}
			if name == "negative call timeout" {
				opts.Timeout = -time.Second
			}
			if _, err := c.SignInWithWebUI(bg(), opts); !errors.Is(err, auth.ErrInvalidParameter) || opened {
				t.Fatalf("SignInWithWebUI = %v (browser opened: %v)", err, opened)
			}
		})
	}
	for name, h := range map[string]auth.HostedUIConfig{
		"HostedUI.SignInRedirectURI": {Domain: "https://a.example", SignOutRedirectURI: "http://127.0.0.1:1/out", SignInRedirectURI: "/callback"},
		"HostedUI.SignInTimeout":     {Domain: "https://a.example", SignOutRedirectURI: "http://127.0.0.1:1/out", SignInTimeout: -1},
		"HostedUI.Scopes":            {Domain: "https://a.example", SignOutRedirectURI: "http://127.0.0.1:1/out", Scopes: []string{"openid email"}},
	} {
		_, err := auth.New(auth.Config{UserPoolID: "us-east-1_AbC", ClientID: "abc", HostedUI: &h})
		var ce *auth.ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: New = %v", name, err)
		}
	}
}

// Rule: a private-session sign-in is stored as such and its sign-out skips the
// hosted-UI step (the browser kept no session to end).
func TestSignInWithWebUI_PrivateSession(t *testing.T) {
	w := newWebEnv(t)
	signOutOpened := 0
	c := w.client(t, func(cfg *auth.Config) {
		cfg.Browser = auth.BrowserFunc(func(context.Context, string, string) error { signOutOpened++; return nil })
	})
	u := newWebUser(t, w)
	if _, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{Browser: u.browser(), PreferPrivateSession: true}); err != nil {
		t.Fatal(err)
	}
	if s := w.session(t); s == nil || !s.PrivateSession || s.SignInMethod != credstore.SignInMethodHostedUI {
		t.Fatalf("session = %v", s)
	}
	if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
		t.Fatalf("SignOut = %v", r.Err())
	}
	if signOutOpened != 0 || len(u.openedURLs()) != 1 {
		t.Fatalf("the sign-out opened a browser (%d, %v)", signOutOpened, u.openedURLs())
	}
}

// Rule: Config.Browser serves the sign-in too when it can.
func TestSignInWithWebUI_ConfigBrowser(t *testing.T) {
	w := newWebEnv(t)
	u := newWebUser(t, w)
	c := w.client(t, func(cfg *auth.Config) { cfg.Browser = u.browser() })
	if _, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{}); err != nil {
		t.Fatal(err)
	}
	if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
		t.Fatal(r.Err())
	}
	if got := u.openedURLs(); len(got) != 2 || !strings.Contains(got[1], "/logout?") {
		t.Fatalf("opened %v", got)
	}
}

// Rule: LoopbackBrowser.OpenSignIn ignores what is not the awaited response
// (other paths, no code, another state) and returns the URL the browser
// arrived at.
func TestLoopbackBrowser_SignIn(t *testing.T) {
	base := "http://127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t))
	redirect := base + "/callback"
	authorize := "https://auth.example.test/oauth2/authorize?state=the-state&client_id=x"
	opened := make(chan string, 1)
	b := auth.LoopbackBrowser{Open: func(u string) error { opened <- u; return nil }}
	type result struct {
		url string
		err error
	}
	done := make(chan result, 1)
	go func() {
		u, err := b.OpenSignIn(bg(), authorize, redirect)
		done <- result{u, err}
	}()
	if got := <-opened; got != authorize {
		t.Fatalf("opened %q", got)
	}
	for target, want := range map[string]int{
		base + "/favicon.ico":                       http.StatusNotFound,
		redirect:                                    http.StatusBadRequest,
		redirect + "?code=c&state=other":            http.StatusBadRequest,
		redirect + "?code=c":                        http.StatusBadRequest,
		redirect + "?error=access_denied&state=the": http.StatusBadRequest,
	} {
		res, err := http.Get(target)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("%s: %d, want %d", target, res.StatusCode, want)
		}
	}
	select {
	case r := <-done:
		t.Fatalf("returned early: %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
	res, err := http.Get(redirect + "?code=the-code&state=the-state")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "signed in") || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("callback page: %d %q", res.StatusCode, page)
	}
	r := <-done
	if r.err != nil || r.url != redirect+"?code=the-code&state=the-state" {
		t.Fatalf("OpenSignIn = %+v", r)
	}

	// An error response with the right state ends the wait too; its page says so.
	go func() {
		u, err := b.OpenSignIn(bg(), authorize, redirect)
		done <- result{u, err}
	}()
	<-opened
	res, err = http.Get(redirect + "?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state=the-state")
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), "access_denied") || strings.Contains(string(page), "<b>") {
		t.Fatalf("error page %q (must name the error, escaped)", page)
	}
	if r := <-done; r.err != nil || !strings.Contains(r.url, "error=access_denied") {
		t.Fatalf("OpenSignIn = %+v", r)
	}
}

// chanWriter is an io.Writer that hands each write to a channel.
type chanWriter chan string

func (c chanWriter) Write(p []byte) (int, error) { c <- string(p); return len(p), nil }

var urlRE = regexp.MustCompile(`https?://\S+`)

// Rule: PrintURLBrowser prints the address and waits on the loopback
// listener; the user opening it by hand completes sign-in and sign-out.
func TestPrintURLBrowser(t *testing.T) {
	w := newWebEnv(t)
	printed := make(chanWriter, 4)
	pb := auth.PrintURLBrowser{W: printed}
	c := w.client(t, func(cfg *auth.Config) { cfg.Browser = pb })
	u := newWebUser(t, w)
	errs := make(chan error, 4)
	user := func() { // reads the terminal, opens the address by hand
		msg := <-printed
		target := urlRE.FindString(msg)
		if target == "" {
			errs <- fmt.Errorf("no address printed in %q", msg)
			return
		}
		errs <- u.open(target)
	}

	go user()
	if _, err := c.SignInWithWebUI(bg(), auth.WebUISignInOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	go user()
	if r := c.SignOut(bg(), auth.SignOutOptions{}); r.Err() != nil {
		t.Fatalf("SignOut = %v", r.Err())
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if got := u.openedURLs(); len(got) != 2 || !strings.Contains(got[0], "/oauth2/authorize?") || !strings.Contains(got[1], "/logout?") {
		t.Fatalf("opened %v", got)
	}
	if u.webSessionAlive(t, w) {
		t.Fatal("web session still alive")
	}
}
