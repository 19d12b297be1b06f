package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/token"
)

// AdminScope is the scope the user-pool APIs need on an access token.
const AdminScope = "aws.cognito.signin.user.admin"

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
// signature, expiry, then the live state of its token family.
func (s *Service) authenticate(ctx context.Context, raw string) (*principal, error) {
	return s.authenticateScope(ctx, raw, AdminScope)
}

// authenticateScope is authenticate with the scope the token must carry
// (the user-pool APIs need AdminScope, the userInfo endpoint openid).
func (s *Service) authenticateScope(ctx context.Context, raw, scope string) (*principal, error) {
	return s.authenticateWith(ctx, raw, scope, false)
}

// authenticateToRead is authenticateScope for an operation that only reads
// the user's profile (GetUser, userInfo): the family is loaded with half
// the columns (loadProfileFamily), and the principal's user and session
// hold only what store.Sessions.GetSessionWithProfile documents. Never
// write them back.
func (s *Service) authenticateToRead(ctx context.Context, raw, scope string) (*principal, error) {
	return s.authenticateWith(ctx, raw, scope, true)
}

// authenticateWith checks an access token, loading its family with the
// profile columns only when profileOnly is set.
func (s *Service) authenticateWith(ctx context.Context, raw, scope string, profileOnly bool) (*principal, error) {
	if raw == "" {
		return nil, required("accessToken")
	}
	poolID, claims, err := s.verifyAccess(ctx, raw)
	if err != nil {
		return nil, err
	}
	id := claims.OriginJTI
	if id == "" {
		id = claims.EventID
	}
	var f family
	if profileOnly {
		f, err = s.loadProfileFamily(ctx, id)
	} else {
		f, err = s.loadFamily(ctx, id)
	}
	if errors.Is(err, errFamilyGone) {
		// Off the hot path: tell a deleted user from a dead family.
		if _, uerr := s.users.GetUserBySub(ctx, poolID, claims.Sub); errors.Is(uerr, store.ErrNotFound) {
			return nil, &Error{Kind: KindUserNotFound, Cause: CauseUserNotFound, Reason: ReasonUserDeleted}
		}
		return nil, &Error{Kind: KindNotAuthorized, Cause: CauseAccessTokenRevoked, Reason: ReasonRevoked}
	}
	if err != nil {
		return nil, err
	}
	if f.sess.UserSub != claims.Sub || f.sess.PoolID != poolID || f.sess.ClientID != claims.ClientID {
		return nil, refused(CauseAccessTokenInvalid)
	}
	if r := f.liveness(s.now()); r.endsAccessTokens() {
		return nil, accessRefusal(r)
	}
	if !hasScope(claims.Scope, scope) {
		return nil, refused(CauseAccessTokenScope)
	}
	noteUser(ctx, f.user)
	noteSession(ctx, f.sess)
	return &principal{user: f.user, sess: f.sess, claims: claims}, nil
}

// accessRefusal is the answer to an access token of a family that ended.
func accessRefusal(r Reason) *Error {
	if r == ReasonUserDisabled {
		return &Error{Kind: KindNotAuthorized, Cause: CauseUserDisabled, Reason: r}
	}
	return &Error{Kind: KindNotAuthorized, Cause: CauseAccessTokenRevoked, Reason: r}
}

// verifyAccess checks an access token's signature, issuer, use and expiry,
// from the cache of verified tokens when it has seen these exact bytes.
func (s *Service) verifyAccess(ctx context.Context, raw string) (string, *token.Claims, error) {
	now := s.now()
	if v, ok := s.verified.get(raw); ok {
		if v.claims.ExpiresAt <= now.Unix() {
			return "", nil, refused(CauseAccessTokenExpired)
		}
		return v.poolID, v.claims, nil
	}
	poolID, ok := s.poolFromIssuer(peekIssuer(raw))
	if !ok {
		return "", nil, refused(CauseAccessTokenInvalid)
	}
	ks, err := s.keySet(ctx, poolID)
	if errors.Is(err, errNoKeys) {
		return "", nil, refused(CauseAccessTokenInvalid)
	}
	if err != nil {
		return "", nil, internal("authenticate", err)
	}
	claims, err := ks.Verify(raw, token.UseAccess, now)
	if errors.Is(err, token.ErrExpired) {
		return "", nil, refused(CauseAccessTokenExpired)
	}
	if err != nil {
		return "", nil, refused(CauseAccessTokenInvalid)
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
