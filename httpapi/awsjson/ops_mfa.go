package awsjson

import (
	"context"
	"encoding/json"

	"github.com/cognate-dev/cognate/userpool"
)

// hideMFAFactors drops what only GetUserPoolMfaConfig shows.
func hideMFAFactors(c userpool.PoolConfig) userpool.PoolConfig {
	c.MFAFactors = nil
	return c
}

type softwareTokenMfaConfigType struct {
	Enabled bool `json:"Enabled"`
}

// mfaConfigOut is the answer of GetUserPoolMfaConfig and SetUserPoolMfaConfig.
type mfaConfigOut struct {
	SmsMfaConfiguration           *userpool.SMSMFAConfig      `json:"SmsMfaConfiguration,omitempty"`
	SoftwareTokenMfaConfiguration *softwareTokenMfaConfigType `json:"SoftwareTokenMfaConfiguration,omitempty"`
	EmailMfaConfiguration         *userpool.EmailMFAConfig    `json:"EmailMfaConfiguration,omitempty"`
	MfaConfiguration              string                      `json:"MfaConfiguration"`
}

func mfaConfigWire(c *userpool.PoolMFAConfig) *mfaConfigOut {
	out := &mfaConfigOut{SmsMfaConfiguration: c.SMS, EmailMfaConfiguration: c.Email, MfaConfiguration: c.MfaConfiguration}
	if c.SoftwareToken != nil {
		out.SoftwareTokenMfaConfiguration = &softwareTokenMfaConfigType{Enabled: *c.SoftwareToken}
	}
	return out
}

// mfaSettingsIn are the factor members of (Admin)SetUserMFAPreference.
type mfaSettingsIn struct {
	SMSMfaSettings           *userpool.MFASetting `json:"SMSMfaSettings"`
	SoftwareTokenMfaSettings *userpool.MFASetting `json:"SoftwareTokenMfaSettings"`
	EmailMfaSettings         *userpool.MFASetting `json:"EmailMfaSettings"`
	WebAuthnMfaSettings      json.RawMessage      `json:"WebAuthnMfaSettings"` // accepted, not supported
}

func (m *mfaSettingsIn) preference() userpool.MFAPreference {
	return userpool.MFAPreference{SMS: m.SMSMfaSettings, SoftwareToken: m.SoftwareTokenMfaSettings, Email: m.EmailMfaSettings}
}

// mfaOperations are the MFA operations.
func mfaOperations() map[string]operation {
	return map[string]operation{
		"GetUserPoolMfaConfig": op(true, func(ctx context.Context, s *userpool.Service, in *poolRef) (any, error) {
			c, err := s.GetUserPoolMfaConfig(ctx, in.UserPoolID)
			if err != nil {
				return nil, err
			}
			return mfaConfigWire(c), nil
		}),
		"SetUserPoolMfaConfig": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID                    string                      `json:"UserPoolId"`
			SmsMfaConfiguration           *userpool.SMSMFAConfig      `json:"SmsMfaConfiguration"`
			SoftwareTokenMfaConfiguration *softwareTokenMfaConfigType `json:"SoftwareTokenMfaConfiguration"`
			EmailMfaConfiguration         *userpool.EmailMFAConfig    `json:"EmailMfaConfiguration"`
			WebAuthnConfiguration         json.RawMessage             `json:"WebAuthnConfiguration"` // accepted, not supported
			MfaConfiguration              string                      `json:"MfaConfiguration"`
		}) (any, error) {
			cfg := userpool.PoolMFAConfig{MfaConfiguration: in.MfaConfiguration, SMS: in.SmsMfaConfiguration, Email: in.EmailMfaConfiguration}
			if in.SoftwareTokenMfaConfiguration != nil {
				cfg.SoftwareToken = &in.SoftwareTokenMfaConfiguration.Enabled
			}
			c, err := s.SetUserPoolMfaConfig(ctx, in.UserPoolID, cfg)
			if err != nil {
				return nil, err
			}
			return mfaConfigWire(c), nil
		}),
		"SetUserMFAPreference": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			AccessToken string `json:"AccessToken"`
			mfaSettingsIn
		}) (any, error) {
			return empty(s.SetUserMFAPreference(ctx, in.AccessToken, in.preference()))
		}),
		"AdminSetUserMFAPreference": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID string `json:"UserPoolId"`
			Username   string `json:"Username"`
			mfaSettingsIn
		}) (any, error) {
			return empty(s.AdminSetUserMFAPreference(ctx, in.UserPoolID, in.Username, in.preference()))
		}),
		"AssociateSoftwareToken": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			AccessToken string `json:"AccessToken"`
			Session     string `json:"Session"`
		}) (any, error) {
			code, next, err := s.AssociateSoftwareToken(ctx, in.AccessToken, in.Session)
			if err != nil {
				return nil, err
			}
			return struct {
				SecretCode string `json:"SecretCode"`
				Session    string `json:"Session,omitempty"`
			}{code, next}, nil
		}),
		"VerifySoftwareToken": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			AccessToken        string `json:"AccessToken"`
			Session            string `json:"Session"`
			UserCode           string `json:"UserCode"`
			FriendlyDeviceName string `json:"FriendlyDeviceName"`
		}) (any, error) {
			status, next, err := s.VerifySoftwareToken(ctx, in.AccessToken, in.Session, in.UserCode, in.FriendlyDeviceName)
			if err != nil {
				return nil, err
			}
			return struct {
				Status  string `json:"Status"`
				Session string `json:"Session,omitempty"`
			}{status, next}, nil
		}),
	}
}
