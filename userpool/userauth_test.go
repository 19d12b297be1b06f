package userpool_test

import (
	"testing"
	"time"

	"github.com/cognate-dev/cognate/userpool"
)

// userAuthEnv is a domain env whose pool allows e-mail codes as a first
// factor, with a client that allows USER_AUTH and USER_PASSWORD_AUTH and
// a user "uma" with a verified e-mail address.
func userAuthEnv(t *testing.T) (*env, *userpool.Client) {
	e := newEnv(t)
	if err := e.svc.UpdateUserPool(e.ctx(), userpool.UpdatePoolInput{PoolID: e.pool, Config: userpool.PoolConfig{Policies: &userpool.PoolPolicies{
		SignInPolicy: &userpool.SignInPolicy{AllowedFirstAuthFactors: []string{"PASSWORD", "EMAIL_OTP"}}}}}); err != nil {
		t.Fatal(err)
	}
	c := e.newClient(userpool.ClientInput{Name: "ua", Config: userpool.ClientConfig{
		ExplicitAuthFlows: []string{"ALLOW_USER_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}}})
	if _, err := e.svc.AdminCreateUser(e.ctx(), userpool.AdminCreateUserInput{PoolID: e.pool, Username: "uma", MessageAction: "SUPPRESS",
		Attributes: []userpool.Attribute{{Name: "email", Value: "uma@example.com"}, {Name: "email_verified", Value: "true"}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminSetUserPassword(e.ctx(), e.pool, "uma", password, true); err != nil {
		t.Fatal(err)
	}
	return e, c
}

func cause(err error) userpool.Cause {
	if e := userpool.AsError(err); e != nil {
		return e.Cause
	}
	return ""
}

// TestUserAuthCodeFailuresAreThrottled: wrong first-factor codes end the
// challenge after five tries and count on the sign-in throttle like wrong
// passwords; a code expires with the client's AuthSessionValidity.
func TestUserAuthCodeFailuresAreThrottled(t *testing.T) {
	e, c := userAuthEnv(t)
	start := func() *userpool.AuthResponse {
		t.Helper()
		r, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: c.ID, AuthFlow: userpool.FlowUserAuth,
			AuthParameters: map[string]string{"USERNAME": "uma", "PREFERRED_CHALLENGE": "EMAIL_OTP"}})
		if err != nil || r.ChallengeName != userpool.ChallengeEmailOTP {
			t.Fatalf("USER_AUTH EMAIL_OTP: %+v %v", r, err)
		}
		return r
	}
	answer := func(session, code string) (*userpool.AuthResponse, error) {
		return e.svc.RespondToAuthChallenge(e.ctx(), userpool.RespondInput{ClientID: c.ID, ChallengeName: userpool.ChallengeEmailOTP,
			Session: session, Responses: map[string]string{"USERNAME": "uma", "EMAIL_OTP_CODE": code}})
	}

	r := start()
	for i := range 5 {
		_, err := answer(r.Session, "bad")
		if !userpool.IsKind(err, userpool.KindCodeMismatch) {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	if _, err := answer(r.Session, e.outbox.List(e.pool, "uma@example.com")[0].Code); cause(err) != userpool.CauseSignInSessionExpired {
		t.Fatalf("after five wrong codes: %v", err)
	}
	_, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: c.ID, AuthFlow: userpool.FlowUserPassword,
		AuthParameters: map[string]string{"USERNAME": "uma", "PASSWORD": password}})
	if cause(err) != userpool.CauseAttemptsExceeded {
		t.Fatalf("the password after five wrong codes: %v", err)
	}

	e.clock.Advance(time.Hour)
	r = start()
	e.clock.Advance(3*time.Minute + time.Second)
	if _, err := answer(r.Session, e.outbox.List(e.pool, "uma@example.com")[0].Code); cause(err) != userpool.CauseSignInSessionExpired {
		t.Fatalf("an expired challenge: %v", err)
	}
	r = start()
	if res, err := answer(r.Session, e.outbox.List(e.pool, "uma@example.com")[0].Code); err != nil || res.Result == nil {
		t.Fatalf("the right code: %+v %v", res, err)
	}
}
