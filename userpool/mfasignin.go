package userpool

// The MFA step of a sign-in: once the password is proven (afterPassword),
// a pool whose MFA is ON — or OPTIONAL, for a user with a factor enabled —
// answers a challenge instead of tokens: SOFTWARE_TOKEN_MFA, SMS_MFA,
// EMAIL_OTP, SELECT_MFA_TYPE when the user has several factors and prefers
// none, or MFA_SETUP when MFA is ON and the user has none. The challenge
// session is single use and lives the client's AuthSessionValidity (three
// minutes by default); a wrong code puts it back for another try, up to
// maxMFAChallengeAttempts, and counts as a failed sign-in for the throttle.

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/store"
)

// MFA challenge names.
const (
	ChallengeSoftwareTokenMFA = MFASoftwareToken
	ChallengeSMSMFA           = MFASMS
	ChallengeEmailOTP         = MFAEmail
	ChallengeSelectMFAType    = "SELECT_MFA_TYPE"
	ChallengeMFASetup         = "MFA_SETUP"
)

// mfaChallenge is what an MFA challenge remembers.
type mfaChallenge struct {
	Attempts int      `json:"attempts,omitempty"`
	Choices  []string `json:"choices,omitempty"`  // SELECT_MFA_TYPE
	Verified bool     `json:"verified,omitempty"` // MFA_SETUP: the software token is verified
	// The device of the sign-in (see signInState), handed on to the tokens
	// once the MFA step passes.
	DeviceKey string             `json:"deviceKey,omitempty"`
	NewDevice *NewDeviceMetadata `json:"newDevice,omitempty"`
	// Hosted binds a hosted-UI challenge to the browser's login
	// transaction (see hostedTx); only the hosted UI can answer it.
	Hosted string `json:"hosted,omitempty"`
}

// carryDevice is a new challenge state that keeps st's device.
func (st mfaChallenge) carryDevice() mfaChallenge {
	return mfaChallenge{DeviceKey: st.DeviceKey, NewDevice: st.NewDevice}
}

// mfaStep decides whether a proven password leads to an MFA challenge;
// nil means straight to tokens. dev is the sign-in's device, kept in the
// challenge for the tokens.
func (s *Service) mfaStep(ctx context.Context, p *Pool, c *Client, u *store.User, dev signInState) (*AuthResponse, error) {
	base := mfaChallenge{DeviceKey: dev.deviceKey, NewDevice: dev.newDevice}
	mode := p.Config.MfaConfiguration
	if mode != MFAOn && mode != MFAOptional {
		return nil, nil
	}
	pool := p.Config.mfaFactors()
	m := decodeMFA(u)
	var usable []string
	for _, f := range m.Enabled {
		if slices.Contains(pool, f) && canUse(u, m, f) {
			usable = append(usable, f)
		}
	}
	if len(usable) == 0 {
		if mode == MFAOptional {
			return nil, nil
		}
		// MFA is required: a verified phone or e-mail the pool can send
		// to will do, else the user sets up a software token.
		switch {
		case slices.Contains(pool, MFASMS) && u.Attributes[attrPhone+"_verified"] == "true":
			usable = []string{MFASMS}
		case slices.Contains(pool, MFAEmail) && u.Attributes[attrEmail+"_verified"] == "true":
			usable = []string{MFAEmail}
		case slices.Contains(pool, MFASoftwareToken):
			can, _ := json.Marshal([]string{MFASoftwareToken})
			return s.mfaChallengeResponse(ctx, c, u, ChallengeMFASetup, base, map[string]string{"MFAS_CAN_SETUP": string(can)})
		default:
			return nil, &Error{Kind: KindInvalid, Cause: CauseNoSMSDelivery}
		}
	}
	factor := ""
	switch {
	case slices.Contains(usable, m.Preferred):
		factor = m.Preferred
	case len(usable) == 1:
		factor = usable[0]
	default:
		can, _ := json.Marshal(usable)
		sel := base
		sel.Choices = usable
		return s.mfaChallengeResponse(ctx, c, u, ChallengeSelectMFAType, sel, map[string]string{"MFAS_CAN_CHOOSE": string(can)})
	}
	return s.startFactor(ctx, p, c, u, factor, base)
}

// mfaRequired reports whether a sign-in of the user needs an MFA step.
func mfaRequired(p *Pool, u *store.User) bool {
	switch p.Config.MfaConfiguration {
	case MFAOn:
		return true
	case MFAOptional:
		m := decodeMFA(u)
		for _, f := range m.Enabled {
			if slices.Contains(p.Config.mfaFactors(), f) && canUse(u, m, f) {
				return true
			}
		}
	}
	return false
}

// canUse reports whether the user can answer with factor now.
func canUse(u *store.User, m *userMFA, factor string) bool {
	switch factor {
	case MFASMS:
		return u.Attributes[attrPhone] != ""
	case MFAEmail:
		return u.Attributes[attrEmail] != ""
	case MFASoftwareToken:
		return len(m.Secret) > 0
	}
	return false
}

// startFactor answers the challenge of one factor, sending the code first
// for SMS and e-mail; st is the challenge's state (its device).
func (s *Service) startFactor(ctx context.Context, p *Pool, c *Client, u *store.User, factor string, st mfaChallenge) (*AuthResponse, error) {
	params := map[string]string{}
	if name := decodeMFA(u).DeviceName; factor == MFASoftwareToken && name != "" {
		params["FRIENDLY_DEVICE_NAME"] = name
	}
	if factor == MFASMS || factor == MFAEmail {
		attr := attrPhone
		if factor == MFAEmail {
			attr = attrEmail
		}
		if err := s.sendSignInCode(ctx, p, c, u, attr, mfaCodePurpose, params); err != nil {
			return nil, err
		}
	}
	return s.mfaChallengeResponse(ctx, c, u, factor, st, params)
}

// sendSignInCode issues a sign-in code for purpose (valid for the client's
// AuthSessionValidity), sends it to the user's attr (e-mail or phone) with
// the pool's MFA message, and records where it went in params, as the
// challenge parameters CODE_DELIVERY_DELIVERY_MEDIUM and
// CODE_DELIVERY_DESTINATION.
func (s *Service) sendSignInCode(ctx context.Context, p *Pool, c *Client, u *store.User, attr, purpose string, params map[string]string) error {
	d := destinationFor(attr, u.Attributes[attr])
	validity := time.Duration(deref(c.Config.AuthSessionValidity)) * time.Minute
	code, err := s.issueCode(ctx, u, purpose, validity, nil)
	if err != nil {
		return err
	}
	if err := s.sendMFACode(ctx, p, u, d, code); err != nil {
		return err
	}
	del := d.delivery()
	params["CODE_DELIVERY_DELIVERY_MEDIUM"] = del.DeliveryMedium
	params["CODE_DELIVERY_DESTINATION"] = del.Destination
	return nil
}

// sendMFACode sends a sign-in code with the pool's MFA message.
func (s *Service) sendMFACode(ctx context.Context, p *Pool, u *store.User, d destination, code string) error {
	if err := s.countMFASend(ctx, u); err != nil {
		return err
	}
	t := templates{SMS: p.Config.SmsAuthenticationMessage, Email: defaultEmailMFAMessage, Subject: defaultEmailMFASubject}
	if t.SMS == "" {
		t.SMS = defaultSMSAuthMessage
	}
	if f := p.Config.MFAFactors; f != nil {
		if f.EmailMessage != "" {
			t.Email = f.EmailMessage
		}
		if f.EmailSubject != "" {
			t.Subject = f.EmailSubject
		}
	}
	return s.sendMessage(ctx, p, u, d, message.KindMFA, code, t) // messages.go
}

// mfaChallengeResponse stores an MFA challenge and answers it.
func (s *Service) mfaChallengeResponse(ctx context.Context, c *Client, u *store.User, name string, st mfaChallenge, params map[string]string) (*AuthResponse, error) {
	st.Hosted = hostedTx(ctx)
	data, err := json.Marshal(st)
	if err != nil {
		return nil, internal("mfa challenge", err)
	}
	id, err := s.putChallenge(ctx, c, u.Username, name, data, "")
	if err != nil {
		return nil, err
	}
	params["USER_ID_FOR_SRP"] = u.Username
	return &AuthResponse{ChallengeName: name, Session: id, ChallengeParameters: params}, nil
}

// respondMFA answers an MFA challenge of RespondToAuthChallenge.
func (s *Service) respondMFA(ctx context.Context, c *Client, name, session string, r map[string]string) (*AuthResponse, error) {
	var st mfaChallenge
	ch, err := s.takeChallenge(ctx, c, session, name, &st)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(st.Hosted), []byte(hostedTx(ctx))) != 1 {
		return nil, refused(CauseSignInSessionExpired) // the hosted UI's, or not
	}
	// keep puts the challenge back for another try, while tries remain.
	keep := func(err error) error {
		st.Attempts++
		if st.Attempts >= maxMFAChallengeAttempts {
			return err
		}
		ch.ID = session
		data, merr := json.Marshal(st)
		if merr != nil {
			return internal("mfa challenge", merr)
		}
		ch.Data = data
		if perr := s.challenges.PutChallenge(ctx, ch); perr != nil {
			return internal("restore challenge", perr)
		}
		return err
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	u, err := s.findUser(ctx, p, ch.Username)
	if err != nil {
		return nil, err
	}
	if !u.Enabled {
		return nil, refused(CauseUserDisabled)
	}
	// USERNAME, when sent, must name the challenge's user (by an alias,
	// too).
	if given := r["USERNAME"]; given != "" && given != u.Username {
		if other, err := s.findUser(ctx, p, given); err != nil || other.Sub != u.Sub {
			return nil, refused(CauseSignInSessionExpired)
		}
	}
	switch name {
	case ChallengeSelectMFAType:
		answer := r["ANSWER"]
		if !slices.Contains(st.Choices, answer) {
			return nil, keep(invalidf("Invalid ANSWER: %s is not one of the MFA types the user can choose", clip(answer, 32)))
		}
		return s.startFactor(ctx, p, c, u, answer, st.carryDevice())
	case ChallengeMFASetup:
		if !st.Verified || len(decodeMFA(u).Secret) == 0 {
			return nil, keep(invalidf("The software token has not been verified: call AssociateSoftwareToken and VerifySoftwareToken with the session first"))
		}
		return s.mfaSucceeded(ctx, c, u, st)
	}
	key := map[string]string{ChallengeSoftwareTokenMFA: "SOFTWARE_TOKEN_MFA_CODE", ChallengeSMSMFA: "SMS_MFA_CODE",
		ChallengeEmailOTP: "EMAIL_OTP_CODE"}[name]
	code := r[key]
	if code == "" {
		return nil, keep(invalidf("Missing required parameter %s", key))
	}
	attempt, err := s.claimMFA(ctx, p.ID, u.Username)
	if err != nil {
		return nil, keep(err)
	}
	if name == ChallengeSoftwareTokenMFA {
		err = s.redeemTOTP(ctx, p, u, code)
	} else {
		_, err = s.redeemCode(ctx, u, mfaCodePurpose, code)
		if IsKind(err, KindCodeMismatch) {
			err = &Error{Kind: KindCodeMismatch, Cause: CauseMFAOTPMismatch}
		}
	}
	switch {
	case err == nil:
		attempt.succeeded(ctx)
	case IsKind(err, KindCodeMismatch), isCause(err, CauseSoftwareTokenReused):
		attempt.failed(ctx)
		return nil, keep(err)
	case IsKind(err, KindCodeExpired), IsKind(err, KindLimitExceeded):
		attempt.failed(ctx)
		return nil, err
	default:
		attempt.abandoned(ctx)
		return nil, err
	}
	return s.mfaSucceeded(ctx, c, u, st)
}

// mfaSucceeded mints the tokens of a sign-in whose MFA step passed, with
// the sign-in's device (a new one is offered as NewDeviceMetadata); a
// hosted-UI challenge gets no tokens (hostedMFAPassed).
func (s *Service) mfaSucceeded(ctx context.Context, c *Client, u *store.User, st mfaChallenge) (*AuthResponse, error) {
	if st.Hosted != "" { // the hosted UI starts a web session instead
		return hostedMFAPassed(u), nil
	}
	if err := s.postAuthentication(ctx, c.PoolID, c.ID, u, st.NewDevice != nil); err != nil { // triggers_auth.go
		return nil, err
	}
	res, err := s.newSession(ctx, c, u, sessionOptions{source: SourceAPI, deviceKey: st.DeviceKey})
	if err != nil {
		return nil, err
	}
	res.NewDevice = st.NewDevice
	return &AuthResponse{Result: res}, nil
}

// redeemTOTP checks a software-token code of the user and records its time
// step as used: a step is accepted once, even by concurrent requests.
func (s *Service) redeemTOTP(ctx context.Context, p *Pool, u *store.User, code string) error {
	sealed := decodeMFA(u).Secret
	if len(sealed) == 0 { // removed since the challenge began
		return &Error{Kind: KindCodeMismatch, Cause: CauseMFACodeMismatch}
	}
	secret, err := s.openUserSecret(ctx, p.ID, u, sealed)
	if err != nil {
		return err
	}
	_, err = s.updateUser(ctx, u, func(u *store.User) error {
		m := decodeMFA(u)
		step, ok, replayed := checkTOTP(secret, code, s.now(), m.LastStep)
		switch {
		case replayed:
			return &Error{Kind: KindCodeExpired, Cause: CauseSoftwareTokenReused}
		case !ok:
			return &Error{Kind: KindCodeMismatch, Cause: CauseMFACodeMismatch}
		}
		m.LastStep = step
		return m.store(u)
	})
	return err
}

// clip shortens s to at most n bytes for a message.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// isCause reports whether err is a domain error of cause c.
func isCause(err error, c Cause) bool {
	var e *Error
	return errors.As(err, &e) && e.Cause == c
}

// mfaAttempt is a claimed check of an MFA code. It counts on the user's
// sign-in throttle like a password check (a wrong code is a failed
// sign-in), and on a second ladder of the user's own that only a right code
// resets: the password step's success forgets the first one's failures, so
// without it whoever knows the password could guess codes without end.
type mfaAttempt struct{ user, second *signInAttempt }

// mfaThrottleName is the throttle's name for the user's MFA ladder (no
// username holds a NUL).
func mfaThrottleName(username string) string { return "\x00mfa\x00" + username }

// claimMFA claims a slot on both ladders.
func (s *Service) claimMFA(ctx context.Context, poolID, username string) (*mfaAttempt, error) {
	second, err := s.claimSignIn(ctx, poolID, mfaThrottleName(username))
	if err != nil {
		return nil, err
	}
	user, err := s.claimSignIn(ctx, poolID, username)
	if err != nil {
		second.abandoned(ctx)
		return nil, err
	}
	return &mfaAttempt{user: user, second: second}, nil
}

func (a *mfaAttempt) succeeded(ctx context.Context) {
	a.user.succeeded(ctx)
	a.second.succeeded(ctx)
}

// failed counts the failure on both ladders, and once on the address.
func (a *mfaAttempt) failed(ctx context.Context) {
	a.user.failed(ctx)
	a.second.failed(WithCaller(ctx, Caller{}))
}

func (a *mfaAttempt) abandoned(ctx context.Context) {
	a.user.abandoned(ctx)
	a.second.abandoned(ctx)
}

// Sign-in codes have a sending limit of their own, higher than that of the
// other codes (countSend's): every sign-in of a user with SMS or e-mail MFA
// sends one.
const (
	maxMFASendsPerWindow = 20
	mfaSendWindow        = time.Hour
)

// countMFASend counts a sign-in code sent to the user against its limit.
func (s *Service) countMFASend(ctx context.Context, u *store.User) error {
	return s.countMFASendTo(ctx, "mfasend\x00"+u.PoolID+"\x00"+u.Sub)
}

// countMFASendTo counts a sign-in code sent under key against the limit:
// a user's, or (USER_AUTH's decoy challenge) a name no user has, so that
// the limit's refusal does not tell the two apart.
func (s *Service) countMFASendTo(ctx context.Context, key string) error {
	now := s.now()
	err := s.throttles.UpdateThrottle(ctx, key, func(st *store.Throttle) error {
		if now.Sub(st.Since) >= mfaSendWindow {
			st.Count, st.Since = 0, now
		}
		if st.Count >= maxMFASendsPerWindow {
			return &Error{Kind: KindLimitExceeded, Cause: CauseCodeAttemptsExceeded, RetryAfter: st.Since.Add(mfaSendWindow).Sub(now)}
		}
		st.Count++
		st.UpdatedAt = now
		return nil
	})
	if err != nil && AsError(err) == nil {
		return internal("count sends", err)
	}
	return err
}
