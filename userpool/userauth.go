package userpool

// Choice-based and passwordless sign-in: the USER_AUTH flow.
//
// InitiateAuth USER_AUTH names the user and, optionally, a
// PREFERRED_CHALLENGE. A preferred first factor the user can use now is
// started at once: PASSWORD (with PASSWORD) goes the way of
// USER_PASSWORD_AUTH, PASSWORD_SRP (with SRP_A) answers PASSWORD_VERIFIER,
// EMAIL_OTP and SMS_OTP send a code and answer a challenge of that name.
// Otherwise the answer is SELECT_CHALLENGE with the AvailableChallenges,
// and RespondToAuthChallenge SELECT_CHALLENGE's ANSWER picks one.
//
// Which factors a user can use: those of the pool's
// Policies.SignInPolicy.AllowedFirstAuthFactors; EMAIL_OTP needs a verified
// e-mail address and SMS_OTP a verified phone number. Cognito's MFA is a
// second factor for users whose first factor is a password: a sign-in with
// a one-time code as first factor ends in tokens without an MFA step, and
// a pool whose MFA is required offers no one-time-code first factor.
// WEB_AUTHN (passkeys) is accepted in the policy but offered to no one:
// this server registers no passkeys.
//
// A first-factor code follows the rules of the MFA codes (mfasignin.go):
// single use, valid for the client's AuthSessionValidity, a wrong one puts
// the challenge back up to maxMFAChallengeAttempts times and counts as a
// failed sign-in on the throttle.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/store"
)

// FlowUserAuth is the choice-based sign-in flow.
const FlowUserAuth = "USER_AUTH"

// First factors and the challenges of the USER_AUTH flow.
const (
	FactorPassword    = "PASSWORD"
	FactorPasswordSRP = "PASSWORD_SRP"
	FactorEmailOTP    = "EMAIL_OTP"
	FactorSMSOTP      = "SMS_OTP"
	FactorWebAuthn    = "WEB_AUTHN"

	ChallengeSelectChallenge = "SELECT_CHALLENGE"
	ChallengeSMSOTP          = "SMS_OTP"
)

// SignInPolicy is the pool's choice of first factors (Cognito's
// SignInPolicyType).
type SignInPolicy struct {
	AllowedFirstAuthFactors []string `json:"AllowedFirstAuthFactors"`
}

// userAuthCodePurpose is the purpose of first-factor codes (codes.go).
const userAuthCodePurpose = "signin-otp"

// userAuthSessionPrefix marks the sessions of first-factor code challenges,
// whose names (EMAIL_OTP) they share with the MFA step's.
const userAuthSessionPrefix = "ua."

// normalizeSignInPolicy defaults the first factors to PASSWORD and checks
// them as Cognito does.
func (c *PoolConfig) normalizeSignInPolicy() error {
	if c.Policies.SignInPolicy == nil || c.Policies.SignInPolicy.AllowedFirstAuthFactors == nil {
		c.Policies.SignInPolicy = &SignInPolicy{AllowedFirstAuthFactors: []string{FactorPassword}}
		return nil
	}
	f := c.Policies.SignInPolicy.AllowedFirstAuthFactors
	if len(f) < 1 || len(f) > 5 {
		return invalidf("AllowedFirstAuthFactors must have 1 to 5 members")
	}
	for _, v := range f {
		if !slices.Contains([]string{FactorPassword, FactorEmailOTP, FactorSMSOTP, FactorWebAuthn}, v) {
			return violation(Violation{Member: "policies.signInPolicy.allowedFirstAuthFactors", Rule: RuleEnum, Value: "[" + v + "]", Shown: true,
				Values: []string{FactorPassword, FactorEmailOTP, FactorSMSOTP, FactorWebAuthn}})
		}
	}
	if !slices.Contains(f, FactorPassword) {
		return invalidf("AllowedFirstAuthFactors must include PASSWORD")
	}
	c.Policies.SignInPolicy.AllowedFirstAuthFactors = dedupe(f)
	return nil
}

// firstFactors are the pool's allowed first factors.
func (p *Pool) firstFactors() []string {
	if sp := p.Config.Policies; sp != nil && sp.SignInPolicy != nil && len(sp.SignInPolicy.AllowedFirstAuthFactors) > 0 {
		return sp.SignInPolicy.AllowedFirstAuthFactors
	}
	return []string{FactorPassword}
}

// availableChallenges are the first-factor challenges the user can answer
// now, in Cognito's order; u nil stands for a hidden unknown user, offered
// what the pool allows.
func availableChallenges(p *Pool, u *store.User) []string {
	allowed := p.firstFactors()
	var out []string
	if slices.Contains(allowed, FactorPassword) {
		out = append(out, FactorPassword, FactorPasswordSRP)
	}
	otpOK := p.Config.MfaConfiguration != MFAOn
	if u != nil && u.Status != StatusConfirmed {
		otpOK = false
	}
	if otpOK && slices.Contains(allowed, FactorEmailOTP) && (u == nil || u.Attributes[attrEmail+"_verified"] == "true" && u.Attributes[attrEmail] != "") {
		out = append(out, FactorEmailOTP)
	}
	if otpOK && slices.Contains(allowed, FactorSMSOTP) && (u == nil || u.Attributes[attrPhone+"_verified"] == "true" && u.Attributes[attrPhone] != "") {
		out = append(out, FactorSMSOTP)
	}
	return out
}

// userAuthState is what a SELECT_CHALLENGE or first-factor code challenge
// remembers.
type userAuthState struct {
	Choices  []string `json:"choices,omitempty"`
	Fake     bool     `json:"fake,omitempty"` // unknown user hidden by PreventUserExistenceErrors
	Attempts int      `json:"attempts,omitempty"`
}

type passwordlessCtx struct{}

// passwordlessSignIn reports whether the sign-in under way proved a
// one-time code as its first factor (then completeSignIn skips MFA).
func passwordlessSignIn(ctx context.Context) bool {
	v, _ := ctx.Value(passwordlessCtx{}).(bool)
	return v
}

// userAuthStart answers InitiateAuth USER_AUTH.
func (s *Service) userAuthStart(ctx context.Context, c *Client, params map[string]string, session string) (*AuthResponse, error) {
	username := params["USERNAME"]
	if err := c.authenticate(hashProof(params["SECRET_HASH"], username)); err != nil {
		return nil, err
	}
	if session != "" {
		return s.signUpSessionSignIn(ctx, c, username, session)
	}
	p, u, key, unknown, err := s.signInUser(ctx, c, username)
	if err != nil {
		return nil, err
	}
	if err := s.checkSignIn(ctx, p.ID, key); err != nil {
		return nil, err
	}
	if u == nil && c.Config.PreventUserExistenceErrors != "ENABLED" {
		s.addressFailed(ctx)
		return nil, unknown
	}
	if u != nil {
		if !u.Enabled {
			return nil, refused(CauseUserDisabled)
		}
		if u.Status == StatusUnconfirmed {
			return nil, &Error{Kind: KindUserNotConfirmed, Cause: CauseUserNotConfirmed}
		}
	}
	if ctx, err = s.preAuthentication(ctx, p, c.ID, u, username); err != nil { // triggers_auth.go
		return nil, err
	}
	choices := availableChallenges(p, u)
	switch pref := params["PREFERRED_CHALLENGE"]; {
	case pref == "":
	case !slices.Contains([]string{FactorPassword, FactorPasswordSRP, FactorEmailOTP, FactorSMSOTP, FactorWebAuthn}, pref):
		return nil, invalidf("Invalid PREFERRED_CHALLENGE: %s", clip(pref, 32))
	case !slices.Contains(choices, pref):
	case pref == FactorPassword && params["PASSWORD"] != "":
		return s.passwordAuth(ctx, c, params)
	case pref == FactorPasswordSRP && params["SRP_A"] != "":
		return s.srpStart(ctx, c, params)
	case pref == FactorEmailOTP || pref == FactorSMSOTP:
		return s.startOTP(ctx, p, c, u, username, pref)
	}
	name := username
	if u != nil {
		name = u.Username
	}
	data, err := json.Marshal(userAuthState{Choices: choices, Fake: u == nil})
	if err != nil {
		return nil, internal("user auth state", err)
	}
	id, err := s.putChallenge(ctx, c, name, ChallengeSelectChallenge, data, "")
	if err != nil {
		return nil, err
	}
	return &AuthResponse{ChallengeName: ChallengeSelectChallenge, Session: id, AvailableChallenges: choices,
		ChallengeParameters: map[string]string{"USERNAME": name, "USER_ID_FOR_SRP": name}}, nil
}

// startOTP sends a first-factor code to the user's verified e-mail address
// or phone number and answers its challenge. A hidden unknown user (u nil)
// gets a challenge that no code answers, and nothing is sent (the "send"
// counts against the name's sending limit all the same).
func (s *Service) startOTP(ctx context.Context, p *Pool, c *Client, u *store.User, username, factor string) (*AuthResponse, error) {
	params := map[string]string{}
	st := userAuthState{Fake: u == nil}
	if u != nil {
		username = u.Username
		attr := attrEmail
		if factor == FactorSMSOTP {
			attr = attrPhone
		}
		if err := s.sendSignInCode(ctx, p, c, u, attr, userAuthCodePurpose, params); err != nil {
			return nil, err
		}
	} else {
		dest, err := s.decoyDestination(ctx, p.ID, username, factor)
		if err != nil {
			return nil, err
		}
		// A real user's codes are limited per hour; so are a decoy's.
		if err := s.countMFASendTo(ctx, "mfasend\x00"+p.ID+"\x00\x00"+usernameKey(p, username)); err != nil {
			return nil, err
		}
		params["CODE_DELIVERY_DELIVERY_MEDIUM"] = map[string]string{FactorEmailOTP: "EMAIL", FactorSMSOTP: "SMS"}[factor]
		params["CODE_DELIVERY_DESTINATION"] = dest
	}
	data, err := json.Marshal(st)
	if err != nil {
		return nil, internal("user auth state", err)
	}
	b := make([]byte, 48)
	if _, err := rand.Read(b); err != nil {
		return nil, internal("challenge id", err)
	}
	id, err := s.putChallenge(ctx, c, username, factor, data, userAuthSessionPrefix+base64.RawURLEncoding.EncodeToString(b))
	if err != nil {
		return nil, err
	}
	params["USERNAME"], params["USER_ID_FOR_SRP"] = username, username
	return &AuthResponse{ChallengeName: factor, Session: id, ChallengeParameters: params}, nil
}

// respondUserAuth answers the challenges of USER_AUTH; ok is false for the
// challenges of other flows.
func (s *Service) respondUserAuth(ctx context.Context, c *Client, name, session string, r map[string]string) (res *AuthResponse, ok bool, err error) {
	switch {
	case name == ChallengeSelectChallenge:
		res, err = s.respondSelectChallenge(ctx, c, session, r)
	case (name == ChallengeEmailOTP || name == ChallengeSMSOTP) && strings.HasPrefix(session, userAuthSessionPrefix):
		res, err = s.respondOTP(ctx, c, name, session, r)
	default:
		return nil, false, nil
	}
	return res, true, err
}

// respondSelectChallenge starts the first factor the user picked (ANSWER).
func (s *Service) respondSelectChallenge(ctx context.Context, c *Client, session string, r map[string]string) (*AuthResponse, error) {
	var st userAuthState
	ch, err := s.takeChallenge(ctx, c, session, ChallengeSelectChallenge, &st)
	if err != nil {
		return nil, err
	}
	answer := r["ANSWER"]
	if answer == "" {
		return nil, invalidf("Missing required parameter ANSWER")
	}
	if !slices.Contains(st.Choices, answer) {
		return nil, invalidf("Invalid ANSWER: %s is not one of the available challenges", clip(answer, 32))
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	params := map[string]string{"USERNAME": ch.Username, "SECRET_HASH": r["SECRET_HASH"]}
	if given := r["USERNAME"]; given != "" && given != ch.Username {
		// The selection is bound to its user: another name must be an
		// alias of the same one.
		if st.Fake {
			return nil, refused(CauseSignInSessionExpired)
		}
		a, aerr := s.findUser(ctx, p, ch.Username)
		b, berr := s.findUser(ctx, p, given)
		if aerr != nil || berr != nil || a.Sub != b.Sub {
			return nil, refused(CauseSignInSessionExpired)
		}
		params["USERNAME"] = given // the name the SECRET_HASH was computed with
	}
	ctx = preAuthRan(ctx) // at InitiateAuth (triggers_auth.go)
	switch answer {
	case FactorPassword:
		params["PASSWORD"] = r["PASSWORD"]
		return s.passwordAuth(ctx, c, params)
	case FactorPasswordSRP:
		params["SRP_A"] = r["SRP_A"]
		return s.srpStart(ctx, c, params)
	}
	var u *store.User
	if !st.Fake {
		if u, err = s.findUser(ctx, p, ch.Username); err != nil {
			return nil, err
		}
		if !slices.Contains(availableChallenges(p, u), answer) {
			return nil, invalidf("Invalid ANSWER: %s is not one of the available challenges", clip(answer, 32))
		}
	}
	return s.startOTP(ctx, p, c, u, ch.Username, answer)
}

// respondOTP checks a first-factor code; a right one ends in tokens.
func (s *Service) respondOTP(ctx context.Context, c *Client, name, session string, r map[string]string) (*AuthResponse, error) {
	var st userAuthState
	ch, err := s.takeChallenge(ctx, c, session, name, &st)
	if err != nil {
		return nil, err
	}
	keep := func(err error) error {
		st.Attempts++
		if st.Attempts >= maxMFAChallengeAttempts {
			return err
		}
		data, merr := json.Marshal(st)
		if merr != nil {
			return internal("user auth state", merr)
		}
		ch.ID, ch.Data = session, data
		if perr := s.challenges.PutChallenge(ctx, ch); perr != nil {
			return internal("restore challenge", perr)
		}
		return err
	}
	key := map[string]string{ChallengeEmailOTP: "EMAIL_OTP_CODE", ChallengeSMSOTP: "SMS_OTP_CODE"}[name]
	code := r[key]
	if code == "" {
		return nil, keep(invalidf("Missing required parameter %s", key))
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	attempt, err := s.claimMFA(ctx, p.ID, ch.Username)
	if err != nil {
		return nil, keep(err)
	}
	mismatch := &Error{Kind: KindCodeMismatch, Cause: CauseMFAOTPMismatch}
	if st.Fake {
		attempt.failed(ctx)
		return nil, keep(mismatch)
	}
	u, err := s.findUser(ctx, p, ch.Username)
	if err != nil {
		attempt.abandoned(ctx)
		return nil, err
	}
	if given := r["USERNAME"]; given != "" && given != u.Username {
		if other, err := s.findUser(ctx, p, given); err != nil || other.Sub != u.Sub {
			attempt.abandoned(ctx)
			return nil, refused(CauseSignInSessionExpired)
		}
	}
	if !u.Enabled {
		attempt.abandoned(ctx)
		return nil, refused(CauseUserDisabled)
	}
	_, err = s.redeemCode(ctx, u, userAuthCodePurpose, code) // constant-time comparison in codes.go
	switch {
	case err == nil:
		attempt.succeeded(ctx)
	case IsKind(err, KindCodeMismatch):
		attempt.failed(ctx)
		return nil, keep(mismatch)
	case IsKind(err, KindCodeExpired), IsKind(err, KindLimitExceeded):
		attempt.failed(ctx)
		return nil, err
	default:
		attempt.abandoned(ctx)
		return nil, err
	}
	return s.signInDevice(context.WithValue(ctx, passwordlessCtx{}, true), p, c, u)
}

// challengeSignUpSession names the stored session ConfirmSignUp hands out.
const challengeSignUpSession = "CONFIRM_SIGN_UP"

// signUpSession stores the single-use session with which a user just
// confirmed by ConfirmSignUp signs in (InitiateAuth USER_AUTH with
// Session); "" when the client does not allow USER_AUTH.
func (s *Service) signUpSession(ctx context.Context, c *Client, username string) (string, error) {
	if !c.Config.allowsFlow("ALLOW_USER_AUTH", "") {
		return "", nil
	}
	return s.putChallenge(ctx, c, username, challengeSignUpSession, nil, "")
}

// signUpSessionSignIn signs in the user ConfirmSignUp just confirmed. The
// confirmation code proved the user's e-mail or phone, which stands for
// the first sign-in's factors (no MFA step, as in Cognito's first sign-in).
func (s *Service) signUpSessionSignIn(ctx context.Context, c *Client, username, session string) (*AuthResponse, error) {
	ch, err := s.takeChallenge(ctx, c, session, challengeSignUpSession, nil)
	if err != nil {
		return nil, err
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	u, err := s.findUser(ctx, p, ch.Username)
	if err != nil {
		return nil, refused(CauseSignInSessionExpired)
	}
	if username != u.Username {
		if other, err := s.findUser(ctx, p, username); err != nil || other.Sub != u.Sub {
			return nil, refused(CauseSignInSessionExpired)
		}
	}
	if !u.Enabled {
		return nil, refused(CauseUserDisabled)
	}
	if u.Status != StatusConfirmed {
		return nil, refused(CauseSignInSessionExpired)
	}
	return s.signInDevice(context.WithValue(ctx, passwordlessCtx{}, true), p, c, u)
}

// ConfirmSignUpWithSession is ConfirmSignUp that also returns the session
// with which the user signs in once, without a password (InitiateAuth
// USER_AUTH with Session), while it is valid (the client's
// AuthSessionValidity); "" when the client does not allow USER_AUTH.
func (s *Service) ConfirmSignUpWithSession(ctx context.Context, in ConfirmSignUpInput) (string, error) {
	return audited(ctx, s, EventConfirmSignUp, in.Username, func(ctx context.Context) (string, error) {
		if err := s.confirmSignUp(ctx, in); err != nil {
			return "", err
		}
		c, err := s.client(ctx, "", in.ClientID)
		if err != nil {
			return "", err
		}
		p, err := s.pool(ctx, c.PoolID)
		if err != nil {
			return "", err
		}
		u, err := s.findUser(ctx, p, in.Username)
		if err != nil {
			return "", err
		}
		return s.signUpSession(ctx, c, u.Username)
	})
}

// UserAuthFactors is the answer of GetUserAuthFactors.
type UserAuthFactors struct {
	Username string
	// MFASettings and PreferredMFA are as in GetUser.
	MFASettings  []string
	PreferredMFA string
	// Configured are the first factors the user can sign in with by
	// USER_AUTH (PASSWORD, EMAIL_OTP, SMS_OTP).
	Configured []string
}

// GetUserAuthFactors lists the access token's user's sign-in factors.
func (s *Service) GetUserAuthFactors(ctx context.Context, accessToken string) (*UserAuthFactors, error) {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	p, err := s.pool(ctx, pr.user.PoolID)
	if err != nil {
		return nil, err
	}
	out := &UserAuthFactors{Username: pr.user.Username, Configured: []string{}}
	out.MFASettings, out.PreferredMFA = userMFASettings(pr.user)
	for _, f := range availableChallenges(p, pr.user) {
		if f != FactorPasswordSRP {
			out.Configured = append(out.Configured, f)
		}
	}
	return out, nil
}

// decoyDestination is the masked destination shown for a hidden unknown
// user, so that the answer has the shape of a real one: the login id
// itself, masked, when it is an address of the factor's kind (as a real
// user's would be), else one derived with a key of the pool from the login
// id — the same on every attempt, and not computable from outside.
func (s *Service) decoyDestination(ctx context.Context, poolID, loginID, factor string) (string, error) {
	if factor == FactorEmailOTP && strings.Contains(loginID, "@") || factor == FactorSMSOTP && strings.HasPrefix(loginID, "+") {
		return mask(loginID), nil
	}
	ks, err := s.keySet(ctx, poolID)
	if err != nil {
		return "", internal("decoy destination", err)
	}
	h := ks.MAC("decoy-code-destination", []byte(strings.ToLower(loginID)))
	if factor == FactorSMSOTP {
		return fmt.Sprintf("+*******%04d", binary.BigEndian.Uint16(h)%10000), nil
	}
	return string(rune('a'+h[0]%26)) + "***@" + string(rune('a'+h[1]%26)) + "***", nil
}
