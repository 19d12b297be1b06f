package userpool

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// PasswordPolicy is a pool's password policy (Cognito member names).
type PasswordPolicy struct {
	MinimumLength                 int  `json:"MinimumLength"`
	RequireUppercase              bool `json:"RequireUppercase"`
	RequireLowercase              bool `json:"RequireLowercase"`
	RequireNumbers                bool `json:"RequireNumbers"`
	RequireSymbols                bool `json:"RequireSymbols"`
	TemporaryPasswordValidityDays int  `json:"TemporaryPasswordValidityDays"`
}

// PoolPolicies wraps the password policy as Cognito does.
type PoolPolicies struct {
	PasswordPolicy *PasswordPolicy `json:"PasswordPolicy,omitempty"`
	SignInPolicy   *SignInPolicy   `json:"SignInPolicy,omitempty"` // userauth.go
}

// UsernameConfiguration says whether usernames are case sensitive.
type UsernameConfiguration struct {
	CaseSensitive *bool `json:"CaseSensitive,omitempty"`
}

// RecoveryOption is one way to recover an account, by priority.
type RecoveryOption struct {
	Name     string `json:"Name"` // verified_email, verified_phone_number, admin_only
	Priority int    `json:"Priority"`
}

// AccountRecoverySetting orders the ways a user may reset a forgotten
// password.
type AccountRecoverySetting struct {
	RecoveryMechanisms []RecoveryOption `json:"RecoveryMechanisms"`
}

// VerificationMessageTemplate is the message that carries a verification
// code (sign-up, attribute verification, password reset). {####} is the code.
type VerificationMessageTemplate struct {
	SmsMessage         string `json:"SmsMessage,omitempty"`
	EmailMessage       string `json:"EmailMessage,omitempty"`
	EmailSubject       string `json:"EmailSubject,omitempty"`
	EmailMessageByLink string `json:"EmailMessageByLink,omitempty"`
	EmailSubjectByLink string `json:"EmailSubjectByLink,omitempty"`
	DefaultEmailOption string `json:"DefaultEmailOption,omitempty"` // CONFIRM_WITH_CODE or CONFIRM_WITH_LINK
}

// MessageTemplate is the invitation AdminCreateUser sends; {username} is
// the username and {####} the temporary password.
type MessageTemplate struct {
	SMSMessage   string `json:"SMSMessage,omitempty"`
	EmailMessage string `json:"EmailMessage,omitempty"`
	EmailSubject string `json:"EmailSubject,omitempty"`
}

// AdminCreateUserConfig configures administrator-created users.
type AdminCreateUserConfig struct {
	AllowAdminCreateUserOnly  bool             `json:"AllowAdminCreateUserOnly"`
	UnusedAccountValidityDays int              `json:"UnusedAccountValidityDays,omitempty"`
	InviteMessageTemplate     *MessageTemplate `json:"InviteMessageTemplate,omitempty"`
}

// UserAttributeUpdateSettings says which attributes keep their old value
// until a new one is verified.
type UserAttributeUpdateSettings struct {
	AttributesRequireVerificationBeforeUpdate []string `json:"AttributesRequireVerificationBeforeUpdate"`
}

// PoolConfig is the settings part of a pool, stored as JSON and echoed on the
// wire; json names are Cognito's member names. Settings this server keeps
// without acting on them yet (e-mail and SMS configuration, Lambda triggers,
// devices, add-ons) are kept as the caller sent them.
type PoolConfig struct {
	Policies                    *PoolPolicies                `json:"Policies,omitempty"`
	AutoVerifiedAttributes      []string                     `json:"AutoVerifiedAttributes,omitempty"`
	UsernameAttributes          []string                     `json:"UsernameAttributes,omitempty"`
	AliasAttributes             []string                     `json:"AliasAttributes,omitempty"`
	MfaConfiguration            string                       `json:"MfaConfiguration,omitempty"`
	UsernameConfiguration       *UsernameConfiguration       `json:"UsernameConfiguration,omitempty"`
	DeletionProtection          string                       `json:"DeletionProtection,omitempty"`
	UserPoolTags                map[string]string            `json:"UserPoolTags,omitempty"`
	SchemaAttributes            []SchemaAttribute            `json:"SchemaAttributes,omitempty"`
	AccountRecoverySetting      *AccountRecoverySetting      `json:"AccountRecoverySetting,omitempty"`
	VerificationMessageTemplate *VerificationMessageTemplate `json:"VerificationMessageTemplate,omitempty"`
	EmailVerificationMessage    string                       `json:"EmailVerificationMessage,omitempty"`
	EmailVerificationSubject    string                       `json:"EmailVerificationSubject,omitempty"`
	SmsVerificationMessage      string                       `json:"SmsVerificationMessage,omitempty"`
	SmsAuthenticationMessage    string                       `json:"SmsAuthenticationMessage,omitempty"`
	AdminCreateUserConfig       *AdminCreateUserConfig       `json:"AdminCreateUserConfig,omitempty"`
	UserAttributeUpdateSettings *UserAttributeUpdateSettings `json:"UserAttributeUpdateSettings,omitempty"`
	EmailConfiguration          json.RawMessage              `json:"EmailConfiguration,omitempty"`
	SmsConfiguration            json.RawMessage              `json:"SmsConfiguration,omitempty"`
	LambdaConfig                json.RawMessage              `json:"LambdaConfig,omitempty"`
	DeviceConfiguration         json.RawMessage              `json:"DeviceConfiguration,omitempty"`
	UserPoolAddOns              json.RawMessage              `json:"UserPoolAddOns,omitempty"`
	UserPoolTier                string                       `json:"UserPoolTier,omitempty"`        // poolsettings.go
	IssuerConfiguration         json.RawMessage              `json:"IssuerConfiguration,omitempty"` // kept as sent
	KeyConfiguration            json.RawMessage              `json:"KeyConfiguration,omitempty"`    // kept as sent
	// MFAFactors are the factors SetUserPoolMfaConfig enables (see mfa.go):
	// stored with the pool, never taken from nor shown by CreateUserPool,
	// UpdateUserPool or DescribeUserPool.
	MFAFactors *MFAFactors `json:"CognateMfaFactors,omitempty"`
}

// Cognito's default messages.
const (
	defaultVerificationMessage = "Your verification code is {####}. "
	defaultVerificationSubject = "Your verification code"
	defaultInviteMessage       = "Your username is {username} and temporary password is {####}. "
	defaultInviteSubject       = "Your temporary password"
)

func (c *PoolConfig) normalize() error {
	if err := c.normalizeDevices(); err != nil { // devices.go
		return err
	}
	if c.Policies == nil {
		c.Policies = &PoolPolicies{}
	}
	if c.Policies.PasswordPolicy == nil {
		c.Policies.PasswordPolicy = &PasswordPolicy{MinimumLength: 8, RequireUppercase: true,
			RequireLowercase: true, RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 7}
	}
	pp := c.Policies.PasswordPolicy
	if pp.MinimumLength == 0 {
		pp.MinimumLength = 8
	}
	if pp.MinimumLength < 6 || pp.MinimumLength > 99 {
		return violation(Violation{Member: "policies.passwordPolicy.minimumLength", Rule: RuleRange, Value: strconv.Itoa(pp.MinimumLength), Shown: true, Min: 6, Max: 99})
	}
	if pp.TemporaryPasswordValidityDays == 0 {
		pp.TemporaryPasswordValidityDays = 7
	}
	if pp.TemporaryPasswordValidityDays < 0 || pp.TemporaryPasswordValidityDays > 365 {
		return invalidf("TemporaryPasswordValidityDays must be between 0 and 365")
	}
	if err := c.normalizeSignInPolicy(); err != nil { // userauth.go
		return err
	}
	if err := c.normalizeMFA(); err != nil {
		return err
	}
	if err := c.normalizeStoredSettings(); err != nil { // poolsettings.go
		return err
	}
	if c.DeletionProtection == "" {
		c.DeletionProtection = "INACTIVE"
	}
	if c.DeletionProtection != "ACTIVE" && c.DeletionProtection != "INACTIVE" {
		return invalidf("DeletionProtection must be ACTIVE or INACTIVE")
	}
	for _, a := range c.AutoVerifiedAttributes {
		if a != "email" && a != "phone_number" {
			return violation(Violation{Member: "autoVerifiedAttributes", Rule: RuleEnum, Value: "[" + a + "]", Shown: true})
		}
	}
	if err := c.normalizeIdentifiers(); err != nil {
		return err
	}
	if err := c.normalizeRecovery(); err != nil {
		return err
	}
	return c.normalizeMessages()
}

// normalizeIdentifiers checks which attributes sign users in.
func (c *PoolConfig) normalizeIdentifiers() error {
	if len(c.UsernameAttributes) > 0 && len(c.AliasAttributes) > 0 {
		return invalidf("Only one of AliasAttributes or UsernameAttributes can be set in a User Pool.")
	}
	for _, a := range c.UsernameAttributes {
		if a != "email" && a != "phone_number" {
			return violation(Violation{Member: "usernameAttributes", Rule: RuleEnum, Value: "[" + a + "]", Shown: true,
				Values: []string{"phone_number", "email"}})
		}
	}
	for _, a := range c.AliasAttributes {
		if a != "email" && a != "phone_number" && a != "preferred_username" {
			return violation(Violation{Member: "aliasAttributes", Rule: RuleEnum, Value: "[" + a + "]", Shown: true,
				Values: []string{"phone_number", "email", "preferred_username"}})
		}
	}
	c.UsernameAttributes = dedupe(c.UsernameAttributes)
	c.AliasAttributes = dedupe(c.AliasAttributes)
	if c.UsernameConfiguration == nil {
		c.UsernameConfiguration = &UsernameConfiguration{}
	}
	if c.UsernameConfiguration.CaseSensitive == nil {
		t := true // Cognito's API default; Amplify asks for false
		c.UsernameConfiguration.CaseSensitive = &t
	}
	return nil
}

// normalizeRecovery checks the account recovery setting.
func (c *PoolConfig) normalizeRecovery() error {
	if c.AccountRecoverySetting == nil {
		return nil
	}
	seen := map[string]bool{}
	for _, m := range c.AccountRecoverySetting.RecoveryMechanisms {
		switch m.Name {
		case "verified_email", "verified_phone_number", "admin_only":
		default:
			return violation(Violation{Member: "accountRecoverySetting.recoveryMechanisms.member.name", Rule: RuleEnum,
				Value: m.Name, Shown: true, Values: []string{"verified_email", "verified_phone_number", "admin_only"}})
		}
		if seen[m.Name] || m.Priority < 1 || m.Priority > 2 {
			return invalidf("Invalid account recovery setting: each mechanism once, with priority 1 or 2")
		}
		if m.Name == "admin_only" && len(c.AccountRecoverySetting.RecoveryMechanisms) > 1 {
			return invalidf("admin_only cannot be combined with another recovery mechanism")
		}
		seen[m.Name] = true
	}
	slices.SortFunc(c.AccountRecoverySetting.RecoveryMechanisms, func(a, b RecoveryOption) int { return a.Priority - b.Priority })
	return nil
}

// normalizeMessages fills Cognito's default messages and keeps the two ways
// of setting the verification message in agreement, as Cognito does.
func (c *PoolConfig) normalizeMessages() error {
	if c.VerificationMessageTemplate == nil {
		c.VerificationMessageTemplate = &VerificationMessageTemplate{}
	}
	t := c.VerificationMessageTemplate
	t.SmsMessage = first(t.SmsMessage, c.SmsVerificationMessage, defaultVerificationMessage)
	t.EmailMessage = first(t.EmailMessage, c.EmailVerificationMessage, defaultVerificationMessage)
	t.EmailSubject = first(t.EmailSubject, c.EmailVerificationSubject, defaultVerificationSubject)
	if t.DefaultEmailOption == "" {
		t.DefaultEmailOption = "CONFIRM_WITH_CODE"
	}
	if t.DefaultEmailOption != "CONFIRM_WITH_CODE" && t.DefaultEmailOption != "CONFIRM_WITH_LINK" {
		return violation(Violation{Member: "verificationMessageTemplate.defaultEmailOption", Rule: RuleEnum,
			Value: t.DefaultEmailOption, Shown: true, Values: []string{"CONFIRM_WITH_LINK", "CONFIRM_WITH_CODE"}})
	}
	c.SmsVerificationMessage, c.EmailVerificationMessage, c.EmailVerificationSubject = t.SmsMessage, t.EmailMessage, t.EmailSubject
	for name, msg := range map[string]string{"EmailMessage": t.EmailMessage, "SmsMessage": t.SmsMessage} {
		if !strings.Contains(msg, "{####}") {
			return invalidf("The %s of the verification message must contain the {####} placeholder", name)
		}
	}
	if c.AdminCreateUserConfig == nil {
		c.AdminCreateUserConfig = &AdminCreateUserConfig{}
	}
	a := c.AdminCreateUserConfig
	if a.InviteMessageTemplate == nil {
		a.InviteMessageTemplate = &MessageTemplate{}
	}
	it := a.InviteMessageTemplate
	it.EmailMessage = first(it.EmailMessage, defaultInviteMessage)
	it.EmailSubject = first(it.EmailSubject, defaultInviteSubject)
	it.SMSMessage = first(it.SMSMessage, defaultInviteMessage)
	for name, msg := range map[string]string{"EmailMessage": it.EmailMessage, "SMSMessage": it.SMSMessage} {
		if !strings.Contains(msg, "{####}") || !strings.Contains(msg, "{username}") {
			return invalidf("The %s of the invitation must contain the {username} and {####} placeholders", name)
		}
	}
	if u := c.UserAttributeUpdateSettings; u != nil {
		for _, at := range u.AttributesRequireVerificationBeforeUpdate {
			if at != "email" && at != "phone_number" {
				return invalidf("AttributesRequireVerificationBeforeUpdate accepts email and phone_number only")
			}
			if !slices.Contains(c.AutoVerifiedAttributes, at) {
				return invalidf("%s must be an auto-verified attribute to require verification before update", at)
			}
		}
	}
	return nil
}

func (c *PoolConfig) caseSensitive() bool {
	return c.UsernameConfiguration == nil || c.UsernameConfiguration.CaseSensitive == nil || *c.UsernameConfiguration.CaseSensitive
}

// recoveryChannels returns the verified channels a password reset may use,
// in priority order ("email", "phone_number"); admin_only yields none.
// Without a setting Cognito's legacy order applies: phone, then e-mail.
func (c *PoolConfig) recoveryChannels() []string {
	if c.AccountRecoverySetting == nil || len(c.AccountRecoverySetting.RecoveryMechanisms) == 0 {
		return []string{"phone_number", "email"}
	}
	var out []string
	for _, m := range c.AccountRecoverySetting.RecoveryMechanisms {
		switch m.Name {
		case "verified_email":
			out = append(out, "email")
		case "verified_phone_number":
			out = append(out, "phone_number")
		}
	}
	return out
}

// verifyBeforeUpdate reports whether a new value of attr only replaces the
// old one once verified.
func (c *PoolConfig) verifyBeforeUpdate(attr string) bool {
	return c.UserAttributeUpdateSettings != nil && slices.Contains(c.UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate, attr)
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func dedupe(in []string) []string {
	var out []string
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
