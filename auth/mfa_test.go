package auth_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/internal/testserver"
)

// totpCode is the RFC 6238 code of a base32 secret at t.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:off+4])&0x7fffffff)%1000000)
}

func mfaEnv(t *testing.T, mode types.UserPoolMfaType) (*env, *testserver.Clock) {
	clock := testserver.NewClock(time.Now())
	e := newEnvWith(t, testserver.Options{Now: clock.Now})
	if _, err := e.srv.Admin.SetUserPoolMfaConfig(bg(), &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(e.poolID),
		MfaConfiguration: mode, SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
		EmailMfaConfiguration: &types.EmailMfaConfigType{}}); err != nil {
		t.Fatal(err)
	}
	return e, clock
}

func TestMFA_TOTPSetUpAndSignIn(t *testing.T) {
	e, clock := mfaEnv(t, types.UserPoolMfaTypeOptional)
	c := e.client(t)
	e.signIn(t, c)
	d, err := c.SetUpTOTP(bg())
	if err != nil || len(d.SharedSecret) != 32 || d.Username != testUser {
		t.Fatalf("SetUpTOTP: %+v %v", d, err)
	}
	u, err := url.Parse(d.SetupURI("My App", ""))
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != d.SharedSecret ||
		u.Query().Get("issuer") != "My App" || !strings.HasSuffix(u.Path, ":"+testUser) {
		t.Fatalf("SetupURI = %s", d.SetupURI("My App", ""))
	}
	if err := c.VerifyTOTPSetup(bg(), "000000", auth.VerifyTOTPSetupOptions{}); !auth.IsServiceError(err, "EnableSoftwareTokenMFAException") {
		t.Fatalf("a wrong code: %v", err)
	}
	if err := c.VerifyTOTPSetup(bg(), totpCode(t, d.SharedSecret, clock.Now()), auth.VerifyTOTPSetupOptions{FriendlyDeviceName: "phone"}); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateMFAPreference(bg(), auth.UpdateMFAPreferenceInput{TOTP: auth.MFAPreferencePreferred}); err != nil {
		t.Fatal(err)
	}
	p, err := c.FetchMFAPreference(bg())
	if err != nil || len(p.Enabled) != 1 || p.Enabled[0] != auth.MFATypeTOTP || p.Preferred != auth.MFATypeTOTP {
		t.Fatalf("FetchMFAPreference: %+v %v", p, err)
	}
	signOut(t, c)

	clock.Advance(time.Minute)
	for _, flow := range []auth.AuthFlow{auth.AuthFlowSRP, auth.AuthFlowUserPassword} {
		r, err := c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{AuthFlow: flow})
		if err != nil || r.SignedIn || r.NextStep != auth.SignInStepConfirmWithTOTPCode {
			t.Fatalf("%s: SignIn: %+v %v", flow, r, err)
		}
		if _, err := c.ConfirmSignIn(bg(), "000000", auth.ConfirmSignInOptions{}); !auth.IsServiceError(err, "CodeMismatchException") {
			t.Fatalf("%s: a wrong code: %v", flow, err)
		}
		r, err = c.ConfirmSignIn(bg(), totpCode(t, d.SharedSecret, clock.Now()), auth.ConfirmSignInOptions{})
		if err != nil || !r.SignedIn {
			t.Fatalf("%s: ConfirmSignIn: %+v %v", flow, r, err)
		}
		signOut(t, c)
		clock.Advance(time.Minute)
	}
}

func TestMFA_SetupDuringSignIn(t *testing.T) {
	e, clock := mfaEnv(t, types.UserPoolMfaTypeOn)
	c := e.client(t)
	r, err := c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{AuthFlow: auth.AuthFlowUserPassword})
	// The user's e-mail is not verified, so the pool's e-mail factor does
	// not apply: the user sets up a software token.
	if err != nil || r.NextStep != auth.SignInStepContinueWithTOTPSetup || r.TOTPSetupDetails == nil || r.TOTPSetupDetails.SharedSecret == "" {
		t.Fatalf("SignIn: %+v %v", r, err)
	}
	r, err = c.ConfirmSignIn(bg(), totpCode(t, r.TOTPSetupDetails.SharedSecret, clock.Now()), auth.ConfirmSignInOptions{})
	if err != nil || !r.SignedIn {
		t.Fatalf("ConfirmSignIn: %+v %v", r, err)
	}
	p, err := c.FetchMFAPreference(bg())
	if err != nil || len(p.Enabled) != 1 || p.Enabled[0] != auth.MFATypeTOTP {
		t.Fatalf("FetchMFAPreference: %+v %v", p, err)
	}
}

func TestMFA_SelectionAndEmailCode(t *testing.T) {
	e, clock := mfaEnv(t, types.UserPoolMfaTypeOptional)
	c := e.client(t)
	e.signIn(t, c)
	d, err := c.SetUpTOTP(bg())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.VerifyTOTPSetup(bg(), totpCode(t, d.SharedSecret, clock.Now()), auth.VerifyTOTPSetupOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateMFAPreference(bg(), auth.UpdateMFAPreferenceInput{Email: auth.MFAPreferenceEnabled}); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateMFAPreference(bg(), auth.UpdateMFAPreferenceInput{Email: "SOMETIMES"}); err == nil {
		t.Fatal("an unknown preference was accepted")
	}
	signOut(t, c)
	r, err := c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{AuthFlow: auth.AuthFlowUserPassword})
	if err != nil || r.NextStep != auth.SignInStepContinueWithMFASelection || len(r.AllowedMFATypes) != 2 ||
		r.AllowedMFATypes[0] != auth.MFATypeTOTP || r.AllowedMFATypes[1] != auth.MFATypeEmail {
		t.Fatalf("SignIn: %+v %v", r, err)
	}
	r, err = c.ConfirmSignIn(bg(), string(auth.MFATypeEmail), auth.ConfirmSignInOptions{})
	if err != nil || r.NextStep != auth.SignInStepConfirmWithEmailCode || r.CodeDeliveryDetails == nil ||
		r.CodeDeliveryDetails.DeliveryMedium != "EMAIL" {
		t.Fatalf("select EMAIL: %+v %v", r, err)
	}
	ms := e.srv.Outbox.List(e.poolID, testUser+"@example.com")
	if len(ms) == 0 {
		t.Fatal("no e-mail code sent")
	}
	r, err = c.ConfirmSignIn(bg(), ms[0].Code, auth.ConfirmSignInOptions{})
	if err != nil || !r.SignedIn {
		t.Fatalf("ConfirmSignIn: %+v %v", r, err)
	}
}

func signOut(t *testing.T, c *auth.Client) {
	t.Helper()
	if r := c.SignOut(bg(), auth.SignOutOptions{}); r != (auth.CompleteSignOut{}) {
		t.Fatalf("SignOut: %#v", r)
	}
}
