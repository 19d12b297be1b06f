package userpool

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
			return violation(Violation{Member: "tokenValidityUnits." + lowerFirst(name), Rule: RuleEnum, Value: unit, Shown: true,
				Values: []string{"seconds", "minutes", "hours", "days"}})
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
		return invalidf("Invalid range for token validity: AccessTokenValidity must be between 5 minutes and 1 day")
	}
	if d := c.IDTokenDuration(); d < 5*time.Minute || d > 24*time.Hour || *c.IdTokenValidity < 1 {
		return invalidf("Invalid range for token validity: IdTokenValidity must be between 5 minutes and 1 day")
	}
	if d := c.RefreshTokenDuration(); d < time.Hour || d > 3650*24*time.Hour {
		return invalidf("Invalid range for token validity: RefreshTokenValidity must be between 60 minutes and 10 years")
	}
	if rd := c.RefreshTokenDuration(); rd <= c.AccessTokenDuration() || rd <= c.IDTokenDuration() {
		return invalidf("Invalid range for token validity: refresh token validity must be greater than access and ID token validity")
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
		return violation(Violation{Member: "refreshTokenRotation.feature", Rule: RuleEnum, Value: r.Feature, Shown: true,
			Values: []string{"ENABLED", "DISABLED"}})
	}
	if r.RetryGracePeriodSeconds == nil {
		r.RetryGracePeriodSeconds = ptr(0)
	}
	if g := *r.RetryGracePeriodSeconds; g < 0 || g > 60 {
		return violation(Violation{Member: "refreshTokenRotation.retryGracePeriodSeconds", Rule: RuleRange, Value: strconv.Itoa(g), Shown: true, Min: 0, Max: 60})
	}
	if len(c.ExplicitAuthFlows) == 0 {
		c.ExplicitAuthFlows = []string{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"}
	}
	for _, f := range c.ExplicitAuthFlows {
		if !slices.Contains(knownAuthFlows, f) {
			return violation(Violation{Member: "explicitAuthFlows", Rule: RuleEnum, Value: "[" + f + "]", Shown: true})
		}
	}
	if !slices.Contains(c.ExplicitAuthFlows, "ALLOW_REFRESH_TOKEN_AUTH") && slices.ContainsFunc(c.ExplicitAuthFlows, func(f string) bool { return strings.HasPrefix(f, "ALLOW_") }) {
		c.ExplicitAuthFlows = append(c.ExplicitAuthFlows, "ALLOW_REFRESH_TOKEN_AUTH")
	}
	if c.AuthSessionValidity == nil {
		c.AuthSessionValidity = ptr(3)
	}
	if v := *c.AuthSessionValidity; v < 3 || v > 15 {
		return violation(Violation{Member: "authSessionValidity", Rule: RuleRange, Value: strconv.Itoa(v), Shown: true, Min: 3, Max: 15})
	}
	if c.PreventUserExistenceErrors == "" {
		c.PreventUserExistenceErrors = "LEGACY"
	}
	if c.PreventUserExistenceErrors != "LEGACY" && c.PreventUserExistenceErrors != "ENABLED" {
		return invalidf("PreventUserExistenceErrors must be LEGACY or ENABLED")
	}
	for _, list := range [][]string{c.CallbackURLs, c.LogoutURLs} {
		for _, raw := range list {
			if err := checkRedirectURL(raw); err != nil {
				return err
			}
		}
	}
	if c.DefaultRedirectURI != "" && !slices.Contains(c.CallbackURLs, c.DefaultRedirectURI) {
		return invalidf("DefaultRedirectURI must be one of the CallbackURLs")
	}
	for _, f := range c.AllowedOAuthFlows {
		if f != "code" && f != "implicit" && f != "client_credentials" {
			return invalidf("AllowedOAuthFlows: unknown flow %q", f)
		}
	}
	if c.AllowedOAuthFlowsUserPoolClient && len(c.AllowedOAuthFlows) == 0 {
		return invalidf("AllowedOAuthFlows must be set when AllowedOAuthFlowsUserPoolClient is true")
	}
	return nil
}

func checkRedirectURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Fragment != "" || len(raw) > 1024 {
		return invalidf("Invalid URL %q: must be absolute, without a fragment", raw)
	}
	if u.Scheme == "http" && u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1" && u.Hostname() != "::1" {
		return invalidf("Invalid URL %q: http is allowed for localhost only", raw)
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

// tokenTTL is the longest life of the access and ID tokens the client's
// families mint.
func (c *ClientConfig) tokenTTL() time.Duration {
	return max(c.AccessTokenDuration(), c.IDTokenDuration())
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
