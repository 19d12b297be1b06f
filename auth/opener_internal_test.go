package auth

import (
	"errors"
	"os/exec"
	"runtime"
	"testing"
	"time"
)

func TestStartOpener(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses POSIX commands")
	}
	if err := startOpener(exec.Command("true"), time.Second); err != nil {
		t.Fatalf("opener exiting 0: %v", err)
	}
	if err := startOpener(exec.Command("false"), time.Second); !errors.Is(err, ErrBrowserUnavailable) {
		t.Fatalf("opener exiting 1: %v", err)
	}
	if err := startOpener(exec.Command("/nonexistent/xdg-open"), time.Second); !errors.Is(err, ErrBrowserUnavailable) {
		t.Fatalf("missing opener: %v", err)
	}
	cmd := exec.Command("sleep", "5")
	start := time.Now()
	if err := startOpener(cmd, 100*time.Millisecond); err != nil {
		t.Fatalf("opener still running: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("waited %v for a running opener", took)
	}
	_ = cmd.Process.Kill()
}

func TestOpenSystemBrowser_NoGraphicalSession(t *testing.T) {
	switch runtime.GOOS {
	case "darwin", "windows":
		t.Skip("X11/Wayland check only")
	}
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("BROWSER", "")
	if err := OpenSystemBrowser("https://auth.example.test/logout"); !errors.Is(err, ErrBrowserUnavailable) {
		t.Fatalf("OpenSystemBrowser without a display = %v", err)
	}
}
