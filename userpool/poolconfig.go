package userpool

import "strconv"

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
}

// UsernameConfiguration says whether usernames are case sensitive.
type UsernameConfiguration struct {
	CaseSensitive *bool `json:"CaseSensitive,omitempty"`
}

// PoolConfig is the settings part of a pool, stored as JSON and echoed on the
// wire; json names are Cognito's member names.
type PoolConfig struct {
	Policies               *PoolPolicies          `json:"Policies,omitempty"`
	AutoVerifiedAttributes []string               `json:"AutoVerifiedAttributes,omitempty"`
	UsernameAttributes     []string               `json:"UsernameAttributes,omitempty"`
	AliasAttributes        []string               `json:"AliasAttributes,omitempty"`
	MfaConfiguration       string                 `json:"MfaConfiguration,omitempty"`
	UsernameConfiguration  *UsernameConfiguration `json:"UsernameConfiguration,omitempty"`
	DeletionProtection     string                 `json:"DeletionProtection,omitempty"`
	UserPoolTags           map[string]string      `json:"UserPoolTags,omitempty"`
}

func (c *PoolConfig) normalize() error {
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
	if c.MfaConfiguration == "" {
		c.MfaConfiguration = "OFF"
	}
	if c.MfaConfiguration != "OFF" {
		return invalidf("MfaConfiguration %q is not supported by this server; use OFF", c.MfaConfiguration)
	}
	if c.DeletionProtection == "" {
		c.DeletionProtection = "INACTIVE"
	}
	if c.DeletionProtection != "ACTIVE" && c.DeletionProtection != "INACTIVE" {
		return invalidf("DeletionProtection must be ACTIVE or INACTIVE")
	}
	for _, a := range c.AutoVerifiedAttributes {
		if a != "email" && a != "phone_number" {
			return invalidf("AutoVerifiedAttributes must be email or phone_number, got %q", a)
		}
	}
	if len(c.UsernameAttributes) > 0 || len(c.AliasAttributes) > 0 {
		return invalidf("UsernameAttributes and AliasAttributes are not supported by this server yet")
	}
	if c.UsernameConfiguration == nil {
		t := true
		c.UsernameConfiguration = &UsernameConfiguration{CaseSensitive: &t}
	} else if c.UsernameConfiguration.CaseSensitive == nil {
		t := true
		c.UsernameConfiguration.CaseSensitive = &t
	}
	return nil
}

func (c *PoolConfig) caseSensitive() bool {
	return c.UsernameConfiguration == nil || c.UsernameConfiguration.CaseSensitive == nil || *c.UsernameConfiguration.CaseSensitive
}
