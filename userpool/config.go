package userpool

import (
	"net/url"
	"slices"
	"strings"
	"time"
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
		return invalidParam("1 validation error detected: Value '%d' at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: Member must have value between 6 and 99", pp.MinimumLength)
	}
	if pp.TemporaryPasswordValidityDays == 0 {
		pp.TemporaryPasswordValidityDays = 7
	}
	if pp.TemporaryPasswordValidityDays < 0 || pp.TemporaryPasswordValidityDays > 365 {
		return invalidParam("TemporaryPasswordValidityDays must be between 0 and 365")
	}
	if c.MfaConfiguration == "" {
		c.MfaConfiguration = "OFF"
	}
	if c.MfaConfiguration != "OFF" {
		return invalidParam("MfaConfiguration %q is not supported by this server; use OFF", c.MfaConfiguration)
	}
	if c.DeletionProtection == "" {
		c.DeletionProtection = "INACTIVE"
	}
	if c.DeletionProtection != "ACTIVE" && c.DeletionProtection != "INACTIVE" {
		return invalidParam("DeletionProtection must be ACTIVE or INACTIVE")
	}
	for _, a := range c.AutoVerifiedAttributes {
		if a != "email" && a != "phone_number" {
			return invalidParam("AutoVerifiedAttributes must be email or phone_number, got %q", a)
		}
	}
	if len(c.UsernameAttributes) > 0 || len(c.AliasAttributes) > 0 {
		return invalidParam("UsernameAttributes and AliasAttributes are not supported by this server yet")
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

// TokenValidityUnits gives the unit of each validity field.
type TokenValidityUnits struct {
	AccessToken  string `json:"AccessToken,omitempty"`
	IdToken      string `json:"IdToken,omitempty"`
	RefreshToken string `json:"RefreshToken,omitempty"`
}

// RefreshTokenRotation configures refresh-token rotation.
type RefreshTokenRotation struct {
	Feature                 string `json:"Feature,omitempty"`
	RetryGracePeriodSeconds *int   `json:"RetryGracePeriodSeconds,omitempty"`
}

// ClientConfig is the settings part of an app client, stored as JSON and echoed
// on the wire; json names are Cognito's member names. UpdateUserPoolClient
// replaces it whole.
type ClientConfig struct {
	AccessTokenValidity                      *int                  `json:"AccessTokenValidity,omitempty"`
	IdTokenValidity                          *int                  `json:"IdTokenValidity,omitempty"`
	RefreshTokenValidity                     *int                  `json:"RefreshTokenValidity,omitempty"`
	TokenValidityUnits                       *TokenValidityUnits   `json:"TokenValidityUnits,omitempty"`
	EnableTokenRevocation                    *bool                 `json:"EnableTokenRevocation,omitempty"`
	RefreshTokenRotation                     *RefreshTokenRotation `json:"RefreshTokenRotation,omitempty"`
	ExplicitAuthFlows                        []string              `json:"ExplicitAuthFlows,omitempty"`
	AuthSessionValidity                      *int                  `json:"AuthSessionValidity,omitempty"`
	CallbackURLs                             []string              `json:"CallbackURLs,omitempty"`
	LogoutURLs                               []string              `json:"LogoutURLs,omitempty"`
	DefaultRedirectURI                       string                `json:"DefaultRedirectURI,omitempty"`
	AllowedOAuthFlows                        []string              `json:"AllowedOAuthFlows,omitempty"`
	AllowedOAuthScopes                       []string              `json:"AllowedOAuthScopes,omitempty"`
	AllowedOAuthFlowsUserPoolClient          bool                  `json:"AllowedOAuthFlowsUserPoolClient,omitempty"`
	SupportedIdentityProviders               []string              `json:"SupportedIdentityProviders,omitempty"`
	PreventUserExistenceErrors               string                `json:"PreventUserExistenceErrors,omitempty"`
	ReadAttributes                           []string              `json:"ReadAttributes,omitempty"`
	WriteAttributes                          []string              `json:"WriteAttributes,omitempty"`
	EnablePropagateAdditionalUserContextData bool                  `json:"EnablePropagateAdditionalUserContextData,omitempty"`
}

var unitDur = map[string]time.Duration{
	"seconds": time.Second, "minutes": time.Minute, "hours": time.Hour, "days": 24 * time.Hour,
}

var knownAuthFlows = []string{
	"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH",
	"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_AUTH",
	// legacy names, still accepted by Cognito
	"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH",
}

func ptr[T any](v T) *T { return &v }

// normalize validates the configuration and fills Cognito's defaults.
func (c *ClientConfig) normalize() error {
	if c.TokenValidityUnits == nil {
		c.TokenValidityUnits = &TokenValidityUnits{}
	}
	u := c.TokenValidityUnits
	for _, p := range []*string{&u.AccessToken, &u.IdToken} {
		if *p == "" {
			*p = "hours"
		}
	}
	if u.RefreshToken == "" {
		u.RefreshToken = "days"
	}
	for name, unit := range map[string]string{"AccessToken": u.AccessToken, "IdToken": u.IdToken, "RefreshToken": u.RefreshToken} {
		if _, ok := unitDur[unit]; !ok {
			return invalidParam("1 validation error detected: Value '%s' at 'tokenValidityUnits.%s' failed to satisfy constraint: Member must satisfy enum value set: [seconds, minutes, hours, days]", unit, lowerFirst(name))
		}
	}
	if c.AccessTokenValidity == nil {
		c.AccessTokenValidity = ptr(int(time.Hour / unitDur[u.AccessToken]))
		if *c.AccessTokenValidity == 0 { // unit "days": default 60 min is not expressible; use minutes
			u.AccessToken, c.AccessTokenValidity = "minutes", ptr(60)
		}
	}
	if c.IdTokenValidity == nil {
		c.IdTokenValidity = ptr(int(time.Hour / unitDur[u.IdToken]))
		if *c.IdTokenValidity == 0 {
			u.IdToken, c.IdTokenValidity = "minutes", ptr(60)
		}
	}
	if c.RefreshTokenValidity == nil || *c.RefreshTokenValidity == 0 {
		c.RefreshTokenValidity = ptr(int(30 * 24 * time.Hour / unitDur[u.RefreshToken]))
	}
	if d := c.AccessTokenDuration(); d < 5*time.Minute || d > 24*time.Hour || *c.AccessTokenValidity < 1 {
		return invalidParam("Invalid range for token validity: AccessTokenValidity must be between 5 minutes and 1 day")
	}
	if d := c.IDTokenDuration(); d < 5*time.Minute || d > 24*time.Hour || *c.IdTokenValidity < 1 {
		return invalidParam("Invalid range for token validity: IdTokenValidity must be between 5 minutes and 1 day")
	}
	if d := c.RefreshTokenDuration(); d < time.Hour || d > 3650*24*time.Hour {
		return invalidParam("Invalid range for token validity: RefreshTokenValidity must be between 60 minutes and 10 years")
	}
	if rd := c.RefreshTokenDuration(); rd <= c.AccessTokenDuration() || rd <= c.IDTokenDuration() {
		return invalidParam("Invalid range for token validity: refresh token validity must be greater than access and ID token validity")
	}
	if c.EnableTokenRevocation == nil {
		c.EnableTokenRevocation = ptr(true)
	}
	if c.RefreshTokenRotation == nil {
		c.RefreshTokenRotation = &RefreshTokenRotation{}
	}
	r := c.RefreshTokenRotation
	if r.Feature == "" {
		r.Feature = "DISABLED"
	}
	if r.Feature != "ENABLED" && r.Feature != "DISABLED" {
		return invalidParam("1 validation error detected: Value '%s' at 'refreshTokenRotation.feature' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]", r.Feature)
	}
	if r.RetryGracePeriodSeconds == nil {
		r.RetryGracePeriodSeconds = ptr(0)
	}
	if g := *r.RetryGracePeriodSeconds; g < 0 || g > 60 {
		return invalidParam("1 validation error detected: Value '%d' at 'refreshTokenRotation.retryGracePeriodSeconds' failed to satisfy constraint: Member must have value between 0 and 60", g)
	}
	if len(c.ExplicitAuthFlows) == 0 {
		c.ExplicitAuthFlows = []string{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"}
	}
	for _, f := range c.ExplicitAuthFlows {
		if !slices.Contains(knownAuthFlows, f) {
			return invalidParam("1 validation error detected: Value '[%s]' at 'explicitAuthFlows' failed to satisfy constraint: Member must satisfy enum value set", f)
		}
	}
	if !slices.Contains(c.ExplicitAuthFlows, "ALLOW_REFRESH_TOKEN_AUTH") && slices.ContainsFunc(c.ExplicitAuthFlows, func(f string) bool { return strings.HasPrefix(f, "ALLOW_") }) {
		c.ExplicitAuthFlows = append(c.ExplicitAuthFlows, "ALLOW_REFRESH_TOKEN_AUTH")
	}
	if c.AuthSessionValidity == nil {
		c.AuthSessionValidity = ptr(3)
	}
	if v := *c.AuthSessionValidity; v < 3 || v > 15 {
		return invalidParam("1 validation error detected: Value '%d' at 'authSessionValidity' failed to satisfy constraint: Member must have value between 3 and 15", v)
	}
	if c.PreventUserExistenceErrors == "" {
		c.PreventUserExistenceErrors = "LEGACY"
	}
	if c.PreventUserExistenceErrors != "LEGACY" && c.PreventUserExistenceErrors != "ENABLED" {
		return invalidParam("PreventUserExistenceErrors must be LEGACY or ENABLED")
	}
	for _, list := range [][]string{c.CallbackURLs, c.LogoutURLs} {
		for _, raw := range list {
			if err := checkRedirectURL(raw); err != nil {
				return err
			}
		}
	}
	if c.DefaultRedirectURI != "" && !slices.Contains(c.CallbackURLs, c.DefaultRedirectURI) {
		return invalidParam("DefaultRedirectURI must be one of the CallbackURLs")
	}
	for _, f := range c.AllowedOAuthFlows {
		if f != "code" && f != "implicit" && f != "client_credentials" {
			return invalidParam("AllowedOAuthFlows: unknown flow %q", f)
		}
	}
	if c.AllowedOAuthFlowsUserPoolClient && len(c.AllowedOAuthFlows) == 0 {
		return invalidParam("AllowedOAuthFlows must be set when AllowedOAuthFlowsUserPoolClient is true")
	}
	return nil
}

func checkRedirectURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Fragment != "" || len(raw) > 1024 {
		return invalidParam("Invalid URL %q: must be absolute, without a fragment", raw)
	}
	if u.Scheme == "http" && u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1" && u.Hostname() != "::1" {
		return invalidParam("Invalid URL %q: http is allowed for localhost only", raw)
	}
	return nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// AccessTokenDuration is the access-token lifetime.
func (c *ClientConfig) AccessTokenDuration() time.Duration {
	return time.Duration(deref(c.AccessTokenValidity)) * unitDur[c.TokenValidityUnits.AccessToken]
}

// IDTokenDuration is the ID-token lifetime.
func (c *ClientConfig) IDTokenDuration() time.Duration {
	return time.Duration(deref(c.IdTokenValidity)) * unitDur[c.TokenValidityUnits.IdToken]
}

// RefreshTokenDuration is the refresh-token lifetime.
func (c *ClientConfig) RefreshTokenDuration() time.Duration {
	return time.Duration(deref(c.RefreshTokenValidity)) * unitDur[c.TokenValidityUnits.RefreshToken]
}

// RevocationEnabled reports whether EnableTokenRevocation is on.
func (c *ClientConfig) RevocationEnabled() bool {
	return c.EnableTokenRevocation == nil || *c.EnableTokenRevocation
}

// RotationEnabled reports whether refresh-token rotation is on.
func (c *ClientConfig) RotationEnabled() bool {
	return c.RefreshTokenRotation != nil && c.RefreshTokenRotation.Feature == "ENABLED"
}

func (c *ClientConfig) gracePeriod() time.Duration {
	if c.RefreshTokenRotation == nil || c.RefreshTokenRotation.RetryGracePeriodSeconds == nil {
		return 0
	}
	return time.Duration(*c.RefreshTokenRotation.RetryGracePeriodSeconds) * time.Second
}

func (c *ClientConfig) allowsFlow(allow, legacy string) bool {
	return slices.Contains(c.ExplicitAuthFlows, allow) || (legacy != "" && slices.Contains(c.ExplicitAuthFlows, legacy))
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
