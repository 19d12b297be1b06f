package e2e

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// totpAt is the 6-digit RFC 6238 code of a base32 secret at time step
// step, computed here as an authenticator app would.
func totpAt(t *testing.T, secret string, step int64) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:off+4])&0x7fffffff)%1000000)
}

func stepOf(now time.Time) int64 { return now.Unix() / 30 }

// mfaServer is a server on a settable clock and a pool with a client.
func mfaServer(t *testing.T) (*testserver.Server, *testserver.Clock, *cip.Client, string, string) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC))
	srv := testserver.StartWith(t, testserver.Options{Now: clock.Now})
	poolID, clientID, _ := srv.NewPool(t)
	return srv, clock, srv.Admin, poolID, clientID
}

func setMFA(t *testing.T, c *cip.Client, in *cip.SetUserPoolMfaConfigInput) *cip.SetUserPoolMfaConfigOutput {
	t.Helper()
	out, err := c.SetUserPoolMfaConfig(bg, in)
	if err != nil {
		t.Fatalf("SetUserPoolMfaConfig: %v", err)
	}
	return out
}

func initiate(c *cip.Client, clientID, user, pass string) (*cip.InitiateAuthOutput, error) {
	return c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pass}})
}

func respond(c *cip.Client, clientID string, name types.ChallengeNameType, session string, r map[string]string) (*cip.RespondToAuthChallengeOutput, error) {
	return c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID), ChallengeName: name,
		Session: aws.String(session), ChallengeResponses: r})
}

// associateTOTP sets up a software token for the access token's user and
// returns its secret; the verification uses the code of step.
func associateTOTP(t *testing.T, c *cip.Client, at string, step int64) string {
	t.Helper()
	a, err := c.AssociateSoftwareToken(bg, &cip.AssociateSoftwareTokenInput{AccessToken: aws.String(at)})
	if err != nil {
		t.Fatalf("AssociateSoftwareToken: %v", err)
	}
	secret := aws.ToString(a.SecretCode)
	v, err := c.VerifySoftwareToken(bg, &cip.VerifySoftwareTokenInput{AccessToken: aws.String(at), UserCode: aws.String(totpAt(t, secret, step)),
		FriendlyDeviceName: aws.String("phone")})
	if err != nil || v.Status != types.VerifySoftwareTokenResponseTypeSuccess {
		t.Fatalf("VerifySoftwareToken: %v %v", v, err)
	}
	return secret
}

func TestMFAPoolConfig(t *testing.T) {
	srv := testserver.Start(t)
	c := srv.Admin
	_, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("mfa"), MfaConfiguration: types.UserPoolMfaTypeOn})
	wantCode(t, err, "InvalidParameterException", "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration.")
	_, err = c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("mfa"), MfaConfiguration: "SOMETIMES"})
	wantCode(t, err, "InvalidParameterException", "")

	// SMS configured at creation is a factor.
	sms, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("sms"), MfaConfiguration: types.UserPoolMfaTypeOptional,
		SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String("arn:aws:iam::123456789012:role/sms"), ExternalId: aws.String("x")}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetUserPoolMfaConfig(bg, &cip.GetUserPoolMfaConfigInput{UserPoolId: sms.UserPool.Id})
	if err != nil || got.MfaConfiguration != types.UserPoolMfaTypeOptional || got.SmsMfaConfiguration == nil ||
		aws.ToString(got.SmsMfaConfiguration.SmsConfiguration.SnsCallerArn) != "arn:aws:iam::123456789012:role/sms" {
		t.Fatalf("GetUserPoolMfaConfig of the SMS pool: %+v %v", got, err)
	}

	poolID, _, _ := srv.NewPool(t)
	got, err = c.GetUserPoolMfaConfig(bg, &cip.GetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID)})
	if err != nil || got.MfaConfiguration != types.UserPoolMfaTypeOff || got.SoftwareTokenMfaConfiguration != nil {
		t.Fatalf("a new pool: %+v %v", got, err)
	}
	_, err = c.SetUserPoolMfaConfig(bg, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOff,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
	wantCode(t, err, "InvalidParameterException", "Invalid MFA configuration given, can't turn off MFA and configure an MFA together.")
	_, err = c.SetUserPoolMfaConfig(bg, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOn})
	wantCode(t, err, "InvalidParameterException", "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration.")

	out := setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOn,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
		EmailMfaConfiguration:         &types.EmailMfaConfigType{Message: aws.String("Code: {####}"), Subject: aws.String("Sign-in code")}})
	if out.MfaConfiguration != types.UserPoolMfaTypeOn || out.SoftwareTokenMfaConfiguration == nil || !out.SoftwareTokenMfaConfiguration.Enabled ||
		aws.ToString(out.EmailMfaConfiguration.Subject) != "Sign-in code" {
		t.Fatalf("SetUserPoolMfaConfig answered %+v", out)
	}
	_, err = c.SetUserPoolMfaConfig(bg, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOn,
		EmailMfaConfiguration: &types.EmailMfaConfigType{Message: aws.String("no code here")}})
	wantCode(t, err, "InvalidParameterException", "")

	d, err := c.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil || d.UserPool.MfaConfiguration != types.UserPoolMfaTypeOn {
		t.Fatalf("DescribeUserPool: %v %v", d.UserPool.MfaConfiguration, err)
	}
	// UpdateUserPool moves the mode and keeps the factors.
	if _, err := c.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOptional}); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetUserPoolMfaConfig(bg, &cip.GetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID)})
	if err != nil || got.MfaConfiguration != types.UserPoolMfaTypeOptional || got.SoftwareTokenMfaConfiguration == nil ||
		!got.SoftwareTokenMfaConfiguration.Enabled || got.EmailMfaConfiguration == nil {
		t.Fatalf("after UpdateUserPool: %+v %v", got, err)
	}
	setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOff})
	got, _ = c.GetUserPoolMfaConfig(bg, &cip.GetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID)})
	if got.MfaConfiguration != types.UserPoolMfaTypeOff || got.SoftwareTokenMfaConfiguration != nil {
		t.Fatalf("after OFF: %+v", got)
	}
}

func TestMFASoftwareTokenSignIn(t *testing.T) {
	_, clock, c, poolID, clientID := mfaServer(t)
	setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
	srvUser(t, c, poolID, "alice")

	// OPTIONAL, no factor yet: tokens straight away.
	at := aws.ToString(signIn(t, c, clientID, "alice", "Passw0rd!").AuthenticationResult.AccessToken)
	_, err := c.SetUserMFAPreference(bg, &cip.SetUserMFAPreferenceInput{AccessToken: aws.String(at),
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}})
	wantCode(t, err, "InvalidParameterException", "User has not verified software token mfa")
	_, err = c.VerifySoftwareToken(bg, &cip.VerifySoftwareTokenInput{AccessToken: aws.String(at), UserCode: aws.String("123456")})
	wantCode(t, err, "SoftwareTokenMFANotFoundException", "")

	a, err := c.AssociateSoftwareToken(bg, &cip.AssociateSoftwareTokenInput{AccessToken: aws.String(at)})
	if err != nil || len(aws.ToString(a.SecretCode)) != 32 {
		t.Fatalf("AssociateSoftwareToken: %v %v", a, err)
	}
	secret := aws.ToString(a.SecretCode)
	now := stepOf(clock.Now())
	wrong := fmt.Sprintf("%06d", (mustAtoi(totpAt(t, secret, now))+1)%1000000)
	_, err = c.VerifySoftwareToken(bg, &cip.VerifySoftwareTokenInput{AccessToken: aws.String(at), UserCode: aws.String(wrong)})
	wantCode(t, err, "EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA")
	v, err := c.VerifySoftwareToken(bg, &cip.VerifySoftwareTokenInput{AccessToken: aws.String(at), UserCode: aws.String(totpAt(t, secret, now)),
		FriendlyDeviceName: aws.String("Pixel")})
	if err != nil || v.Status != types.VerifySoftwareTokenResponseTypeSuccess {
		t.Fatalf("VerifySoftwareToken: %v %v", v, err)
	}
	u, err := getUser(c, at)
	if err != nil || !slices.Equal(u.UserMFASettingList, []string{"SOFTWARE_TOKEN_MFA"}) {
		t.Fatalf("GetUser: %v %v", u.UserMFASettingList, err)
	}
	if _, err := c.SetUserMFAPreference(bg, &cip.SetUserMFAPreferenceInput{AccessToken: aws.String(at),
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		t.Fatal(err)
	}
	au, err := c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("alice")})
	if err != nil || aws.ToString(au.PreferredMfaSetting) != "SOFTWARE_TOKEN_MFA" || len(au.MFAOptions) != 0 {
		t.Fatalf("AdminGetUser: %v %v", au, err)
	}

	// Now the password leads to the challenge.
	ch, err := initiate(c, clientID, "alice", "Passw0rd!")
	if err != nil || ch.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa || ch.AuthenticationResult != nil ||
		ch.ChallengeParameters["USER_ID_FOR_SRP"] != "alice" || ch.ChallengeParameters["FRIENDLY_DEVICE_NAME"] != "Pixel" {
		t.Fatalf("InitiateAuth: %+v %v", ch, err)
	}
	session := aws.ToString(ch.Session)
	// The code VerifySoftwareToken used is spent.
	_, err = respond(c, clientID, types.ChallengeNameTypeSoftwareTokenMfa, session, map[string]string{"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": totpAt(t, secret, now)})
	wantCode(t, err, "ExpiredCodeException", "Your software token has already been used once.")
	_, err = respond(c, clientID, types.ChallengeNameTypeSoftwareTokenMfa, session, map[string]string{"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": wrong})
	wantCode(t, err, "CodeMismatchException", "Invalid code received for user")
	_, err = respond(c, clientID, types.ChallengeNameTypeSoftwareTokenMfa, session, map[string]string{"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": totpAt(t, secret, now+2)})
	wantCode(t, err, "CodeMismatchException", "Invalid code received for user")
	// One step of skew is allowed.
	r, err := respond(c, clientID, types.ChallengeNameTypeSoftwareTokenMfa, session, map[string]string{"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": totpAt(t, secret, now+1)})
	if err != nil || r.AuthenticationResult == nil || aws.ToString(r.AuthenticationResult.AccessToken) == "" {
		t.Fatalf("RespondToAuthChallenge: %+v %v", r, err)
	}
	// The session was single use.
	_, err = respond(c, clientID, types.ChallengeNameTypeSoftwareTokenMfa, session, map[string]string{"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": totpAt(t, secret, now+1)})
	wantCode(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")

	// A minute later, through the admin flow: the step used is refused,
	// the current one (and one behind, unused) accepted.
	clock.Advance(time.Minute)
	now = stepOf(clock.Now())
	ach, err := c.AdminInitiateAuth(bg, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID),
		AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "Passw0rd!"}})
	if err != nil || ach.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
		t.Fatalf("AdminInitiateAuth: %+v %v", ach, err)
	}
	adminRespond := func(code string) (*cip.AdminRespondToAuthChallengeOutput, error) {
		return c.AdminRespondToAuthChallenge(bg, &cip.AdminRespondToAuthChallengeInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID),
			ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa, Session: ach.Session,
			ChallengeResponses: map[string]string{"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": code}})
	}
	_, err = adminRespond(totpAt(t, secret, now-1)) // now-1 is the step used above
	wantCode(t, err, "ExpiredCodeException", "Your software token has already been used once.")
	_, err = adminRespond(totpAt(t, secret, now-2))
	wantCode(t, err, "CodeMismatchException", "")
	ar, err := adminRespond(totpAt(t, secret, now))
	if err != nil || ar.AuthenticationResult == nil {
		t.Fatalf("AdminRespondToAuthChallenge: %+v %v", ar, err)
	}
}

func TestMFAWrongCodesEndTheSession(t *testing.T) {
	_, clock, c, poolID, clientID := mfaServer(t)
	setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOn,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
	srvUser(t, c, poolID, "bob")
	ch, err := initiate(c, clientID, "bob", "Passw0rd!")
	if err != nil || ch.ChallengeName != types.ChallengeNameTypeMfaSetup {
		t.Fatalf("%+v %v", ch, err)
	}
	a, err := c.AssociateSoftwareToken(bg, &cip.AssociateSoftwareTokenInput{Session: ch.Session})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.VerifySoftwareToken(bg, &cip.VerifySoftwareTokenInput{Session: a.Session, UserCode: aws.String(totpAt(t, aws.ToString(a.SecretCode), stepOf(clock.Now())))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := respond(c, clientID, types.ChallengeNameTypeMfaSetup, aws.ToString(v.Session), map[string]string{"USERNAME": "bob"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	ch, err = initiate(c, clientID, "bob", "Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		_, err = respond(c, clientID, types.ChallengeNameTypeSoftwareTokenMfa, aws.ToString(ch.Session), map[string]string{"USERNAME": "bob", "SOFTWARE_TOKEN_MFA_CODE": "000000"})
		if i < 4 {
			wantCode(t, err, "CodeMismatchException", "")
		}
	}
	// The fifth wrong code ended the session; the sign-in throttle counted
	// the failures too.
	_, err = respond(c, clientID, types.ChallengeNameTypeSoftwareTokenMfa, aws.ToString(ch.Session), map[string]string{"USERNAME": "bob",
		"SOFTWARE_TOKEN_MFA_CODE": totpAt(t, aws.ToString(a.SecretCode), stepOf(clock.Now()))})
	wantCode(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")
	_, err = initiate(c, clientID, "bob", "Passw0rd!")
	wantCode(t, err, "NotAuthorizedException", "Password attempts exceeded")

	// The right password forgets the password's failures, not the codes':
	// the next wrong code locks the code out again, for longer.
	clock.Advance(2 * time.Second)
	ch, err = initiate(c, clientID, "bob", "Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	_, err = respond(c, clientID, types.ChallengeNameTypeSoftwareTokenMfa, aws.ToString(ch.Session), map[string]string{"USERNAME": "bob", "SOFTWARE_TOKEN_MFA_CODE": "000000"})
	wantCode(t, err, "CodeMismatchException", "")
	good := map[string]string{"USERNAME": "bob", "SOFTWARE_TOKEN_MFA_CODE": totpAt(t, aws.ToString(a.SecretCode), stepOf(clock.Now()))}
	_, err = respond(c, clientID, types.ChallengeNameTypeSoftwareTokenMfa, aws.ToString(ch.Session), good)
	wantCode(t, err, "NotAuthorizedException", "Password attempts exceeded")
	clock.Advance(3 * time.Second)
	if r, err := respond(c, clientID, types.ChallengeNameTypeSoftwareTokenMfa, aws.ToString(ch.Session), good); err != nil || r.AuthenticationResult == nil {
		t.Fatalf("after the lockout: %+v %v", r, err)
	}
}

func TestMFASetupFlow(t *testing.T) {
	_, clock, c, poolID, clientID := mfaServer(t)
	setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOn,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
	srvUser(t, c, poolID, "carol")
	ch, err := initiate(c, clientID, "carol", "Passw0rd!")
	if err != nil || ch.ChallengeName != types.ChallengeNameTypeMfaSetup || ch.ChallengeParameters["MFAS_CAN_SETUP"] != `["SOFTWARE_TOKEN_MFA"]` {
		t.Fatalf("InitiateAuth: %+v %v", ch, err)
	}
	// MFA_SETUP cannot be answered before the token is verified.
	_, err = respond(c, clientID, types.ChallengeNameTypeMfaSetup, aws.ToString(ch.Session), map[string]string{"USERNAME": "carol"})
	wantCode(t, err, "InvalidParameterException", "")
	a, err := c.AssociateSoftwareToken(bg, &cip.AssociateSoftwareTokenInput{Session: ch.Session})
	if err != nil || aws.ToString(a.Session) == "" || aws.ToString(a.Session) == aws.ToString(ch.Session) {
		t.Fatalf("AssociateSoftwareToken: %+v %v", a, err)
	}
	secret := aws.ToString(a.SecretCode)
	_, err = c.VerifySoftwareToken(bg, &cip.VerifySoftwareTokenInput{Session: a.Session, UserCode: aws.String("000000")})
	wantCode(t, err, "EnableSoftwareTokenMFAException", "")
	// A wrong code leaves the session usable.
	v, err := c.VerifySoftwareToken(bg, &cip.VerifySoftwareTokenInput{Session: a.Session, UserCode: aws.String(totpAt(t, secret, stepOf(clock.Now())))})
	if err != nil || v.Status != types.VerifySoftwareTokenResponseTypeSuccess || aws.ToString(v.Session) == "" {
		t.Fatalf("VerifySoftwareToken: %+v %v", v, err)
	}
	r, err := respond(c, clientID, types.ChallengeNameTypeMfaSetup, aws.ToString(v.Session), map[string]string{"USERNAME": "carol"})
	if err != nil || r.AuthenticationResult == nil {
		t.Fatalf("RespondToAuthChallenge MFA_SETUP: %+v %v", r, err)
	}
	clock.Advance(time.Minute)
	ch, err = initiate(c, clientID, "carol", "Passw0rd!")
	if err != nil || ch.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
		t.Fatalf("next sign-in: %+v %v", ch, err)
	}
}

func TestMFAEmailSMSAndSelect(t *testing.T) {
	srv, clock, c, poolID, clientID := mfaServer(t)
	setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
		SmsMfaConfiguration: &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String("Your code: {####}"),
			SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String("arn:aws:iam::123456789012:role/sms")}},
		EmailMfaConfiguration: &types.EmailMfaConfigType{Message: aws.String("Sign-in code {####}"), Subject: aws.String("Your code")}})
	srvUser(t, c, poolID, "dave")

	_, err := c.AdminSetUserMFAPreference(bg, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(poolID), Username: aws.String("dave"),
		SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true}})
	wantCode(t, err, "InvalidParameterException", "User does not have delivery config set to turn on SMS_MFA")
	if _, err := c.AdminSetUserMFAPreference(bg, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(poolID), Username: aws.String("dave"),
		EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	lastCode := func(dest string) string {
		t.Helper()
		ms := srv.Outbox.List(poolID, dest)
		if len(ms) == 0 {
			t.Fatalf("no message to %s", dest)
		}
		return ms[0].Code // newest first
	}

	// EMAIL_OTP, through the outbox.
	ch, err := initiate(c, clientID, "dave", "Passw0rd!")
	if err != nil || ch.ChallengeName != types.ChallengeNameTypeEmailOtp || ch.ChallengeParameters["CODE_DELIVERY_DELIVERY_MEDIUM"] != "EMAIL" ||
		ch.ChallengeParameters["CODE_DELIVERY_DESTINATION"] != "d***@e***" {
		t.Fatalf("InitiateAuth: %+v %v", ch, err)
	}
	ms := srv.Outbox.List(poolID, "dave@example.com")
	if len(ms) != 1 || ms[0].Subject != "Your code" || ms[0].Body != "Sign-in code "+ms[0].Code {
		t.Fatalf("outbox: %+v", ms)
	}
	code := lastCode("dave@example.com")
	_, err = respond(c, clientID, types.ChallengeNameTypeEmailOtp, aws.ToString(ch.Session), map[string]string{"USERNAME": "dave", "EMAIL_OTP_CODE": "x" + code})
	wantCode(t, err, "CodeMismatchException", "Invalid code or auth state for the user.")
	r, err := respond(c, clientID, types.ChallengeNameTypeEmailOtp, aws.ToString(ch.Session), map[string]string{"USERNAME": "dave", "EMAIL_OTP_CODE": code})
	if err != nil || r.AuthenticationResult == nil {
		t.Fatalf("EMAIL_OTP: %+v %v", r, err)
	}
	at := aws.ToString(r.AuthenticationResult.AccessToken)

	// SMS_MFA once the user has a phone number.
	if _, err := c.AdminUpdateUserAttributes(bg, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(poolID), Username: aws.String("dave"),
		UserAttributes: []types.AttributeType{{Name: aws.String("phone_number"), Value: aws.String("+15555550123")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetUserMFAPreference(bg, &cip.SetUserMFAPreferenceInput{AccessToken: aws.String(at),
		SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		t.Fatal(err)
	}
	ch, err = initiate(c, clientID, "dave", "Passw0rd!")
	if err != nil || ch.ChallengeName != types.ChallengeNameTypeSmsMfa || ch.ChallengeParameters["CODE_DELIVERY_DESTINATION"] != "+*******0123" {
		t.Fatalf("InitiateAuth: %+v %v", ch, err)
	}
	sms := srv.Outbox.List(poolID, "+15555550123")
	if len(sms) != 1 || sms[0].Body != "Your code: "+sms[0].Code {
		t.Fatalf("SMS outbox: %+v", sms)
	}
	r, err = respond(c, clientID, types.ChallengeNameTypeSmsMfa, aws.ToString(ch.Session), map[string]string{"USERNAME": "dave", "SMS_MFA_CODE": sms[0].Code})
	if err != nil || r.AuthenticationResult == nil {
		t.Fatalf("SMS_MFA: %+v %v", r, err)
	}

	// Several factors, none preferred: SELECT_MFA_TYPE.
	associateTOTP(t, c, at, stepOf(clock.Now()))
	if _, err := c.SetUserMFAPreference(bg, &cip.SetUserMFAPreferenceInput{AccessToken: aws.String(at),
		SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true, PreferredMfa: false}}); err != nil {
		t.Fatal(err)
	}
	u, err := getUser(c, at)
	if err != nil || !slices.Equal(u.UserMFASettingList, []string{"SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"}) || u.PreferredMfaSetting != nil {
		t.Fatalf("GetUser: %v %v %v", u.UserMFASettingList, u.PreferredMfaSetting, err)
	}
	ch, err = initiate(c, clientID, "dave", "Passw0rd!")
	if err != nil || ch.ChallengeName != types.ChallengeNameTypeSelectMfaType {
		t.Fatalf("InitiateAuth: %+v %v", ch, err)
	}
	var can []string
	if err := json.Unmarshal([]byte(ch.ChallengeParameters["MFAS_CAN_CHOOSE"]), &can); err != nil || !slices.Equal(can, []string{"SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"}) {
		t.Fatalf("MFAS_CAN_CHOOSE = %q", ch.ChallengeParameters["MFAS_CAN_CHOOSE"])
	}
	sel, err := respond(c, clientID, types.ChallengeNameTypeSelectMfaType, aws.ToString(ch.Session), map[string]string{"USERNAME": "dave", "ANSWER": "EMAIL_OTP"})
	if err != nil || sel.ChallengeName != types.ChallengeNameTypeEmailOtp {
		t.Fatalf("SELECT_MFA_TYPE: %+v %v", sel, err)
	}
	r, err = respond(c, clientID, types.ChallengeNameTypeEmailOtp, aws.ToString(sel.Session), map[string]string{"USERNAME": "dave", "EMAIL_OTP_CODE": lastCode("dave@example.com")})
	if err != nil || r.AuthenticationResult == nil {
		t.Fatalf("EMAIL_OTP after SELECT_MFA_TYPE: %+v %v", r, err)
	}

	// Disabling every factor: an OPTIONAL pool signs in directly again.
	if _, err := c.AdminSetUserMFAPreference(bg, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(poolID), Username: aws.String("dave"),
		SMSMfaSettings: &types.SMSMfaSettingsType{}, SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{},
		EmailMfaSettings: &types.EmailMfaSettingsType{}}); err != nil {
		t.Fatal(err)
	}
	signIn(t, c, clientID, "dave", "Passw0rd!")
}

// srvUser creates a confirmed user with the password Passw0rd! and the
// e-mail <name>@example.com.
func srvUser(t *testing.T, c *cip.Client, poolID, name string) {
	t.Helper()
	if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(name),
		MessageAction:  types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(name + "@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(bg, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(name),
		Password: aws.String("Passw0rd!"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
}

func mustAtoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// TestMFAAfterSRPAndAudit: the SRP proof leads to the MFA challenge too,
// and the audit trail shows the sign-in in progress, a failed code and the
// pass, with no code in it.
func TestMFAAfterSRPAndAudit(t *testing.T) {
	_, clock, c, poolID, clientID := mfaServer(t)
	setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
	srvUser(t, c, poolID, "erin")
	at := aws.ToString(signIn(t, c, clientID, "erin", "Passw0rd!").AuthenticationResult.AccessToken)
	secret := associateTOTP(t, c, at, stepOf(clock.Now()))
	clock.Advance(time.Minute)

	cl, ch := srpChallenge(t, c, clientID, poolID, "erin")
	out, err := c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
		ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: srpAnswer(t, cl, poolID, "Passw0rd!", ch, clock.Now())})
	if err != nil || out.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa || out.AuthenticationResult != nil {
		t.Fatalf("PASSWORD_VERIFIER: %+v %v", out, err)
	}
	_, err = respond(c, clientID, types.ChallengeNameTypeSoftwareTokenMfa, aws.ToString(out.Session), map[string]string{"USERNAME": "erin", "SOFTWARE_TOKEN_MFA_CODE": "000000"})
	wantCode(t, err, "CodeMismatchException", "")
	code := totpAt(t, secret, stepOf(clock.Now()))
	r, err := respond(c, clientID, types.ChallengeNameTypeSoftwareTokenMfa, aws.ToString(out.Session), map[string]string{"USERNAME": "erin", "SOFTWARE_TOKEN_MFA_CODE": code})
	if err != nil || r.AuthenticationResult == nil {
		t.Fatalf("SOFTWARE_TOKEN_MFA: %+v %v", r, err)
	}

	ev, err := c.AdminListUserAuthEvents(bg, &cip.AdminListUserAuthEventsInput{UserPoolId: aws.String(poolID), Username: aws.String("erin")})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[types.EventResponseType]int{}
	for _, e := range ev.AuthEvents {
		if e.EventType == types.EventTypeSignIn {
			seen[e.EventResponse]++
		}
	}
	if seen[types.EventResponseTypeInProgress] < 2 || seen[types.EventResponseTypeFail] < 1 || seen[types.EventResponseTypePass] < 2 {
		t.Fatalf("sign-in events: %v", seen)
	}
	if raw, _ := json.Marshal(ev); strings.Contains(string(raw), code) || strings.Contains(string(raw), secret) {
		t.Fatal("the audit trail holds a code or the secret")
	}
}

// TestMFAChallengeOfAnotherUser: a session answers only for its user.
func TestMFAChallengeOfAnotherUser(t *testing.T) {
	srv, _, c, poolID, clientID := mfaServer(t)
	setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOptional,
		EmailMfaConfiguration: &types.EmailMfaConfigType{}})
	srvUser(t, c, poolID, "fay")
	srvUser(t, c, poolID, "gus")
	if _, err := c.AdminSetUserMFAPreference(bg, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(poolID), Username: aws.String("fay"),
		EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	ch, err := initiate(c, clientID, "fay", "Passw0rd!")
	if err != nil || ch.ChallengeName != types.ChallengeNameTypeEmailOtp {
		t.Fatalf("%+v %v", ch, err)
	}
	code := srv.Outbox.List(poolID, "fay@example.com")[0].Code
	_, err = respond(c, clientID, types.ChallengeNameTypeEmailOtp, aws.ToString(ch.Session), map[string]string{"USERNAME": "gus", "EMAIL_OTP_CODE": code})
	wantCode(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")
}

// TestMFAMessagesPinned pins Cognito's text of the MFA refusals no other
// test pins: a software token verified before one was associated, and an
// e-mail factor turned on for a user without an e-mail address.
func TestMFAMessagesPinned(t *testing.T) {
	_, _, c, poolID, clientID := mfaServer(t)
	setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
		EmailMfaConfiguration:         &types.EmailMfaConfigType{Message: aws.String("Sign-in code {####}"), Subject: aws.String("Your code")}})
	srvUser(t, c, poolID, "alice")
	at := aws.ToString(signIn(t, c, clientID, "alice", "Passw0rd!").AuthenticationResult.AccessToken)
	_, err := c.VerifySoftwareToken(bg, &cip.VerifySoftwareTokenInput{AccessToken: aws.String(at), UserCode: aws.String("123456")})
	wantCode(t, err, "SoftwareTokenMFANotFoundException", "Software Token MFA has not been associated")

	if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("nomail"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AdminSetUserMFAPreference(bg, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(poolID), Username: aws.String("nomail"),
		EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true}})
	wantCode(t, err, "InvalidParameterException", "User does not have delivery config set to turn on EMAIL_OTP")
}
