package userpool

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"

	"github.com/cognate-dev/cognate/store"
)

// GlobalSignOut ends every session of the access token's user, on every
// device and client, in O(1): it bumps the user's sign-out generation, which
// every token family records at sign-in. Committed before it returns.
func (s *Service) GlobalSignOut(ctx context.Context, accessToken string) error {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return err
	}
	return s.signOutEverywhere(ctx, pr.user)
}

// AdminUserGlobalSignOut is GlobalSignOut by an administrator.
func (s *Service) AdminUserGlobalSignOut(ctx context.Context, poolID, username string) error {
	_, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	return s.signOutEverywhere(ctx, u)
}

func (s *Service) signOutEverywhere(ctx context.Context, u *store.User) error {
	gen, err := s.st.BumpSignOutGen(ctx, u.PoolID, u.Username)
	if errors.Is(err, store.ErrNotFound) {
		return newErr(CodeUserNotFound, MsgUserNotExist)
	}
	if err != nil {
		return internal("global sign-out", err)
	}
	s.log.Info("global sign-out", "pool", u.PoolID, "sub", u.Sub, "generation", gen)
	return nil
}

// RevokeToken revokes the token family of a refresh token (RFC 7009 rules:
// unknown or already revoked tokens succeed silently).
func (s *Service) RevokeToken(ctx context.Context, raw, clientID, clientSecret string) error {
	if raw == "" {
		return invalidParam("1 validation error detected: Value null at 'token' failed to satisfy constraint: Member must not be null")
	}
	c, err := s.client(ctx, "", clientID)
	if err != nil {
		return err
	}
	if c.Secret != "" && subtle.ConstantTimeCompare([]byte(c.Secret), []byte(clientSecret)) != 1 {
		// RevokeToken's model has no NotAuthorizedException; UnauthorizedException is its typed refusal.
		return newErr(CodeUnauthorized, "Client %s is configured with secret but secret was not received or is invalid", c.ID)
	}
	if !c.Config.RevocationEnabled() {
		return newErr(CodeUnsupportedOperation, "Token revocation is not enabled for this client")
	}
	if strings.Count(raw, ".") == 2 {
		// A JWS: an access or ID token. Only refresh tokens can be revoked.
		return newErr(CodeUnsupportedTokenType, "Only refresh tokens can be revoked")
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
	sess, err := s.st.GetSession(ctx, h.SessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return internal("revoke token", err)
	}
	if sess.ClientID != c.ID {
		return newErr(CodeUnauthorized, "Client is not authorized to revoke this token")
	}
	if err := s.st.RevokeSession(ctx, sess.ID, s.now().UTC(), "revoke"); err != nil {
		return internal("revoke token", err)
	}
	s.log.Info("token family revoked", "pool", c.PoolID, "client", c.ID, "session", sess.ID)
	return nil
}

// GetUser returns the access token's user.
func (s *Service) GetUser(ctx context.Context, accessToken string) (*User, error) {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	u := s.toUser(pr.user)
	u.PendingCode = ""
	return u, nil
}

// DeleteUser deletes the access token's user.
func (s *Service) DeleteUser(ctx context.Context, accessToken string) error {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return err
	}
	if err := s.st.DeleteUser(ctx, pr.user.PoolID, pr.user.Username); err != nil && !errors.Is(err, store.ErrNotFound) {
		return internal("delete user", err)
	}
	return nil
}

// ChangePassword changes the access token's user's password.
func (s *Service) ChangePassword(ctx context.Context, accessToken, previous, proposed string) error {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return err
	}
	p, err := s.pool(ctx, pr.user.PoolID)
	if err != nil {
		return err
	}
	if !checkPassword(previous, pr.user.PasswordHash) {
		return notAuthorized(MsgIncorrectCredentials)
	}
	if err := checkPasswordPolicy(p, proposed); err != nil {
		return err
	}
	u := pr.user
	if err := s.setPassword(u, proposed); err != nil {
		return internal("change password", err)
	}
	u.UpdatedAt = s.now().UTC()
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return internal("change password", err)
	}
	return nil
}
