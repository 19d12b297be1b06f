package userpool

import (
	"context"
	"errors"
	"time"
)

// getTokensFromRefreshToken refreshes tokens; with rotation it also returns a
// new refresh token.
func (s *Service) getTokensFromRefreshToken(ctx context.Context, clientID, clientSecret, refreshToken string) (*AuthResult, error) {
	c, err := s.client(ctx, "", clientID)
	if err != nil {
		return nil, err
	}
	if err := c.authenticate(clientProof{secret: clientSecret}); err != nil {
		return nil, err
	}
	res, _, err := s.refresh(ctx, c, refreshToken, nil, c.Config.RotationEnabled())
	return res, err
}

// refresh checks a refresh token against its family's liveness and mints
// new tokens in the same family, rotating the refresh token when asked. The
// caller has authenticated the client, unless the client proves itself with
// a SECRET_HASH over the family's username or sub (REFRESH_TOKEN_AUTH): then
// hashProof is checked once the family is known. It returns the family too.
func (s *Service) refresh(ctx context.Context, c *Client, raw string, hashProof *clientProof, rotate bool) (*AuthResult, family, error) {
	if raw == "" {
		return nil, family{}, invalidf("Missing required parameter REFRESH_TOKEN")
	}
	if len(raw) > maxTokenLen {
		return nil, family{}, refused(CauseRefreshTokenInvalid)
	}
	ks, err := s.keySet(ctx, c.PoolID)
	if err != nil {
		return nil, family{}, internal("refresh", err)
	}
	h, err := ks.OpenRefresh(raw)
	if err != nil || h.PoolID != c.PoolID {
		return nil, family{}, refused(CauseRefreshTokenInvalid)
	}
	f, groups, err := s.loadMintFamily(ctx, h.SessionID)
	if errors.Is(err, errFamilyGone) {
		return nil, family{}, refused(CauseRefreshTokenInvalid)
	}
	if err != nil {
		return nil, family{}, err
	}
	if f.sess.ClientID != c.ID {
		return nil, family{}, refused(CauseRefreshTokenInvalid)
	}
	noteSession(ctx, f.sess)
	if f.user != nil {
		noteUser(ctx, f.user)
	}
	if hashProof != nil {
		p := *hashProof
		p.hashNames = []string{f.sess.Username, f.sess.UserSub}
		if err := c.authenticate(p); err != nil {
			return nil, family{}, err
		}
	}
	now := s.now().UTC()
	if r := f.liveness(now); r != "" {
		s.log.Debug("refresh refused", "pool", c.PoolID, "session", f.id, "reason", string(r))
		return nil, family{}, refreshRefusal(r)
	}
	withRefresh := false
	switch {
	case rotate:
		if err := s.rotate(ctx, c, &f, h, now); err != nil {
			return nil, family{}, err
		}
		withRefresh = true
	case h.Gen != f.sess.RefreshGen:
		// A token superseded while rotation was on, used after it was turned off.
		return nil, family{}, refused(CauseRefreshTokenInvalid)
	}
	// Record use at most once a minute (a write per refresh would serialize
	// every refresh on the database) — and at once when the client's tokens
	// now live longer than the family has recorded, so that the janitor
	// keeps the family until they have expired, and on the family's first
	// refresh, so that its session shows it has refreshed.
	firstRefresh := !f.sess.LastUsed.After(f.sess.CreatedAt)
	if ttl := c.Config.tokenTTL(); ttl > f.sess.AccessTTL || (!rotate && (firstRefresh || now.Sub(f.sess.LastUsed) > time.Minute)) {
		if err := s.sessions.TouchSession(ctx, f.id, now, ttl); err != nil {
			return nil, family{}, internal("refresh", err)
		}
	}
	if err := s.recordSessionClient(ctx, f.sess); err != nil {
		return nil, family{}, err
	}
	res, err := s.mintWithGroups(withTokenSource(ctx, tokenSourceRefresh), c, f.user, f.sess, groups, now, withRefresh, "")
	if err != nil {
		return nil, family{}, err
	}
	return res, f, nil
}

// refreshRefusal is the answer to a refresh token of a family that ended.
func refreshRefusal(r Reason) *Error {
	switch r {
	case ReasonUserDisabled:
		return &Error{Kind: KindNotAuthorized, Cause: CauseUserDisabled, Reason: r}
	case ReasonExpired:
		return &Error{Kind: KindNotAuthorized, Cause: CauseRefreshTokenExpired, Reason: r}
	case ReasonUserDeleted:
		return &Error{Kind: KindNotAuthorized, Cause: CauseRefreshTokenInvalid, Reason: r}
	}
	return &Error{Kind: KindNotAuthorized, Cause: CauseRefreshTokenRevoked, Reason: r}
}
