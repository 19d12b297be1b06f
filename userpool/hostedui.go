package userpool

// The hosted UI and the OAuth 2.0 / OIDC endpoints' rules: authorization
// requests, the browser's web session, authorization codes with PKCE, the
// token endpoint's grants, revocation and userInfo. The wire side
// (httpapi/oauth) only decodes, calls these and encodes.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/token"
)

// Hosted-UI lifetimes.
const (
	// WebSessionLifetime is how long a hosted-UI sign-in lets the browser
	// get new codes without typing the password again (Cognito: 1 hour).
	WebSessionLifetime = time.Hour
	// AuthCodeLifetime bounds the exchange of an authorization code.
	AuthCodeLifetime = 5 * time.Minute
)

// SourceHostedUI marks token families started by the hosted UI.
const SourceHostedUI = "hostedui"

// ScopeOpenID is the OIDC scope: it yields an ID token and opens userInfo.
const ScopeOpenID = "openid"

// OAuth 2.0 error codes (RFC 6749 §4.1.2.1 and §5.2, RFC 7009, RFC 6750,
// OIDC Core §3.1.2.6).
const (
	OAuthInvalidRequest          = "invalid_request"
	OAuthInvalidClient           = "invalid_client"
	OAuthInvalidGrant            = "invalid_grant"
	OAuthUnauthorizedClient      = "unauthorized_client"
	OAuthUnsupportedGrantType    = "unsupported_grant_type"
	OAuthUnsupportedResponseType = "unsupported_response_type"
	OAuthUnsupportedTokenType    = "unsupported_token_type"
	OAuthInvalidScope            = "invalid_scope"
	OAuthInvalidToken            = "invalid_token"
	OAuthInsufficientScope       = "insufficient_scope"
	OAuthLoginRequired           = "login_required"
	OAuthServerError             = "server_error"
)

// OAuthError is an OAuth 2.0 error. Errors of an authorization request carry
// the validated redirect URI (and the client's state) when the error may be
// sent back to the client; without one, the browser must be shown an error
// page: the redirect URI was not (yet) proven to be the client's.
type OAuthError struct {
	Code        string
	Description string
	RedirectURI string // authorization requests only: where to send the error
	State       string
}

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

func oauthErr(code, format string, args ...any) *OAuthError {
	return &OAuthError{Code: code, Description: fmt.Sprintf(format, args...)}
}

// AuthorizeParams are the parameters of GET /oauth2/authorize (and of the
// /login page, which carries them along).
type AuthorizeParams struct {
	ClientID            string
	RedirectURI         string
	ResponseType        string
	State               string
	Scope               string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              string // "login" forces the password, "none" forbids asking for it
	Nonce               string // OIDC: echoed in the ID token
}

// AuthorizeRequest is a validated authorization request.
type AuthorizeRequest struct {
	AuthorizeParams
	PoolID     string
	ClientID   string
	ClientName string
	Scopes     []string // granted: requested ∩ allowed, or every allowed scope when none was requested
}

var (
	pkceChallengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)       // base64url(SHA-256), unpadded
	pkceVerifierRE  = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`) // RFC 7636 §4.1
)

// scopes that OIDC defines on top of openid.
var oidcScopes = []string{"email", "phone", "profile"}

// CheckAuthorize validates an authorization request. The pool, the client
// and the redirect URI are checked first: their errors are *OAuthError
// without RedirectURI (show an error page, never redirect). Every later
// error carries the redirect URI and state, to be sent back per RFC 6749.
func (s *Service) CheckAuthorize(ctx context.Context, poolID string, p AuthorizeParams) (*AuthorizeRequest, error) {
	c, err := s.hostedClient(ctx, poolID, p.ClientID)
	if err != nil {
		return nil, err
	}
	if p.RedirectURI == "" {
		p.RedirectURI = c.Config.DefaultRedirectURI
	}
	if p.RedirectURI == "" {
		return nil, oauthErr(OAuthInvalidRequest, "redirect_uri is required")
	}
	if !slices.Contains(c.Config.CallbackURLs, p.RedirectURI) {
		return nil, oauthErr(OAuthInvalidRequest, "redirect_mismatch: redirect_uri is not one of the app client's callback URLs")
	}
	back := func(code, format string, args ...any) error {
		e := oauthErr(code, format, args...)
		e.RedirectURI, e.State = p.RedirectURI, p.State
		return e
	}
	switch p.ResponseType {
	case "code":
	case "":
		return nil, back(OAuthInvalidRequest, "response_type is required")
	default:
		return nil, back(OAuthUnsupportedResponseType, "only response_type=code is supported")
	}
	if !c.Config.AllowedOAuthFlowsUserPoolClient || !slices.Contains(c.Config.AllowedOAuthFlows, "code") {
		return nil, back(OAuthUnauthorizedClient, "the app client is not allowed the authorization code flow")
	}
	scopes, err := grantScopes(c, p.Scope)
	if err != nil {
		return nil, back(OAuthInvalidScope, "%s", err.Error())
	}
	switch {
	case p.CodeChallenge == "" && p.CodeChallengeMethod != "":
		return nil, back(OAuthInvalidRequest, "code_challenge_method without code_challenge")
	case p.CodeChallenge == "" && c.Secret == "":
		return nil, back(OAuthInvalidRequest, "PKCE is required for public clients: send code_challenge with code_challenge_method=S256")
	case p.CodeChallenge != "" && p.CodeChallengeMethod != "S256":
		return nil, back(OAuthInvalidRequest, "code_challenge_method must be S256")
	case p.CodeChallenge != "" && !pkceChallengeRE.MatchString(p.CodeChallenge):
		return nil, back(OAuthInvalidRequest, "code_challenge must be the unpadded base64url SHA-256 of the code verifier")
	case len(p.Nonce) > 512:
		return nil, back(OAuthInvalidRequest, "nonce is longer than 512 characters")
	}
	return &AuthorizeRequest{AuthorizeParams: p, PoolID: poolID, ClientID: c.ID, ClientName: c.Name, Scopes: scopes}, nil
}

// hostedClient loads the client of an authorization or logout request; its
// errors are error-page errors.
func (s *Service) hostedClient(ctx context.Context, poolID, clientID string) (*Client, error) {
	if _, err := s.pool(ctx, poolID); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == CodeResourceNotFound {
			return nil, oauthErr(OAuthInvalidRequest, "unknown user pool")
		}
		return nil, err
	}
	if clientID == "" {
		return nil, oauthErr(OAuthInvalidRequest, "client_id is required")
	}
	c, err := s.client(ctx, poolID, clientID)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == CodeResourceNotFound {
			return nil, oauthErr(OAuthInvalidClient, "unknown client_id")
		}
		return nil, err
	}
	return c, nil
}

// grantScopes decides the scopes of an authorization: the requested ones,
// each of which the client must be allowed, or all the client's allowed
// scopes when none is requested.
func grantScopes(c *Client, requested string) ([]string, error) {
	var out []string
	if strings.TrimSpace(requested) == "" {
		out = slices.Clone(c.Config.AllowedOAuthScopes)
	} else {
		for _, sc := range strings.Fields(requested) {
			if !slices.Contains(c.Config.AllowedOAuthScopes, sc) {
				return nil, fmt.Errorf("scope %q is not allowed for this app client", sc)
			}
			if !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the app client has no allowed OAuth scopes")
	}
	if !slices.Contains(out, ScopeOpenID) {
		for _, sc := range out {
			if slices.Contains(oidcScopes, sc) {
				return nil, fmt.Errorf("scope %q requires the openid scope", sc)
			}
		}
	}
	return out, nil
}

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

// GetWebSession returns the live web session of the cookie value, or nil
// when there is none: unknown, expired, of another pool, or ended by a
// global sign-out (the user's sign-out generation moved on), or its user is
// gone or disabled.
func (s *Service) GetWebSession(ctx context.Context, poolID, cookie string) (*WebSession, error) {
	if cookie == "" || len(cookie) > 256 {
		return nil, nil
	}
	ws, err := s.st.GetWebSession(ctx, secretID(cookie))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("get web session", err)
	}
	if ws.PoolID != poolID || !s.now().Before(ws.ExpiresAt) {
		return nil, nil
	}
	u, err := s.st.GetUserBySub(ctx, poolID, ws.UserSub)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("get web session", err)
	}
	if u.SignOutGen != ws.UserGen || !u.Enabled {
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
	ws, err := s.st.GetWebSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return internal("end web session", err)
	}
	if ws.PoolID != poolID {
		return nil
	}
	if err := s.st.DeleteWebSession(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return internal("end web session", err)
	}
	return nil
}

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
	if err := s.st.PutAuthCode(ctx, ac); err != nil {
		return "", internal("store authorization code", err)
	}
	return code, nil
}

// Hosted-UI sign-in throttling. Failures are counted in memory, per user and
// per client IP, over a sliding window. With several replicas each replica
// counts its own, so the effective limits are multiplied by the number of
// replicas a client's requests reach.
const (
	LoginWindow       = 5 * time.Minute
	LoginFailsPerUser = 5
	LoginFailsPerIP   = 20
)

// Messages the hosted sign-in page shows.
const (
	MsgTooManyAttempts = "Too many attempts. Please wait a few minutes and try again."
	MsgMissingLogin    = "Enter your username and password."
	MsgChangePassword  = "Your password must be changed before you can sign in here. Contact your administrator."
)

// hostedUIState is the Service's in-memory hosted-UI state.
type hostedUIState struct {
	limiter   loginLimiter
	dummyOnce sync.Once
	dummyHash string // compared against for unknown users, so they cost as much as known ones
}

// loginLimiter remembers recent sign-in failures per key.
type loginLimiter struct {
	mu    sync.Mutex
	fails map[string][]time.Time // oldest first, only the last few kept
	ops   int
}

// maxLimiterKeys bounds the memory an attacker spraying usernames or
// addresses can make the limiter use; the oldest half is dropped beyond it.
const maxLimiterKeys = 100_000

// wait reports how long key must wait before trying again (0: it may try
// now) given at most limit failures per window.
func (l *loginLimiter) wait(key string, limit int, window time.Duration, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.recent(key, window, now)
	if len(recent) < limit {
		return 0
	}
	return recent[len(recent)-limit].Add(window).Sub(now)
}

// recent returns key's failures within the window; l.mu is held.
func (l *loginLimiter) recent(key string, window time.Duration, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-window)) {
		i++
	}
	if i == len(ts) && ts != nil {
		delete(l.fails, key)
		return nil
	}
	return ts[i:]
}

// fail records a failure of each key at now, keeping at most keep per key.
func (l *loginLimiter) fail(now time.Time, window time.Duration, keep int, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fails == nil {
		l.fails = map[string][]time.Time{}
	}
	for _, k := range keys {
		ts := append(l.recent(k, window, now), now)
		if len(ts) > keep {
			ts = ts[len(ts)-keep:]
		}
		l.fails[k] = slices.Clip(ts)
	}
	l.ops++
	if l.ops%1024 == 0 || len(l.fails) > maxLimiterKeys {
		l.sweep(window, now)
	}
}

// sweep forgets keys without recent failures, and the oldest ones if there
// are still too many; l.mu is held.
func (l *loginLimiter) sweep(window time.Duration, now time.Time) {
	for k, ts := range l.fails {
		if len(ts) == 0 || !ts[len(ts)-1].After(now.Add(-window)) {
			delete(l.fails, k)
		}
	}
	if len(l.fails) <= maxLimiterKeys {
		return
	}
	type kv struct {
		k    string
		last time.Time
	}
	all := make([]kv, 0, len(l.fails))
	for k, ts := range l.fails {
		all = append(all, kv{k, ts[len(ts)-1]})
	}
	slices.SortFunc(all, func(a, b kv) int { return a.last.Compare(b.last) })
	for _, e := range all[:len(all)/2] {
		delete(l.fails, e.k)
	}
}

// forget clears key's failures (after a successful sign-in).
func (l *loginLimiter) forget(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}

// LoginInput is a hosted-UI sign-in.
type LoginInput struct {
	Request  *AuthorizeRequest
	Username string
	Password string
	RemoteIP string // the client address, for throttling
}

// HostedLogin checks a hosted-UI sign-in and starts a web session. It
// returns the cookie value (given to the browser, stored only hashed) and
// the session. Failures are *Error with a message fit for the page:
// MsgIncorrectCredentials for an unknown user or a wrong password alike,
// CodeTooManyRequests (MsgTooManyAttempts) once the user or the address has
// failed too often recently, and the user-state errors after a correct
// password.
func (s *Service) HostedLogin(ctx context.Context, in LoginInput) (string, *WebSession, error) {
	if in.Request == nil {
		return "", nil, internal("hosted login", errors.New("no authorization request"))
	}
	if in.Username == "" || in.Password == "" || len(in.Username) > 128 || len(in.Password) > 256 {
		return "", nil, invalidParam(MsgMissingLogin)
	}
	p, err := s.pool(ctx, in.Request.PoolID)
	if err != nil {
		return "", nil, err
	}
	now := s.now()
	lim := &s.hosted.limiter
	userKey := "user\x00" + p.ID + "\x00" + usernameKey(p, in.Username)
	ipKey := "ip\x00" + in.RemoteIP
	if lim.wait(userKey, LoginFailsPerUser, LoginWindow, now) > 0 ||
		(in.RemoteIP != "" && lim.wait(ipKey, LoginFailsPerIP, LoginWindow, now) > 0) {
		s.log.Warn("hosted sign-in throttled", "pool", p.ID, "ip", in.RemoteIP)
		return "", nil, newErr(CodeTooManyRequests, MsgTooManyAttempts)
	}
	failed := func() (string, *WebSession, error) {
		keys := []string{userKey}
		if in.RemoteIP != "" {
			keys = append(keys, ipKey)
		}
		lim.fail(now, LoginWindow, LoginFailsPerIP, keys...)
		return "", nil, notAuthorized(MsgIncorrectCredentials)
	}
	u, err := s.getUser(ctx, p, in.Username)
	var e *Error
	if errors.As(err, &e) && e.Code == CodeUserNotFound {
		checkPassword(in.Password, s.dummyPasswordHash())
		return failed()
	}
	if err != nil {
		return "", nil, err
	}
	if !checkPassword(in.Password, u.PasswordHash) {
		return failed()
	}
	lim.forget(userKey)
	if !u.Enabled {
		return "", nil, notAuthorized(MsgUserDisabled)
	}
	switch u.Status {
	case StatusConfirmed:
	case StatusUnconfirmed:
		return "", nil, newErr(CodeUserNotConfirmed, MsgUserNotConfirmed)
	default: // FORCE_CHANGE_PASSWORD, RESET_REQUIRED: no such forms here yet
		return "", nil, newErr(CodePasswordResetRequired, MsgChangePassword)
	}
	cookie, err := newSecret()
	if err != nil {
		return "", nil, internal("web session", err)
	}
	now = now.UTC()
	ws := &store.WebSession{ID: secretID(cookie), PoolID: p.ID, UserSub: u.Sub, UserGen: u.SignOutGen,
		CreatedAt: now, ExpiresAt: now.Add(WebSessionLifetime)}
	if err := s.st.CreateWebSession(ctx, ws); err != nil {
		return "", nil, internal("create web session", err)
	}
	s.log.Info("hosted sign-in", "pool", p.ID, "client", in.Request.ClientID, "sub", u.Sub)
	return cookie, &WebSession{ID: ws.ID, Username: u.Username, Sub: u.Sub, CreatedAt: now, ExpiresAt: ws.ExpiresAt,
		gen: ws.UserGen}, nil
}

// dummyPasswordHash is a hash no password matches, with the service's cost.
func (s *Service) dummyPasswordHash() string {
	s.hosted.dummyOnce.Do(func() {
		h, err := hashPassword(randomHex(16), s.hash)
		if err == nil {
			s.hosted.dummyHash = h
		}
	})
	return s.hosted.dummyHash
}

// LogoutParams are the parameters of GET /logout.
type LogoutParams struct {
	ClientID     string
	LogoutURI    string
	RedirectURI  string
	ResponseType string
}

// CheckLogout validates a logout request. It returns the registered
// logout_uri to send the browser to, or "" when the request names a
// redirect_uri instead (sign in again: the caller sends the browser to the
// login page with the request's parameters). Errors are *OAuthError for an
// error page: an unregistered URI is never redirected to.
func (s *Service) CheckLogout(ctx context.Context, poolID string, p LogoutParams) (string, error) {
	c, err := s.hostedClient(ctx, poolID, p.ClientID)
	if err != nil {
		return "", err
	}
	switch {
	case p.LogoutURI != "":
		if !slices.Contains(c.Config.LogoutURLs, p.LogoutURI) {
			return "", oauthErr(OAuthInvalidRequest, "logout_uri is not one of the app client's sign-out URLs")
		}
		return p.LogoutURI, nil
	case p.RedirectURI != "":
		if !slices.Contains(c.Config.CallbackURLs, p.RedirectURI) {
			return "", oauthErr(OAuthInvalidRequest, "redirect_mismatch: redirect_uri is not one of the app client's callback URLs")
		}
		if p.ResponseType == "" {
			return "", oauthErr(OAuthInvalidRequest, "response_type is required with redirect_uri")
		}
		return "", nil
	}
	return "", oauthErr(OAuthInvalidRequest, "logout_uri (or redirect_uri and response_type) is required")
}

// TokenRequest is a POST /oauth2/token, with the client credentials the
// wire found (HTTP Basic or form).
type TokenRequest struct {
	GrantType    string
	Code         string
	RedirectURI  string
	CodeVerifier string
	RefreshToken string
	Scope        string
	ClientID     string
	ClientSecret string
}

// TokenResponse is the token endpoint's answer. IDToken is empty without
// the openid scope, RefreshToken when the grant returns none.
type TokenResponse struct {
	AccessToken  string
	IDToken      string
	RefreshToken string
	TokenType    string
	ExpiresIn    int
}

// OAuthToken serves the token endpoint's grants: authorization_code (with
// PKCE), refresh_token (a new refresh token only with rotation) and
// client_credentials. Errors are *OAuthError, or *Error from the shared
// refresh path (the wire maps both in one place).
func (s *Service) OAuthToken(ctx context.Context, poolID string, in TokenRequest) (*TokenResponse, error) {
	c, err := s.oauthClient(ctx, poolID, in.ClientID, in.ClientSecret)
	if err != nil {
		return nil, err
	}
	switch in.GrantType {
	case "authorization_code":
		return s.exchangeCode(ctx, c, in)
	case "refresh_token":
		if in.RefreshToken == "" {
			return nil, oauthErr(OAuthInvalidRequest, "refresh_token is required")
		}
		res, err := s.refresh(ctx, c, in.RefreshToken, func(*store.Session) error { return nil }, c.Config.RotationEnabled())
		if err != nil {
			return nil, err
		}
		out := tokenResponse(res)
		if !s.familyHasIDToken(ctx, c, in.RefreshToken) {
			out.IDToken = ""
		}
		return out, nil
	case "client_credentials":
		return s.clientCredentials(ctx, c, in.Scope)
	case "":
		return nil, oauthErr(OAuthInvalidRequest, "grant_type is required")
	}
	return nil, oauthErr(OAuthUnsupportedGrantType, "grant_type %q is not supported", in.GrantType)
}

func tokenResponse(r *AuthResult) *TokenResponse {
	return &TokenResponse{AccessToken: r.AccessToken, IDToken: r.IDToken, RefreshToken: r.RefreshToken,
		TokenType: "Bearer", ExpiresIn: r.ExpiresIn}
}

// familyHasIDToken reports whether refreshing the (just accepted) refresh
// token's family yields an ID token: always for families signed in through
// the API, only with the openid scope for hosted-UI ones.
func (s *Service) familyHasIDToken(ctx context.Context, c *Client, refreshToken string) bool {
	ks, err := s.keySet(ctx, c.PoolID)
	if err != nil {
		return true
	}
	h, err := ks.OpenRefresh(refreshToken)
	if err != nil {
		return true
	}
	sess, err := s.st.GetSession(ctx, h.SessionID)
	if err != nil {
		return true
	}
	return sess.Source != SourceHostedUI || hasScope(sess.Scopes, ScopeOpenID)
}

// oauthClient authenticates the client of a token request: a client with a
// secret must present it, a public client must not present one.
func (s *Service) oauthClient(ctx context.Context, poolID, clientID, secret string) (*Client, error) {
	if clientID == "" {
		return nil, oauthErr(OAuthInvalidClient, "client authentication is required (client_id)")
	}
	c, err := s.client(ctx, poolID, clientID)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == CodeResourceNotFound {
			return nil, oauthErr(OAuthInvalidClient, "unknown client")
		}
		return nil, err
	}
	switch {
	case c.Secret == "" && secret != "":
		return nil, oauthErr(OAuthInvalidClient, "the client has no secret")
	case c.Secret != "" && subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1:
		return nil, oauthErr(OAuthInvalidClient, "client authentication failed")
	}
	return c, nil
}

// exchangeCode redeems an authorization code for a new token family.
func (s *Service) exchangeCode(ctx context.Context, c *Client, in TokenRequest) (*TokenResponse, error) {
	if !c.Config.AllowedOAuthFlowsUserPoolClient || !slices.Contains(c.Config.AllowedOAuthFlows, "code") {
		return nil, oauthErr(OAuthUnauthorizedClient, "the client is not allowed the authorization code grant")
	}
	if in.Code == "" || in.RedirectURI == "" {
		return nil, oauthErr(OAuthInvalidRequest, "code and redirect_uri are required")
	}
	if len(in.Code) > 256 {
		return nil, oauthErr(OAuthInvalidGrant, "invalid code")
	}
	ac, err := s.st.TakeAuthCode(ctx, secretID(in.Code))
	if errors.Is(err, store.ErrNotFound) {
		if err := s.revokeReplayedCode(ctx, secretID(in.Code)); err != nil {
			return nil, err
		}
		return nil, oauthErr(OAuthInvalidGrant, "invalid code")
	}
	if err != nil {
		return nil, internal("take authorization code", err)
	}
	// The code is spent from here on, whatever follows.
	switch {
	case ac.PoolID != c.PoolID || ac.ClientID != c.ID:
		return nil, oauthErr(OAuthInvalidGrant, "invalid code")
	case !s.now().Before(ac.ExpiresAt):
		return nil, oauthErr(OAuthInvalidGrant, "the code has expired")
	case ac.RedirectURI != in.RedirectURI:
		return nil, oauthErr(OAuthInvalidGrant, "redirect_uri does not match the authorization request")
	}
	if err := checkPKCE(ac, in.CodeVerifier); err != nil {
		return nil, err
	}
	u, err := s.st.GetUserBySub(ctx, c.PoolID, ac.UserSub)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oauthErr(OAuthInvalidGrant, "invalid code")
	}
	if err != nil {
		return nil, internal("exchange code", err)
	}
	if u.SignOutGen != ac.UserGen || !u.Enabled {
		return nil, oauthErr(OAuthInvalidGrant, "the user's session has ended")
	}
	// auth_time is when the user typed the password at /login, not now;
	// the nonce binds the ID token to the client's request (OIDC Core 3.1.3.6).
	res, err := s.newSession(ctx, c, u, sessionOptions{source: SourceHostedUI, scopes: ac.Scopes,
		authTime: ac.AuthTime, nonce: ac.Nonce})
	if err != nil {
		return nil, err
	}
	// Remember which family this code started: a replay revokes it. Without
	// the record no tokens leave (fail closed).
	if err := s.st.RecordUsedAuthCode(ctx, ac.ID, c.PoolID, res.family, ac.ExpiresAt); err != nil {
		return nil, internal("record used authorization code", err)
	}
	out := tokenResponse(res)
	if !hasScope(ac.Scopes, ScopeOpenID) {
		out.IDToken = ""
	}
	return out, nil
}

// revokeReplayedCode revokes the token family started by an authorization
// code that is presented again (RFC 6749 4.1.2: the code may have been
// stolen, so the tokens issued for it are not to be trusted).
func (s *Service) revokeReplayedCode(ctx context.Context, id string) error {
	sid, err := s.st.UsedAuthCodeSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return internal("look up used authorization code", err)
	}
	if err := s.st.RevokeSession(ctx, sid, s.now().UTC(), "code-reuse"); err != nil && !errors.Is(err, store.ErrNotFound) {
		return internal("revoke replayed code's family", err)
	}
	s.log.Warn("authorization code replayed: its token family is revoked", "session", sid)
	return nil
}

func checkPKCE(ac *store.AuthCode, verifier string) error {
	if ac.CodeChallenge == "" {
		if verifier != "" {
			return oauthErr(OAuthInvalidGrant, "code_verifier sent for a code issued without code_challenge")
		}
		return nil
	}
	if verifier == "" {
		return oauthErr(OAuthInvalidRequest, "code_verifier is required")
	}
	if !pkceVerifierRE.MatchString(verifier) {
		return oauthErr(OAuthInvalidGrant, "code_verifier is malformed")
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(ac.CodeChallenge)) != 1 {
		return oauthErr(OAuthInvalidGrant, "code_verifier does not match code_challenge")
	}
	return nil
}

// clientCredentials mints an access token for the client itself: sub is
// the client id, the scopes are the client's custom (resource-server)
// scopes; no user, no ID token, no refresh token, no token family.
func (s *Service) clientCredentials(ctx context.Context, c *Client, requested string) (*TokenResponse, error) {
	if c.Secret == "" || !c.Config.AllowedOAuthFlowsUserPoolClient || !slices.Contains(c.Config.AllowedOAuthFlows, "client_credentials") {
		return nil, oauthErr(OAuthUnauthorizedClient, "the client is not allowed the client_credentials grant")
	}
	var custom []string
	for _, sc := range c.Config.AllowedOAuthScopes {
		if strings.Contains(sc, "/") {
			custom = append(custom, sc)
		}
	}
	scopes := custom
	if strings.TrimSpace(requested) != "" {
		scopes = nil
		for _, sc := range strings.Fields(requested) {
			if !slices.Contains(custom, sc) {
				return nil, oauthErr(OAuthInvalidScope, "scope %q is not allowed for client_credentials", sc)
			}
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	if len(scopes) == 0 {
		return nil, oauthErr(OAuthInvalidScope, "the client has no custom scopes")
	}
	ks, err := s.keySet(ctx, c.PoolID)
	if err != nil {
		return nil, internal("client credentials", err)
	}
	now := s.now().UTC()
	life := c.Config.AccessTokenDuration()
	at, err := ks.Sign(&token.Claims{Sub: c.ID, Iss: ks.Issuer(), TokenUse: token.UseAccess, ClientID: c.ID,
		Scope: strings.Join(scopes, " "), AuthTime: now.Unix(), IssuedAt: now.Unix(), ExpiresAt: now.Add(life).Unix(),
		Version: 2, JTI: newUUID()})
	if err != nil {
		return nil, internal("sign access token", err)
	}
	return &TokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: int(life / time.Second)}, nil
}

// OAuthRevoke is POST /oauth2/revoke: RevokeToken for a client of the pool.
// Errors are RevokeToken's (*Error), plus *OAuthError invalid_client for a
// missing client id; the wire maps both in one place.
func (s *Service) OAuthRevoke(ctx context.Context, poolID, raw, clientID, clientSecret string) error {
	if raw == "" {
		return oauthErr(OAuthInvalidRequest, "token is required")
	}
	if clientID == "" {
		return oauthErr(OAuthInvalidClient, "client authentication is required (client_id)")
	}
	if _, err := s.client(ctx, poolID, clientID); err != nil {
		return err
	}
	return s.RevokeToken(ctx, raw, clientID, clientSecret)
}

// UserInfo is GET /oauth2/userInfo: the OIDC claims of the access token's
// user. The token must be live (not revoked, not signed out, not expired)
// and carry the openid scope. Claims are strings, as Cognito returns them
// (email_verified is "true" or "false"). Errors are *OAuthError
// (invalid_token, insufficient_scope) or internal.
func (s *Service) UserInfo(ctx context.Context, poolID, raw string) (map[string]any, error) {
	if raw == "" {
		return nil, oauthErr(OAuthInvalidToken, "an access token is required")
	}
	pr, err := s.authenticateScope(ctx, raw, ScopeOpenID)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Code == CodeInternalError {
			return nil, err
		}
		if e.Code == CodeNotAuthorized && e.Message == MsgAccessScopes {
			return nil, oauthErr(OAuthInsufficientScope, "the access token does not have the openid scope")
		}
		return nil, oauthErr(OAuthInvalidToken, "%s", e.Message)
	}
	if pr.user.PoolID != poolID {
		return nil, oauthErr(OAuthInvalidToken, "%s", MsgAccessInvalid)
	}
	out := make(map[string]any, len(pr.user.Attributes)+2)
	for k, v := range pr.user.Attributes {
		out[k] = v
	}
	out["sub"] = pr.user.Sub
	out["username"] = pr.user.Username
	return out, nil
}

// PurgeExpiredHostedUI deletes expired web sessions and authorization
// codes. The server calls it periodically with the challenge purge.
func (s *Service) PurgeExpiredHostedUI(ctx context.Context) (int64, error) {
	now := s.now()
	n, err := s.st.PurgeWebSessions(ctx, now)
	if err != nil {
		return 0, fmt.Errorf("purge web sessions: %w", err)
	}
	m, err := s.st.PurgeAuthCodes(ctx, now)
	if err != nil {
		return n, fmt.Errorf("purge authorization codes: %w", err)
	}
	return n + m, nil
}
