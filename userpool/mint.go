package userpool

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/token"
)

// AuthResult is Cognito's AuthenticationResult.
type AuthResult struct {
	AccessToken  string
	IDToken      string
	RefreshToken string // empty when the flow does not return one
	ExpiresIn    int    // access-token lifetime in seconds
	TokenType    string
	// NewDevice is the device a sign-in with device tracking on was given
	// (nil otherwise).
	NewDevice *NewDeviceMetadata

	family string // the session (token family) the tokens belong to
}

// Where a token family started.
const (
	SourceAPI      = "api"
	SourceHostedUI = "hostedui"
)

// sessionOptions describe how a token family started.
type sessionOptions struct {
	source    string    // SourceAPI or SourceHostedUI
	scopes    string    // granted scopes; AdminScope when empty
	authTime  time.Time // when the user authenticated; now when zero
	nonce     string    // OIDC nonce for the first ID token
	deviceKey string    // the device signed in on (devicesignin.go); recorded in the session
	// grantGen, when grantGenSet, is the user's sign-out generation the
	// grant being redeemed (an authorization code) was issued at: a global
	// sign-out that commits after the grant was checked but before the
	// session's insert must still end it, so the session is refused unless
	// the insert saw that same generation.
	grantGen    int64
	grantGenSet bool
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
	// The store records the user's sign-out generation as of the insert
	// itself, so a global sign-out that committed while this sign-in was
	// checking the password does not leave it with tokens born dead.
	sess := &store.Session{ID: newUUID(), PoolID: c.PoolID, ClientID: c.ID, UserSub: u.Sub, Username: u.Username,
		AuthTime: o.authTime, CreatedAt: now, LastUsed: now,
		ExpiresAt: now.Add(c.Config.RefreshTokenDuration()), Scopes: o.scopes, Source: o.source,
		AccessTTL: c.Config.tokenTTL(), DeviceKey: o.deviceKey}
	sess.SourceIP, sess.UserAgent = callerMeta(ctx)
	switch err := s.sessions.CreateSession(ctx, sess); {
	case errors.Is(err, store.ErrConflict):
		return nil, refused(CauseUserDisabled) // disabled while signing in
	case errors.Is(err, store.ErrNotFound):
		return nil, errUserNotFound() // deleted while signing in
	case err != nil:
		return nil, internal("create session", err)
	}
	if o.grantGenSet && sess.UserGen != o.grantGen {
		// Signed out everywhere while the grant was being redeemed: the
		// family is ended before any token of it is minted.
		if err := s.revokeFamily(ctx, sessionFamily(sess, u), ReasonSignedOut); err != nil {
			return nil, err
		}
		return nil, &Error{Kind: KindNotAuthorized, Reason: ReasonSignedOut, Message: "the user's session has ended"}
	}
	res, err := s.mint(ctx, c, u, sess, now, true, o.nonce)
	if err != nil {
		return nil, err
	}
	res.family = sess.ID
	noteSession(ctx, sess)
	return res, nil
}

// mint signs an access and an ID token for the session, and seals a refresh
// token for its current generation when withRefresh is set. nonce is the
// OIDC nonce for the ID token (first issue only).
func (s *Service) mint(ctx context.Context, c *Client, u *store.User, sess *store.Session, now time.Time, withRefresh bool, nonce string) (*AuthResult, error) {
	// The user's groups as of now: one indexed read per mint, so that a
	// membership change shows in the next token (see groups.go).
	gc, err := s.userGroupClaims(ctx, c.PoolID, u.Sub)
	if err != nil {
		return nil, err
	}
	return s.mintWithGroups(ctx, c, u, sess, gc, now, withRefresh, nonce)
}

// mintWithGroups is mint with the user's groups already read (a refresh
// reads them with its family: loadMintFamily).
func (s *Service) mintWithGroups(ctx context.Context, c *Client, u *store.User, sess *store.Session, gc groupClaims, now time.Time, withRefresh bool, nonce string) (*AuthResult, error) {
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
		EventID: sess.ID, DeviceKey: sess.DeviceKey, Groups: gc.groups}
	id := &token.Claims{Sub: u.Sub, Iss: iss, TokenUse: token.UseID, Aud: c.ID, CognitoUsername: u.Username,
		AuthTime: sess.AuthTime.Unix(), IssuedAt: now.Unix(), ExpiresAt: now.Add(c.Config.IDTokenDuration()).Unix(),
		EventID: sess.ID, Extra: idTokenAttributes(u), Groups: gc.groups}
	if len(gc.roles) > 0 {
		id.Extra["cognito:roles"] = gc.roles
	}
	if gc.preferredRole != "" {
		id.Extra["cognito:preferred_role"] = gc.preferredRole
	}
	if nonce != "" {
		id.Extra["nonce"] = nonce
	}
	// The pool's pre token generation trigger (pretoken.go) sees and edits
	// the claims before the revocation claims are set: those it cannot touch.
	if err := s.preTokenGeneration(ctx, c, u, sess, access, id); err != nil {
		return nil, err
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
