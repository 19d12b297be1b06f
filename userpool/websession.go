package userpool

// The hosted UI's web session: the browser's sign-in (its cookie) that lets
// it get new authorization codes without typing the password again. It is
// bound to its user's sign-out generation like a token family, and judged
// by the same liveness rule, so a global sign-out ends it too.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// WebSessionLifetime is how long a hosted-UI sign-in lets the browser get
// new codes without typing the password again (Cognito: 1 hour).
const WebSessionLifetime = time.Hour

// WebSession is a live hosted-UI browser session.
type WebSession struct {
	ID        string // the store id (a hash of the cookie value)
	Username  string
	Sub       string
	CreatedAt time.Time
	ExpiresAt time.Time
	gen       int64
}

// newSecret returns 32 random bytes, base64url: a cookie value or a code.
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// secretID is the store key of a secret handed out (cookie value, code):
// its SHA-256, so that a copy of the database cannot be replayed.
func secretID(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// webSessionFamily is a web session as the liveness rule sees it.
func webSessionFamily(ws *store.WebSession, u *store.User) family {
	return family{id: ws.ID, user: u, gen: ws.UserGen, expiresAt: ws.ExpiresAt}
}

// GetWebSession returns the live web session of the cookie value, or nil
// when there is none: unknown, of another pool, or ended (family liveness:
// expired, a global sign-out since, its user gone or disabled).
func (s *Service) GetWebSession(ctx context.Context, poolID, cookie string) (*WebSession, error) {
	if cookie == "" || len(cookie) > 256 {
		return nil, nil
	}
	ws, err := s.web.GetWebSession(ctx, secretID(cookie))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("get web session", err)
	}
	if ws.PoolID != poolID {
		return nil, nil
	}
	u, err := s.users.GetUserBySub(ctx, poolID, ws.UserSub)
	if errors.Is(err, store.ErrNotFound) {
		u = nil
	} else if err != nil {
		return nil, internal("get web session", err)
	}
	if r := webSessionFamily(ws, u).liveness(s.now()); r != "" {
		s.log.Debug("web session ended", "pool", poolID, "reason", string(r))
		return nil, nil
	}
	return &WebSession{ID: ws.ID, Username: u.Username, Sub: u.Sub, CreatedAt: ws.CreatedAt, ExpiresAt: ws.ExpiresAt,
		gen: ws.UserGen}, nil
}

// EndWebSession deletes the web session of the cookie value, if any.
func (s *Service) EndWebSession(ctx context.Context, poolID, cookie string) error {
	if cookie == "" || len(cookie) > 256 {
		return nil
	}
	id := secretID(cookie)
	ws, err := s.web.GetWebSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return internal("end web session", err)
	}
	if ws.PoolID != poolID {
		return nil
	}
	if err := s.web.DeleteWebSession(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return internal("end web session", err)
	}
	return nil
}

// LoginInput is a hosted-UI sign-in. The client's address comes with the
// context (WithCaller), for throttling.
type LoginInput struct {
	Request  *AuthorizeRequest
	Username string
	Password string
	// Tx is the browser's login transaction (the sign-in form's CSRF
	// cookie). With it a sign-in that needs MFA goes on to the MFA step,
	// bound to the transaction (HostedLoginResult.MFA); without it such a
	// sign-in is refused (KindUserState).
	Tx string
}

// hostedLogin checks a hosted-UI sign-in and starts a web session: the
// cookie value (given to the browser, stored only hashed) and the session;
// or, when MFA applies and the input names the login transaction, the MFA
// step the browser must pass first (the API's: mfaStep). Failures: KindInvalid without a username or password;
// CauseBadCredentials for an unknown user or a wrong password alike;
// CauseAttemptsExceeded while the user is locked out and KindThrottled once
// the address has failed too often (the sign-in throttle, shared with the
// API); the user-state errors (disabled, not confirmed, password change
// needed) after a correct password.
func (s *Service) hostedLogin(ctx context.Context, in LoginInput) (*HostedLoginResult, error) {
	if in.Request == nil {
		return nil, internal("hosted login", errors.New("no authorization request"))
	}
	if in.Username == "" || in.Password == "" || len(in.Username) > 128 || len(in.Password) > 256 {
		return nil, invalidf("a username and a password are required")
	}
	p, err := s.pool(ctx, in.Request.PoolID)
	if err != nil {
		return nil, err
	}
	if err := s.migrateUser(ctx, p.ID, in.Request.ClientID, sourceMigrationAuthentication, in.Username, in.Password); err != nil { // migration.go
		return nil, err
	}
	u, err := s.findUser(ctx, p, in.Username)
	hash, key := s.dummyPasswordHash(), usernameKey(p, in.Username) // an unknown user costs a password check too
	switch {
	case err == nil:
		hash, key = u.PasswordHash, u.Username
	case IsKind(err, KindUserNotFound) || IsKind(err, KindInvalid):
		u = nil // no user can have a malformed name: it is just a wrong one
	default:
		return nil, err
	}
	attempt, err := s.claimSignIn(ctx, p.ID, key)
	if err != nil {
		return nil, err
	}
	if u != nil { // triggers_auth.go
		if ctx, err = s.preAuthentication(ctx, p, in.Request.ClientID, u, in.Username); err != nil {
			attempt.abandoned(ctx)
			return nil, err
		}
	}
	ok, err := s.verify(ctx, in.Password, hash)
	if err != nil {
		attempt.abandoned(ctx)
		return nil, err
	}
	if u == nil || !ok {
		attempt.failed(ctx)
		return nil, refused(CauseBadCredentials)
	}
	attempt.succeeded(ctx)
	if !u.Enabled {
		return nil, refused(CauseUserDisabled)
	}
	switch u.Status {
	case StatusConfirmed:
	case StatusUnconfirmed:
		return nil, &Error{Kind: KindUserNotConfirmed, Cause: CauseUserNotConfirmed}
	default: // FORCE_CHANGE_PASSWORD, RESET_REQUIRED: no such forms here yet
		return nil, errorf(KindPasswordResetRequired, "the password must be changed before signing in here")
	}
	if mfaRequired(p, u) {
		if in.Tx == "" { // never a way around MFA
			return nil, errorf(KindUserState, "multi-factor authentication is required")
		}
		return s.hostedMFAStart(ctx, p, in, u)
	}
	return s.startWebSession(ctx, p, in.Request.ClientID, u)
}

// startWebSession starts a web session of the user: the sign-in (password,
// and MFA when it applies) is complete.
func (s *Service) startWebSession(ctx context.Context, p *Pool, clientID string, u *store.User) (*HostedLoginResult, error) {
	if err := s.postAuthentication(ctx, p.ID, clientID, u, false); err != nil { // triggers_auth.go
		return nil, err
	}
	cookie, err := newSecret()
	if err != nil {
		return nil, internal("web session", err)
	}
	now := s.now().UTC()
	ws := &store.WebSession{ID: secretID(cookie), PoolID: p.ID, UserSub: u.Sub, UserGen: u.SignOutGen,
		CreatedAt: now, ExpiresAt: now.Add(WebSessionLifetime)}
	if err := s.web.CreateWebSession(ctx, ws); err != nil {
		return nil, internal("create web session", err)
	}
	s.log.Info("hosted sign-in", "pool", p.ID, "client", clientID, "sub", u.Sub)
	return &HostedLoginResult{Cookie: cookie, Session: &WebSession{ID: ws.ID, Username: u.Username, Sub: u.Sub,
		CreatedAt: now, ExpiresAt: ws.ExpiresAt, gen: ws.UserGen}}, nil
}
