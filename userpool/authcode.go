package userpool

// Authorization codes (RFC 6749 §4.1 with PKCE, RFC 7636): issued to a live
// web session, single use, bound to the user's sign-out generation like a
// token family; a code presented again revokes the family its first
// redemption started.

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// AuthCodeLifetime bounds the exchange of an authorization code.
const AuthCodeLifetime = 5 * time.Minute

// IssueCode makes a single-use authorization code for the request, on
// behalf of the web session's user.
func (s *Service) IssueCode(ctx context.Context, req *AuthorizeRequest, ws *WebSession) (string, error) {
	code, err := newSecret()
	if err != nil {
		return "", internal("authorization code", err)
	}
	now := s.now().UTC()
	ac := &store.AuthCode{ID: secretID(code), PoolID: req.PoolID, ClientID: req.ClientID, UserSub: ws.Sub,
		UserGen: ws.gen, RedirectURI: req.RedirectURI, Scopes: strings.Join(req.Scopes, " "),
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: req.CodeChallengeMethod, Nonce: req.Nonce,
		AuthTime: ws.CreatedAt, ExpiresAt: now.Add(AuthCodeLifetime)}
	if err := s.authCodes.PutAuthCode(ctx, ac); err != nil {
		return "", internal("store authorization code", err)
	}
	return code, nil
}

// codeFamily is an authorization code as the liveness rule sees it.
func codeFamily(ac *store.AuthCode, u *store.User) family {
	return family{id: ac.ID, user: u, gen: ac.UserGen, expiresAt: ac.ExpiresAt}
}

// badGrant is the refusal of an authorization code.
func badGrant(msg string) *Error { return errorf(KindNotAuthorized, "%s", msg) }

// exchangeCode redeems an authorization code for a new token family.
func (s *Service) exchangeCode(ctx context.Context, c *Client, in TokenRequest) (*TokenResponse, error) {
	if !c.allowsOAuthFlow("code") {
		return nil, errorf(KindNotAllowed, "the client is not allowed the authorization code grant")
	}
	if in.Code == "" || in.RedirectURI == "" {
		return nil, invalidf("code and redirect_uri are required")
	}
	if len(in.Code) > 256 {
		return nil, badGrant("invalid code")
	}
	ac, err := s.authCodes.TakeAuthCode(ctx, secretID(in.Code))
	if errors.Is(err, store.ErrNotFound) {
		if err := s.revokeReplayedCode(ctx, secretID(in.Code)); err != nil {
			return nil, err
		}
		return nil, badGrant("invalid code")
	}
	if err != nil {
		return nil, internal("take authorization code", err)
	}
	// The code is spent from here on, whatever follows.
	switch {
	case ac.PoolID != c.PoolID || ac.ClientID != c.ID:
		return nil, badGrant("invalid code")
	case !s.now().Before(ac.ExpiresAt):
		return nil, &Error{Kind: KindNotAuthorized, Reason: ReasonExpired, Message: "the code has expired"}
	case ac.RedirectURI != in.RedirectURI:
		return nil, badGrant("redirect_uri does not match the authorization request")
	}
	if err := checkPKCE(ac, in.CodeVerifier); err != nil {
		return nil, err
	}
	u, err := s.users.GetUserBySub(ctx, c.PoolID, ac.UserSub)
	if errors.Is(err, store.ErrNotFound) {
		return nil, badGrant("invalid code")
	}
	if err != nil {
		return nil, internal("exchange code", err)
	}
	if r := codeFamily(ac, u).liveness(s.now()); r != "" {
		return nil, &Error{Kind: KindNotAuthorized, Reason: r, Message: "the user's session has ended"}
	}
	// auth_time is when the user typed the password at /login, not now;
	// the nonce binds the ID token to the client's request (OIDC Core 3.1.3.6).
	res, err := s.newSession(ctx, c, u, sessionOptions{source: SourceHostedUI, scopes: ac.Scopes,
		authTime: ac.AuthTime, nonce: ac.Nonce, grantGen: ac.UserGen, grantGenSet: true})
	if err != nil {
		return nil, err
	}
	// Remember which family this code started: a replay revokes it. Without
	// the record no tokens leave (fail closed).
	if err := s.authCodes.RecordUsedAuthCode(ctx, ac.ID, c.PoolID, res.family, ac.ExpiresAt); err != nil {
		return nil, internal("record used authorization code", err)
	}
	out := tokenResponse(res)
	if !hasScope(ac.Scopes, ScopeOpenID) {
		out.IDToken = ""
	}
	return out, nil
}

// revokeReplayedCode revokes the token family started by an authorization
// code that is presented again (RFC 6749 §4.1.2: the code may have been
// stolen, so the tokens issued for it are not to be trusted).
func (s *Service) revokeReplayedCode(ctx context.Context, id string) error {
	sid, err := s.authCodes.UsedAuthCodeSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return internal("look up used authorization code", err)
	}
	f, err := s.loadFamily(ctx, sid)
	if errors.Is(err, errFamilyGone) {
		return nil
	}
	if err != nil {
		return err
	}
	s.log.Warn("authorization code replayed: its token family is revoked", "session", sid)
	return s.revokeFamily(ctx, f, ReasonCodeReplay)
}

func checkPKCE(ac *store.AuthCode, verifier string) error {
	if ac.CodeChallenge == "" {
		if verifier != "" {
			return badGrant("code_verifier sent for a code issued without code_challenge")
		}
		return nil
	}
	if verifier == "" {
		return invalidf("code_verifier is required")
	}
	if !pkceVerifierRE.MatchString(verifier) {
		return badGrant("code_verifier is malformed")
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(ac.CodeChallenge)) != 1 {
		return badGrant("code_verifier does not match code_challenge")
	}
	return nil
}
