package userpool

// Custom authentication: the CUSTOM_AUTH flow, driven by the pool's
// DefineAuthChallenge, CreateAuthChallenge and VerifyAuthChallengeResponse
// triggers.
//
// InitiateAuth CUSTOM_AUTH asks DefineAuthChallenge what comes first; a
// CUSTOM_CHALLENGE is made by CreateAuthChallenge and its public parameters
// sent to the client; the client's ANSWER is judged by
// VerifyAuthChallengeResponse, and DefineAuthChallenge, seeing every
// result so far (the session), decides: another challenge, tokens, or
// failure. With SRP_A in the AuthParameters the session starts with SRP_A,
// and DefineAuthChallenge may ask for the password first
// (PASSWORD_VERIFIER, answered as in USER_SRP_AUTH; srp.go hands the
// verified password back to customAuthPasswordVerified).
//
// The state between steps is a stored single-use challenge, like every
// other sign-in step (challenges.go): it expires with the client's
// AuthSessionValidity (3 minutes by default). A sign-in the functions
// complete skips MFA, as Cognito's custom flow does, and ends in
// signInDevice → completeSignIn like every other.

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/cognate-dev/cognate/store"
)

// The custom flow and its challenge.
const (
	FlowCustomAuth  = "CUSTOM_AUTH"
	ChallengeCustom = "CUSTOM_CHALLENGE"
	challengeSRPA   = "SRP_A"
)

// The custom challenge triggers' sources.
const (
	sourceDefineAuth = "DefineAuthChallenge_Authentication"
	sourceCreateAuth = "CreateAuthChallenge_Authentication"
	sourceVerifyAuth = "VerifyAuthChallengeResponse_Authentication"
)

// maxCustomRounds bounds the session a sign-in may build up: challenges
// answered (and the password steps) before it fails. Cognate's own bound;
// a define function that never decides cannot keep a sign-in alive.
const maxCustomRounds = 10

// challengeResult is one entry of the session DefineAuthChallenge and
// CreateAuthChallenge see.
type challengeResult struct {
	ChallengeName     string `json:"challengeName"`
	ChallengeResult   bool   `json:"challengeResult"`
	ChallengeMetadata string `json:"challengeMetadata,omitempty"`
}

// customAuthState is what a custom sign-in remembers between steps.
type customAuthState struct {
	Session      []challengeResult `json:"session"`
	Private      map[string]string `json:"private,omitempty"`  // the open challenge's privateChallengeParameters
	Metadata     string            `json:"metadata,omitempty"` // the open challenge's challengeMetadata
	UserNotFound bool              `json:"userNotFound,omitempty"`
	SRPA         string            `json:"srpA,omitempty"` // InitiateAuth's SRP_A, until the password is asked for
	DeviceKey    string            `json:"deviceKey,omitempty"`
}

type defineAuthRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	Session        []challengeResult `json:"session"`
	ClientMetadata map[string]string `json:"clientMetadata"`
	UserNotFound   bool              `json:"userNotFound"`
}

type defineAuthResponse struct {
	ChallengeName      string `json:"challengeName"`
	IssueTokens        bool   `json:"issueTokens"`
	FailAuthentication bool   `json:"failAuthentication"`
}

type createAuthRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	ChallengeName  string            `json:"challengeName"`
	Session        []challengeResult `json:"session"`
	ClientMetadata map[string]string `json:"clientMetadata"`
	UserNotFound   bool              `json:"userNotFound"`
}

type createAuthResponse struct {
	PublicChallengeParameters  map[string]string `json:"publicChallengeParameters"`
	PrivateChallengeParameters map[string]string `json:"privateChallengeParameters"`
	ChallengeMetadata          string            `json:"challengeMetadata"`
}

type verifyAuthRequest struct {
	UserAttributes             map[string]string `json:"userAttributes"`
	PrivateChallengeParameters map[string]string `json:"privateChallengeParameters"`
	ChallengeAnswer            string            `json:"challengeAnswer"`
	ClientMetadata             map[string]string `json:"clientMetadata"`
	UserNotFound               bool              `json:"userNotFound"`
}

type verifyAuthResponse struct {
	AnswerCorrect bool `json:"answerCorrect"`
}

// errNoCustomAuthTriggers is Cognito's answer to CUSTOM_AUTH in a pool
// without the challenge triggers.
func errNoCustomAuthTriggers() *Error {
	return invalidf("Custom auth lambda trigger is not configured for the user pool.")
}

// customAuthStart answers InitiateAuth CUSTOM_AUTH.
func (s *Service) customAuthStart(ctx context.Context, c *Client, params map[string]string) (*AuthResponse, error) {
	username := params["USERNAME"]
	if err := c.authenticate(hashProof(params["SECRET_HASH"], username)); err != nil {
		return nil, err
	}
	p, u, throttleKey, unknown, err := s.signInUser(ctx, c, username)
	if err != nil {
		return nil, err
	}
	if !p.HasTrigger(TriggerDefineAuthChallenge) {
		return nil, errNoCustomAuthTriggers()
	}
	if err := s.checkSignIn(ctx, p.ID, throttleKey); err != nil {
		return nil, err
	}
	st := &customAuthState{Session: []challengeResult{}, DeviceKey: deviceKeyFrom(ctx)}
	name := throttleKey
	if u == nil {
		if c.Config.PreventUserExistenceErrors != "ENABLED" {
			s.addressFailed(ctx)
			return nil, unknown
		}
		st.UserNotFound = true
	} else {
		if err := customAuthUserCheck(u); err != nil {
			return nil, err
		}
		name = u.Username
	}
	// PreAuthentication runs before the first challenge, as in every
	// sign-in flow (triggers_auth.go).
	if _, err := s.preAuthentication(ctx, p, c.ID, u, name); err != nil {
		return nil, err
	}
	if a := params["SRP_A"]; a != "" {
		st.SRPA = a
		st.Session = append(st.Session, challengeResult{ChallengeName: challengeSRPA, ChallengeResult: true})
	}
	return s.customAuthNext(ctx, p, c, name, u, st)
}

// customAuthUserCheck refuses a user who may not sign in at all.
func customAuthUserCheck(u *store.User) error {
	if !u.Enabled {
		return refused(CauseUserDisabled)
	}
	switch u.Status {
	case StatusUnconfirmed:
		return &Error{Kind: KindUserNotConfirmed, Cause: CauseUserNotConfirmed}
	case StatusResetRequired:
		return &Error{Kind: KindPasswordResetRequired, Cause: CausePasswordResetRequired}
	}
	return nil
}

// customAuthNext asks DefineAuthChallenge what follows st's session, and
// does it. name is the user's username (or the name given, for a hidden
// unknown user); u is nil for a hidden unknown user.
func (s *Service) customAuthNext(ctx context.Context, p *Pool, c *Client, name string, u *store.User, st *customAuthState) (*AuthResponse, error) {
	if len(st.Session) > maxCustomRounds {
		s.addressFailed(ctx)
		return nil, refused(CauseBadCredentials)
	}
	attrs := map[string]string{}
	if u != nil {
		attrs = userAttrsForEvent(u)
	}
	var def defineAuthResponse
	if _, err := s.runTrigger(ctx, p, triggerCall{Name: TriggerDefineAuthChallenge, Source: sourceDefineAuth,
		ClientID: c.ID, UserName: name, Response: defineAuthResponse{},
		Request: defineAuthRequest{UserAttributes: attrs, Session: st.Session,
			ClientMetadata: clientMetadataOf(ctx), UserNotFound: st.UserNotFound}}, &def); err != nil {
		return nil, err
	}
	switch {
	case def.FailAuthentication:
		s.addressFailed(ctx)
		return nil, refused(CauseBadCredentials)
	case def.IssueTokens:
		if u == nil {
			s.addressFailed(ctx) // nobody to issue tokens to
			return nil, refused(CauseBadCredentials)
		}
		// The user as of now: disabled or reset meanwhile gets no tokens.
		cur, err := s.findUser(ctx, p, u.Username)
		if err != nil {
			return nil, err
		}
		if err := customAuthUserCheck(cur); err != nil {
			return nil, err
		}
		ctx = withDeviceKey(ctx, map[string]string{"DEVICE_KEY": st.DeviceKey})
		// Custom authentication runs no MFA (the functions are the factors).
		return s.signInDevice(context.WithValue(ctx, passwordlessCtx{}, true), p, c, cur)
	case def.ChallengeName == ChallengePasswordVerifier && st.SRPA != "" && len(st.Session) > 0 &&
		st.Session[len(st.Session)-1].ChallengeName == challengeSRPA:
		srpA := st.SRPA
		st.SRPA = ""
		custom, err := json.Marshal(st)
		if err != nil {
			return nil, internal("custom auth state", err)
		}
		ru := u
		if ru == nil {
			if ru, err = s.decoyUser(ctx, p, name); err != nil {
				return nil, err
			}
		}
		return s.srpChallenge(ctx, c, ru, u == nil, srpA, custom)
	case def.ChallengeName == ChallengeCustom:
		return s.createCustomChallenge(ctx, p, c, name, attrs, st)
	}
	s.log.Warn("define auth challenge asked for nothing Cognate can do", "pool", p.ID, "challenge", def.ChallengeName)
	return nil, errorf(KindLambdaResponse, "Unrecognizable lambda output")
}

// createCustomChallenge has CreateAuthChallenge make a custom challenge and
// hands its public parameters to the client.
func (s *Service) createCustomChallenge(ctx context.Context, p *Pool, c *Client, name string, attrs map[string]string, st *customAuthState) (*AuthResponse, error) {
	if !p.HasTrigger(TriggerCreateAuthChallenge) {
		return nil, errNoCustomAuthTriggers()
	}
	var cr createAuthResponse
	if _, err := s.runTrigger(ctx, p, triggerCall{Name: TriggerCreateAuthChallenge, Source: sourceCreateAuth,
		ClientID: c.ID, UserName: name, Response: createAuthResponse{},
		Request: createAuthRequest{UserAttributes: attrs, ChallengeName: ChallengeCustom, Session: st.Session,
			ClientMetadata: clientMetadataOf(ctx), UserNotFound: st.UserNotFound}}, &cr); err != nil {
		return nil, err
	}
	st.Private, st.Metadata = cr.PrivateChallengeParameters, cr.ChallengeMetadata
	data, err := json.Marshal(st)
	if err != nil {
		return nil, internal("custom auth state", err)
	}
	id, err := s.putChallenge(ctx, c, name, ChallengeCustom, data, "")
	if err != nil {
		return nil, err
	}
	params := make(map[string]string, len(cr.PublicChallengeParameters)+1)
	for k, v := range cr.PublicChallengeParameters {
		params[k] = v
	}
	params["USERNAME"] = name
	return &AuthResponse{ChallengeName: ChallengeCustom, Session: id, ChallengeParameters: params}, nil
}

// respondCustomChallenge answers RespondToAuthChallenge CUSTOM_CHALLENGE:
// VerifyAuthChallengeResponse judges the ANSWER, then DefineAuthChallenge
// decides what follows.
func (s *Service) respondCustomChallenge(ctx context.Context, c *Client, session string, r map[string]string) (*AuthResponse, error) {
	if r["USERNAME"] == "" {
		return nil, invalidf("Missing required parameter USERNAME")
	}
	answer, given := r["ANSWER"]
	if !given {
		return nil, invalidf("Missing required parameter ANSWER")
	}
	var st customAuthState
	ch, err := s.takeChallenge(ctx, c, session, ChallengeCustom, &st)
	if err != nil {
		return nil, err
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	var u *store.User
	if !st.UserNotFound {
		if u, err = s.findUser(ctx, p, ch.Username); err != nil {
			return nil, err
		}
	}
	if name := r["USERNAME"]; name != ch.Username && !s.namesUser(ctx, p, name, u, ch.Username) {
		return nil, refused(CauseSignInSessionExpired)
	}
	if !p.HasTrigger(TriggerVerifyAuthChallenge) {
		return nil, errNoCustomAuthTriggers()
	}
	attrs := map[string]string{}
	if u != nil {
		attrs = userAttrsForEvent(u)
	}
	// The answer is a proof like a password: counted by the throttle.
	attempt, err := s.claimSignIn(ctx, p.ID, ch.Username)
	if err != nil {
		return nil, err
	}
	var vr verifyAuthResponse
	if _, err := s.runTrigger(ctx, p, triggerCall{Name: TriggerVerifyAuthChallenge, Source: sourceVerifyAuth,
		ClientID: c.ID, UserName: ch.Username, Response: verifyAuthResponse{},
		Request: verifyAuthRequest{UserAttributes: attrs, PrivateChallengeParameters: orEmptyMap(st.Private),
			ChallengeAnswer: answer, ClientMetadata: clientMetadataOf(ctx), UserNotFound: st.UserNotFound}}, &vr); err != nil {
		attempt.abandoned(ctx)
		return nil, err
	}
	if vr.AnswerCorrect {
		attempt.abandoned(ctx) // a right answer is no failure, and no sign-in yet either
	} else {
		attempt.failed(ctx)
	}
	st.Session = append(st.Session, challengeResult{ChallengeName: ChallengeCustom, ChallengeResult: vr.AnswerCorrect,
		ChallengeMetadata: st.Metadata})
	st.Private, st.Metadata = nil, ""
	if deviceKeyFrom(ctx) != "" {
		st.DeviceKey = deviceKeyFrom(ctx)
	}
	return s.customAuthNext(ctx, p, c, ch.Username, u, &st)
}

// customAuthPasswordVerified continues a custom sign-in whose
// PASSWORD_VERIFIER (asked for by DefineAuthChallenge) was answered
// rightly; custom is its state as srp.go kept it.
func (s *Service) customAuthPasswordVerified(ctx context.Context, p *Pool, c *Client, u *store.User, custom []byte) (*AuthResponse, error) {
	var st customAuthState
	if err := json.Unmarshal(custom, &st); err != nil {
		return nil, internal("custom auth state", err)
	}
	if err := customAuthUserCheck(u); err != nil {
		return nil, err
	}
	st.Session = append(st.Session, challengeResult{ChallengeName: ChallengePasswordVerifier, ChallengeResult: true})
	return s.customAuthNext(ctx, p, c, u.Username, u, &st)
}

// namesUser reports whether name (a username or an alias) names u, or,
// for a hidden unknown user (u nil), the name the sign-in started with
// (started, as the throttle knows it): the same leniency either way.
func (s *Service) namesUser(ctx context.Context, p *Pool, name string, u *store.User, started string) bool {
	if strings.TrimSpace(name) == "" {
		return false
	}
	if u == nil {
		return usernameKey(p, name) == started
	}
	other, err := s.findUser(ctx, p, name)
	return err == nil && other.Sub == u.Sub
}

func orEmptyMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
