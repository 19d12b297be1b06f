package auth

// Choice-based and passwordless sign-in (USER_AUTH), as Amplify's signIn
// with authFlowType 'USER_AUTH': the user signs in with a password, a
// password proven by SRP, or a one-time code sent by e-mail or SMS,
// chosen in advance (SignInOptions.PreferredChallenge) or when the service
// offers the choice (SignInStepContinueWithFirstFactorSelection).

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/auth/credstore"
	"github.com/cognate-dev/cognate/srp"
)

// AuthFlowUserAuth is choice-based sign-in (USER_AUTH); the app client must
// allow ALLOW_USER_AUTH. The password may be empty unless the preferred
// challenge is AuthFactorPassword or AuthFactorPasswordSRP.
const AuthFlowUserAuth AuthFlow = "USER_AUTH"

// AuthFactor is a first factor of AuthFlowUserAuth.
type AuthFactor string

// First factors.
const (
	AuthFactorPassword    AuthFactor = "PASSWORD"
	AuthFactorPasswordSRP AuthFactor = "PASSWORD_SRP"
	AuthFactorEmailOTP    AuthFactor = "EMAIL_OTP"
	AuthFactorSMSOTP      AuthFactor = "SMS_OTP"
	AuthFactorWebAuthn    AuthFactor = "WEB_AUTHN"
)

// Sign-in steps of AuthFlowUserAuth.
const (
	// SignInStepContinueWithFirstFactorSelection: the user chooses a first
	// factor among SignInResult.AvailableChallenges; call ConfirmSignIn with
	// it (an AuthFactor).
	SignInStepContinueWithFirstFactorSelection SignInStep = "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION"
	// SignInStepConfirmWithPassword: the user chose a password factor; call
	// ConfirmSignIn with the password.
	SignInStepConfirmWithPassword SignInStep = "CONFIRM_SIGN_IN_WITH_PASSWORD"
)

// signInUserAuth is SignIn with AuthFlowUserAuth (lock held).
func (c *Client) signInUserAuth(ctx context.Context, username, password string, opts SignInOptions) (SignInResult, error) {
	if username == "" {
		return SignInResult{}, invalidParam("SignIn needs a username")
	}
	pref := opts.PreferredChallenge
	if (pref == AuthFactorPassword || pref == AuthFactorPasswordSRP) && password == "" {
		return SignInResult{}, invalidParam(fmt.Sprintf("SignIn with preferred challenge %s needs a password", pref))
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
	if pref != "" {
		params["PREFERRED_CHALLENGE"] = string(pref)
	}
	var srpClient *srp.Client
	switch pref {
	case AuthFactorPassword:
		params["PASSWORD"] = password
	case AuthFactorPasswordSRP:
		if srpClient, err = srp.NewClient(); err != nil {
			return SignInResult{}, fmt.Errorf("auth: SRP: %w", err)
		}
		params["SRP_A"] = srpClient.A()
	}
	if h := c.secretHash(username); h != "" {
		params["SECRET_HASH"] = h
	}
	addDeviceKey(rec, username, params) // devices.go
	out, err := callOp(ctx, c, "InitiateAuth", c.cip.InitiateAuth, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth,
		ClientId: aws.String(c.cfg.ClientID), AuthParameters: params, ClientMetadata: opts.ClientMetadata})
	if err != nil {
		return SignInResult{}, err
	}
	return c.afterUserAuth(ctx, rec, username, password, srpClient, out, opts.ClientMetadata)
}

// afterUserAuth handles an answer of the USER_AUTH flow (lock held).
func (c *Client) afterUserAuth(ctx context.Context, rec credstore.Record, loginID, password string, srpClient *srp.Client,
	out *cip.InitiateAuthOutput, metadata map[string]string,
) (SignInResult, error) {
	switch out.ChallengeName {
	case types.ChallengeNameTypePasswordVerifier:
		if srpClient == nil {
			c.pending = nil
			return SignInResult{}, fmt.Errorf("%w: PASSWORD_VERIFIER without SRP", ErrUnsupportedChallenge)
		}
		return c.answerPasswordVerifier(ctx, rec, loginID, password, srpClient, out, metadata, AuthFlowSRP)
	case types.ChallengeNameTypeSelectChallenge:
		p := &pendingSignIn{loginID: loginID, username: loginID, flow: AuthFlowUserAuth, challenge: out.ChallengeName,
			session: aws.ToString(out.Session)}
		if u := out.ChallengeParameters["USERNAME"]; u != "" {
			p.username = u
		}
		c.pending = p
		r := SignInResult{NextStep: SignInStepContinueWithFirstFactorSelection}
		for _, a := range out.AvailableChallenges {
			r.AvailableChallenges = append(r.AvailableChallenges, AuthFactor(a))
		}
		return r, nil
	}
	return c.afterAuth(ctx, rec, loginID, AuthFlowUserAuth, out.AuthenticationResult, out.ChallengeName, out.ChallengeParameters, out.Session)
}

// smsOTPChallenge turns an SMS_OTP first-factor challenge into a sign-in
// step (lock held).
func (c *Client) smsOTPChallenge(loginID string, flow AuthFlow, cparams map[string]string, session *string) (SignInResult, error) {
	p := &pendingSignIn{loginID: loginID, username: loginID, flow: flow, challenge: types.ChallengeNameTypeSmsOtp, session: aws.ToString(session)}
	if u := cparams["USERNAME"]; u != "" {
		p.username = u
	}
	c.pending = p
	return SignInResult{NextStep: SignInStepConfirmWithSMSCode, CodeDeliveryDetails: &CodeDelivery{Destination: cparams["CODE_DELIVERY_DESTINATION"],
		DeliveryMedium: cparams["CODE_DELIVERY_DELIVERY_MEDIUM"], AttributeName: "phone_number"}}, nil
}

// confirmFirstFactor answers SELECT_CHALLENGE (lock held): the factor
// chosen, then, for a password factor, the password.
func (c *Client) confirmFirstFactor(ctx context.Context, rec credstore.Record, p *pendingSignIn, answer string, opts ConfirmSignInOptions) (SignInResult, error) {
	resp := map[string]string{"USERNAME": p.username}
	var srpClient *srp.Client
	password := ""
	switch {
	case p.chosen == "" && (AuthFactor(answer) == AuthFactorPassword || AuthFactor(answer) == AuthFactorPasswordSRP):
		p.chosen = AuthFactor(answer)
		return SignInResult{NextStep: SignInStepConfirmWithPassword}, nil
	case p.chosen == "":
		resp["ANSWER"] = answer
	case p.chosen == AuthFactorPassword:
		resp["ANSWER"], resp["PASSWORD"], password = string(p.chosen), answer, answer
	default: // PASSWORD_SRP
		var err error
		if srpClient, err = srp.NewClient(); err != nil {
			return SignInResult{}, fmt.Errorf("auth: SRP: %w", err)
		}
		resp["ANSWER"], resp["SRP_A"], password = string(p.chosen), srpClient.A(), answer
	}
	if h := c.secretHash(p.username); h != "" {
		resp["SECRET_HASH"] = h
	}
	addDeviceKey(rec, p.loginID, resp) // devices.go
	out, err := callOp(ctx, c, "RespondToAuthChallenge", c.cip.RespondToAuthChallenge, &cip.RespondToAuthChallengeInput{ChallengeName: types.ChallengeNameTypeSelectChallenge,
		ClientId: aws.String(c.cfg.ClientID), ChallengeResponses: resp, Session: aws.String(p.session), ClientMetadata: opts.ClientMetadata})
	if err != nil {
		c.pending = nil // the selection is single use
		return SignInResult{}, err
	}
	return c.afterUserAuth(ctx, rec, p.loginID, password, srpClient, &cip.InitiateAuthOutput{AuthenticationResult: out.AuthenticationResult,
		ChallengeName: out.ChallengeName, ChallengeParameters: out.ChallengeParameters, Session: out.Session}, opts.ClientMetadata)
}
