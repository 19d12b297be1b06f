package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Browser shows the hosted UI's sign-out page to the user.
type Browser interface {
	// OpenSignOut opens signOutURL and returns once the browser has been
	// redirected to redirectURI (the sign-out is then done), or when ctx ends.
	//
	// Return nil on success; an error wrapping ErrUserCancelled when the user
	// cancelled; an error wrapping ErrBrowserUnavailable when no browser could be
	// started (SignOut then records a HostedUIError and goes on). ctx carries the
	// sign-out deadline: when it passes, SignOut fails as cancelled whatever
	// OpenSignOut does.
	OpenSignOut(ctx context.Context, signOutURL, redirectURI string) error
}

// BrowserFunc adapts a function to Browser.
type BrowserFunc func(ctx context.Context, signOutURL, redirectURI string) error

// OpenSignOut calls f.
func (f BrowserFunc) OpenSignOut(ctx context.Context, signOutURL, redirectURI string) error {
	return f(ctx, signOutURL, redirectURI)
}

// LoopbackBrowser is a Browser for desktop and command-line apps (RFC 8252
// style): it listens on the loopback address of the redirect URI (which must be
// http://127.0.0.1:PORT/..., http://[::1]:PORT/... or http://localhost:PORT/...,
// registered as the app client's sign-out URL), opens the system browser on the
// sign-out page and waits for the browser to arrive at the redirect URI.
type LoopbackBrowser struct {
	// Open starts a browser on url; nil means OpenSystemBrowser.
	Open func(url string) error
	// DonePage is the HTML shown once signed out; a short default when empty.
	DonePage string
}

// OpenSignOut implements Browser.
func (b LoopbackBrowser) OpenSignOut(ctx context.Context, signOutURL, redirectURI string) error {
	u, err := url.Parse(redirectURI)
	if err != nil || u.Scheme != "http" || !isLoopbackHost(u.Hostname()) || u.Port() == "" {
		return fmt.Errorf("%w: LoopbackBrowser needs an http://127.0.0.1:PORT/... sign-out redirect URI", ErrBrowserUnavailable)
	}
	host := u.Hostname()
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", net.JoinHostPort(host, u.Port()))
	if err != nil {
		return fmt.Errorf("%w: cannot listen for the redirect: %w", ErrBrowserUnavailable, err)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	arrived := make(chan struct{}, 1)
	page := b.DonePage
	if page == "" {
		page = "<!doctype html><title>Signed out</title><p>You are signed out. You can close this window.</p>"
	}
	srv := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.EscapedPath() != path {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write([]byte(page))
			select {
			case arrived <- struct{}{}:
			default:
			}
		}),
	}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	open := b.Open
	if open == nil {
		open = OpenSystemBrowser
	}
	if err := open(signOutURL); err != nil {
		if errors.Is(err, ErrBrowserUnavailable) || errors.Is(err, ErrUserCancelled) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrBrowserUnavailable, err)
	}
	select {
	case <-arrived:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// OpenSystemBrowser opens url in the desktop's default browser (xdg-open on
// Linux and BSD, open on macOS, the URL handler on Windows). It returns an
// error wrapping ErrBrowserUnavailable when none can be started.
func OpenSystemBrowser(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%w: refusing to open a non-http(s) URL", ErrBrowserUnavailable)
	}
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", rawURL)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", rawURL)
	default:
		cmd = exec.Command("xdg-open", rawURL)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBrowserUnavailable, cmd.Path, err)
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
