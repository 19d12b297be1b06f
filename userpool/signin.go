package userpool

import (
	"context"
	"encoding/json"

	"github.com/cognate-dev/cognate/store"
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
	AvailableChallenges []string // SELECT_CHALLENGE (userauth.go)
	Result              *AuthResult
}

// InitiateAuthInput is what InitiateAuth and AdminInitiateAuth take.
type InitiateAuthInput struct {
	PoolID         string // AdminInitiateAuth only
	ClientID       string
	AuthFlow       string
	AuthParameters map[string]string
	Session        string // USER_AUTH: the Session of ConfirmSignUp (userauth.go)
	Admin          bool
}

// initiateAuth starts a sign-in or refreshes tokens.
func (s *Service) initiateAuth(ctx context.Context, in InitiateAuthInput) (*AuthResponse, error) {
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
	ctx = withDeviceKey(ctx, params) // devicesignin.go
	switch in.AuthFlow {
	case "":
		return nil, required("authFlow")
	case FlowRefreshToken, FlowRefreshTokenAlias:
		if c.Config.RotationEnabled() {
			return nil, invalidf("Refresh token rotation is enabled for this client: use GetTokensFromRefreshToken to refresh tokens")
		}
		proof := hashProof(params["SECRET_HASH"])
		res, _, err := s.refresh(ctx, c, params["REFRESH_TOKEN"], &proof, false)
		if err != nil {
			return nil, err
		}
		return &AuthResponse{Result: res}, nil
	case FlowUserPassword:
		if in.Admin {
			break
		}
		if !c.Config.allowsFlow("ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH") {
			return nil, errorf(KindNotAllowed, "USER_PASSWORD_AUTH flow not enabled for this client")
		}
		return s.passwordAuth(ctx, c, params)
	case FlowAdminUserPassword, FlowAdminNoSRP:
		if !in.Admin {
			break
		}
		if !c.Config.allowsFlow("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH") {
			return nil, errorf(KindNotAllowed, "Auth flow not enabled for this client")
		}
		return s.passwordAuth(ctx, c, params)
	case FlowUserAuth: // userauth.go
		if !c.Config.allowsFlow("ALLOW_USER_AUTH", "") {
			return nil, errorf(KindNotAllowed, "USER_AUTH flow not enabled for this client")
		}
		return s.userAuthStart(ctx, c, params, in.Session)
	case FlowCustomAuth: // customauth.go
		if !c.Config.allowsFlow("ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY") {
			return nil, errorf(KindNotAllowed, "CUSTOM_AUTH flow not enabled for this client")
		}
		return s.customAuthStart(ctx, c, params)
	case FlowUserSRP:
		if !c.Config.allowsFlow("ALLOW_USER_SRP_AUTH", "") {
			return nil, errorf(KindNotAllowed, "USER_SRP_AUTH is not enabled for the client.")
		}
		return s.srpStart(ctx, c, params)
	}
	return nil, violation(Violation{Member: "authFlow", Rule: RuleEnum, Value: in.AuthFlow, Shown: true})
}

// beginSignIn starts checking a password proof for username: it claims a
// slot in the throttle — whether or not the user exists, so that a lockout
// says nothing about existence — and loads the user. An unknown user is
// hidden when the client asks for it (PreventUserExistenceErrors): then the
// user is nil and there is no error, and the caller must refuse the proof
// as it refuses a wrong one, at the same cost; the unknown name's failure
// is counted already.
func (s *Service) beginSignIn(ctx context.Context, c *Client, username string) (*Pool, *store.User, *signInAttempt, error) {
	p, u, key, unknown, err := s.signInUser(ctx, c, username)
	if err != nil {
		return nil, nil, nil, err
	}
	attempt, err := s.claimSignIn(ctx, p.ID, key)
	if err != nil {
		return nil, nil, nil, err
	}
	if u == nil {
		attempt.failed(ctx)
		if c.Config.PreventUserExistenceErrors != "ENABLED" {
			return nil, nil, nil, unknown
		}
	}
	return p, u, attempt, nil
}

// signInUser loads the pool and the user a sign-in names, and the name the
// throttle counts the user under: a user under the username (whichever
// alias names them), an unknown name under itself, the same way. An
// unknown user is nil, with the lookup's error in unknown (no user, or a
// name no user can have) and a nil err.
func (s *Service) signInUser(ctx context.Context, c *Client, username string) (p *Pool, u *store.User, key string, unknown, err error) {
	p, err = s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, nil, "", nil, err
	}
	if username == "" {
		return nil, nil, "", nil, invalidf("Missing required parameter USERNAME")
	}
	u, err = s.findUser(ctx, p, username)
	if IsKind(err, KindUserNotFound) || IsKind(err, KindInvalid) {
		return p, nil, usernameKey(p, username), err, nil
	}
	if err != nil {
		return nil, nil, "", nil, err
	}
	return p, u, u.Username, nil, nil
}

func (s *Service) passwordAuth(ctx context.Context, c *Client, params map[string]string) (*AuthResponse, error) {
	username, password := params["USERNAME"], params["PASSWORD"]
	if err := c.authenticate(hashProof(params["SECRET_HASH"], username)); err != nil {
		return nil, err
	}
	if password == "" {
		return nil, invalidf("Missing required parameter PASSWORD")
	}
	if err := s.migrateUser(ctx, c.PoolID, c.ID, sourceMigrationAuthentication, username, password); err != nil { // migration.go
		return nil, err
	}
	p, u, attempt, err := s.beginSignIn(ctx, c, username)
	if err != nil {
		return nil, err
	}
	if ctx, err = s.preAuthentication(ctx, p, c.ID, u, username); err != nil { // triggers_auth.go
		attempt.abandoned(ctx)
		return nil, err
	}
	hash := s.dummyPasswordHash() // a hidden unknown user costs a password check too
	if u != nil {
		hash = u.PasswordHash
	}
	ok, err := s.verify(ctx, password, hash)
	if err != nil {
		attempt.abandoned(ctx)
		return nil, err
	}
	if u == nil || !ok {
		if u != nil {
			attempt.failed(ctx) // an unknown user's failure is counted already
		}
		return nil, refused(CauseBadCredentials)
	}
	attempt.succeeded(ctx)
	return s.afterPassword(ctx, p, c, u)
}

// afterPassword decides what a correct password leads to: a challenge or tokens.
func (s *Service) afterPassword(ctx context.Context, p *Pool, c *Client, u *store.User) (*AuthResponse, error) {
	if !u.Enabled {
		return nil, refused(CauseUserDisabled)
	}
	switch u.Status {
	case StatusUnconfirmed:
		return nil, &Error{Kind: KindUserNotConfirmed, Cause: CauseUserNotConfirmed}
	case StatusResetRequired:
		return nil, &Error{Kind: KindPasswordResetRequired, Cause: CausePasswordResetRequired}
	case StatusForceChangePassword:
		if !u.TempPasswordExpiresAt.IsZero() && !s.now().Before(u.TempPasswordExpiresAt) {
			return nil, refused(CauseTemporaryPasswordOld)
		}
		sessionID, err := s.putChallenge(ctx, c, u.Username, ChallengeNewPassword, nil, "")
		if err != nil {
			return nil, err
		}
		attrs, _ := json.Marshal(u.Attributes)
		return &AuthResponse{ChallengeName: ChallengeNewPassword, Session: sessionID, ChallengeParameters: map[string]string{
			"USER_ID_FOR_SRP": u.Username, "requiredAttributes": "[]", "userAttributes": string(attrs)}}, nil
	}
	return s.signInDevice(ctx, p, c, u) // devicesignin.go: the device step, then completeSignIn (the MFA hook)
}
