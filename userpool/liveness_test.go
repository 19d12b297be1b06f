package userpool

import (
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// TestLivenessOrder pins the order of the liveness rule: a recorded
// revocation first, then a deleted user, a global sign-out, a disabled
// user, and expiry last; and which reasons end the access tokens.
func TestLivenessOrder(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	live := &store.User{Enabled: true, SignOutGen: 3}
	disabled := &store.User{Enabled: false, SignOutGen: 3}
	movedOn := &store.User{Enabled: false, SignOutGen: 4}
	for _, tc := range []struct {
		name string
		f    family
		want Reason
	}{
		{"alive", family{user: live, gen: 3, expiresAt: now.Add(time.Second)}, ""},
		{"expired", family{user: live, gen: 3, expiresAt: now}, ReasonExpired},
		{"disabled before expired", family{user: disabled, gen: 3, expiresAt: now}, ReasonUserDisabled},
		{"signed out before disabled", family{user: movedOn, gen: 3, expiresAt: now}, ReasonSignedOut},
		{"deleted before signed out", family{user: nil, gen: 3, expiresAt: now}, ReasonUserDeleted},
		{"recorded revocation first", family{user: nil, gen: 3, revoked: ReasonRefreshReuse, expiresAt: now}, ReasonRefreshReuse},
	} {
		if got := tc.f.liveness(now); got != tc.want {
			t.Errorf("%s: liveness = %q, want %q", tc.name, got, tc.want)
		}
	}
	for r, ends := range map[Reason]bool{"": false, ReasonExpired: false, ReasonRevoked: true, ReasonRefreshReuse: true,
		ReasonCodeReplay: true, ReasonSignedOut: true, ReasonUserDisabled: true, ReasonUserDeleted: true} {
		if r.endsAccessTokens() != ends {
			t.Errorf("%q.endsAccessTokens() = %v", r, !ends)
		}
	}
}

// TestStoredReason reads recorded revocations, including the untyped
// strings rows written before reasons were typed still hold.
func TestStoredReason(t *testing.T) {
	at := time.Unix(1, 0)
	for stored, want := range map[string]Reason{"revoked": ReasonRevoked, "revoke": ReasonRevoked,
		"refresh-reuse": ReasonRefreshReuse, "reuse": ReasonRefreshReuse, "code-replay": ReasonCodeReplay,
		"code-reuse": ReasonCodeReplay, "": ReasonRevoked} {
		if got := storedReason(&store.Session{RevokedAt: at, Revoked: stored}); got != want {
			t.Errorf("storedReason(%q) = %q, want %q", stored, got, want)
		}
	}
	if got := storedReason(&store.Session{Revoked: "revoked"}); got != "" {
		t.Errorf("a session without RevokedAt reads as revoked (%q)", got)
	}
}
