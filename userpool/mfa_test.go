package userpool_test

import (
	"bytes"
	"encoding/base32"
	"testing"

	"github.com/cognate-dev/cognate/userpool"
)

func TestMFAConfigValidation(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.SetUserPoolMfaConfig(e.ctx(), e.pool, userpool.PoolMFAConfig{MfaConfiguration: userpool.MFAOptional})
	wantRefused(t, "OPTIONAL without a factor", err, userpool.KindInvalid, userpool.CauseMFANoFactor, "")
	_, err = e.svc.SetUserPoolMfaConfig(e.ctx(), e.pool, userpool.PoolMFAConfig{MfaConfiguration: userpool.MFAOff,
		Email: &userpool.EmailMFAConfig{}})
	wantRefused(t, "OFF with a factor", err, userpool.KindInvalid, userpool.CauseMFAOffWithFactor, "")
	_, err = e.svc.SetUserPoolMfaConfig(e.ctx(), e.pool, userpool.PoolMFAConfig{MfaConfiguration: userpool.MFAOn,
		SMS: &userpool.SMSMFAConfig{}})
	if !userpool.IsKind(err, userpool.KindInvalid) {
		t.Fatalf("SMS MFA without an SMS configuration: %v", err)
	}
	_, err = e.svc.SetUserPoolMfaConfig(e.ctx(), e.pool, userpool.PoolMFAConfig{MfaConfiguration: "MAYBE", SoftwareToken: ptrTo(true)})
	if !userpool.IsKind(err, userpool.KindInvalid) {
		t.Fatalf("MAYBE: %v", err)
	}
	got, err := e.svc.SetUserPoolMfaConfig(e.ctx(), e.pool, userpool.PoolMFAConfig{MfaConfiguration: userpool.MFAOn, SoftwareToken: ptrTo(true)})
	if err != nil || got.SoftwareToken == nil || !*got.SoftwareToken || got.SMS != nil || got.Email != nil {
		t.Fatalf("ON with software tokens: %+v %v", got, err)
	}
	// The factors are not part of the pool's description.
	p, err := e.svc.DescribeUserPool(e.ctx(), e.pool)
	if err != nil || p.Config.MfaConfiguration != userpool.MFAOn {
		t.Fatalf("DescribeUserPool: %v %v", p.Config.MfaConfiguration, err)
	}
}

// TestSoftwareTokenSecretSealed: the secret is stored sealed, shown once,
// and a sign-in needs a code of it; the hosted UI refuses a user who needs
// MFA (it has no MFA form yet) rather than let MFA be skipped.
func TestSoftwareTokenSecretSealed(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.SetUserPoolMfaConfig(e.ctx(), e.pool, userpool.PoolMFAConfig{MfaConfiguration: userpool.MFAOptional,
		SoftwareToken: ptrTo(true)}); err != nil {
		t.Fatal(err)
	}
	res := e.signIn(e.app, "alice")
	code, next, err := e.svc.AssociateSoftwareToken(e.ctx(), res.AccessToken, "")
	if err != nil || next != "" || len(code) != 32 {
		t.Fatalf("AssociateSoftwareToken: %q %q %v", code, next, err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(code)
	if err != nil || len(secret) != 20 {
		t.Fatalf("secret: %d bytes, %v", len(secret), err)
	}
	u, err := e.st.GetUser(e.ctx(), e.pool, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(u.MFA, secret) || bytes.Contains(u.MFA, []byte(code)) {
		t.Fatal("the store holds the secret in the clear")
	}
	status, _, err := e.svc.VerifySoftwareToken(e.ctx(), res.AccessToken, "", totp(secret, e.clock.Now().Unix()/30), "")
	if err != nil || status != "SUCCESS" {
		t.Fatalf("VerifySoftwareToken: %s %v", status, err)
	}
	r, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: e.app.ID, AuthFlow: userpool.FlowUserPassword,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": password}})
	if err != nil || r.ChallengeName != userpool.ChallengeSoftwareTokenMFA || r.Result != nil {
		t.Fatalf("InitiateAuth: %+v %v", r, err)
	}

	web := e.newClient(userpool.ClientInput{Name: "web", GenerateSecret: true, Config: userpool.ClientConfig{
		CallbackURLs: []string{"https://app.example.com/cb"}, AllowedOAuthFlows: []string{"code"},
		AllowedOAuthScopes: []string{"openid"}, AllowedOAuthFlowsUserPoolClient: true}})
	req, err := e.svc.CheckAuthorize(e.ctx(), e.pool, userpool.AuthorizeParams{ClientID: web.ID,
		RedirectURI: "https://app.example.com/cb", ResponseType: "code"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.HostedLogin(e.ctx(), userpool.LoginInput{Request: req, Username: "alice", Password: password}); !userpool.IsKind(err, userpool.KindUserState) {
		t.Fatalf("HostedLogin of a user with MFA: %v", err)
	}
}

func ptrTo[T any](v T) *T { return &v }

// totp is RFC 6238's 6-digit code of step, as an authenticator computes it.
func totp(secret []byte, step int64) string {
	return userpool.TOTPForTest(secret, step)
}

// TestEmailOTPSendLimit: sign-in codes have their own sending limit, above
// that of the other codes, so a user may sign in several times an hour.
func TestEmailOTPSendLimit(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.SetUserPoolMfaConfig(e.ctx(), e.pool, userpool.PoolMFAConfig{MfaConfiguration: userpool.MFAOptional,
		Email: &userpool.EmailMFAConfig{}}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminSetUserMFAPreference(e.ctx(), e.pool, "alice", userpool.MFAPreference{
		Email: &userpool.MFASetting{Enabled: true, PreferredMfa: true}}); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		r, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: e.app.ID, AuthFlow: userpool.FlowUserPassword,
			AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": password}})
		if err != nil || r.ChallengeName != userpool.ChallengeEmailOTP {
			t.Fatalf("sign-in %d: %+v %v", i, r, err)
		}
		code := e.outbox.List(e.pool, "alice@example.com")[0].Code
		r, err = e.svc.RespondToAuthChallenge(e.ctx(), userpool.RespondInput{ClientID: e.app.ID, ChallengeName: userpool.ChallengeEmailOTP,
			Session: r.Session, Responses: map[string]string{"USERNAME": "alice", "EMAIL_OTP_CODE": code}})
		if err != nil || r.Result == nil {
			t.Fatalf("sign-in %d: %+v %v", i, r, err)
		}
	}
}
