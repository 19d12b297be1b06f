package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"
)

// SignInBrowser shows the hosted UI's sign-in page to the user, for
// SignInWithWebUI.
type SignInBrowser interface {
	// OpenSignIn opens authorizeURL and returns, once the browser has been
	// redirected to redirectURI, the full URL it arrived at (with the code and
	// state, or error and error_description, in its query). It returns when ctx
	// ends (the sign-in deadline) at the latest.
	//
	// Return an error wrapping ErrUserCancelled when the user cancelled, and one
	// wrapping ErrBrowserUnavailable when no browser could be started.
	// SignInWithWebUI checks the state and the redirect URI of what is returned
	// whatever the implementation checked itself.
	OpenSignIn(ctx context.Context, authorizeURL, redirectURI string) (callbackURL string, err error)
}

// SignInBrowserFunc adapts a function to SignInBrowser.
type SignInBrowserFunc func(ctx context.Context, authorizeURL, redirectURI string) (string, error)

// OpenSignIn calls f (with context.Background() for a nil ctx).
func (f SignInBrowserFunc) OpenSignIn(ctx context.Context, authorizeURL, redirectURI string) (string, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	return f(ctx, authorizeURL, redirectURI)
}

// SystemBrowser returns the Browser of desktop and command-line apps: a
// LoopbackBrowser that opens the system browser (OpenSystemBrowser). It serves
// both SignInWithWebUI and the sign-out step.
func SystemBrowser() LoopbackBrowser { return LoopbackBrowser{Open: OpenSystemBrowser} }

// Default pages of the loopback listener.
const (
	defaultSignedOutPage = "<!doctype html><title>Signed out</title><p>You are signed out. You can close this window.</p>"
	defaultSignedInPage  = "<!doctype html><title>Signed in</title><p>You are signed in. You can close this window and return to the app.</p>"
)

// OpenSignIn implements SignInBrowser: it listens on the loopback address of
// redirectURI (the app client's registered callback URL, e.g.
// "http://127.0.0.1:8765/callback"), opens the browser on authorizeURL and
// waits for the browser to come back with the authorization response.
//
// Requests to the callback path that are not an authorization response, or
// whose state is not the one of authorizeURL, get an error page and do not end
// the wait: a web page cannot cut a sign-in short by guessing the port.
func (b LoopbackBrowser) OpenSignIn(ctx context.Context, authorizeURL, redirectURI string) (string, error) {
	want := ""
	if u, err := url.Parse(authorizeURL); err == nil {
		want = u.Query().Get("state")
	}
	page := b.SignedInPage
	if page == "" {
		page = defaultSignedInPage
	}
	return waitOnLoopback(ctx, redirectURI, "sign-in", b.opener(), authorizeURL, func(r *http.Request) (int, string, bool) {
		q := r.URL.Query()
		if q.Get("code") == "" && q.Get("error") == "" {
			return http.StatusBadRequest, errorPage("This is not a sign-in response."), false
		}
		if want != "" && subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(want)) != 1 {
			return http.StatusBadRequest, errorPage("This sign-in response does not belong to the sign-in in progress."), false
		}
		if e := q.Get("error"); e != "" {
			msg := "Sign-in did not complete: " + e
			if d := q.Get("error_description"); d != "" {
				msg += " (" + d + ")"
			}
			return http.StatusOK, errorPage(msg + ". You can close this window."), true
		}
		return http.StatusOK, page, true
	})
}

func (b LoopbackBrowser) opener() func(string) error {
	if b.Open == nil {
		return OpenSystemBrowser
	}
	return b.Open
}

func errorPage(msg string) string {
	return "<!doctype html><title>Sign-in</title><p>" + html.EscapeString(msg) + "</p>"
}

// PrintURLBrowser is a Browser (and SignInBrowser) for machines where no
// browser can be started, or apps that prefer not to start one: it prints the
// address for the user to open by hand, then waits on the loopback listener of
// the redirect URI like LoopbackBrowser. The browser must run on the same
// machine (the redirect goes to 127.0.0.1).
type PrintURLBrowser struct {
	// W receives the instructions; os.Stderr when nil.
	W io.Writer
}

// OpenSignIn implements SignInBrowser.
func (p PrintURLBrowser) OpenSignIn(ctx context.Context, authorizeURL, redirectURI string) (string, error) {
	return LoopbackBrowser{Open: p.printer("sign in")}.OpenSignIn(ctx, authorizeURL, redirectURI)
}

// OpenSignOut implements Browser.
func (p PrintURLBrowser) OpenSignOut(ctx context.Context, signOutURL, redirectURI string) error {
	return LoopbackBrowser{Open: p.printer("sign out")}.OpenSignOut(ctx, signOutURL, redirectURI)
}

func (p PrintURLBrowser) printer(what string) func(string) error {
	return func(u string) error {
		w := p.W
		if w == nil {
			w = os.Stderr
		}
		if _, err := fmt.Fprintf(w, "To %s, open this address in a browser on this computer:\n\n    %s\n\n", what, u); err != nil {
			return fmt.Errorf("%w: cannot print the address: %w", ErrBrowserUnavailable, err)
		}
		return nil
	}
}

// waitOnLoopback listens on the loopback address of redirectURI, opens target
// with open, and waits until a request to redirectURI's path is accepted by
// accept (which also chooses the answer) or ctx ends. It returns the URL the
// browser arrived at, with redirectURI's scheme and host.
func waitOnLoopback(ctx context.Context, redirectURI, what string, open func(string) error, target string,
	accept func(r *http.Request) (status int, page string, done bool),
) (string, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	u, err := url.Parse(redirectURI)
	if err != nil || u.Scheme != "http" || !isLoopbackHost(u.Hostname()) || u.Port() == "" || u.User != nil {
		return "", fmt.Errorf("%w: a loopback browser needs an http://127.0.0.1:PORT/... %s redirect URI", ErrBrowserUnavailable, what)
	}
	host := u.Hostname()
	if host == "localhost" {
		host = "127.0.0.1"
	}
	lc := &net.ListenConfig{}
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, u.Port()))
	if err != nil {
		return "", fmt.Errorf("%w: cannot listen for the redirect: %w", ErrBrowserUnavailable, err)
	}
	listeners := []net.Listener{ln}
	if u.Hostname() == "localhost" {
		// Browsers may try ::1 first for "localhost"; answer there too when we can.
		if ln6, err := lc.Listen(ctx, "tcp", net.JoinHostPort("::1", u.Port())); err == nil {
			listeners = append(listeners, ln6)
		}
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	var (
		once    sync.Once
		arrived = make(chan string, 1)
	)
	srv := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.EscapedPath() != path || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
				http.NotFound(w, r)
				return
			}
			status, page, done := accept(r)
			hd := w.Header()
			hd.Set("Content-Type", "text/html; charset=utf-8")
			hd.Set("Cache-Control", "no-store")
			hd.Set("Referrer-Policy", "no-referrer")
			hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, page)
			if done {
				once.Do(func() {
					arrived <- (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}).String()
				})
			}
		}),
	}
	for _, l := range listeners {
		go func() { _ = srv.Serve(l) }()
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close() // a connection that never sent a request
		}
		for _, l := range listeners {
			_ = l.Close()
		}
	}()

	if err := open(target); err != nil {
		if errors.Is(err, ErrBrowserUnavailable) || errors.Is(err, ErrUserCancelled) {
			return "", err
		}
		return "", fmt.Errorf("%w: %w", ErrBrowserUnavailable, err)
	}
	select {
	case got := <-arrived:
		return got, nil
	case <-ctx.Done():
		select {
		case got := <-arrived: // both at once: the browser made it
			return got, nil
		default:
		}
		return "", ctx.Err()
	}
}
