package e2e

import (
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/srp"
)

// userAuthPool is a pool whose first factors are password, e-mail and SMS
// codes, with a client that allows USER_AUTH, and a confirmed user "uma"
// with a verified e-mail address and phone number.
func userAuthPool(t *testing.T, srv *testserver.Server) (poolID, clientID string) {
	t.Helper()
	c := srv.Admin
	p, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("ua"),
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		Policies: &types.UserPoolPolicyType{SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: []types.AuthFactorType{
			types.AuthFactorTypePassword, types.AuthFactorTypeEmailOtp, types.AuthFactorTypeSmsOtp}}}})
	if err != nil {
		t.Fatal(err)
	}
	poolID = aws.ToString(p.UserPool.Id)
	cl, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("uma"),
		MessageAction: types.MessageActionTypeSuppress, UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String("uma@example.com")}, {Name: aws.String("email_verified"), Value: aws.String("true")},
			{Name: aws.String("phone_number"), Value: aws.String("+15555550100")}, {Name: aws.String("phone_number_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(bg, &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("uma"),
		Password: aws.String("Passw0rd!"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	return poolID, aws.ToString(cl.UserPoolClient.ClientId)
}

func userAuth(c *cip.Client, clientID string, params map[string]string) (*cip.InitiateAuthOutput, error) {
	return c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: &clientID, AuthParameters: params})
}

// TestUserAuthSignIn: choice-based and passwordless sign-in (USER_AUTH)
// through aws-sdk-go-v2, each first factor, the errors, and the pool's
// SignInPolicy.
func TestUserAuthSignIn(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC))
	srv := testserver.StartWith(t, testserver.Options{Now: clock.Now})
	c := srv.Admin
	poolID, clientID := userAuthPool(t, srv)
	newest := func(dest string) string {
		t.Helper()
		ms := srv.Outbox.List(poolID, dest)
		if len(ms) == 0 {
			t.Fatalf("no message to %s", dest)
		}
		return ms[0].Code
	}

	t.Run("policy", func(t *testing.T) {
		d, err := c.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
		if err != nil || d.UserPool.Policies.SignInPolicy == nil || len(d.UserPool.Policies.SignInPolicy.AllowedFirstAuthFactors) != 3 {
			t.Fatalf("DescribeUserPool: %+v %v", d, err)
		}
		def, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("def")})
		if err != nil || !slices.Equal(def.UserPool.Policies.SignInPolicy.AllowedFirstAuthFactors, []types.AuthFactorType{types.AuthFactorTypePassword}) {
			t.Fatalf("default SignInPolicy: %+v %v", def.UserPool.Policies, err)
		}
		if _, err := c.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: def.UserPool.Id, Policies: &types.UserPoolPolicyType{
			SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeSmsOtp}}}}); err != nil {
			t.Fatal(err)
		}
		upd, err := c.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: def.UserPool.Id})
		if err != nil || !slices.Equal(upd.UserPool.Policies.SignInPolicy.AllowedFirstAuthFactors, []types.AuthFactorType{"PASSWORD", "SMS_OTP"}) ||
			upd.UserPool.Policies.PasswordPolicy == nil {
			t.Fatalf("after UpdateUserPool: %+v %v", upd, err)
		}
		_, err = c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("bad"), Policies: &types.UserPoolPolicyType{
			SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: []types.AuthFactorType{"FINGERPRINT", "PASSWORD"}}}})
		wantCode(t, err, "InvalidParameterException", "")
		_, err = c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("bad"), Policies: &types.UserPoolPolicyType{
			SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypeEmailOtp}}}})
		wantCode(t, err, "InvalidParameterException", "")
	})

	t.Run("select then email code", func(t *testing.T) {
		out, err := userAuth(c, clientID, map[string]string{"USERNAME": "uma"})
		if err != nil || out.ChallengeName != types.ChallengeNameTypeSelectChallenge ||
			!slices.Equal(out.AvailableChallenges, []types.ChallengeNameType{"PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"}) {
			t.Fatalf("InitiateAuth: %+v %v", out, err)
		}
		otp, err := respond(c, clientID, types.ChallengeNameTypeSelectChallenge, aws.ToString(out.Session), map[string]string{"USERNAME": "uma", "ANSWER": "EMAIL_OTP"})
		if err != nil || otp.ChallengeName != types.ChallengeNameTypeEmailOtp || otp.ChallengeParameters["CODE_DELIVERY_DELIVERY_MEDIUM"] != "EMAIL" {
			t.Fatalf("SELECT_CHALLENGE: %+v %v", otp, err)
		}
		code := newest("uma@example.com")
		_, err = respond(c, clientID, types.ChallengeNameTypeEmailOtp, aws.ToString(otp.Session), map[string]string{"USERNAME": "uma", "EMAIL_OTP_CODE": "x" + code})
		wantCode(t, err, "CodeMismatchException", "")
		r, err := respond(c, clientID, types.ChallengeNameTypeEmailOtp, aws.ToString(otp.Session), map[string]string{"USERNAME": "uma", "EMAIL_OTP_CODE": code})
		if err != nil || r.AuthenticationResult == nil || aws.ToString(r.AuthenticationResult.AccessToken) == "" {
			t.Fatalf("EMAIL_OTP: %+v %v", r, err)
		}
		// Single use.
		_, err = respond(c, clientID, types.ChallengeNameTypeEmailOtp, aws.ToString(otp.Session), map[string]string{"USERNAME": "uma", "EMAIL_OTP_CODE": code})
		wantCode(t, err, "NotAuthorizedException", "")

		f, err := c.GetUserAuthFactors(bg, &cip.GetUserAuthFactorsInput{AccessToken: r.AuthenticationResult.AccessToken})
		if err != nil || aws.ToString(f.Username) != "uma" ||
			!slices.Equal(f.ConfiguredUserAuthFactors, []types.AuthFactorType{"PASSWORD", "EMAIL_OTP", "SMS_OTP"}) {
			t.Fatalf("GetUserAuthFactors: %+v %v", f, err)
		}
	})

	t.Run("preferred sms code", func(t *testing.T) {
		out, err := userAuth(c, clientID, map[string]string{"USERNAME": "uma", "PREFERRED_CHALLENGE": "SMS_OTP"})
		if err != nil || out.ChallengeName != types.ChallengeNameTypeSmsOtp || out.ChallengeParameters["CODE_DELIVERY_DELIVERY_MEDIUM"] != "SMS" {
			t.Fatalf("InitiateAuth: %+v %v", out, err)
		}
		r, err := respond(c, clientID, types.ChallengeNameTypeSmsOtp, aws.ToString(out.Session), map[string]string{"USERNAME": "uma", "SMS_OTP_CODE": newest("+15555550100")})
		if err != nil || r.AuthenticationResult == nil {
			t.Fatalf("SMS_OTP: %+v %v", r, err)
		}
	})

	t.Run("expired code", func(t *testing.T) {
		out, err := userAuth(c, clientID, map[string]string{"USERNAME": "uma", "PREFERRED_CHALLENGE": "EMAIL_OTP"})
		if err != nil || out.ChallengeName != types.ChallengeNameTypeEmailOtp {
			t.Fatalf("InitiateAuth: %+v %v", out, err)
		}
		clock.Advance(4 * time.Minute)
		_, err = respond(c, clientID, types.ChallengeNameTypeEmailOtp, aws.ToString(out.Session), map[string]string{"USERNAME": "uma", "EMAIL_OTP_CODE": newest("uma@example.com")})
		wantCode(t, err, "NotAuthorizedException", "")
	})

	t.Run("preferred password", func(t *testing.T) {
		r, err := userAuth(c, clientID, map[string]string{"USERNAME": "uma", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": "Passw0rd!"})
		if err != nil || r.AuthenticationResult == nil {
			t.Fatalf("PASSWORD: %+v %v", r, err)
		}
		_, err = userAuth(c, clientID, map[string]string{"USERNAME": "uma", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": "wrong"})
		wantCode(t, err, "NotAuthorizedException", "Incorrect username or password.")
		// Chosen after SELECT_CHALLENGE.
		out, err := userAuth(c, clientID, map[string]string{"USERNAME": "uma"})
		if err != nil {
			t.Fatal(err)
		}
		r2, err := respond(c, clientID, types.ChallengeNameTypeSelectChallenge, aws.ToString(out.Session),
			map[string]string{"USERNAME": "uma", "ANSWER": "PASSWORD", "PASSWORD": "Passw0rd!"})
		if err != nil || r2.AuthenticationResult == nil {
			t.Fatalf("SELECT_CHALLENGE PASSWORD: %+v %v", r2, err)
		}
	})

	t.Run("preferred srp", func(t *testing.T) {
		srpc, ch := srpUserAuth(t, c, clientID, "uma")
		r, err := respond(c, clientID, types.ChallengeNameTypePasswordVerifier, aws.ToString(ch.Session), srpAnswer(t, srpc, poolID, "Passw0rd!", ch, clock.Now()))
		if err != nil || r.AuthenticationResult == nil {
			t.Fatalf("PASSWORD_VERIFIER: %+v %v", r, err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := userAuth(c, clientID, map[string]string{"USERNAME": "nobody"})
		wantCode(t, err, "UserNotFoundException", "")
		_, err = userAuth(c, clientID, map[string]string{"USERNAME": "uma", "PREFERRED_CHALLENGE": "TELEPATHY"})
		wantCode(t, err, "InvalidParameterException", "")
		out, err := userAuth(c, clientID, map[string]string{"USERNAME": "uma"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = respond(c, clientID, types.ChallengeNameTypeSelectChallenge, aws.ToString(out.Session), map[string]string{"USERNAME": "uma", "ANSWER": "WEB_AUTHN"})
		wantCode(t, err, "InvalidParameterException", "")
		// The selection is bound to its user.
		out, err = userAuth(c, clientID, map[string]string{"USERNAME": "uma"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = respond(c, clientID, types.ChallengeNameTypeSelectChallenge, aws.ToString(out.Session),
			map[string]string{"USERNAME": "someone-else", "ANSWER": "PASSWORD", "PASSWORD": "Passw0rd!"})
		wantCode(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")
		// A client without ALLOW_USER_AUTH.
		_, other, _ := srv.NewPool(t)
		_, err = userAuth(c, other, map[string]string{"USERNAME": "uma"})
		wantCode(t, err, "InvalidParameterException", "")
		// Wrong codes are limited per challenge.
		otp, err := userAuth(c, clientID, map[string]string{"USERNAME": "uma", "PREFERRED_CHALLENGE": "EMAIL_OTP"})
		if err != nil {
			t.Fatal(err)
		}
		var last error
		for range 8 {
			_, last = respond(c, clientID, types.ChallengeNameTypeEmailOtp, aws.ToString(otp.Session), map[string]string{"USERNAME": "uma", "EMAIL_OTP_CODE": "000000x"})
			var nae *types.NotAuthorizedException
			if errors.As(last, &nae) {
				break
			}
		}
		wantCode(t, last, "NotAuthorizedException", "")
	})
}

// srpUserAuth starts USER_AUTH with PREFERRED_CHALLENGE PASSWORD_SRP.
func srpUserAuth(t *testing.T, c *cip.Client, clientID, username string) (*srp.Client, *cip.InitiateAuthOutput) {
	t.Helper()
	cl, err := srp.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	out, err := userAuth(c, clientID, map[string]string{"USERNAME": username, "PREFERRED_CHALLENGE": "PASSWORD_SRP", "SRP_A": cl.A()})
	if err != nil || out.ChallengeName != types.ChallengeNameTypePasswordVerifier {
		t.Fatalf("InitiateAuth PASSWORD_SRP: %+v %v", out, err)
	}
	return cl, out
}

// TestUserAuthAfterConfirmSignUp: ConfirmSignUp returns a Session with
// which InitiateAuth USER_AUTH signs the user in once.
func TestUserAuthAfterConfirmSignUp(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC))
	srv := testserver.StartWith(t, testserver.Options{Now: clock.Now})
	c := srv.Admin
	poolID, clientID := userAuthPool(t, srv)
	if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String("sam"), Password: aws.String("Passw0rd!"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("sam@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	code := srv.Outbox.List(poolID, "sam@example.com")[0].Code
	conf, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String("sam"), ConfirmationCode: aws.String(code)})
	if err != nil || aws.ToString(conf.Session) == "" {
		t.Fatalf("ConfirmSignUp: %+v %v", conf, err)
	}
	in := &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: &clientID, Session: conf.Session,
		AuthParameters: map[string]string{"USERNAME": "sam"}}
	r, err := c.InitiateAuth(bg, in)
	if err != nil || r.AuthenticationResult == nil {
		t.Fatalf("InitiateAuth with Session: %+v %v", r, err)
	}
	_, err = c.InitiateAuth(bg, in)
	wantCode(t, err, "NotAuthorizedException", "")

	// The session lives the client's AuthSessionValidity (three minutes).
	if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String("tia"), Password: aws.String("Passw0rd!"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("tia@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	conf, err = c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String("tia"),
		ConfirmationCode: aws.String(srv.Outbox.List(poolID, "tia@example.com")[0].Code)})
	if err != nil || aws.ToString(conf.Session) == "" {
		t.Fatalf("ConfirmSignUp: %+v %v", conf, err)
	}
	clock.Advance(3*time.Minute + time.Second)
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: &clientID, Session: conf.Session,
		AuthParameters: map[string]string{"USERNAME": "tia"}})
	wantCode(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")

	// Another user's session is refused too.
	if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String("ugo"), Password: aws.String("Passw0rd!"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("ugo@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	conf, err = c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String("ugo"),
		ConfirmationCode: aws.String(srv.Outbox.List(poolID, "ugo@example.com")[0].Code)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserAuth, ClientId: &clientID, Session: conf.Session,
		AuthParameters: map[string]string{"USERNAME": "sam"}})
	wantCode(t, err, "NotAuthorizedException", "")

	// A client without ALLOW_USER_AUTH gets no session.
	plain, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("plain"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	other := plain.UserPoolClient.ClientId
	if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: other, Username: aws.String("vic"), Password: aws.String("Passw0rd!"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("vic@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	conf, err = c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: other, Username: aws.String("vic"),
		ConfirmationCode: aws.String(srv.Outbox.List(poolID, "vic@example.com")[0].Code)})
	if err != nil || conf.Session != nil {
		t.Fatalf("ConfirmSignUp without USER_AUTH: %+v %v", conf, err)
	}
}

// TestUserAuthMFA: a code first factor needs no MFA step (MFA is a second
// factor after a password); a pool whose MFA is ON offers no code first
// factor; an unknown user hidden by PreventUserExistenceErrors is offered
// the pool's factors and refused at the code.
func TestUserAuthMFA(t *testing.T) {
	srv := testserver.StartWith(t, testserver.Options{})
	c := srv.Admin
	poolID, clientID := userAuthPool(t, srv)
	setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: &poolID, MfaConfiguration: types.UserPoolMfaTypeOptional,
		EmailMfaConfiguration: &types.EmailMfaConfigType{}})
	if _, err := c.AdminSetUserMFAPreference(bg, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: &poolID, Username: aws.String("uma"),
		EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		t.Fatal(err)
	}
	// The password leads to the MFA step ...
	r, err := userAuth(c, clientID, map[string]string{"USERNAME": "uma", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": "Passw0rd!"})
	if err != nil || r.ChallengeName != types.ChallengeNameTypeEmailOtp || r.AuthenticationResult != nil {
		t.Fatalf("PASSWORD with MFA: %+v %v", r, err)
	}
	// ... an e-mail code first factor to tokens.
	r, err = userAuth(c, clientID, map[string]string{"USERNAME": "uma", "PREFERRED_CHALLENGE": "EMAIL_OTP"})
	if err != nil || r.ChallengeName != types.ChallengeNameTypeEmailOtp {
		t.Fatalf("EMAIL_OTP: %+v %v", r, err)
	}
	code := srv.Outbox.List(poolID, "uma@example.com")[0].Code
	done, err := respond(c, clientID, types.ChallengeNameTypeEmailOtp, aws.ToString(r.Session), map[string]string{"USERNAME": "uma", "EMAIL_OTP_CODE": code})
	if err != nil || done.AuthenticationResult == nil {
		t.Fatalf("EMAIL_OTP first factor with MFA: %+v %v", done, err)
	}
	// An MFA code does not answer a first-factor challenge, nor the reverse.
	if _, err := userAuth(c, clientID, map[string]string{"USERNAME": "uma", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": "Passw0rd!"}); err != nil {
		t.Fatal(err)
	}
	first, err := userAuth(c, clientID, map[string]string{"USERNAME": "uma", "PREFERRED_CHALLENGE": "EMAIL_OTP"})
	if err != nil {
		t.Fatal(err)
	}
	ms := srv.Outbox.List(poolID, "uma@example.com")
	firstCode, mfaCode := ms[0].Code, ms[1].Code
	if firstCode != mfaCode {
		_, err = respond(c, clientID, types.ChallengeNameTypeEmailOtp, aws.ToString(first.Session), map[string]string{"USERNAME": "uma", "EMAIL_OTP_CODE": mfaCode})
		wantCode(t, err, "CodeMismatchException", "")
	}

	// MFA ON: no code first factor.
	setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: &poolID, MfaConfiguration: types.UserPoolMfaTypeOn,
		EmailMfaConfiguration: &types.EmailMfaConfigType{}})
	sel, err := userAuth(c, clientID, map[string]string{"USERNAME": "uma", "PREFERRED_CHALLENGE": "EMAIL_OTP"})
	if err != nil || sel.ChallengeName != types.ChallengeNameTypeSelectChallenge ||
		!slices.Equal(sel.AvailableChallenges, []types.ChallengeNameType{"PASSWORD", "PASSWORD_SRP"}) {
		t.Fatalf("MFA ON: %+v %v", sel, err)
	}

	// PreventUserExistenceErrors: an unknown user looks like a known one.
	hidden, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("hidden"),
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
		ExplicitAuthFlows:          []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	hid := aws.ToString(hidden.UserPoolClient.ClientId)
	setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: &poolID, MfaConfiguration: types.UserPoolMfaTypeOff})
	ghost, err := userAuth(c, hid, map[string]string{"USERNAME": "ghost"})
	if err != nil || ghost.ChallengeName != types.ChallengeNameTypeSelectChallenge || len(ghost.AvailableChallenges) != 4 {
		t.Fatalf("unknown user: %+v %v", ghost, err)
	}
	otp, err := respond(c, hid, types.ChallengeNameTypeSelectChallenge, aws.ToString(ghost.Session), map[string]string{"USERNAME": "ghost", "ANSWER": "EMAIL_OTP"})
	if err != nil || otp.ChallengeName != types.ChallengeNameTypeEmailOtp {
		t.Fatalf("unknown user, EMAIL_OTP: %+v %v", otp, err)
	}
	// Shaped like a real answer (a masked address), and the same every time.
	dest := otp.ChallengeParameters["CODE_DELIVERY_DESTINATION"]
	if !regexp.MustCompile(`^[a-z]\*\*\*@[a-z]\*\*\*$`).MatchString(dest) ||
		otp.ChallengeParameters["CODE_DELIVERY_DELIVERY_MEDIUM"] != "EMAIL" {
		t.Fatalf("unknown user, EMAIL_OTP parameters %v: want a masked address, as a real user gets", otp.ChallengeParameters)
	}
	again, err := userAuth(c, hid, map[string]string{"USERNAME": "ghost", "PREFERRED_CHALLENGE": "EMAIL_OTP"})
	if err != nil || again.ChallengeParameters["CODE_DELIVERY_DESTINATION"] != dest {
		t.Fatalf("unknown user, second EMAIL_OTP: %+v %v, want the destination %q again", again, err, dest)
	}
	_, err = respond(c, hid, types.ChallengeNameTypeEmailOtp, aws.ToString(otp.Session), map[string]string{"USERNAME": "ghost", "EMAIL_OTP_CODE": "123456"})
	wantCode(t, err, "CodeMismatchException", "")
	_, err = userAuth(c, hid, map[string]string{"USERNAME": "ghost", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": "Passw0rd!"})
	wantCode(t, err, "NotAuthorizedException", "Incorrect username or password.")
}
