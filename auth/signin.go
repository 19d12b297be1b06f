package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/auth/credstore"
	"github.com/cognate-dev/cognate/srp"
)

// AuthFlow selects how SignIn proves the password.
type AuthFlow string

const (
	// AuthFlowDefault is the SDK's default flow: AuthFlowSRP, as in Amplify.
	AuthFlowDefault AuthFlow = ""
	// AuthFlowUserPassword sends the password to the service (USER_PASSWORD_AUTH);
	// the app client must allow ALLOW_USER_PASSWORD_AUTH.
	AuthFlowUserPassword AuthFlow = "USER_PASSWORD_AUTH"
	// AuthFlowSRP proves the password without sending it (USER_SRP_AUTH, then
	// the PASSWORD_VERIFIER challenge); the app client must allow
	// ALLOW_USER_SRP_AUTH.
	AuthFlowSRP AuthFlow = "USER_SRP_AUTH"
)

// SignInOptions configures SignIn.
type SignInOptions struct {
	// AuthFlow selects the flow (AuthFlowDefault when zero).
	AuthFlow AuthFlow
	// ClientMetadata is passed to the pool's Lambda triggers.
	ClientMetadata map[string]string
	// PreferredChallenge is the first factor AuthFlowUserAuth asks for
	// (userauth.go); empty lets the user choose.
	PreferredChallenge AuthFactor
}

// SignInStep tells what SignIn or ConfirmSignIn needs next.
type SignInStep string

const (
	// SignInStepDone: the user is signed in.
	SignInStepDone SignInStep = "DONE"
	// SignInStepConfirmWithNewPassword: the user must choose a new password (the
	// NEW_PASSWORD_REQUIRED challenge); call ConfirmSignIn with it.
	SignInStepConfirmWithNewPassword SignInStep = "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED"
)

// SignInResult is the outcome of SignIn and ConfirmSignIn.
type SignInResult struct {
	// SignedIn is true when NextStep is SignInStepDone.
	SignedIn bool
	// NextStep tells what to do next.
	NextStep SignInStep
	// MissingAttributes lists the attributes the pool requires that the user
	// lacks (NEW_PASSWORD_REQUIRED's requiredAttributes, without "userAttributes."
	// prefix); supply them in ConfirmSignInOptions.UserAttributes.
	MissingAttributes []string
	// UserAttributes are the user's current attributes as the challenge reports
	// them (NEW_PASSWORD_REQUIRED only).
	UserAttributes map[string]string
	// MFA: the factors the user may choose from
	// (SignInStepContinueWithMFASelection), where the code was sent
	// (SignInStepConfirmWithSMSCode, SignInStepConfirmWithEmailCode), and the
	// new software token to add to an authenticator app
	// (SignInStepContinueWithTOTPSetup). See mfa.go.
	AllowedMFATypes     []MFAType
	CodeDeliveryDetails *CodeDelivery
	TOTPSetupDetails    *TOTPSetupDetails
	// AvailableChallenges are the first factors the user may choose from
	// (SignInStepContinueWithFirstFactorSelection, userauth.go).
	AvailableChallenges []AuthFactor
	// AdditionalInfo holds a custom challenge's public parameters, as the
	// pool's create function made them (with USERNAME, as Cognito adds it)
	// (SignInStepConfirmWithCustomChallenge, customauth.go).
	AdditionalInfo map[string]string
}

// ConfirmSignInOptions configures ConfirmSignIn.
type ConfirmSignInOptions struct {
	// UserAttributes are attributes to set with the new password (the missing
	// required ones, for instance).
	UserAttributes map[string]string
	// ClientMetadata is passed to the pool's Lambda triggers.
	ClientMetadata map[string]string
}

// pendingSignIn is a sign-in waiting for a challenge answer.
type pendingSignIn struct {
	loginID   string
	username  string // USER_ID_FOR_SRP / USERNAME from the challenge
	flow      AuthFlow
	challenge types.ChallengeNameType
	session   string
	chosen    AuthFactor // SELECT_CHALLENGE: the password factor chosen (userauth.go)
}

// SignIn signs username in with password. It fails with ErrInvalidState when a
// user is already signed in ("sign out first"). A sign-in waiting for a
// challenge answer is replaced by this one, and so is an auto sign-in that
// SignUp armed (as in Amplify, AutoSignIn then fails with ErrNoAutoSignIn).
//
// username is what the user signs in with: the user name, or, in a pool with
// UsernameAttributes or AliasAttributes, an e-mail address or phone number
// (in a pool whose user names are case-insensitive, in any letter case). The
// stored session (AuthSession.Username, CurrentUser) carries the user's real
// user name, which in a pool with UsernameAttributes is a generated id;
// User.LoginID keeps what was typed. With SRP the proof is computed for the
// real user name the service names in USER_ID_FOR_SRP.
//
// On success the session is saved to the credential store and EventSignedIn is
// emitted. When the service asks for a new password the result's NextStep is
// SignInStepConfirmWithNewPassword: call ConfirmSignIn.
func (c *Client) SignIn(ctx context.Context, username, password string, opts SignInOptions) (SignInResult, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return SignInResult{}, err
	}
	defer end()
	c.dropAutoSignIn() // as in Amplify: a sign-in of one's own ends the auto sign-in
	return c.signIn(ctx, username, password, opts)
}

// signIn is SignIn with the operation lock held.
func (c *Client) signIn(ctx context.Context, username, password string, opts SignInOptions) (SignInResult, error) {
	if opts.AuthFlow == AuthFlowUserAuth {
		return c.signInUserAuth(ctx, username, password, opts) // userauth.go
	}
	if opts.AuthFlow == AuthFlowCustomWithoutSRP || opts.AuthFlow == AuthFlowCustomWithSRP {
		return c.signInCustom(ctx, username, password, opts) // customauth.go
	}
	if username == "" || password == "" {
		return SignInResult{}, invalidParam("SignIn needs a username and a password")
	}
	flow := opts.AuthFlow
	if flow == AuthFlowDefault {
		flow = AuthFlowSRP
	}
	switch flow {
	case AuthFlowUserPassword, AuthFlowSRP:
	default:
		return SignInResult{}, invalidParam(fmt.Sprintf("unknown auth flow %q", flow))
	}
	rec, err := c.loadRecord()
	if err != nil {
		return SignInResult{}, err
	}
	if rec.Session != nil {
		return SignInResult{}, invalidState("a user is already signed in; sign out first")
	}
	c.pending = nil

	params := map[string]string{"USERNAME": username}
	var srpClient *srp.Client
	if flow == AuthFlowSRP {
		if srpClient, err = srp.NewClient(); err != nil {
			return SignInResult{}, fmt.Errorf("auth: SRP: %w", err)
		}
		params["SRP_A"] = srpClient.A()
	} else {
		params["PASSWORD"] = password
	}
	if h := c.secretHash(username); h != "" {
		params["SECRET_HASH"] = h
	}
	addDeviceKey(rec, username, params) // devices.go
	out, err := callOp(ctx, c, "InitiateAuth", c.cip.InitiateAuth, &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowType(flow),
		ClientId:       aws.String(c.cfg.ClientID),
		AuthParameters: params,
		ClientMetadata: opts.ClientMetadata,
	})
	if err != nil {
		return SignInResult{}, err
	}
	if flow == AuthFlowSRP && out.ChallengeName == types.ChallengeNameTypePasswordVerifier {
		return c.answerPasswordVerifier(ctx, rec, username, password, srpClient, out, opts.ClientMetadata, AuthFlowSRP)
	}
	return c.afterAuth(ctx, rec, username, flow, out.AuthenticationResult, out.ChallengeName, out.ChallengeParameters, out.Session)
}

// answerPasswordVerifier proves the password for USER_SRP_AUTH (lock held):
// the session key from SRP signs the challenge's secret block and a timestamp.
func (c *Client) answerPasswordVerifier(ctx context.Context, rec credstore.Record, loginID, password string, cl *srp.Client,
	ch *cip.InitiateAuthOutput, metadata map[string]string, flow AuthFlow,
) (SignInResult, error) {
	p := ch.ChallengeParameters
	userID := p["USER_ID_FOR_SRP"]
	poolName := srp.PoolName(c.cfg.UserPoolID)
	key, err := cl.Key(poolName, userID, password, p["SRP_B"], p["SALT"])
	if err != nil {
		return SignInResult{}, fmt.Errorf("auth: SRP: the service sent an invalid challenge: %w", err)
	}
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	if err != nil || userID == "" {
		return SignInResult{}, errors.New("auth: SRP: the service sent a malformed PASSWORD_VERIFIER challenge")
	}
	ts := srp.FormatTimestamp(c.cfg.Now())
	resp := map[string]string{"USERNAME": userID, "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"], "TIMESTAMP": ts,
		"PASSWORD_CLAIM_SIGNATURE": srp.Signature(key, poolName, userID, block, ts)}
	if h := c.secretHash(userID); h != "" {
		resp["SECRET_HASH"] = h
	}
	addDeviceKey(rec, loginID, resp) // devices.go
	out, err := callOp(ctx, c, "RespondToAuthChallenge", c.cip.RespondToAuthChallenge, &cip.RespondToAuthChallengeInput{
		ChallengeName:      types.ChallengeNameTypePasswordVerifier,
		ClientId:           aws.String(c.cfg.ClientID),
		ChallengeResponses: resp,
		Session:            ch.Session,
		ClientMetadata:     metadata,
	})
	if err != nil {
		return SignInResult{}, err
	}
	return c.afterAuth(ctx, rec, loginID, flow, out.AuthenticationResult, out.ChallengeName, out.ChallengeParameters, out.Session)
}

// afterAuth handles an InitiateAuth / RespondToAuthChallenge answer (lock held).
func (c *Client) afterAuth(ctx context.Context, rec credstore.Record, loginID string, flow AuthFlow,
	res *types.AuthenticationResultType, challenge types.ChallengeNameType, cparams map[string]string, session *string,
) (SignInResult, error) {
	if res != nil {
		s, err := c.newSession(res, loginID, flow, nil)
		if err != nil {
			return SignInResult{}, err
		}
		rec.Session = s
		c.confirmNewDevice(ctx, &rec, s, res.NewDeviceMetadata) // devices.go
		if err := safeSave(c.store, c.key, rec); err != nil {
			return SignInResult{}, fmt.Errorf("auth: signed in, but the session could not be saved: %w", err)
		}
		c.pending = nil
		c.log.Info("auth: signed in", "username", s.Username)
		c.emit(EventSignedIn, s.Username)
		return SignInResult{SignedIn: true, NextStep: SignInStepDone}, nil
	}
	switch challenge {
	case types.ChallengeNameTypeDeviceSrpAuth: // devices.go
		return c.answerDeviceSRP(ctx, rec, loginID, flow, cparams, session)
	case types.ChallengeNameTypeNewPasswordRequired:
		p := &pendingSignIn{loginID: loginID, username: loginID, flow: flow, challenge: challenge, session: aws.ToString(session)}
		if u := cparams["USER_ID_FOR_SRP"]; u != "" {
			p.username = u
		} else if u := cparams["USERNAME"]; u != "" {
			p.username = u
		}
		c.pending = p
		r := SignInResult{NextStep: SignInStepConfirmWithNewPassword}
		var req []string
		if json.Unmarshal([]byte(cparams["requiredAttributes"]), &req) == nil {
			for _, a := range req {
				r.MissingAttributes = append(r.MissingAttributes, strings.TrimPrefix(a, "userAttributes."))
			}
		}
		var attrs map[string]any
		if json.Unmarshal([]byte(cparams["userAttributes"]), &attrs) == nil && len(attrs) > 0 {
			r.UserAttributes = make(map[string]string, len(attrs))
			for k, v := range attrs {
				if s, ok := v.(string); ok {
					r.UserAttributes[k] = s
				} else {
					b, _ := json.Marshal(v)
					r.UserAttributes[k] = string(b)
				}
			}
		}
		return r, nil
	case types.ChallengeNameTypeSoftwareTokenMfa, types.ChallengeNameTypeSmsMfa, types.ChallengeNameTypeEmailOtp,
		types.ChallengeNameTypeSelectMfaType, types.ChallengeNameTypeMfaSetup:
		return c.mfaChallenge(ctx, loginID, flow, challenge, cparams, session)
	case types.ChallengeNameTypeSmsOtp: // userauth.go
		return c.smsOTPChallenge(loginID, flow, cparams, session)
	case types.ChallengeNameTypeCustomChallenge: // customauth.go
		return c.customChallenge(loginID, flow, cparams, session)
	case "":
		return SignInResult{}, errors.New("auth: the service answered with neither tokens nor a challenge")
	default:
		c.pending = nil
		return SignInResult{}, fmt.Errorf("%w: %s", ErrUnsupportedChallenge, challenge)
	}
}

// ConfirmSignIn answers the challenge of the sign-in in progress: for
// SignInStepConfirmWithNewPassword, challengeResponse is the new password;
// for the MFA steps (mfa.go), the code, or for
// SignInStepContinueWithMFASelection the MFAType chosen. It
// fails with ErrInvalidState when no sign-in is in progress (none was started,
// it completed, or SignOut cancelled it).
func (c *Client) ConfirmSignIn(ctx context.Context, challengeResponse string, opts ConfirmSignInOptions) (SignInResult, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return SignInResult{}, err
	}
	defer end()
	p := c.pending
	if p == nil {
		return SignInResult{}, invalidState("no sign-in is waiting for a challenge answer; call SignIn first")
	}
	if challengeResponse == "" {
		return SignInResult{}, invalidParam("ConfirmSignIn needs a challenge response")
	}
	rec, err := c.loadRecord()
	if err != nil {
		return SignInResult{}, err
	}
	if rec.Session != nil {
		c.pending = nil
		return SignInResult{}, invalidState("a user is already signed in; sign out first")
	}
	if p.challenge == types.ChallengeNameTypeSelectChallenge { // userauth.go
		return c.confirmFirstFactor(ctx, rec, p, challengeResponse, opts)
	}
	resp := map[string]string{"USERNAME": p.username}
	switch p.challenge {
	case types.ChallengeNameTypeSmsOtp: // userauth.go
		resp["SMS_OTP_CODE"] = challengeResponse
	case types.ChallengeNameTypeCustomChallenge: // customauth.go
		resp["ANSWER"] = challengeResponse
	case types.ChallengeNameTypeNewPasswordRequired:
		resp["NEW_PASSWORD"] = challengeResponse
		for k, v := range opts.UserAttributes {
			resp["userAttributes."+k] = v
		}
	case types.ChallengeNameTypeSoftwareTokenMfa, types.ChallengeNameTypeSmsMfa, types.ChallengeNameTypeEmailOtp,
		types.ChallengeNameTypeSelectMfaType, types.ChallengeNameTypeMfaSetup:
		if err := c.mfaResponse(ctx, p, challengeResponse, resp); err != nil {
			return SignInResult{}, err
		}
	default:
		return SignInResult{}, fmt.Errorf("%w: %s", ErrUnsupportedChallenge, p.challenge)
	}
	if h := c.secretHash(p.username); h != "" {
		resp["SECRET_HASH"] = h
	}
	addDeviceKey(rec, p.loginID, resp) // devices.go
	out, err := callOp(ctx, c, "RespondToAuthChallenge", c.cip.RespondToAuthChallenge, &cip.RespondToAuthChallengeInput{
		ChallengeName:      p.challenge,
		ClientId:           aws.String(c.cfg.ClientID),
		ChallengeResponses: resp,
		Session:            aws.String(p.session),
		ClientMetadata:     opts.ClientMetadata,
	})
	if err != nil {
		// An expired or spent challenge session cannot be answered again.
		// (A software-token code used before is refused with
		// ExpiredCodeException, and the session stays: the next code works.)
		if IsServiceError(err, "NotAuthorizedException") ||
			(IsServiceError(err, "ExpiredCodeException") && p.challenge != types.ChallengeNameTypeSoftwareTokenMfa) {
			c.pending = nil
		}
		return SignInResult{}, err
	}
	return c.afterAuth(ctx, rec, p.loginID, p.flow, out.AuthenticationResult, out.ChallengeName, out.ChallengeParameters, out.Session)
}

// newSession builds a stored session from an authentication result; prev
// supplies what a refresh answer leaves out (the refresh token, the user).
func (c *Client) newSession(res *types.AuthenticationResultType, loginID string, flow AuthFlow, prev *credstore.Session) (*credstore.Session, error) {
	access := aws.ToString(res.AccessToken)
	if access == "" {
		return nil, errors.New("auth: the service returned no access token")
	}
	cl, err := decodeClaims(access)
	if err != nil {
		return nil, fmt.Errorf("auth: the service returned an unreadable access token: %w", err)
	}
	now := c.now()
	s := &credstore.Session{
		LoginID:      loginID,
		AuthFlow:     string(flow),
		IDToken:      aws.ToString(res.IdToken),
		AccessToken:  access,
		RefreshToken: aws.ToString(res.RefreshToken),
		SignInMethod: credstore.SignInMethodAPI,
		SignedInAt:   now,
		Username:     cl.name(),
		UserSub:      cl.Sub,
	}
	s.AccessTokenExpiresAt = cl.expiry()
	if s.AccessTokenExpiresAt.IsZero() && res.ExpiresIn > 0 {
		s.AccessTokenExpiresAt = now.Add(secondsDur(res.ExpiresIn))
	}
	if prev != nil {
		s.LoginID, s.AuthFlow = prev.LoginID, prev.AuthFlow
		s.SignInMethod, s.PrivateSession, s.SignedInAt = prev.SignInMethod, prev.PrivateSession, prev.SignedInAt
		if s.RefreshToken == "" {
			s.RefreshToken = prev.RefreshToken
		}
		if s.IDToken == "" {
			s.IDToken = prev.IDToken
		}
		if s.Username == "" {
			s.Username = prev.Username
		}
		if s.UserSub == "" {
			s.UserSub = prev.UserSub
		}
	}
	if s.Username == "" {
		s.Username = loginID
	}
	if s.RefreshToken == "" {
		return nil, errors.New("auth: the service returned no refresh token")
	}
	return s, nil
}
