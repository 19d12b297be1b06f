package userpool

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/srp"
	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/token"
)

// Auth flows.
const (
	FlowUserPassword      = "USER_PASSWORD_AUTH"
	FlowAdminUserPassword = "ADMIN_USER_PASSWORD_AUTH"
	FlowAdminNoSRP        = "ADMIN_NO_SRP_AUTH"
	FlowUserSRP           = "USER_SRP_AUTH"
	FlowRefreshToken      = "REFRESH_TOKEN_AUTH"
	FlowRefreshTokenAlias = "REFRESH_TOKEN"
)

// Challenge names.
const (
	ChallengeNewPassword      = "NEW_PASSWORD_REQUIRED"
	ChallengePasswordVerifier = "PASSWORD_VERIFIER"
)

// AuthResponse is the answer of InitiateAuth and RespondToAuthChallenge:
// either a challenge or tokens.
type AuthResponse struct {
	ChallengeName       string
	Session             string
	ChallengeParameters map[string]string
	Result              *AuthResult
}

// InitiateAuthInput is what InitiateAuth and AdminInitiateAuth take.
type InitiateAuthInput struct {
	PoolID         string // AdminInitiateAuth only
	ClientID       string
	AuthFlow       string
	AuthParameters map[string]string
	Admin          bool
}

// maxSRPSkew bounds how far a client's TIMESTAMP may be from our clock.
const maxSRPSkew = 5 * time.Minute

// InitiateAuth starts a sign-in or refreshes tokens.
func (s *Service) InitiateAuth(ctx context.Context, in InitiateAuthInput) (*AuthResponse, error) {
	c, err := s.client(ctx, in.PoolID, in.ClientID)
	if err != nil {
		return nil, err
	}
	if in.Admin {
		if _, err := s.pool(ctx, in.PoolID); err != nil {
			return nil, err
		}
	}
	params := in.AuthParameters
	if params == nil {
		params = map[string]string{}
	}
	switch in.AuthFlow {
	case "":
		return nil, invalidParam("1 validation error detected: Value null at 'authFlow' failed to satisfy constraint: Member must not be null")
	case FlowRefreshToken, FlowRefreshTokenAlias:
		if c.Config.RotationEnabled() {
			return nil, invalidParam("Refresh token rotation is enabled for this client: use GetTokensFromRefreshToken to refresh tokens")
		}
		res, err := s.refresh(ctx, c, params["REFRESH_TOKEN"], func(sess *store.Session) error {
			return checkSecretHash(c, params["SECRET_HASH"], sess.Username, sess.UserSub)
		}, false)
		if err != nil {
			return nil, err
		}
		return &AuthResponse{Result: res}, nil
	case FlowUserPassword:
		if in.Admin {
			break
		}
		if !c.Config.allowsFlow("ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH") {
			return nil, invalidParam("USER_PASSWORD_AUTH flow not enabled for this client")
		}
		return s.passwordAuth(ctx, c, params)
	case FlowAdminUserPassword, FlowAdminNoSRP:
		if !in.Admin {
			break
		}
		if !c.Config.allowsFlow("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH") {
			return nil, invalidParam("Auth flow not enabled for this client")
		}
		return s.passwordAuth(ctx, c, params)
	case FlowUserSRP:
		if !c.Config.allowsFlow("ALLOW_USER_SRP_AUTH", "") {
			return nil, invalidParam("USER_SRP_AUTH is not enabled for the client.")
		}
		return s.srpStart(ctx, c, params)
	}
	return nil, invalidParam("1 validation error detected: Value '%s' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set", in.AuthFlow)
}

// lookupForSignIn loads the user named in a sign-in, hiding existence when
// the client asks for it.
func (s *Service) lookupForSignIn(ctx context.Context, c *Client, username string) (*Pool, *store.User, error) {
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, nil, err
	}
	if username == "" {
		return nil, nil, invalidParam("Missing required parameter USERNAME")
	}
	u, err := s.getUser(ctx, p, username)
	var e *Error
	if errors.As(err, &e) && e.Code == CodeUserNotFound && c.Config.PreventUserExistenceErrors == "ENABLED" {
		return p, nil, notAuthorized(MsgIncorrectCredentials)
	}
	return p, u, err
}

func (s *Service) passwordAuth(ctx context.Context, c *Client, params map[string]string) (*AuthResponse, error) {
	username, password := params["USERNAME"], params["PASSWORD"]
	if err := checkSecretHash(c, params["SECRET_HASH"], username); err != nil {
		return nil, err
	}
	if password == "" {
		return nil, invalidParam("Missing required parameter PASSWORD")
	}
	p, u, err := s.lookupForSignIn(ctx, c, username)
	if err != nil {
		if u == nil && p != nil {
			// A hidden unknown user costs a password check too, so timing
			// does not tell who exists.
			checkPassword(password, s.dummyPasswordHash())
		}
		return nil, err
	}
	if err := s.checkThrottle(u); err != nil {
		return nil, err
	}
	if !checkPassword(password, u.PasswordHash) {
		s.recordFailure(u)
		return nil, notAuthorized(MsgIncorrectCredentials)
	}
	s.hosted.limiter.forget(throttleKey(u))
	return s.afterPassword(ctx, p, c, u)
}

// MsgPasswordAttemptsExceeded is Cognito's answer once a user has failed
// too many sign-ins recently.
const MsgPasswordAttemptsExceeded = "Password attempts exceeded"

// throttleKey names a user in the sign-in limiter, shared by the API flows
// and the hosted UI so that neither is a way around the other.
func throttleKey(u *store.User) string { return "user\x00" + u.PoolID + "\x00" + u.Username }

// checkThrottle refuses a user with too many recent sign-in failures.
func (s *Service) checkThrottle(u *store.User) error {
	if s.hosted.limiter.wait(throttleKey(u), LoginFailsPerUser, LoginWindow, s.now()) > 0 {
		s.log.Warn("sign-in throttled", "pool", u.PoolID, "sub", u.Sub)
		return notAuthorized(MsgPasswordAttemptsExceeded)
	}
	return nil
}

// recordFailure counts a failed password proof against the user.
func (s *Service) recordFailure(u *store.User) {
	s.hosted.limiter.fail(s.now(), LoginWindow, LoginFailsPerIP, throttleKey(u))
}

// afterPassword decides what a correct password leads to: a challenge or tokens.
func (s *Service) afterPassword(ctx context.Context, p *Pool, c *Client, u *store.User) (*AuthResponse, error) {
	if !u.Enabled {
		return nil, notAuthorized(MsgUserDisabled)
	}
	switch u.Status {
	case StatusUnconfirmed:
		return nil, newErr(CodeUserNotConfirmed, MsgUserNotConfirmed)
	case StatusForceChangePassword:
		if !u.CodeExpiresAt.IsZero() && !s.now().Before(u.CodeExpiresAt) {
			return nil, notAuthorized("Temporary password has expired and must be reset by an administrator.")
		}
		sessionID, err := s.putChallenge(ctx, c, u.Username, ChallengeNewPassword, nil, "")
		if err != nil {
			return nil, err
		}
		attrs, _ := json.Marshal(u.Attributes)
		return &AuthResponse{ChallengeName: ChallengeNewPassword, Session: sessionID, ChallengeParameters: map[string]string{
			"USER_ID_FOR_SRP": u.Username, "requiredAttributes": "[]", "userAttributes": string(attrs)}}, nil
	}
	res, err := s.newSession(ctx, c, u, sessionOptions{source: "api"})
	if err != nil {
		return nil, err
	}
	return &AuthResponse{Result: res}, nil
}

// putChallenge stores a single-use challenge; id may be given (SRP derives it).
func (s *Service) putChallenge(ctx context.Context, c *Client, username, name string, data []byte, id string) (string, error) {
	if id == "" {
		b := make([]byte, 48)
		if _, err := rand.Read(b); err != nil {
			return "", internal("challenge id", err)
		}
		id = base64.RawURLEncoding.EncodeToString(b)
	}
	ch := &store.Challenge{ID: id, PoolID: c.PoolID, ClientID: c.ID, Username: username, Name: name, Data: data,
		ExpiresAt: s.now().Add(time.Duration(deref(c.Config.AuthSessionValidity)) * time.Minute)}
	if err := s.st.PutChallenge(ctx, ch); err != nil {
		return "", internal("store challenge", err)
	}
	return id, nil
}

// takeChallenge consumes a challenge; stale, reused, foreign or mismatched
// sessions all get Cognito's "Invalid session" answer.
func (s *Service) takeChallenge(ctx context.Context, c *Client, id, name string) (*store.Challenge, error) {
	if id == "" || len(id) > 2048 {
		return nil, notAuthorized(MsgSessionExpired)
	}
	ch, err := s.st.TakeChallenge(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notAuthorized(MsgSessionExpired)
	}
	if err != nil {
		return nil, internal("take challenge", err)
	}
	if ch.ClientID != c.ID || ch.Name != name || !s.now().Before(ch.ExpiresAt) {
		return nil, notAuthorized(MsgSessionExpired)
	}
	return ch, nil
}

// srpState is what a PASSWORD_VERIFIER challenge remembers.
type srpState struct {
	Key         []byte `json:"key"` // the session key, derived once SRP_A and B are known
	SecretBlock []byte `json:"secretBlock"`
	Fake        bool   `json:"fake,omitempty"` // unknown user hidden by PreventUserExistenceErrors
}

// srpChallengeID derives the challenge key from the secret block, because
// some clients send the block back but not the Session.
func srpChallengeID(secretBlock []byte) string {
	sum := sha256.Sum256(secretBlock)
	return "srp." + hex.EncodeToString(sum[:])
}

func (s *Service) srpStart(ctx context.Context, c *Client, params map[string]string) (*AuthResponse, error) {
	username := params["USERNAME"]
	if err := checkSecretHash(c, params["SECRET_HASH"], username); err != nil {
		return nil, err
	}
	if params["SRP_A"] == "" {
		return nil, invalidParam("Missing required parameter SRP_A")
	}
	_, u, err := s.lookupForSignIn(ctx, c, username)
	fake := false
	if err == nil {
		if err := s.checkThrottle(u); err != nil {
			return nil, err
		}
	} else {
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeNotAuthorized || u != nil {
			return nil, err
		}
		// PreventUserExistenceErrors: answer like for a real user, fail later.
		fake = true
		salt, err := srp.NewSalt()
		if err != nil {
			return nil, internal("srp salt", err)
		}
		v := srp.Verifier(srp.PoolName(c.PoolID), username, randomHex(32), salt)
		u = &store.User{Username: username, SRPSalt: srp.SaltHex(salt), SRPVerifier: encodeVerifier(v)}
	}
	v, ok := decodeVerifier(u.SRPVerifier)
	if !ok {
		return nil, internal("srp", errors.New("stored verifier is not hex"))
	}
	srv, err := srp.NewServer(v)
	if err != nil {
		return nil, internal("srp", err)
	}
	key, err := srv.Key(params["SRP_A"])
	if err != nil {
		return nil, invalidParam("SRP_A is not a valid SRP value")
	}
	block := make([]byte, 512)
	if _, err := rand.Read(block); err != nil {
		return nil, internal("srp secret block", err)
	}
	data, err := json.Marshal(srpState{Key: key, SecretBlock: block, Fake: fake})
	if err != nil {
		return nil, internal("srp", err)
	}
	id, err := s.putChallenge(ctx, c, u.Username, ChallengePasswordVerifier, data, srpChallengeID(block))
	if err != nil {
		return nil, err
	}
	return &AuthResponse{ChallengeName: ChallengePasswordVerifier, Session: id, ChallengeParameters: map[string]string{
		"SALT": u.SRPSalt, "SRP_B": srv.BHex(), "SECRET_BLOCK": base64.StdEncoding.EncodeToString(block),
		"USERNAME": u.Username, "USER_ID_FOR_SRP": u.Username}}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RespondInput is what RespondToAuthChallenge takes.
type RespondInput struct {
	PoolID        string // AdminRespondToAuthChallenge only
	ClientID      string
	ChallengeName string
	Session       string
	Responses     map[string]string
}

// RespondToAuthChallenge answers a challenge.
func (s *Service) RespondToAuthChallenge(ctx context.Context, in RespondInput) (*AuthResponse, error) {
	c, err := s.client(ctx, in.PoolID, in.ClientID)
	if err != nil {
		return nil, err
	}
	r := in.Responses
	if r == nil {
		r = map[string]string{}
	}
	if err := checkSecretHash(c, r["SECRET_HASH"], r["USERNAME"]); err != nil {
		return nil, err
	}
	switch in.ChallengeName {
	case ChallengeNewPassword:
		return s.respondNewPassword(ctx, c, in.Session, r)
	case ChallengePasswordVerifier:
		return s.respondPasswordVerifier(ctx, c, r)
	case "":
		return nil, invalidParam("1 validation error detected: Value null at 'challengeName' failed to satisfy constraint: Member must not be null")
	}
	return nil, invalidParam("Challenge %s is not supported by this server", in.ChallengeName)
}

func (s *Service) respondNewPassword(ctx context.Context, c *Client, session string, r map[string]string) (*AuthResponse, error) {
	ch, err := s.takeChallenge(ctx, c, session, ChallengeNewPassword)
	if err != nil {
		return nil, err
	}
	if r["USERNAME"] != "" && r["USERNAME"] != ch.Username {
		return nil, notAuthorized(MsgSessionExpired)
	}
	// A rejected new password keeps the challenge alive for another try, as
	// Cognito does; the session is single use only once it succeeds.
	keep := func(err error) error {
		ch.ID = session
		if perr := s.st.PutChallenge(ctx, ch); perr != nil {
			return internal("restore challenge", perr)
		}
		return err
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	u, err := s.getUser(ctx, p, ch.Username)
	if err != nil {
		return nil, err
	}
	if u.Status != StatusForceChangePassword {
		return nil, notAuthorized(MsgSessionExpired)
	}
	var attrs []Attribute
	for k, v := range r {
		if name, ok := strings.CutPrefix(k, "userAttributes."); ok {
			attrs = append(attrs, Attribute{Name: name, Value: v})
		}
	}
	extra, err := checkAttributes(attrs)
	if err != nil {
		return nil, keep(err)
	}
	if err := checkPasswordPolicy(p, r["NEW_PASSWORD"]); err != nil {
		return nil, keep(err)
	}
	if err := s.setPassword(u, r["NEW_PASSWORD"]); err != nil {
		return nil, internal("new password", err)
	}
	for k, v := range extra {
		u.Attributes[k] = v
	}
	u.Status, u.CodeExpiresAt, u.UpdatedAt = StatusConfirmed, time.Time{}, s.now().UTC()
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return nil, internal("new password", err)
	}
	return s.afterPassword(ctx, p, c, u)
}

func (s *Service) respondPasswordVerifier(ctx context.Context, c *Client, r map[string]string) (*AuthResponse, error) {
	block, err := base64.StdEncoding.DecodeString(r["PASSWORD_CLAIM_SECRET_BLOCK"])
	if err != nil || len(block) == 0 {
		return nil, notAuthorized(MsgSessionExpired)
	}
	ch, err := s.takeChallenge(ctx, c, srpChallengeID(block), ChallengePasswordVerifier)
	if err != nil {
		return nil, err
	}
	var st srpState
	if err := json.Unmarshal(ch.Data, &st); err != nil {
		return nil, internal("srp state", err)
	}
	if subtle.ConstantTimeCompare(st.SecretBlock, block) != 1 || r["USERNAME"] != ch.Username {
		return nil, notAuthorized(MsgSessionExpired)
	}
	ts, err := srp.ParseTimestamp(r["TIMESTAMP"])
	if err != nil {
		return nil, invalidParam("TIMESTAMP is not a valid timestamp")
	}
	if d := s.now().Sub(ts); d > maxSRPSkew || d < -maxSRPSkew {
		return nil, notAuthorized("TIMESTAMP is too far from the server's time.")
	}
	if st.Fake {
		return nil, notAuthorized(MsgIncorrectCredentials)
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	u, err := s.getUser(ctx, p, ch.Username)
	if err != nil {
		return nil, notAuthorized(MsgIncorrectCredentials)
	}
	if !srp.VerifySignature(st.Key, srp.PoolName(c.PoolID), ch.Username, block, r["TIMESTAMP"], r["PASSWORD_CLAIM_SIGNATURE"]) {
		s.recordFailure(u)
		return nil, notAuthorized(MsgIncorrectCredentials)
	}
	s.hosted.limiter.forget(throttleKey(u))
	return s.afterPassword(ctx, p, c, u)
}

// GetTokensFromRefreshToken refreshes tokens; with rotation it also returns a
// new refresh token.
func (s *Service) GetTokensFromRefreshToken(ctx context.Context, clientID, clientSecret, refreshToken string) (*AuthResult, error) {
	c, err := s.client(ctx, "", clientID)
	if err != nil {
		return nil, err
	}
	return s.refresh(ctx, c, refreshToken, func(*store.Session) error {
		if c.Secret != "" && subtle.ConstantTimeCompare([]byte(c.Secret), []byte(clientSecret)) != 1 {
			return notAuthorized("Client " + c.ID + " is configured with secret but secret was not received or is invalid")
		}
		return nil
	}, c.Config.RotationEnabled())
}

// refresh checks a refresh token against its family's live state and mints
// new tokens in the same family.
func (s *Service) refresh(ctx context.Context, c *Client, raw string, authClient func(*store.Session) error, rotate bool) (*AuthResult, error) {
	if raw == "" {
		return nil, invalidParam("Missing required parameter REFRESH_TOKEN")
	}
	if len(raw) > maxTokenLen {
		return nil, notAuthorized(MsgRefreshInvalid)
	}
	ks, err := s.keySet(ctx, c.PoolID)
	if err != nil {
		return nil, internal("refresh", err)
	}
	h, err := ks.OpenRefresh(raw)
	if err != nil || h.PoolID != c.PoolID {
		return nil, notAuthorized(MsgRefreshInvalid)
	}
	sess, err := s.st.GetSession(ctx, h.SessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notAuthorized(MsgRefreshInvalid)
	}
	if err != nil {
		return nil, internal("refresh", err)
	}
	if sess.ClientID != c.ID {
		return nil, notAuthorized(MsgRefreshInvalid)
	}
	if err := authClient(sess); err != nil {
		return nil, err
	}
	if !sess.RevokedAt.IsZero() {
		return nil, notAuthorized(MsgRefreshRevoked)
	}
	u, err := s.st.GetUserBySub(ctx, c.PoolID, sess.UserSub)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notAuthorized(MsgRefreshInvalid)
	}
	if err != nil {
		return nil, internal("refresh", err)
	}
	if u.SignOutGen != sess.UserGen {
		return nil, notAuthorized(MsgRefreshRevoked)
	}
	if !u.Enabled {
		return nil, notAuthorized(MsgUserDisabled)
	}
	now := s.now().UTC()
	if !now.Before(sess.ExpiresAt) {
		return nil, notAuthorized(MsgRefreshExpired)
	}
	withRefresh := false
	switch {
	case rotate:
		if err := s.rotate(ctx, c, sess, h, now); err != nil {
			return nil, err
		}
		withRefresh = true
	case h.Gen != sess.RefreshGen:
		// A token superseded while rotation was on, used after it was turned off.
		return nil, notAuthorized(MsgRefreshInvalid)
	default:
		// Record use at most once a minute: a write per refresh would
		// serialize every refresh on the database.
		if now.Sub(sess.LastUsed) > time.Minute {
			if err := s.st.TouchSession(ctx, sess.ID, now); err != nil {
				return nil, internal("refresh", err)
			}
		}
	}
	return s.mint(ctx, c, u, sess, now, withRefresh)
}

// rotate advances the family's refresh generation. The previous generation
// stays usable within the grace period (it gets the current token again);
// any other reuse revokes the whole family, and that revocation is kept.
func (s *Service) rotate(ctx context.Context, c *Client, sess *store.Session, h token.RefreshHandle, now time.Time) error {
	grace := c.Config.gracePeriod()
	for range 3 {
		switch {
		case h.Gen == sess.RefreshGen:
			err := s.st.RotateRefresh(ctx, sess.ID, h.Gen, now)
			if err == nil {
				sess.RefreshGen, sess.RotatedAt, sess.LastUsed = h.Gen+1, now, now
				return nil
			}
			if !errors.Is(err, store.ErrConflict) {
				return internal("rotate refresh token", err)
			}
			// Lost a race with a concurrent rotation: judge again on fresh state.
			fresh, gerr := s.st.GetSession(ctx, sess.ID)
			if gerr != nil {
				return internal("rotate refresh token", gerr)
			}
			*sess = *fresh
			if !sess.RevokedAt.IsZero() {
				return notAuthorized(MsgRefreshRevoked)
			}
		case h.Gen == sess.RefreshGen-1 && grace > 0 && now.Sub(sess.RotatedAt) <= grace:
			return nil // a retry within the grace period: re-issue the current token
		default:
			if err := s.st.RevokeSession(ctx, sess.ID, now, "reuse"); err != nil {
				return internal("revoke reused family", err)
			}
			s.log.Warn("refresh token reuse: family revoked", "pool", c.PoolID, "client", c.ID, "session", sess.ID)
			return newErr(CodeRefreshTokenReuse, "Refresh token has been reused; the session has been revoked")
		}
	}
	return newErr(CodeConcurrentModification, "Concurrent refresh of the same token; try again")
}

// PurgeExpiredChallenges deletes abandoned sign-in challenges. The server
// calls it periodically; a challenge is worthless once expired anyway.
func (s *Service) PurgeExpiredChallenges(ctx context.Context) (int64, error) {
	n, err := s.st.PurgeChallenges(ctx, s.now())
	if err != nil {
		return 0, fmt.Errorf("purge challenges: %w", err)
	}
	return n, nil
}
