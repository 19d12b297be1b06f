package userpool

// The hosted UI's MFA step. After a correct password, a sign-in that needs
// MFA (mfaRequired) starts the API's MFA challenge (mfaStep): the same
// factors, codes, senders, attempt limits and throttles, the same validity
// (the client's AuthSessionValidity). The challenge is bound to the
// browser's login transaction (the sign-in form's CSRF cookie): it records
// a hash of the transaction id, and only a request carrying that id can
// answer it, so the API cannot redeem it and another browser cannot either.
// Its id travels in the MFA form, next to the form's CSRF token; each
// answer consumes it (a wrong code puts it back, while tries remain, as in
// the API). When the step passes, the hosted UI starts a web session just
// like the password-only sign-in.

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/cognate-dev/cognate/store"
)

// HostedMFA is the MFA step a hosted-UI sign-in must pass.
type HostedMFA struct {
	// Challenge is SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP, SELECT_MFA_TYPE
	// or MFA_SETUP (set up a software token: SecretCode, SetupURI).
	Challenge   string
	Session     string   // the challenge id, carried by the MFA form
	Destination string   // SMS_MFA, EMAIL_OTP: where the code went, masked
	Choices     []string // SELECT_MFA_TYPE: the factors to choose from
	SecretCode  string   // MFA_SETUP: the new software-token secret, base32
	Account     string   // MFA_SETUP: the account name for the authenticator app (the username)
	Issuer      string   // MFA_SETUP: the issuer for the authenticator app (the pool's name)
}

// HostedLoginResult is a hosted-UI sign-in step: a web session (Cookie,
// Session), or the MFA step still to pass.
type HostedLoginResult struct {
	Cookie  string
	Session *WebSession
	MFA     *HostedMFA
}

// HostedMFAInput is an answer to a hosted-UI MFA step.
type HostedMFAInput struct {
	Request   *AuthorizeRequest
	Tx        string // the browser's login transaction
	Challenge string // the step's challenge name
	Session   string // the step's challenge id
	Code      string // the code (MFA_SETUP: a code of the new secret)
	Answer    string // SELECT_MFA_TYPE: the factor chosen
}

type hostedTxKey struct{}

// withHostedTx marks the context as the hosted UI's, for the browser's
// login transaction tx: MFA challenges made under it are bound to it, and
// only it answers them.
func withHostedTx(ctx context.Context, tx string) context.Context {
	return context.WithValue(ctx, hostedTxKey{}, secretID("hosted-mfa\x00"+tx))
}

// hostedTx is the binding withHostedTx set, or "" (the API).
func hostedTx(ctx context.Context) string {
	v, _ := ctx.Value(hostedTxKey{}).(string)
	return v
}

// hostedMFAPassed is respondMFA's answer when a hosted challenge passes:
// no tokens, no further challenge, only the user (the hosted UI starts a
// web session).
func hostedMFAPassed(u *store.User) *AuthResponse {
	return &AuthResponse{ChallengeParameters: map[string]string{"USER_ID_FOR_SRP": u.Username}}
}

// HostedSignIn checks a hosted-UI sign-in (see hostedLogin): a web session,
// or the MFA step to pass first.
func (s *Service) HostedSignIn(ctx context.Context, in LoginInput) (*HostedLoginResult, error) {
	ctx, e := s.beginAudit(ctx, EventSignIn, in.Username)
	if in.Request != nil {
		if c, err := s.client(ctx, in.Request.PoolID, in.Request.ClientID); err == nil {
			noteClient(ctx, c)
		}
	}
	res, err := s.hostedLogin(ctx, in)
	s.finish(ctx, e, err, hostedChallenge(res))
	return res, err
}

// HostedRespondMFA answers a hosted-UI MFA step: a web session once the
// step passes, or the next step (the factor chosen, or the code to
// verify). A wrong code is the API's KindCodeMismatch (the step may be
// tried again with the same session while tries remain); a session used
// up, expired, or not the browser's is CauseSignInSessionExpired.
func (s *Service) HostedRespondMFA(ctx context.Context, in HostedMFAInput) (*HostedLoginResult, error) {
	ctx, e := s.beginAudit(ctx, EventSignIn, "")
	var res *HostedLoginResult
	c, err := s.hostedMFAClient(ctx, in)
	if err == nil {
		noteClient(ctx, c)
		res, err = s.hostedRespondMFA(ctx, c, in)
	}
	s.finish(ctx, e, err, hostedChallenge(res))
	return res, err
}

func hostedChallenge(res *HostedLoginResult) string {
	if res != nil && res.MFA != nil {
		return res.MFA.Challenge
	}
	return ""
}

func (s *Service) hostedMFAClient(ctx context.Context, in HostedMFAInput) (*Client, error) {
	if in.Request == nil || in.Tx == "" {
		return nil, refused(CauseSignInSessionExpired)
	}
	c, err := s.client(ctx, in.Request.PoolID, in.Request.ClientID)
	if err != nil {
		return nil, refused(CauseSignInSessionExpired)
	}
	return c, nil
}

// hostedMFAStart starts the MFA step of a hosted sign-in whose password is
// proven.
func (s *Service) hostedMFAStart(ctx context.Context, p *Pool, in LoginInput, u *store.User) (*HostedLoginResult, error) {
	c, err := s.client(ctx, p.ID, in.Request.ClientID)
	if err != nil {
		return nil, err
	}
	ctx = withHostedTx(ctx, in.Tx)
	res, err := s.mfaStep(ctx, p, c, u, signInState{})
	if err != nil {
		return nil, err
	}
	if res == nil { // cannot be (mfaRequired), but never a way around it
		return nil, errorf(KindUserState, "multi-factor authentication is required")
	}
	return s.hostedStep(ctx, p, u.Username, res)
}

// hostedRespondMFA answers a step with the API's logic (respondMFA, and
// VerifySoftwareToken for MFA_SETUP).
func (s *Service) hostedRespondMFA(ctx context.Context, c *Client, in HostedMFAInput) (*HostedLoginResult, error) {
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	ctx = withHostedTx(ctx, in.Tx)
	var res *AuthResponse
	switch in.Challenge {
	case ChallengeMFASetup:
		_, next, verr := s.VerifySoftwareToken(ctx, "", in.Session, in.Code, "")
		if verr != nil {
			if e := AsError(verr); e != nil && e.Kind == KindInvalid {
				return nil, &Error{Kind: KindCodeMismatch, Cause: CauseSoftwareTokenWrong} // not six digits
			}
			return nil, verr
		}
		res, err = s.respondMFA(ctx, c, ChallengeMFASetup, next, map[string]string{})
	case ChallengeSelectMFAType:
		res, err = s.respondMFA(ctx, c, ChallengeSelectMFAType, in.Session, map[string]string{"ANSWER": in.Answer})
	case ChallengeSoftwareTokenMFA, ChallengeSMSMFA, ChallengeEmailOTP:
		key := map[string]string{ChallengeSoftwareTokenMFA: "SOFTWARE_TOKEN_MFA_CODE", ChallengeSMSMFA: "SMS_MFA_CODE",
			ChallengeEmailOTP: "EMAIL_OTP_CODE"}[in.Challenge]
		code := strings.TrimSpace(in.Code)
		if len(code) > 16 {
			code = code[:16]
		}
		res, err = s.respondMFA(ctx, c, in.Challenge, in.Session, map[string]string{key: code})
	default:
		return nil, refused(CauseSignInSessionExpired)
	}
	if err != nil {
		return nil, err
	}
	if res.ChallengeName != "" {
		return s.hostedStep(ctx, p, res.ChallengeParameters["USER_ID_FOR_SRP"], res)
	}
	if res.Result != nil { // cannot be: a hosted challenge never mints tokens
		return nil, refused(CauseSignInSessionExpired)
	}
	u, err := s.findUser(ctx, p, res.ChallengeParameters["USER_ID_FOR_SRP"])
	if err != nil {
		return nil, err
	}
	if !u.Enabled {
		return nil, refused(CauseUserDisabled)
	}
	return s.startWebSession(ctx, p, c.ID, u)
}

// hostedStep turns an MFA challenge into the step the hosted UI shows; for
// MFA_SETUP it associates a new software token with the challenge first.
func (s *Service) hostedStep(ctx context.Context, p *Pool, username string, res *AuthResponse) (*HostedLoginResult, error) {
	step := &HostedMFA{Challenge: res.ChallengeName, Session: res.Session,
		Destination: res.ChallengeParameters["CODE_DELIVERY_DESTINATION"]}
	switch res.ChallengeName {
	case ChallengeSelectMFAType:
		if err := json.Unmarshal([]byte(res.ChallengeParameters["MFAS_CAN_CHOOSE"]), &step.Choices); err != nil {
			return nil, internal("mfa choices", err)
		}
	case ChallengeMFASetup:
		secret, next, err := s.AssociateSoftwareToken(ctx, "", res.Session)
		if err != nil {
			return nil, err
		}
		step.Session, step.SecretCode = next, secret
		step.Account, step.Issuer = username, p.Name
	case ChallengeSoftwareTokenMFA, ChallengeSMSMFA, ChallengeEmailOTP:
	default:
		return nil, internal("hosted mfa", errors.New("unexpected challenge "+res.ChallengeName))
	}
	return &HostedLoginResult{MFA: step}, nil
}

// TOTPURI is the otpauth:// URI of a software-token secret (the Key Uri
// Format of authenticator apps):
// otpauth://totp/<issuer>:<account>?secret=...&issuer=..., every part
// escaped.
func TOTPURI(issuer, account, secret string) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{"secret": {secret}, "issuer": {issuer}}
	return "otpauth://totp/" + label + "?" + q.Encode()
}
