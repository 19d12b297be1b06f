package auth_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/auth"
)

func TestLoopbackBrowser(t *testing.T) {
	port := strconv.Itoa(freeLoopbackPort(t))
	redirect := "http://127.0.0.1:" + port + "/signed-out"

	t.Run("waits for the redirect", func(t *testing.T) {
		opened := make(chan string, 1)
		b := auth.LoopbackBrowser{Open: func(u string) error { opened <- u; return nil }}
		done := make(chan error, 1)
		go func() { done <- b.OpenSignOut(bg(), "https://auth.example.test/logout?x=1", redirect) }()
		if u := <-opened; u != "https://auth.example.test/logout?x=1" {
			t.Fatalf("opened %q", u)
		}
		// A stray request elsewhere does not count.
		resp, err := http.Get("http://127.0.0.1:" + port + "/favicon.ico")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("stray request: %d", resp.StatusCode)
		}
		select {
		case err := <-done:
			t.Fatalf("returned early: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		resp, err = http.Get(redirect)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("redirect page: %d", resp.StatusCode)
		}
		if err := <-done; err != nil {
			t.Fatalf("OpenSignOut = %v", err)
		}
		// The listener is gone afterwards.
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 200*time.Millisecond); err == nil {
			c.Close()
			t.Fatal("listener still open")
		}
	})

	t.Run("deadline", func(t *testing.T) {
		b := auth.LoopbackBrowser{Open: func(string) error { return nil }}
		ctx, cancel := context.WithTimeout(bg(), 100*time.Millisecond)
		defer cancel()
		if err := b.OpenSignOut(ctx, "https://x/logout", redirect); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("OpenSignOut = %v", err)
		}
	})

	t.Run("not a loopback redirect", func(t *testing.T) {
		b := auth.LoopbackBrowser{Open: func(string) error { t.Fatal("opened"); return nil }}
		for _, r := range []string{"https://example.com/out", "myapp://out", "http://127.0.0.1/out", "http://10.0.0.1:80/out"} {
			if err := b.OpenSignOut(bg(), "https://x/logout", r); !errors.Is(err, auth.ErrBrowserUnavailable) {
				t.Errorf("%s: %v", r, err)
			}
		}
	})

	t.Run("port taken", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		b := auth.LoopbackBrowser{Open: func(string) error { return nil }}
		if err := b.OpenSignOut(bg(), "https://x/logout", "http://"+ln.Addr().String()+"/out"); !errors.Is(err, auth.ErrBrowserUnavailable) {
			t.Fatalf("OpenSignOut = %v", err)
		}
	})

	t.Run("browser fails to open", func(t *testing.T) {
		b := auth.LoopbackBrowser{Open: func(string) error { return errors.New("no display") }}
		if err := b.OpenSignOut(bg(), "https://x/logout", redirect); !errors.Is(err, auth.ErrBrowserUnavailable) {
			t.Fatalf("OpenSignOut = %v", err)
		}
	})
}

func TestOpenSystemBrowser_RefusesOtherSchemes(t *testing.T) {
	if err := auth.OpenSystemBrowser("file:///etc/passwd"); !errors.Is(err, auth.ErrBrowserUnavailable) {
		t.Fatalf("OpenSystemBrowser(file:) = %v", err)
	}
}
