package userpool

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestLoginLimiter(t *testing.T) {
	var l loginLimiter
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		if d := l.wait("k", 5, time.Minute, t0); d != 0 {
			t.Fatalf("before failure %d: wait %v", i+1, d)
		}
		l.fail(t0.Add(time.Duration(i)*time.Second), time.Minute, 20, "k")
	}
	if d := l.wait("k", 5, time.Minute, t0.Add(10*time.Second)); d != 50*time.Second {
		t.Fatalf("after 5 failures: wait %v, want 50s (until the oldest leaves the window)", d)
	}
	if d := l.wait("k", 5, time.Minute, t0.Add(time.Minute+time.Second)); d != 0 {
		t.Fatalf("once the oldest failure left the window: wait %v", d)
	}
	if d := l.wait("other", 5, time.Minute, t0); d != 0 {
		t.Fatalf("another key: wait %v", d)
	}
	l.forget("k")
	if d := l.wait("k", 5, time.Minute, t0.Add(10*time.Second)); d != 0 {
		t.Fatalf("after forget: wait %v", d)
	}

	// Only the last `keep` failures are kept, and stale keys are swept.
	for i := range 50 {
		l.fail(t0, time.Minute, 20, "busy")
		l.fail(t0, time.Minute, 20, fmt.Sprintf("spray-%d", i))
	}
	if n := len(l.fails["busy"]); n != 20 {
		t.Fatalf("kept %d failures, want 20", n)
	}
	l.mu.Lock()
	l.sweep(time.Minute, t0.Add(2*time.Minute))
	n := len(l.fails)
	l.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d keys left after the window, want 0", n)
	}
}

func TestGrantScopes(t *testing.T) {
	c := &Client{Config: ClientConfig{AllowedOAuthScopes: []string{"openid", "email", "aws.cognito.signin.user.admin", "api/read"}}}
	for _, tc := range []struct {
		req, want string
		ok        bool
	}{
		{"", "openid email aws.cognito.signin.user.admin api/read", true},
		{"openid openid email", "openid email", true},
		{"api/read", "api/read", true},
		{"email", "", false},
		{"phone openid", "", false},
	} {
		got, err := grantScopes(c, tc.req)
		if (err == nil) != tc.ok || (tc.ok && fmt.Sprint(got) != fmt.Sprint(strings.Fields(tc.want))) {
			t.Errorf("grantScopes(%q) = %v, %v; want %q ok=%v", tc.req, got, err, tc.want, tc.ok)
		}
	}
}
