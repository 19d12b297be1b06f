package auth

// Custom authentication: the CUSTOM_AUTH flow, whose challenges the user
// pool's Lambda triggers define, create and verify. As in Amplify,
// AuthFlowCustomWithoutSRP starts with the custom challenges;
// AuthFlowCustomWithSRP proves the password first (SRP_A, then
// PASSWORD_VERIFIER) when the pool's define function asks for it. Each
// custom challenge ends SignIn or ConfirmSignIn with
// SignInStepConfirmWithCustomChallenge and the challenge's public
// parameters in AdditionalInfo; ConfirmSignIn sends the answer.

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/srp"
)

const (
	// AuthFlowCustomWithoutSRP starts the custom flow (CUSTOM_AUTH) with the
	// pool's custom challenges; no password is needed. The app client must
	// allow ALLOW_CUSTOM_AUTH.
	AuthFlowCustomWithoutSRP AuthFlow = "CUSTOM_WITHOUT_SRP"
	// AuthFlowCustomWithSRP starts the custom flow with an SRP proof of the
	// password, for pools whose define function asks for the password
	// before its own challenges.
	AuthFlowCustomWithSRP AuthFlow = "CUSTOM_WITH_SRP"
)

// SignInStepConfirmWithCustomChallenge: the pool asks a custom challenge
// (CUSTOM_CHALLENGE); its public parameters are in AdditionalInfo. Call
// ConfirmSignIn with the answer.
const SignInStepConfirmWithCustomChallenge SignInStep = "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE"

// signInCustom is SignIn for the custom flows (lock held).
func (c *Client) signInCustom(ctx context.Context, username, password string, opts SignInOptions) (SignInResult, error) {
	if username == "" {
		return SignInResult{}, invalidParam("SignIn needs a username")
	}
	if opts.AuthFlow == AuthFlowCustomWithSRP && password == "" {
		return SignInResult{}, invalidParam("SignIn with CUSTOM_WITH_SRP needs a password")
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
	if opts.AuthFlow == AuthFlowCustomWithSRP {
		if srpClient, err = srp.NewClient(); err != nil {
			return SignInResult{}, fmt.Errorf("auth: SRP: %w", err)
		}
		params["SRP_A"], params["CHALLENGE_NAME"] = srpClient.A(), "SRP_A"
	}
	if h := c.secretHash(username); h != "" {
		params["SECRET_HASH"] = h
	}
	addDeviceKey(rec, username, params) // devices.go
	out, err := callOp(ctx, c, "InitiateAuth", c.cip.InitiateAuth, &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeCustomAuth,
		ClientId:       aws.String(c.cfg.ClientID),
		AuthParameters: params,
		ClientMetadata: opts.ClientMetadata,
	})
	if err != nil {
		return SignInResult{}, err
	}
	if srpClient != nil && out.ChallengeName == types.ChallengeNameTypePasswordVerifier {
		return c.answerPasswordVerifier(ctx, rec, username, password, srpClient, out, opts.ClientMetadata, opts.AuthFlow)
	}
	return c.afterAuth(ctx, rec, username, opts.AuthFlow, out.AuthenticationResult, out.ChallengeName, out.ChallengeParameters, out.Session)
}

// customChallenge records a CUSTOM_CHALLENGE to answer with ConfirmSignIn.
func (c *Client) customChallenge(loginID string, flow AuthFlow, cparams map[string]string, session *string) (SignInResult, error) {
	p := &pendingSignIn{loginID: loginID, username: loginID, flow: flow,
		challenge: types.ChallengeNameTypeCustomChallenge, session: aws.ToString(session)}
	if u := cparams["USERNAME"]; u != "" {
		p.username = u
	}
	c.pending = p
	info := make(map[string]string, len(cparams))
	for k, v := range cparams {
		info[k] = v
	}
	return SignInResult{NextStep: SignInStepConfirmWithCustomChallenge, AdditionalInfo: info}, nil
}
