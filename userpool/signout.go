package userpool

import (
	"context"
	"errors"
	"strings"

	"github.com/cognate-dev/cognate/store"
)

// globalSignOut ends every session of the access token's user, on every
// device and client, in O(1): it bumps the user's sign-out generation, which
// every token family records at sign-in (see family.liveness). Committed
// before it returns.
func (s *Service) globalSignOut(ctx context.Context, accessToken string) error {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return err
	}
	return s.signOutEverywhere(ctx, pr.user)
}

// adminUserGlobalSignOut is GlobalSignOut by an administrator.
func (s *Service) adminUserGlobalSignOut(ctx context.Context, poolID, username string) error {
	_, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	return s.signOutEverywhere(ctx, u)
}

func (s *Service) signOutEverywhere(ctx context.Context, u *store.User) error {
	gen, err := s.users.BumpSignOutGen(ctx, u.PoolID, u.Username, s.now().UTC(), string(ReasonSignedOut))
	if errors.Is(err, store.ErrNotFound) {
		return errUserNotFound()
	}
	if err != nil {
		return internal("global sign-out", err)
	}
	s.feed.committed(u.PoolID)
	s.log.Info("global sign-out", "pool", u.PoolID, "sub", u.Sub, "generation", gen, "reason", string(ReasonSignedOut))
	s.observer.UserSignedOut(string(ReasonSignedOut))
	return nil
}

// revokeToken revokes the token family of a refresh token (RFC 7009 rules:
// unknown or already revoked tokens succeed silently).
func (s *Service) revokeToken(ctx context.Context, raw, clientID, clientSecret string) error {
	if raw == "" {
		return required("token")
	}
	c, err := s.client(ctx, "", clientID)
	if err != nil {
		return err
	}
	if err := c.authenticate(clientProof{secret: clientSecret}); err != nil {
		return err
	}
	return s.revokeRefreshToken(ctx, c, raw)
}

// revokeRefreshToken revokes the family of a refresh token the
// (authenticated) client presents.
func (s *Service) revokeRefreshToken(ctx context.Context, c *Client, raw string) error {
	if !c.Config.RevocationEnabled() {
		return &Error{Kind: KindFeatureDisabled, Cause: CauseRevocationDisabled, Message: "Token revocation is not enabled for this client"}
	}
	if strings.Count(raw, ".") == 2 {
		// A JWS: an access or ID token. Only refresh tokens can be revoked.
		return &Error{Kind: KindTokenTypeUnsupported, Cause: CauseNotRefreshToken, Message: "Only refresh tokens can be revoked"}
	}
	if len(raw) > maxTokenLen {
		return nil
	}
	ks, err := s.keySet(ctx, c.PoolID)
	if err != nil {
		return internal("revoke token", err)
	}
	h, err := ks.OpenRefresh(raw)
	if err != nil || h.PoolID != c.PoolID {
		return nil // not ours: no oracle
	}
	f, err := s.loadFamily(ctx, h.SessionID)
	if errors.Is(err, errFamilyGone) {
		return nil
	}
	if err != nil {
		return err
	}
	noteSession(ctx, f.sess)
	if f.sess.ClientID != c.ID {
		return &Error{Kind: KindWrongClient, Cause: CauseTokenOfOtherClient, Message: "Client is not authorized to revoke this token"}
	}
	return s.revokeFamily(ctx, f, ReasonRevoked)
}
