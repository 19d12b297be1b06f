package userpool

// The token family: every sign-in starts one (a session row, whose id is the
// origin_jti of its tokens and is sealed in its refresh token). This file is
// the one home of "is this family alive?": access tokens, refresh (both API
// flows and the OAuth grant), RevokeToken and /oauth2/revoke, hosted-UI web
// sessions and authorization codes all ask liveness, and every revocation
// goes through revokeFamily.

import (
	"context"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/token"
)

// Reason is why a token family (or a web session, or an authorization code)
// no longer lives. Revoked, RefreshReuse and CodeReplay are recorded in the
// session row when they happen; the others follow from the user's state.
type Reason string

// Reasons a family ends. The recorded ones are stored as these strings.
const (
	ReasonRevoked      Reason = "revoked"       // RevokeToken or /oauth2/revoke
	ReasonRefreshReuse Reason = "refresh-reuse" // a rotated refresh token was replayed after the grace period
	ReasonCodeReplay   Reason = "code-replay"   // the authorization code that started it was presented again
	// ReasonDeviceForgotten is recorded too: the device the family signed
	// in through was forgotten (ForgetDevice, AdminForgetDevice; devices.go).
	ReasonDeviceForgotten Reason = "device-forgotten"
	ReasonSignedOut       Reason = "signed-out" // a global sign-out (or a disable) moved the user's generation on
	ReasonUserDisabled    Reason = "user-disabled"
	ReasonUserDeleted     Reason = "user-deleted"
	// ReasonPasswordReset is recorded in the revocation feed only: a
	// password reset moves the user's generation on like a sign-out.
	ReasonPasswordReset Reason = "password-reset"
	ReasonExpired       Reason = "expired" // past its refresh-token (or web-session, or code) expiry
)

// endsAccessTokens reports whether a family ended for this reason refuses
// the access tokens it minted. Only expiry does not: the family's expiry
// stops refreshing, while each access token lives until its own exp.
func (r Reason) endsAccessTokens() bool { return r != "" && r != ReasonExpired }

// family is what the liveness rule reads: the user, the sign-out generation
// the family started in, its recorded revocation, and its expiry. A sign-in
// session is a family; a web session and an authorization code are bound to
// their user the same way, and are judged by the same rule.
type family struct {
	id        string
	sess      *store.Session // nil for web sessions and codes
	user      *store.User    // nil when the user is gone
	gen       int64
	revoked   Reason // recorded revocation; "" when none
	expiresAt time.Time
}

// sessionFamily is a sign-in's token family with its user (nil if deleted).
func sessionFamily(sess *store.Session, u *store.User) family {
	return family{id: sess.ID, sess: sess, user: u, gen: sess.UserGen, revoked: storedReason(sess),
		expiresAt: sess.ExpiresAt}
}

// storedReason reads the recorded revocation of a session row. Rows written
// before reasons were typed say "revoke", "reuse" or "code-reuse".
func storedReason(sess *store.Session) Reason {
	if sess.RevokedAt.IsZero() {
		return ""
	}
	switch sess.Revoked {
	case string(ReasonRefreshReuse), "reuse":
		return ReasonRefreshReuse
	case string(ReasonCodeReplay), "code-reuse":
		return ReasonCodeReplay
	case string(ReasonDeviceForgotten):
		return ReasonDeviceForgotten
	}
	return ReasonRevoked
}

// liveness is the one rule: it returns "" while the family lives, and
// otherwise why it ended, in this order: a recorded revocation, a deleted
// user, a global sign-out since it started, a disabled user, expiry.
func (f family) liveness(now time.Time) Reason {
	switch {
	case f.revoked != "":
		return f.revoked
	case f.user == nil:
		return ReasonUserDeleted
	case f.user.SignOutGen != f.gen:
		return ReasonSignedOut
	case !f.user.Enabled:
		return ReasonUserDisabled
	case !now.Before(f.expiresAt):
		return ReasonExpired
	}
	return ""
}

// errFamilyGone means there is no such family (never was, or its user or
// client was deleted with it).
var errFamilyGone = errors.New("token family not found")

// loadFamily reads a session and its user in one read.
func (s *Service) loadFamily(ctx context.Context, id string) (family, error) {
	sess, u, err := s.sessions.GetSessionWithUser(ctx, id)
	if err != nil {
		return family{}, familyLoadErr(err)
	}
	return sessionFamily(sess, u), nil
}

// familyLoadErr is the error of a failed read of a family: errFamilyGone
// when there is none.
func familyLoadErr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errFamilyGone
	}
	return internal("load token family", err)
}

// loadProfileFamily is loadFamily for operations that only read the
// user's profile: see authenticateToRead.
func (s *Service) loadProfileFamily(ctx context.Context, id string) (family, error) {
	sess, u, err := s.sessions.GetSessionWithProfile(ctx, id)
	if err != nil {
		return family{}, familyLoadErr(err)
	}
	return sessionFamily(sess, u), nil
}

// loadMintFamily is loadFamily for a path that mints from the family (a
// refresh): the user's groups come in the same read, so that a membership
// change shows in the next token at no extra read.
func (s *Service) loadMintFamily(ctx context.Context, id string) (family, groupClaims, error) {
	sess, u, groups, err := s.sessions.GetSessionForMint(ctx, id)
	if err != nil {
		return family{}, groupClaims{}, familyLoadErr(err)
	}
	return sessionFamily(sess, u), claimsOfGroups(groups), nil
}

// revokeFamily ends a family for a recorded reason (the first reason
// recorded stays). It is committed before it returns.
func (s *Service) revokeFamily(ctx context.Context, f family, reason Reason) error {
	if err := s.sessions.RevokeSession(ctx, f.id, s.now().UTC(), string(reason)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return internal("revoke token family", err)
	}
	s.log.Info("token family revoked", "pool", f.sess.PoolID, "client", f.sess.ClientID, "session", f.id,
		"reason", string(reason))
	s.feed.committed(f.sess.PoolID)
	s.observer.FamilyRevoked(reason)
	s.auditRevocation(ctx, f, reason)
	return nil
}

// rotate advances the family's refresh generation. The previous generation
// stays usable within the grace period (it gets the current token again);
// any other reuse revokes the whole family, and that revocation is kept.
func (s *Service) rotate(ctx context.Context, c *Client, f *family, h token.RefreshHandle, now time.Time) error {
	grace := c.Config.gracePeriod()
	sess := f.sess
	for range 3 {
		switch {
		case h.Gen == sess.RefreshGen:
			err := s.sessions.RotateRefresh(ctx, sess.ID, h.Gen, now)
			if err == nil {
				sess.RefreshGen, sess.RotatedAt, sess.LastUsed = h.Gen+1, now, now
				return nil
			}
			if !errors.Is(err, store.ErrConflict) {
				return internal("rotate refresh token", err)
			}
			// Lost a race with a concurrent rotation: judge again on fresh state.
			fresh, gerr := s.sessions.GetSession(ctx, sess.ID)
			if gerr != nil {
				return internal("rotate refresh token", gerr)
			}
			*sess = *fresh
			if r := storedReason(sess); r != "" {
				return &Error{Kind: KindNotAuthorized, Cause: CauseRefreshTokenRevoked, Reason: r}
			}
		case h.Gen == sess.RefreshGen-1 && grace > 0 && now.Sub(sess.RotatedAt) <= grace:
			return nil // a retry within the grace period: re-issue the current token
		default:
			if err := s.revokeFamily(ctx, *f, ReasonRefreshReuse); err != nil {
				return err
			}
			return &Error{Kind: KindTokenReuse, Cause: CauseRefreshTokenReused, Reason: ReasonRefreshReuse,
				Message: "Refresh token has been reused; the session has been revoked"}
		}
	}
	return &Error{Kind: KindConflict, Cause: CauseConcurrentRefresh, Message: "Concurrent refresh of the same token; try again"}
}
