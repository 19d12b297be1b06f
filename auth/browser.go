package auth

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Browser shows the hosted UI's sign-out page to the user. Its counterpart for
// SignInWithWebUI is SignInBrowser; LoopbackBrowser (SystemBrowser) and
// PrintURLBrowser implement both.
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

// OpenSignOut calls f (with context.Background() for a nil ctx).
func (f BrowserFunc) OpenSignOut(ctx context.Context, signOutURL, redirectURI string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	return f(ctx, signOutURL, redirectURI)
}

// LoopbackBrowser is a Browser and a SignInBrowser for desktop and
// command-line apps (RFC 8252 style): it listens on the loopback address of the
// redirect URI (which must be http://127.0.0.1:PORT/..., http://[::1]:PORT/...
// or http://localhost:PORT/..., registered as the app client's callback or
// sign-out URL), opens the browser on the hosted UI's page and waits for the
// browser to arrive at the redirect URI. Its zero value opens the system
// browser (see SystemBrowser).
type LoopbackBrowser struct {
	// Open starts a browser on url; nil means OpenSystemBrowser.
	Open func(url string) error
	// DonePage is the HTML shown once signed out; a short default when empty.
	DonePage string
	// SignedInPage is the HTML shown once signed in; a short default when empty.
	SignedInPage string
}

// OpenSignOut implements Browser.
func (b LoopbackBrowser) OpenSignOut(ctx context.Context, signOutURL, redirectURI string) error {
	page := b.DonePage
	if page == "" {
		page = defaultSignedOutPage
	}
	_, err := waitOnLoopback(ctx, redirectURI, "sign-out", b.opener(), signOutURL, func(*http.Request) (int, string, bool) {
		return http.StatusOK, page, true
	})
	return err
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
// error wrapping ErrBrowserUnavailable when none can be started: the opener is
// missing, it fails within a short grace period, or (Linux and BSD) there is no
// graphical session and $BROWSER is unset.
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
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" && os.Getenv("BROWSER") == "" {
			return fmt.Errorf("%w: no graphical session (DISPLAY and WAYLAND_DISPLAY are unset); open the address by hand (see PrintURLBrowser)", ErrBrowserUnavailable)
		}
		cmd = exec.Command("xdg-open", rawURL)
	}
	return startOpener(cmd, openerGrace)
}

// openerGrace is how long OpenSystemBrowser waits for the opener to fail.
var openerGrace = 2 * time.Second

// startOpener starts cmd and waits up to grace for it: an opener that exits
// with an error in that time could not open the browser; one that exits
// cleanly or is still running (some run the browser in the foreground) did.
func startOpener(cmd *exec.Cmd, grace time.Duration) error {
	name := filepath.Base(cmd.Path)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBrowserUnavailable, name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%w: %s failed: %w", ErrBrowserUnavailable, name, err)
		}
		return nil
	case <-t.C:
		return nil
	}
}
