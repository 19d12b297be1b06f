package userpool_test

import (
	"fmt"
	"testing"

	"github.com/cognate-dev/cognate/userpool"
)

// proof is how a test request presents the client's credentials.
type proof int

const (
	proofRight proof = iota // the right secret or SECRET_HASH
	proofNone               // nothing
	proofWrong              // a wrong one
)

func (p proof) String() string { return [...]string{"right", "none", "wrong"}[p] }

// TestClientAuthenticationEveryEntryPoint drives every entry point that
// authenticates an app client (the sign-in flows, USER_AUTH and its
// SELECT_CHALLENGE, the MFA and device challenges, refresh, revocation over
// both protocols, sign-up and password recovery) with every kind of proof, for a confidential
// and a public client, and expects the same answer everywhere: a
// confidential client must prove itself, a public client must not send a
// secret.
func TestClientAuthenticationEveryEntryPoint(t *testing.T) {
	e := newEnv(t)
	oauth := userpool.ClientConfig{ExplicitAuthFlows: []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH",
		"ALLOW_USER_SRP_AUTH", "ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		AllowedOAuthFlows: []string{"code"}, AllowedOAuthScopes: []string{"openid"}, AllowedOAuthFlowsUserPoolClient: true,
		CallbackURLs: []string{"https://app.example.com/cb"}}
	conf := e.newClient(userpool.ClientInput{Name: "confidential", GenerateSecret: true, Config: oauth})
	pub := e.newClient(userpool.ClientInput{Name: "public", Config: oauth})
	refresh := map[string]string{}
	for _, c := range []*userpool.Client{conf, pub} {
		refresh[c.ID] = e.signIn(c, "alice").RefreshToken
	}

	// secret and hash are what a request of proof p carries for client c.
	secret := func(c *userpool.Client, p proof) string {
		switch {
		case p == proofNone:
			return ""
		case p == proofWrong || c.Secret == "":
			return "not-the-secret-at-all-0123456789"
		}
		return c.Secret
	}
	hash := func(c *userpool.Client, p proof, name string) string {
		switch {
		case p == proofNone:
			return ""
		case p == proofWrong || c.Secret == "":
			return "bm90IHRoZSBoYXNoIGF0IGFsbCwgc29ycnkgYWJvdXQgdGhhdA=="
		}
		return secretHash(c, name)
	}
	entries := []struct {
		name string
		call func(c *userpool.Client, p proof) error
	}{
		{"InitiateAuth USER_PASSWORD_AUTH", func(c *userpool.Client, p proof) error {
			_, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: c.ID, AuthFlow: userpool.FlowUserPassword,
				AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": password, "SECRET_HASH": hash(c, p, "alice")}})
			return err
		}},
		{"AdminInitiateAuth", func(c *userpool.Client, p proof) error {
			_, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{PoolID: e.pool, ClientID: c.ID, Admin: true,
				AuthFlow:       userpool.FlowAdminUserPassword,
				AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": password, "SECRET_HASH": hash(c, p, "alice")}})
			return err
		}},
		{"InitiateAuth USER_SRP_AUTH", func(c *userpool.Client, p proof) error {
			_, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: c.ID, AuthFlow: userpool.FlowUserSRP,
				AuthParameters: map[string]string{"USERNAME": "alice", "SRP_A": "1234abcd", "SECRET_HASH": hash(c, p, "alice")}})
			return err
		}},
		{"InitiateAuth USER_AUTH", func(c *userpool.Client, p proof) error {
			_, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: c.ID, AuthFlow: userpool.FlowUserAuth,
				AuthParameters: map[string]string{"USERNAME": "alice", "PREFERRED_CHALLENGE": userpool.FactorPassword,
					"PASSWORD": password, "SECRET_HASH": hash(c, p, "alice")}})
			return err
		}},
		{"InitiateAuth REFRESH_TOKEN_AUTH", func(c *userpool.Client, p proof) error {
			_, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: c.ID, AuthFlow: userpool.FlowRefreshToken,
				AuthParameters: map[string]string{"REFRESH_TOKEN": refresh[c.ID], "SECRET_HASH": hash(c, p, "alice")}})
			return err
		}},
		{"RespondToAuthChallenge", func(c *userpool.Client, p proof) error {
			_, err := e.svc.RespondToAuthChallenge(e.ctx(), userpool.RespondInput{ClientID: c.ID,
				ChallengeName: userpool.ChallengeNewPassword, Session: "no-such-session",
				Responses: map[string]string{"USERNAME": "alice", "NEW_PASSWORD": password, "SECRET_HASH": hash(c, p, "alice")}})
			return err
		}},
		{"RespondToAuthChallenge SELECT_CHALLENGE", func(c *userpool.Client, p proof) error {
			_, err := e.svc.RespondToAuthChallenge(e.ctx(), userpool.RespondInput{ClientID: c.ID,
				ChallengeName: userpool.ChallengeSelectChallenge, Session: "no-such-session",
				Responses: map[string]string{"USERNAME": "alice", "ANSWER": userpool.FactorPassword, "PASSWORD": password,
					"SECRET_HASH": hash(c, p, "alice")}})
			return err
		}},
		{"RespondToAuthChallenge SOFTWARE_TOKEN_MFA", func(c *userpool.Client, p proof) error {
			_, err := e.svc.RespondToAuthChallenge(e.ctx(), userpool.RespondInput{ClientID: c.ID,
				ChallengeName: userpool.ChallengeSoftwareTokenMFA, Session: "no-such-session",
				Responses: map[string]string{"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": "123456", "SECRET_HASH": hash(c, p, "alice")}})
			return err
		}},
		{"RespondToAuthChallenge DEVICE_SRP_AUTH", func(c *userpool.Client, p proof) error {
			_, err := e.svc.RespondToAuthChallenge(e.ctx(), userpool.RespondInput{ClientID: c.ID,
				ChallengeName: userpool.ChallengeDeviceSRP, Session: "no-such-session",
				Responses: map[string]string{"USERNAME": "alice", "DEVICE_KEY": "us-east-1_device", "SRP_A": "1234abcd",
					"SECRET_HASH": hash(c, p, "alice")}})
			return err
		}},
		{"GetTokensFromRefreshToken", func(c *userpool.Client, p proof) error {
			_, err := e.svc.GetTokensFromRefreshToken(e.ctx(), c.ID, secret(c, p), refresh[c.ID])
			return err
		}},
		{"RevokeToken", func(c *userpool.Client, p proof) error {
			// An unknown token: a successful client authentication answers 200.
			return e.svc.RevokeToken(e.ctx(), "unknown.refresh.token.of.five", c.ID, secret(c, p))
		}},
		{"/oauth2/token", func(c *userpool.Client, p proof) error {
			_, err := e.svc.OAuthToken(e.ctx(), e.pool, userpool.TokenRequest{GrantType: "refresh_token",
				RefreshToken: refresh[c.ID], ClientID: c.ID, ClientSecret: secret(c, p)})
			return err
		}},
		{"/oauth2/revoke", func(c *userpool.Client, p proof) error {
			return e.svc.OAuthRevoke(e.ctx(), e.pool, "unknown.refresh.token.of.five", c.ID, secret(c, p))
		}},
		{"SignUp", func(c *userpool.Client, p proof) error {
			name := fmt.Sprintf("new-%s-%s", c.Name, p)
			_, err := e.svc.SignUp(e.ctx(), userpool.SignUpInput{ClientID: c.ID, SecretHash: hash(c, p, name),
				Username: name, Password: password})
			return err
		}},
		{"ResendConfirmationCode", func(c *userpool.Client, p proof) error {
			_, err := e.svc.ResendConfirmationCode(e.ctx(), c.ID, hash(c, p, "nobody"), "nobody")
			return err
		}},
		{"ForgotPassword", func(c *userpool.Client, p proof) error {
			_, err := e.svc.ForgotPassword(e.ctx(), userpool.ForgotPasswordInput{ClientID: c.ID, SecretHash: hash(c, p, "nobody"), Username: "nobody"})
			return err
		}},
		{"ConfirmForgotPassword", func(c *userpool.Client, p proof) error {
			return e.svc.ConfirmForgotPassword(e.ctx(), userpool.ConfirmForgotPasswordInput{ClientID: c.ID, SecretHash: hash(c, p, "nobody"),
				Username: "nobody", Code: "123456", Password: password})
		}},
		{"ConfirmSignUp", func(c *userpool.Client, p proof) error {
			return e.svc.ConfirmSignUp(e.ctx(), userpool.ConfirmSignUpInput{ClientID: c.ID, SecretHash: hash(c, p, "nobody"), Username: "nobody", Code: "123456"})
		}},
	}
	for _, ep := range entries {
		for _, c := range []*userpool.Client{conf, pub} {
			for _, p := range []proof{proofRight, proofNone, proofWrong} {
				err := ep.call(c, p)
				what := fmt.Sprintf("%s, %s client, %s proof", ep.name, c.Name, p)
				authFailed := userpool.IsKind(err, userpool.KindClientAuthFailed)
				switch {
				case c.Secret != "" && p == proofRight, c.Secret == "" && p == proofNone:
					if authFailed {
						t.Errorf("%s: refused as a client authentication failure: %v", what, err)
					}
				case c.Secret != "":
					if !authFailed {
						t.Errorf("%s: err = %v, want a client authentication failure", what, err)
					}
				default: // a public client sent a secret
					e := userpool.AsError(err)
					if !authFailed || (e.Cause != userpool.CauseSecretOnPublicClient && e.Cause != userpool.CauseSecretHashOnPublicClient) {
						t.Errorf("%s: err = %v, want the secret-on-a-public-client refusal", what, err)
					}
				}
			}
		}
	}
}
