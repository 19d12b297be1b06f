package e2e

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// TestMFAAndRememberedDevices: where MFA and device tracking meet, as in
// Cognito. A sign-in that passes its MFA step is offered a new device
// (NewDeviceMetadata, and device_key in its access token); once that device
// is remembered, a sign-in proving it (DEVICE_SRP_AUTH) skips MFA when the
// pool sets ChallengeRequiredOnNewDevice, and not otherwise; a sign-in
// without it is challenged again.
func TestMFAAndRememberedDevices(t *testing.T) {
	// A clock near the real time: the device proof's TIMESTAMP is the real one.
	clock := testserver.NewClock(time.Now())
	srv := testserver.StartWith(t, testserver.Options{Now: clock.Now})
	c := srv.Admin
	poolID, clientID, _ := srv.NewPool(t)
	if _, err := c.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: &poolID,
		DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true}}); err != nil {
		t.Fatal(err)
	}
	setMFA(t, c, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(poolID), MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
	srv.NewUser(t, poolID, "maud", password)

	// No factor yet: tokens at once. Set up a software token and prefer it.
	first := signIn(t, c, clientID, "maud", password).AuthenticationResult
	secret := associateTOTP(t, c, aws.ToString(first.AccessToken), stepOf(clock.Now()))
	if _, err := c.SetUserMFAPreference(bg, &cip.SetUserMFAPreferenceInput{AccessToken: first.AccessToken,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		t.Fatal(err)
	}

	// The password now leads to the TOTP step; its tokens bring a new device.
	passTOTP := func() *types.AuthenticationResultType {
		t.Helper()
		clock.Advance(30 * time.Second) // a fresh time step: each is accepted once
		ch, err := initiate(c, clientID, "maud", password)
		if err != nil || ch.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
			t.Fatalf("InitiateAuth: %+v %v, want SOFTWARE_TOKEN_MFA", ch, err)
		}
		out, err := respond(c, clientID, types.ChallengeNameTypeSoftwareTokenMfa, aws.ToString(ch.Session),
			map[string]string{"USERNAME": "maud", "SOFTWARE_TOKEN_MFA_CODE": totpAt(t, secret, stepOf(clock.Now()))})
		if err != nil || out.AuthenticationResult == nil {
			t.Fatalf("SOFTWARE_TOKEN_MFA: %+v %v", out, err)
		}
		return out.AuthenticationResult
	}
	res := passTOTP()
	if res.NewDeviceMetadata == nil {
		t.Fatal("a sign-in through the MFA step was offered no device")
	}
	if got := claims(t, aws.ToString(res.AccessToken))["device_key"]; got != aws.ToString(res.NewDeviceMetadata.DeviceKey) {
		t.Fatalf("device_key %v, want the new device's %q", got, aws.ToString(res.NewDeviceMetadata.DeviceKey))
	}
	d, verifier := newTestDevice(t, res.NewDeviceMetadata)
	conf, err := c.ConfirmDevice(bg, &cip.ConfirmDeviceInput{AccessToken: res.AccessToken, DeviceKey: aws.String(d.key),
		DeviceSecretVerifierConfig: verifier, DeviceName: aws.String("laptop")})
	if err != nil || conf.UserConfirmationNecessary {
		t.Fatalf("ConfirmDevice: %+v %v", conf, err)
	}

	// The remembered device skips MFA: DEVICE_SRP_AUTH, then tokens.
	remembered, err := deviceSignIn(t, c, clientID, "maud", d, d.secret)
	if err != nil {
		t.Fatalf("sign-in on the remembered device: %v", err)
	}
	if got := claims(t, aws.ToString(remembered.AccessToken))["device_key"]; got != d.key {
		t.Fatalf("device_key %v, want %q", got, d.key)
	}
	if _, err := getUser(c, aws.ToString(remembered.AccessToken)); err != nil {
		t.Fatalf("the remembered device's tokens: %v", err)
	}

	// Without ChallengeRequiredOnNewDevice even a remembered device is asked
	// for the second factor.
	if _, err := c.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: &poolID,
		DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: false},
		MfaConfiguration:    types.UserPoolMfaTypeOptional}); err != nil {
		t.Fatal(err)
	}
	ch0, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "maud", "PASSWORD": password, "DEVICE_KEY": d.key}})
	if err != nil {
		t.Fatal(err)
	}
	out0, err := answerDeviceChallenges(t, c, clientID, "maud", d, d.secret, ch0.ChallengeName, ch0.Session)
	if err != nil || out0.AuthenticationResult != nil || out0.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
		t.Fatalf("remembered device, ChallengeRequiredOnNewDevice off: %+v %v, want the SOFTWARE_TOKEN_MFA challenge", out0, err)
	}
	if _, err := c.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: &poolID,
		DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true},
		MfaConfiguration:    types.UserPoolMfaTypeOptional}); err != nil {
		t.Fatal(err)
	}

	// Not remembered any more: MFA again, even naming the device.
	if _, err := c.UpdateDeviceStatus(bg, &cip.UpdateDeviceStatusInput{AccessToken: remembered.AccessToken,
		DeviceKey: aws.String(d.key), DeviceRememberedStatus: types.DeviceRememberedStatusTypeNotRemembered}); err != nil {
		t.Fatal(err)
	}
	ch, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "maud", "PASSWORD": password, "DEVICE_KEY": d.key}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := answerDeviceChallenges(t, c, clientID, "maud", d, d.secret, ch.ChallengeName, ch.Session)
	if err != nil || out.AuthenticationResult != nil || out.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
		t.Fatalf("device proof of a device not remembered: %+v %v, want the SOFTWARE_TOKEN_MFA challenge", out, err)
	}
	// A sign-in without the device is challenged too.
	if res := passTOTP(); res.AccessToken == nil {
		t.Fatal("no tokens")
	}
}
