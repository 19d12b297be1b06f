package userpool

// Multi-factor authentication: the pool's MFA configuration
// (SetUserPoolMfaConfig, and MfaConfiguration at CreateUserPool and
// UpdateUserPool), each user's MFA preferences (SetUserMFAPreference,
// AdminSetUserMFAPreference) and the state behind them. The sign-in
// challenges are in mfasignin.go, software tokens in softwaretoken.go and
// the TOTP arithmetic in totp.go.

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/cognate-dev/cognate/store"
)

// MFA factors, as Cognito names them in challenges and settings lists.
const (
	MFASoftwareToken = "SOFTWARE_TOKEN_MFA"
	MFASMS           = "SMS_MFA"
	MFAEmail         = "EMAIL_OTP"
)

// Pool MFA modes (MfaConfiguration).
const (
	MFAOff      = "OFF"
	MFAOn       = "ON"
	MFAOptional = "OPTIONAL"
)

// Causes of MFA failures.
const (
	CauseMFANoFactor          Cause = "mfa-no-factor"       // ON or OPTIONAL without a factor
	CauseMFAOffWithFactor     Cause = "mfa-off-with-factor" // OFF together with a factor
	CauseSoftwareTokenUnverif Cause = "software-token-unverified"
	CauseNoSMSDelivery        Cause = "mfa-no-sms-delivery"     // SMS MFA for a user without a phone number
	CauseNoEmailDelivery      Cause = "mfa-no-email-delivery"   // e-mail MFA for a user without an e-mail
	CauseSoftwareTokenMissing Cause = "software-token-missing"  // VerifySoftwareToken before AssociateSoftwareToken
	CauseSoftwareTokenWrong   Cause = "software-token-mismatch" // VerifySoftwareToken with a wrong code
	CauseMFACodeMismatch      Cause = "mfa-code-mismatch"       // a wrong software-token code at sign-in
	CauseMFAOTPMismatch       Cause = "mfa-otp-mismatch"        // a wrong SMS or e-mail code at sign-in
	CauseSoftwareTokenReused  Cause = "software-token-reused"   // a software-token code (time step) used before
)

// Defaults of MFA messages.
const (
	defaultSMSAuthMessage    = "Your authentication code is {####}. "
	defaultEmailMFAMessage   = "Your verification code is {####}. "
	defaultEmailMFASubject   = "Your verification code"
	mfaCodePurpose           = "mfa"
	maxMFAChallengeAttempts  = MaxCodeAttempts
	maxFriendlyDeviceNameLen = 256
)

// MFAFactors are the pool's MFA factors beyond SMS's configuration.
type MFAFactors struct {
	SoftwareToken bool   `json:"softwareToken,omitempty"`
	SMSOff        bool   `json:"smsOff,omitempty"` // SmsConfiguration is kept, but not for MFA
	Email         bool   `json:"email,omitempty"`
	EmailMessage  string `json:"emailMessage,omitempty"`
	EmailSubject  string `json:"emailSubject,omitempty"`
}

// hasSMSConfig reports whether the pool has an SMS configuration.
func (c *PoolConfig) hasSMSConfig() bool {
	return len(c.SmsConfiguration) > 0 && string(c.SmsConfiguration) != "null"
}

// mfaFactors are the factors the pool enables, in Cognito's order.
func (c *PoolConfig) mfaFactors() []string {
	var out []string
	f := c.MFAFactors
	if f == nil {
		f = &MFAFactors{}
	}
	if c.hasSMSConfig() && !f.SMSOff {
		out = append(out, MFASMS)
	}
	if f.SoftwareToken {
		out = append(out, MFASoftwareToken)
	}
	if f.Email {
		out = append(out, MFAEmail)
	}
	return out
}

// normalizeMFA checks MfaConfiguration: ON and OPTIONAL need a factor.
func (c *PoolConfig) normalizeMFA() error {
	if c.MfaConfiguration == "" {
		c.MfaConfiguration = MFAOff
	}
	switch c.MfaConfiguration {
	case MFAOff, MFAOn, MFAOptional:
	default:
		return violation(Violation{Member: "mfaConfiguration", Rule: RuleEnum, Value: c.MfaConfiguration, Shown: true,
			Values: []string{MFAOff, MFAOn, MFAOptional}})
	}
	if c.MfaConfiguration != MFAOff && len(c.mfaFactors()) == 0 {
		return &Error{Kind: KindInvalid, Cause: CauseMFANoFactor}
	}
	return nil
}

// SMSMFAConfig is SetUserPoolMfaConfig's SmsMfaConfiguration.
type SMSMFAConfig struct {
	SmsAuthenticationMessage string          `json:"SmsAuthenticationMessage,omitempty"`
	SmsConfiguration         json.RawMessage `json:"SmsConfiguration,omitempty"`
}

// EmailMFAConfig is SetUserPoolMfaConfig's EmailMfaConfiguration.
type EmailMFAConfig struct {
	Message string `json:"Message,omitempty"`
	Subject string `json:"Subject,omitempty"`
}

// PoolMFAConfig is what SetUserPoolMfaConfig takes and GetUserPoolMfaConfig
// returns. A nil factor is disabled.
type PoolMFAConfig struct {
	MfaConfiguration string
	SoftwareToken    *bool // SoftwareTokenMfaConfiguration.Enabled
	SMS              *SMSMFAConfig
	Email            *EmailMFAConfig
}

// poolMFAConfig is the pool's MFA configuration as GetUserPoolMfaConfig
// shows it.
func poolMFAConfig(p *Pool) *PoolMFAConfig {
	cfg := p.Config
	out := &PoolMFAConfig{MfaConfiguration: cfg.MfaConfiguration}
	if out.MfaConfiguration == "" {
		out.MfaConfiguration = MFAOff
	}
	for _, f := range cfg.mfaFactors() {
		switch f {
		case MFASMS:
			out.SMS = &SMSMFAConfig{SmsAuthenticationMessage: cfg.SmsAuthenticationMessage, SmsConfiguration: cfg.SmsConfiguration}
		case MFASoftwareToken:
			out.SoftwareToken = ptr(true)
		case MFAEmail:
			out.Email = &EmailMFAConfig{Message: cfg.MFAFactors.EmailMessage, Subject: cfg.MFAFactors.EmailSubject}
		}
	}
	return out
}

// GetUserPoolMfaConfig returns the pool's MFA configuration.
func (s *Service) GetUserPoolMfaConfig(ctx context.Context, poolID string) (*PoolMFAConfig, error) {
	p, err := s.pool(ctx, poolID)
	if err != nil {
		return nil, err
	}
	return poolMFAConfig(p), nil
}

// SetUserPoolMfaConfig replaces the pool's MFA factors (a factor left out
// is disabled) and, when given, its MfaConfiguration; it returns the
// configuration now in force.
func (s *Service) SetUserPoolMfaConfig(ctx context.Context, poolID string, in PoolMFAConfig) (*PoolMFAConfig, error) {
	cur, err := s.pool(ctx, poolID)
	if err != nil {
		return nil, err
	}
	cfg := cur.Config
	if in.MfaConfiguration != "" {
		cfg.MfaConfiguration = in.MfaConfiguration
	}
	factor := (in.SoftwareToken != nil && *in.SoftwareToken) || in.SMS != nil || in.Email != nil
	if cfg.MfaConfiguration == MFAOff && factor {
		return nil, &Error{Kind: KindInvalid, Cause: CauseMFAOffWithFactor}
	}
	f := &MFAFactors{SoftwareToken: in.SoftwareToken != nil && *in.SoftwareToken, SMSOff: in.SMS == nil}
	if in.SMS != nil {
		if len(in.SMS.SmsConfiguration) > 0 && string(in.SMS.SmsConfiguration) != "null" {
			cfg.SmsConfiguration = in.SMS.SmsConfiguration
		}
		if in.SMS.SmsAuthenticationMessage != "" {
			if err := checkCodeTemplate("smsMfaConfiguration.smsAuthenticationMessage", in.SMS.SmsAuthenticationMessage, 6, 140); err != nil {
				return nil, err
			}
			cfg.SmsAuthenticationMessage = in.SMS.SmsAuthenticationMessage
		}
		if !cfg.hasSMSConfig() {
			return nil, invalidf("SMS configuration is required to enable SMS MFA.")
		}
	}
	if in.Email != nil {
		f.Email = true
		if in.Email.Message != "" {
			if err := checkCodeTemplate("emailMfaConfiguration.message", in.Email.Message, 6, 20000); err != nil {
				return nil, err
			}
		}
		if len(in.Email.Subject) > 140 {
			return nil, violation(Violation{Member: "emailMfaConfiguration.subject", Rule: RuleMaxLength, Max: 140})
		}
		f.EmailMessage, f.EmailSubject = in.Email.Message, in.Email.Subject
	}
	cfg.MFAFactors = f
	if err := cfg.normalizeMFA(); err != nil {
		return nil, err
	}
	settings, err := json.Marshal(cfg)
	if err != nil {
		return nil, internal("encode pool settings", err)
	}
	sp := &store.Pool{ID: cur.ID, Name: cur.Name, Settings: settings, CreatedAt: cur.CreationDate, UpdatedAt: s.now().UTC()}
	if err := s.pools.UpdatePool(ctx, sp); err != nil {
		return nil, internal("set pool mfa config", err)
	}
	cur.Config = cfg
	s.log.Info("user pool mfa configured", "pool", cur.ID, "mfa", cfg.MfaConfiguration)
	return poolMFAConfig(cur), nil
}

// checkCodeTemplate checks a message that must carry the code ({####}).
func checkCodeTemplate(member, msg string, minLen, maxLen int) error {
	if len(msg) < minLen || len(msg) > maxLen || !containsCode(msg) {
		return violation(Violation{Member: member, Rule: RuleLengthPattern, Min: minLen, Max: maxLen, Pattern: `.*\{####\}.*`})
	}
	return nil
}

func containsCode(s string) bool {
	for i := 0; i+6 <= len(s); i++ {
		if s[i:i+6] == "{####}" {
			return true
		}
	}
	return false
}

// userMFA is a user's MFA state, stored as store.User.MFA.
type userMFA struct {
	Secret  []byte `json:"secret,omitempty"`  // the verified software-token secret, sealed
	Pending []byte `json:"pending,omitempty"` // an associated secret awaiting VerifySoftwareToken, sealed
	// PendingAttempts counts wrong codes for Pending.
	PendingAttempts int      `json:"pendingAttempts,omitempty"`
	LastStep        int64    `json:"lastStep,omitempty"`
	DeviceName      string   `json:"deviceName,omitempty"`
	Enabled         []string `json:"enabled,omitempty"` // factors the user enabled, in Cognito's order
	Preferred       string   `json:"preferred,omitempty"`
}

func decodeMFA(u *store.User) *userMFA {
	m := &userMFA{}
	if len(u.MFA) > 0 {
		_ = json.Unmarshal(u.MFA, m) // a document we wrote; garbage reads as no MFA
	}
	return m
}

func (m *userMFA) store(u *store.User) error {
	b, err := json.Marshal(m)
	if err != nil {
		return internal("encode mfa", err)
	}
	u.MFA = b
	return nil
}

func (m *userMFA) enabled(f string) bool { return slices.Contains(m.Enabled, f) }

func (m *userMFA) setEnabled(f string, on bool) {
	if on == m.enabled(f) {
		return
	}
	if !on {
		m.Enabled = slices.DeleteFunc(m.Enabled, func(x string) bool { return x == f })
		if m.Preferred == f {
			m.Preferred = ""
		}
		return
	}
	var next []string
	for _, x := range []string{MFASMS, MFASoftwareToken, MFAEmail} {
		if x == f || m.enabled(x) {
			next = append(next, x)
		}
	}
	m.Enabled = next
}

// MFASetting is one factor of SetUserMFAPreference.
type MFASetting struct {
	Enabled      bool `json:"Enabled"`
	PreferredMfa bool `json:"PreferredMfa"`
}

// MFAPreference is what SetUserMFAPreference and AdminSetUserMFAPreference
// take: a nil factor is left as it is.
type MFAPreference struct {
	SMS           *MFASetting
	SoftwareToken *MFASetting
	Email         *MFASetting
}

// applyMFAPreference applies a preference to a user's MFA state.
func applyMFAPreference(u *store.User, in MFAPreference) error {
	m := decodeMFA(u)
	for _, x := range []struct {
		factor string
		set    *MFASetting
	}{{MFASMS, in.SMS}, {MFASoftwareToken, in.SoftwareToken}, {MFAEmail, in.Email}} {
		if x.set == nil {
			continue
		}
		if x.set.Enabled {
			switch {
			case x.factor == MFASMS && u.Attributes[attrPhone] == "":
				return &Error{Kind: KindInvalid, Cause: CauseNoSMSDelivery}
			case x.factor == MFAEmail && u.Attributes[attrEmail] == "":
				return &Error{Kind: KindInvalid, Cause: CauseNoEmailDelivery}
			case x.factor == MFASoftwareToken && len(m.Secret) == 0:
				return &Error{Kind: KindInvalid, Cause: CauseSoftwareTokenUnverif}
			}
		}
		m.setEnabled(x.factor, x.set.Enabled)
		switch {
		case x.set.PreferredMfa && x.set.Enabled:
			m.Preferred = x.factor
		case x.set.PreferredMfa:
			return invalidf("%s cannot be the preferred MFA when it is not enabled", x.factor)
		case m.Preferred == x.factor:
			m.Preferred = ""
		}
	}
	return m.store(u)
}

// SetUserMFAPreference sets the access token's user's MFA preferences.
func (s *Service) SetUserMFAPreference(ctx context.Context, accessToken string, in MFAPreference) error {
	return auditedErr(ctx, s, EventSetMFAPreference, "", func(ctx context.Context) error {
		pr, err := s.authenticate(ctx, accessToken)
		if err != nil {
			return err
		}
		_, err = s.updateUser(ctx, pr.user, func(u *store.User) error { return applyMFAPreference(u, in) })
		return err
	})
}

// AdminSetUserMFAPreference sets a user's MFA preferences.
func (s *Service) AdminSetUserMFAPreference(ctx context.Context, poolID, username string, in MFAPreference) error {
	return auditedErr(ctx, s, EventAdminSetMFAPreference, username, func(ctx context.Context) error {
		p, err := s.pool(ctx, poolID)
		if err != nil {
			return err
		}
		u, err := s.findUser(ctx, p, username)
		if err != nil {
			return err
		}
		_, err = s.updateUser(ctx, u, func(u *store.User) error { return applyMFAPreference(u, in) })
		return err
	})
}

// Audit event types of MFA.
const (
	EventSetMFAPreference      = "SetUserMFAPreference"
	EventAdminSetMFAPreference = "AdminSetUserMFAPreference"
	EventAssociateSoftwareTok  = "AssociateSoftwareToken"
	EventVerifySoftwareToken   = "VerifySoftwareToken"
)

// userMFASettings is what GetUser and AdminGetUser show of a user's MFA:
// UserMFASettingList and PreferredMfaSetting.
func userMFASettings(u *store.User) ([]string, string) {
	m := decodeMFA(u)
	return slices.Clone(m.Enabled), m.Preferred
}
