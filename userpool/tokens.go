package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/token"
)

// AdminScope is the scope the user-pool APIs need on an access token.
const AdminScope = "aws.cognito.signin.user.admin"

// AuthResult is Cognito's AuthenticationResult.
type AuthResult struct {
	AccessToken  string
	IDToken      string
	RefreshToken string // empty when the flow does not return one
	ExpiresIn    int    // access-token lifetime in seconds
	TokenType    string

	family string // the session (token family) the tokens belong to
}

// sessionOptions describe how a token family started.
type sessionOptions struct {
	source   string    // "api" or SourceHostedUI
	scopes   string    // granted scopes; AdminScope when empty
	authTime time.Time // when the user authenticated; now when zero
	nonce    string    // OIDC nonce for the first ID token
}

// newSession starts a token family for a fresh sign-in and mints its tokens.
func (s *Service) newSession(ctx context.Context, c *Client, u *store.User, o sessionOptions) (*AuthResult, error) {
	now := s.now().UTC()
	if o.scopes == "" {
		o.scopes = AdminScope
	}
	if o.authTime.IsZero() || o.authTime.After(now) {
		o.authTime = now
	}
	sess := &store.Session{ID: newUUID(), PoolID: c.PoolID, ClientID: c.ID, UserSub: u.Sub, Username: u.Username,
		UserGen: u.SignOutGen, AuthTime: o.authTime, CreatedAt: now, LastUsed: now,
		ExpiresAt: now.Add(c.Config.RefreshTokenDuration()), Scopes: o.scopes, Source: o.source}
	if err := s.st.CreateSession(ctx, sess); err != nil {
		return nil, internal("create session", err)
	}
	res, err := s.mintWith(ctx, c, u, sess, now, true, o.nonce)
	if err != nil {
		return nil, err
	}
	res.family = sess.ID
	return res, nil
}

// mint signs an access and an ID token for the session, and seals a refresh
// token for its current generation when withRefresh is set.
func (s *Service) mint(ctx context.Context, c *Client, u *store.User, sess *store.Session, now time.Time, withRefresh bool) (*AuthResult, error) {
	return s.mintWith(ctx, c, u, sess, now, withRefresh, "")
}

// mintWith is mint with an OIDC nonce for the ID token (first issue only).
func (s *Service) mintWith(ctx context.Context, c *Client, u *store.User, sess *store.Session, now time.Time, withRefresh bool, nonce string) (*AuthResult, error) {
	ks, err := s.keySet(ctx, c.PoolID)
	if err != nil {
		return nil, internal("mint", err)
	}
	iss := ks.Issuer()
	revocable := c.Config.RevocationEnabled()
	access := &token.Claims{Sub: u.Sub, Iss: iss, TokenUse: token.UseAccess, ClientID: c.ID, Scope: sess.Scopes,
		Username: u.Username, AuthTime: sess.AuthTime.Unix(), IssuedAt: now.Unix(),
		ExpiresAt: now.Add(c.Config.AccessTokenDuration()).Unix(), Version: 2,
		// event_id always names the family, so the server can tell it even
		// when revocation is off and origin_jti is omitted.
		EventID: sess.ID, DeviceKey: sess.DeviceKey}
	id := &token.Claims{Sub: u.Sub, Iss: iss, TokenUse: token.UseID, Aud: c.ID, CognitoUsername: u.Username,
		AuthTime: sess.AuthTime.Unix(), IssuedAt: now.Unix(), ExpiresAt: now.Add(c.Config.IDTokenDuration()).Unix(),
		EventID: sess.ID, Extra: idTokenAttributes(u)}
	if nonce != "" {
		id.Extra["nonce"] = nonce
	}
	if revocable {
		access.OriginJTI, access.JTI = sess.ID, newUUID()
		id.OriginJTI, id.JTI = sess.ID, newUUID()
	}
	out := &AuthResult{ExpiresIn: int(c.Config.AccessTokenDuration() / time.Second), TokenType: "Bearer"}
	if out.AccessToken, err = ks.Sign(access); err != nil {
		return nil, internal("sign access token", err)
	}
	if out.IDToken, err = ks.Sign(id); err != nil {
		return nil, internal("sign id token", err)
	}
	if withRefresh {
		if out.RefreshToken, err = ks.SealRefresh(token.RefreshHandle{SessionID: sess.ID, Gen: sess.RefreshGen, PoolID: c.PoolID}); err != nil {
			return nil, internal("seal refresh token", err)
		}
	}
	return out, nil
}

// idTokenAttributes renders user attributes as ID-token claims: *_verified
// as booleans, everything else as strings.
func idTokenAttributes(u *store.User) map[string]any {
	out := make(map[string]any, len(u.Attributes))
	for k, v := range u.Attributes {
		if strings.HasSuffix(k, "_verified") {
			out[k] = v == "true"
			continue
		}
		out[k] = v
	}
	return out
}

// principal is the caller behind a valid, live access token.
type principal struct {
	user   *store.User
	sess   *store.Session
	claims *token.Claims
}

// maxTokenLen bounds what we even try to parse.
const maxTokenLen = 16 << 10

// peekIssuer reads the unverified iss claim to choose the pool's keys.
func peekIssuer(raw string) string {
	if len(raw) > maxTokenLen {
		return ""
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return ""
	}
	return c.Iss
}

// authenticate checks an access token the way every user-pool API does:
// signature, expiry, then the live state of its user and token family.
func (s *Service) authenticate(ctx context.Context, raw string) (*principal, error) {
	return s.authenticateScope(ctx, raw, AdminScope)
}

// authenticateScope is authenticate with the scope the token must carry
// (the user-pool APIs need AdminScope, the userInfo endpoint openid).
func (s *Service) authenticateScope(ctx context.Context, raw, scope string) (*principal, error) {
	if raw == "" {
		return nil, invalidParam("1 validation error detected: Value null at 'accessToken' failed to satisfy constraint: Member must not be null")
	}
	poolID, claims, err := s.verifyAccess(ctx, raw)
	if err != nil {
		return nil, err
	}
	family := claims.OriginJTI
	if family == "" {
		family = claims.EventID
	}
	sess, u, err := s.st.GetSessionWithUser(ctx, family)
	if errors.Is(err, store.ErrNotFound) {
		// Off the hot path: tell a deleted user from a dead family.
		if _, uerr := s.st.GetUserBySub(ctx, poolID, claims.Sub); errors.Is(uerr, store.ErrNotFound) {
			return nil, newErr(CodeUserNotFound, MsgUserNotExist)
		}
		return nil, notAuthorized(MsgAccessRevoked)
	}
	if err != nil {
		return nil, internal("authenticate", err)
	}
	if sess.UserSub != claims.Sub || sess.PoolID != poolID || sess.ClientID != claims.ClientID {
		return nil, notAuthorized(MsgAccessInvalid)
	}
	if !sess.RevokedAt.IsZero() || sess.UserGen != u.SignOutGen {
		return nil, notAuthorized(MsgAccessRevoked)
	}
	if !u.Enabled {
		return nil, notAuthorized(MsgUserDisabled)
	}
	if !hasScope(claims.Scope, scope) {
		return nil, notAuthorized(MsgAccessScopes)
	}
	return &principal{user: u, sess: sess, claims: claims}, nil
}

// verifyAccess checks an access token's signature, issuer, use and expiry,
// from the cache of verified tokens when it has seen these exact bytes.
func (s *Service) verifyAccess(ctx context.Context, raw string) (string, *token.Claims, error) {
	now := s.now()
	if v, ok := s.verified.get(raw); ok {
		if v.claims.ExpiresAt <= now.Unix() {
			return "", nil, notAuthorized(MsgAccessExpired)
		}
		return v.poolID, v.claims, nil
	}
	poolID, ok := s.poolFromIssuer(peekIssuer(raw))
	if !ok {
		return "", nil, notAuthorized(MsgAccessInvalid)
	}
	ks, err := s.keySet(ctx, poolID)
	if errors.Is(err, errNoKeys) {
		return "", nil, notAuthorized(MsgAccessInvalid)
	}
	if err != nil {
		return "", nil, internal("authenticate", err)
	}
	claims, err := ks.Verify(raw, token.UseAccess, now)
	if errors.Is(err, token.ErrExpired) {
		return "", nil, notAuthorized(MsgAccessExpired)
	}
	if err != nil {
		return "", nil, notAuthorized(MsgAccessInvalid)
	}
	s.verified.put(raw, verifiedToken{poolID: poolID, claims: claims})
	return poolID, claims, nil
}

func hasScope(scopes, want string) bool {
	for _, sc := range strings.Fields(scopes) {
		if sc == want {
			return true
		}
	}
	return false
}
