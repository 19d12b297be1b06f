package auth

// Multi-factor authentication, as in Amplify: the sign-in steps of the MFA
// challenges (answered with ConfirmSignIn), software-token setup for a
// signed-in user (SetUpTOTP, VerifyTOTPSetup) and the user's MFA
// preferences (UpdateMFAPreference, FetchMFAPreference).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// The sign-in steps of MFA.
const (
	// SignInStepConfirmWithTOTPCode: call ConfirmSignIn with the code of the
	// user's authenticator app (SOFTWARE_TOKEN_MFA).
	SignInStepConfirmWithTOTPCode SignInStep = "CONFIRM_SIGN_IN_WITH_TOTP_CODE"
	// SignInStepConfirmWithSMSCode: call ConfirmSignIn with the code sent by
	// SMS (SMS_MFA); CodeDeliveryDetails says where it went.
	SignInStepConfirmWithSMSCode SignInStep = "CONFIRM_SIGN_IN_WITH_SMS_CODE"
	// SignInStepConfirmWithEmailCode: call ConfirmSignIn with the code sent by
	// e-mail (EMAIL_OTP); CodeDeliveryDetails says where it went.
	SignInStepConfirmWithEmailCode SignInStep = "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"
	// SignInStepContinueWithMFASelection: call ConfirmSignIn with one of
	// AllowedMFATypes (SELECT_MFA_TYPE).
	SignInStepContinueWithMFASelection SignInStep = "CONTINUE_SIGN_IN_WITH_MFA_SELECTION"
	// SignInStepContinueWithTOTPSetup: the pool requires MFA and the user has
	// none (MFA_SETUP). Add TOTPSetupDetails to an authenticator app, then
	// call ConfirmSignIn with a code it shows.
	SignInStepContinueWithTOTPSetup SignInStep = "CONTINUE_SIGN_IN_WITH_TOTP_SETUP"
)

// MFAType is a factor, in Amplify's words.
type MFAType string

// MFA types.
const (
	MFATypeSMS   MFAType = "SMS"
	MFATypeTOTP  MFAType = "TOTP"
	MFATypeEmail MFAType = "EMAIL"
)

// mfaNames maps Cognito's factor names to MFATypes.
var mfaNames = map[string]MFAType{"SMS_MFA": MFATypeSMS, "SOFTWARE_TOKEN_MFA": MFATypeTOTP, "EMAIL_OTP": MFATypeEmail}

func cognitoMFAName(t MFAType) string {
	for k, v := range mfaNames {
		if v == t {
			return k
		}
	}
	return string(t)
}

// TOTPSetupDetails is a new software-token secret.
type TOTPSetupDetails struct {
	// SharedSecret is the secret, base32 without padding, as authenticator
	// apps take it. Keep it from logs.
	SharedSecret string
	// Username is the user it belongs to.
	Username string
}

// SetupURI is the otpauth:// URI of the secret (what a QR code for an
// authenticator app holds): issuer is the app's name as the authenticator
// shows it, accountName the user's (the username when empty).
func (d TOTPSetupDetails) SetupURI(issuer, accountName string) string {
	if accountName == "" {
		accountName = d.Username
	}
	label := url.PathEscape(issuer) + ":" + url.PathEscape(accountName)
	q := url.Values{"secret": {d.SharedSecret}, "issuer": {issuer}}
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// mfaChallenge turns an MFA challenge into a sign-in step (lock held). For
// MFA_SETUP it asks for a new software token at once, as Amplify does.
func (c *Client) mfaChallenge(ctx context.Context, loginID string, flow AuthFlow, challenge types.ChallengeNameType,
	cparams map[string]string, session *string,
) (SignInResult, error) {
	p := &pendingSignIn{loginID: loginID, username: loginID, flow: flow, challenge: challenge, session: aws.ToString(session)}
	if u := cparams["USER_ID_FOR_SRP"]; u != "" {
		p.username = u
	} else if u := cparams["USERNAME"]; u != "" {
		p.username = u
	}
	var r SignInResult
	switch challenge {
	case types.ChallengeNameTypeSoftwareTokenMfa:
		r.NextStep = SignInStepConfirmWithTOTPCode
	case types.ChallengeNameTypeSmsMfa, types.ChallengeNameTypeEmailOtp:
		r.NextStep = SignInStepConfirmWithSMSCode
		attr := "phone_number"
		if challenge == types.ChallengeNameTypeEmailOtp {
			r.NextStep, attr = SignInStepConfirmWithEmailCode, "email"
		}
		r.CodeDeliveryDetails = &CodeDelivery{Destination: cparams["CODE_DELIVERY_DESTINATION"],
			DeliveryMedium: cparams["CODE_DELIVERY_DELIVERY_MEDIUM"], AttributeName: attr}
	case types.ChallengeNameTypeSelectMfaType:
		r.NextStep = SignInStepContinueWithMFASelection
		var names []string
		_ = json.Unmarshal([]byte(cparams["MFAS_CAN_CHOOSE"]), &names)
		for _, n := range names {
			if t, ok := mfaNames[n]; ok {
				r.AllowedMFATypes = append(r.AllowedMFATypes, t)
			}
		}
	case types.ChallengeNameTypeMfaSetup:
		var can []string
		_ = json.Unmarshal([]byte(cparams["MFAS_CAN_SETUP"]), &can)
		if len(can) > 0 && !contains(can, "SOFTWARE_TOKEN_MFA") {
			c.pending = nil
			return SignInResult{}, fmt.Errorf("%w: MFA_SETUP of %v", ErrUnsupportedChallenge, can)
		}
		out, err := callOp(ctx, c, "AssociateSoftwareToken", c.cip.AssociateSoftwareToken, &cip.AssociateSoftwareTokenInput{Session: aws.String(p.session)})
		if err != nil {
			c.pending = nil
			return SignInResult{}, err
		}
		p.session = aws.ToString(out.Session)
		r.NextStep = SignInStepContinueWithTOTPSetup
		r.TOTPSetupDetails = &TOTPSetupDetails{SharedSecret: aws.ToString(out.SecretCode), Username: p.username}
	}
	c.pending = p
	return r, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mfaResponse fills the challenge responses of an MFA step from what
// ConfirmSignIn was given (lock held). For MFA_SETUP it first verifies the
// new software token with the code, which moves the session on.
func (c *Client) mfaResponse(ctx context.Context, p *pendingSignIn, answer string, resp map[string]string) error {
	switch p.challenge {
	case types.ChallengeNameTypeSoftwareTokenMfa:
		resp["SOFTWARE_TOKEN_MFA_CODE"] = answer
	case types.ChallengeNameTypeSmsMfa:
		resp["SMS_MFA_CODE"] = answer
	case types.ChallengeNameTypeEmailOtp:
		resp["EMAIL_OTP_CODE"] = answer
	case types.ChallengeNameTypeSelectMfaType:
		resp["ANSWER"] = cognitoMFAName(MFAType(answer))
	case types.ChallengeNameTypeMfaSetup:
		out, err := callOp(ctx, c, "VerifySoftwareToken", c.cip.VerifySoftwareToken, &cip.VerifySoftwareTokenInput{Session: aws.String(p.session), UserCode: aws.String(answer)})
		if err != nil {
			if IsServiceError(err, "NotAuthorizedException") {
				c.pending = nil
			}
			return err
		}
		p.session = aws.ToString(out.Session)
	}
	return nil
}

// SetUpTOTP makes a new software-token secret for the signed-in user
// (AssociateSoftwareToken). Add it to an authenticator app (SetupURI makes
// the QR code's content), then call VerifyTOTPSetup with a code it shows.
func (c *Client) SetUpTOTP(ctx context.Context) (TOTPSetupDetails, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return TOTPSetupDetails{}, err
	}
	defer end()
	s, err := c.signedInSession(ctx)
	if err != nil {
		return TOTPSetupDetails{}, err
	}
	out, err := callOp(ctx, c, "AssociateSoftwareToken", c.cip.AssociateSoftwareToken, &cip.AssociateSoftwareTokenInput{AccessToken: aws.String(s.AccessToken)})
	if err != nil {
		return TOTPSetupDetails{}, err
	}
	return TOTPSetupDetails{SharedSecret: aws.ToString(out.SecretCode), Username: s.Username}, nil
}

// VerifyTOTPSetupOptions configures VerifyTOTPSetup.
type VerifyTOTPSetupOptions struct {
	// FriendlyDeviceName names the authenticator.
	FriendlyDeviceName string
}

// VerifyTOTPSetup proves the authenticator app computes the codes of the
// secret SetUpTOTP made (VerifySoftwareToken); the service then enables
// software-token MFA for the user.
func (c *Client) VerifyTOTPSetup(ctx context.Context, code string, opts VerifyTOTPSetupOptions) error {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	if code == "" {
		return invalidParam("VerifyTOTPSetup needs a code")
	}
	s, err := c.signedInSession(ctx)
	if err != nil {
		return err
	}
	in := &cip.VerifySoftwareTokenInput{AccessToken: aws.String(s.AccessToken), UserCode: aws.String(code)}
	if opts.FriendlyDeviceName != "" {
		in.FriendlyDeviceName = aws.String(opts.FriendlyDeviceName)
	}
	_, err = callOp(ctx, c, "VerifySoftwareToken", c.cip.VerifySoftwareToken, in)
	return err
}

// MFAPreference is what UpdateMFAPreference sets for one factor.
type MFAPreference string

// MFA preferences, as in Amplify.
const (
	MFAPreferenceEnabled      MFAPreference = "ENABLED"
	MFAPreferenceDisabled     MFAPreference = "DISABLED"
	MFAPreferencePreferred    MFAPreference = "PREFERRED"
	MFAPreferenceNotPreferred MFAPreference = "NOT_PREFERRED"
)

// UpdateMFAPreferenceInput says what to change; an empty field leaves the
// factor as it is.
type UpdateMFAPreferenceInput struct {
	SMS   MFAPreference
	TOTP  MFAPreference
	Email MFAPreference
}

// mfaSetting is a preference as Cognito's {Enabled, PreferredMfa}.
func (p MFAPreference) setting() (enabled, preferred bool, ok bool, err error) {
	switch p {
	case "":
		return false, false, false, nil
	case MFAPreferenceEnabled, MFAPreferenceNotPreferred:
		return true, false, true, nil
	case MFAPreferencePreferred:
		return true, true, true, nil
	case MFAPreferenceDisabled:
		return false, false, true, nil
	}
	return false, false, false, invalidParam(fmt.Sprintf("unknown MFA preference %q", p))
}

// UpdateMFAPreference sets the signed-in user's MFA preferences
// (SetUserMFAPreference).
func (c *Client) UpdateMFAPreference(ctx context.Context, in UpdateMFAPreferenceInput) error {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	req := &cip.SetUserMFAPreferenceInput{}
	if e, p, ok, err := in.SMS.setting(); err != nil {
		return err
	} else if ok {
		req.SMSMfaSettings = &types.SMSMfaSettingsType{Enabled: e, PreferredMfa: p}
	}
	if e, p, ok, err := in.TOTP.setting(); err != nil {
		return err
	} else if ok {
		req.SoftwareTokenMfaSettings = &types.SoftwareTokenMfaSettingsType{Enabled: e, PreferredMfa: p}
	}
	if e, p, ok, err := in.Email.setting(); err != nil {
		return err
	} else if ok {
		req.EmailMfaSettings = &types.EmailMfaSettingsType{Enabled: e, PreferredMfa: p}
	}
	s, err := c.signedInSession(ctx)
	if err != nil {
		return err
	}
	req.AccessToken = aws.String(s.AccessToken)
	_, err = callOp(ctx, c, "SetUserMFAPreference", c.cip.SetUserMFAPreference, req)
	return err
}

// MFAPreferences are the signed-in user's MFA settings.
type MFAPreferences struct {
	// Enabled are the factors the user enabled.
	Enabled []MFAType
	// Preferred is the preferred factor; empty when none.
	Preferred MFAType
}

// FetchMFAPreference returns the signed-in user's MFA settings (GetUser).
func (c *Client) FetchMFAPreference(ctx context.Context) (MFAPreferences, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return MFAPreferences{}, err
	}
	defer end()
	s, err := c.signedInSession(ctx)
	if err != nil {
		return MFAPreferences{}, err
	}
	out, err := callOp(ctx, c, "GetUser", c.cip.GetUser, &cip.GetUserInput{AccessToken: aws.String(s.AccessToken)})
	if err != nil {
		return MFAPreferences{}, err
	}
	var r MFAPreferences
	for _, n := range out.UserMFASettingList {
		if t, ok := mfaNames[n]; ok {
			r.Enabled = append(r.Enabled, t)
		}
	}
	if pref := aws.ToString(out.PreferredMfaSetting); pref != "" {
		r.Preferred = mfaNames[pref]
	}
	return r, nil
}
