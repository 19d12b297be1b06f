package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/srp"
)

// devicePool makes a pool with device tracking on (onPrompt: devices are
// remembered only when the user says so) and a client.
func devicePool(t *testing.T, s *testserver.Server, onPrompt bool) (poolID, clientID string) {
	t.Helper()
	poolID, clientID, _ = s.NewPool(t)
	if _, err := s.Admin.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: &poolID,
		DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true,
			DeviceOnlyRememberedOnUserPrompt: onPrompt}}); err != nil {
		t.Fatal(err)
	}
	return poolID, clientID
}

// testDevice is the client side of a remembered device.
type testDevice struct {
	key, group, secret string
}

// newTestDevice makes a device secret for the metadata a sign-in returned
// and its verifier config, as Amplify's confirmDevice does.
func newTestDevice(t *testing.T, m *types.NewDeviceMetadataType) (*testDevice, *types.DeviceSecretVerifierConfigType) {
	t.Helper()
	if m == nil || aws.ToString(m.DeviceKey) == "" || aws.ToString(m.DeviceGroupKey) == "" {
		t.Fatalf("no NewDeviceMetadata: %+v", m)
	}
	b := make([]byte, 40)
	salt := make([]byte, 16)
	_, _ = rand.Read(b)
	_, _ = rand.Read(salt)
	d := &testDevice{key: *m.DeviceKey, group: *m.DeviceGroupKey, secret: base64.StdEncoding.EncodeToString(b)}
	v := srp.Verifier(d.group, d.key, d.secret, salt)
	return d, &types.DeviceSecretVerifierConfigType{PasswordVerifier: aws.String(base64.StdEncoding.EncodeToString(v.Bytes())),
		Salt: aws.String(base64.StdEncoding.EncodeToString(salt))}
}

// deviceSignIn signs in with USER_PASSWORD_AUTH naming the device, then
// proves the device (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER) with secret.
func deviceSignIn(t *testing.T, c *cip.Client, clientID, user string, d *testDevice, secret string) (*types.AuthenticationResultType, error) {
	t.Helper()
	out, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password, "DEVICE_KEY": d.key}})
	if err != nil {
		t.Fatal(err)
	}
	return proveDevice(t, c, clientID, user, d, secret, out.ChallengeName, out.Session)
}

func proveDevice(t *testing.T, c *cip.Client, clientID, user string, d *testDevice, secret string, name types.ChallengeNameType, session *string) (*types.AuthenticationResultType, error) {
	t.Helper()
	res, err := answerDeviceChallenges(t, c, clientID, user, d, secret, name, session)
	if err != nil {
		return nil, err
	}
	if res.AuthenticationResult == nil {
		t.Fatalf("device proof answered challenge %q, want tokens", res.ChallengeName)
	}
	return res.AuthenticationResult, nil
}

// answerDeviceChallenges answers DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER
// and returns what the server answered the proof with.
func answerDeviceChallenges(t *testing.T, c *cip.Client, clientID, user string, d *testDevice, secret string, name types.ChallengeNameType, session *string) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	if name != types.ChallengeNameTypeDeviceSrpAuth {
		t.Fatalf("challenge %q, want DEVICE_SRP_AUTH", name)
	}
	cl, err := srp.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID, Session: session,
		ChallengeName:      types.ChallengeNameTypeDeviceSrpAuth,
		ChallengeResponses: map[string]string{"USERNAME": user, "DEVICE_KEY": d.key, "SRP_A": cl.A()}})
	if err != nil {
		t.Fatal(err)
	}
	if ch.ChallengeName != types.ChallengeNameTypeDevicePasswordVerifier {
		t.Fatalf("challenge %q, want DEVICE_PASSWORD_VERIFIER", ch.ChallengeName)
	}
	p := ch.ChallengeParameters
	key, err := cl.Key(d.group, d.key, secret, p["SRP_B"], p["SALT"])
	if err != nil {
		t.Fatal(err)
	}
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	if err != nil {
		t.Fatal(err)
	}
	ts := srp.FormatTimestamp(time.Now())
	res, err := c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID, Session: ch.Session,
		ChallengeName: types.ChallengeNameTypeDevicePasswordVerifier,
		ChallengeResponses: map[string]string{"USERNAME": user, "DEVICE_KEY": d.key, "TIMESTAMP": ts,
			"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
			"PASSWORD_CLAIM_SIGNATURE":    srp.Signature(key, d.group, d.key, block, ts)}})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func deviceAttrs(d *types.DeviceType) map[string]string {
	out := map[string]string{}
	for _, a := range d.DeviceAttributes {
		out[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	return out
}

// TestDevicesRemembered: device tracking end to end through aws-sdk-go-v2.
func TestDevicesRemembered(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID := devicePool(t, s, false)
	s.NewUser(t, poolID, "dora", password)

	desc, err := c.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
	if err != nil {
		t.Fatal(err)
	}
	if dc := desc.UserPool.DeviceConfiguration; dc == nil || !dc.ChallengeRequiredOnNewDevice || dc.DeviceOnlyRememberedOnUserPrompt {
		t.Fatalf("DeviceConfiguration = %+v", dc)
	}

	// A first sign-in: a new device, recorded in the access token.
	first := signIn(t, c, clientID, "dora", password).AuthenticationResult
	dev, cfg := newTestDevice(t, first.NewDeviceMetadata)
	if got := claims(t, *first.AccessToken)["device_key"]; got != dev.key {
		t.Fatalf("device_key claim = %v, want %s", got, dev.key)
	}
	if len(dev.key) < 11 || dev.key[:10] != "us-east-1_" {
		t.Fatalf("device key %q is not <region>_<uuid>", dev.key)
	}
	conf, err := c.ConfirmDevice(bg, &cip.ConfirmDeviceInput{AccessToken: first.AccessToken, DeviceKey: &dev.key,
		DeviceName: aws.String("dora's laptop"), DeviceSecretVerifierConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if conf.UserConfirmationNecessary {
		t.Fatal("UserConfirmationNecessary without DeviceOnlyRememberedOnUserPrompt")
	}
	list, err := c.ListDevices(bg, &cip.ListDevicesInput{AccessToken: first.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Devices) != 1 || aws.ToString(list.Devices[0].DeviceKey) != dev.key {
		t.Fatalf("ListDevices = %+v", list.Devices)
	}
	got := list.Devices[0]
	want := map[string]string{"device_name": "dora's laptop", "device_status": "valid", "device_remembered_status": "remembered"}
	for k, v := range want {
		if deviceAttrs(&got)[k] != v {
			t.Errorf("attribute %s = %q, want %q (%v)", k, deviceAttrs(&got)[k], v, deviceAttrs(&got))
		}
	}
	if got.DeviceCreateDate == nil || got.DeviceLastModifiedDate == nil || got.DeviceLastAuthenticatedDate == nil {
		t.Errorf("device dates missing: %+v", got)
	}

	// Signing in with the device: the password, then the device's proof.
	viaDevice, err := deviceSignIn(t, c, clientID, "dora", dev, dev.secret)
	if err != nil {
		t.Fatal(err)
	}
	if viaDevice.NewDeviceMetadata != nil {
		t.Fatal("a known device was given NewDeviceMetadata")
	}
	if got := claims(t, *viaDevice.AccessToken)["device_key"]; got != dev.key {
		t.Fatalf("device_key claim = %v, want %s", got, dev.key)
	}
	// The same through USER_SRP_AUTH, DEVICE_KEY in the PASSWORD_VERIFIER answer.
	cl, ch := srpChallenge(t, c, clientID, poolID, "dora")
	ans := srpAnswer(t, cl, poolID, password, ch, time.Now())
	ans["DEVICE_KEY"] = dev.key
	pv, err := c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID,
		ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: ans})
	if err != nil {
		t.Fatal(err)
	}
	viaSRP, err := proveDevice(t, c, clientID, "dora", dev, dev.secret, pv.ChallengeName, pv.Session)
	if err != nil {
		t.Fatal(err)
	}

	// A wrong device secret is refused.
	_, err = deviceSignIn(t, c, clientID, "dora", dev, "not the secret")
	wantAPIError[*types.NotAuthorizedException](t, err, "")

	// A sign-in without the device: another device, another family.
	other := signIn(t, c, clientID, "dora", password).AuthenticationResult
	if other.NewDeviceMetadata == nil || aws.ToString(other.NewDeviceMetadata.DeviceKey) == dev.key {
		t.Fatalf("a sign-in without DEVICE_KEY got %+v", other.NewDeviceMetadata)
	}

	// A global sign-out ends the sessions but forgets no device.
	if _, err := c.GlobalSignOut(bg, &cip.GlobalSignOutInput{AccessToken: viaSRP.AccessToken}); err != nil {
		t.Fatal(err)
	}
	adminList, err := c.AdminListDevices(bg, &cip.AdminListDevicesInput{UserPoolId: &poolID, Username: aws.String("dora")})
	if err != nil {
		t.Fatal(err)
	}
	if len(adminList.Devices) != 1 || aws.ToString(adminList.Devices[0].DeviceKey) != dev.key {
		t.Fatalf("after GlobalSignOut, AdminListDevices = %+v", adminList.Devices)
	}
	for _, tok := range []*types.AuthenticationResultType{first, viaDevice, other} {
		_, err := getUser(c, *tok.AccessToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "")
	}

	// After it: two families through the device, one without.
	through1, err := deviceSignIn(t, c, clientID, "dora", dev, dev.secret)
	if err != nil {
		t.Fatal(err)
	}
	through2, err := deviceSignIn(t, c, clientID, "dora", dev, dev.secret)
	if err != nil {
		t.Fatal(err)
	}
	without := signIn(t, c, clientID, "dora", password).AuthenticationResult

	if _, err := c.ForgetDevice(bg, &cip.ForgetDeviceInput{AccessToken: without.AccessToken, DeviceKey: &dev.key}); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []*types.AuthenticationResultType{through1, through2} {
		_, err := getUser(c, *tok.AccessToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
		_, err = refresh(c, clientID, *tok.RefreshToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
	}
	if _, err := getUser(c, *without.AccessToken); err != nil {
		t.Fatalf("a family not signed in through the device ended: %v", err)
	}
	if _, err := refresh(c, clientID, *without.RefreshToken); err != nil {
		t.Fatalf("a family not signed in through the device cannot refresh: %v", err)
	}
	_, err = c.GetDevice(bg, &cip.GetDeviceInput{AccessToken: without.AccessToken, DeviceKey: &dev.key})
	wantAPIError[*types.ResourceNotFoundException](t, err, "Device does not exist.")
	_, err = c.ForgetDevice(bg, &cip.ForgetDeviceInput{AccessToken: without.AccessToken, DeviceKey: &dev.key})
	wantAPIError[*types.ResourceNotFoundException](t, err, "Device does not exist.")

	// A forgotten device's key signs in as a new device.
	again, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "dora", "PASSWORD": password, "DEVICE_KEY": dev.key}})
	if err != nil {
		t.Fatal(err)
	}
	if again.AuthenticationResult == nil || again.AuthenticationResult.NewDeviceMetadata == nil {
		t.Fatalf("a forgotten device's sign-in: challenge %q, want tokens with NewDeviceMetadata", again.ChallengeName)
	}
}

// TestDevicesAdminAndErrors: the Admin variants, the user-prompt mode and
// Cognito's errors.
func TestDevicesAdminAndErrors(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID := devicePool(t, s, true)
	s.NewUser(t, poolID, "ivan", password)
	s.NewUser(t, poolID, "jane", password)
	user := aws.String("ivan")

	res := signIn(t, c, clientID, "ivan", password).AuthenticationResult
	dev, cfg := newTestDevice(t, res.NewDeviceMetadata)
	conf, err := c.ConfirmDevice(bg, &cip.ConfirmDeviceInput{AccessToken: res.AccessToken, DeviceKey: &dev.key,
		DeviceSecretVerifierConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if !conf.UserConfirmationNecessary {
		t.Fatal("UserConfirmationNecessary false with DeviceOnlyRememberedOnUserPrompt")
	}
	status := func() string {
		t.Helper()
		out, err := c.AdminGetDevice(bg, &cip.AdminGetDeviceInput{UserPoolId: &poolID, Username: user, DeviceKey: &dev.key})
		if err != nil {
			t.Fatal(err)
		}
		return deviceAttrs(out.Device)["device_remembered_status"]
	}
	if got := status(); got != "not_remembered" {
		t.Fatalf("status %q before the user's prompt", got)
	}
	if _, err := c.UpdateDeviceStatus(bg, &cip.UpdateDeviceStatusInput{AccessToken: res.AccessToken, DeviceKey: &dev.key,
		DeviceRememberedStatus: types.DeviceRememberedStatusTypeRemembered}); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != "remembered" {
		t.Fatalf("status %q after UpdateDeviceStatus", got)
	}
	if _, err := c.AdminUpdateDeviceStatus(bg, &cip.AdminUpdateDeviceStatusInput{UserPoolId: &poolID, Username: user,
		DeviceKey: &dev.key, DeviceRememberedStatus: types.DeviceRememberedStatusTypeNotRemembered}); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != "not_remembered" {
		t.Fatalf("status %q after AdminUpdateDeviceStatus", got)
	}
	_, err = c.UpdateDeviceStatus(bg, &cip.UpdateDeviceStatusInput{AccessToken: res.AccessToken, DeviceKey: &dev.key,
		DeviceRememberedStatus: "forever"})
	wantAPIError[*types.InvalidParameterException](t, err, "")

	// Another user's device, or none: not found.
	jane := signIn(t, c, clientID, "jane", password).AuthenticationResult
	_, err = c.GetDevice(bg, &cip.GetDeviceInput{AccessToken: jane.AccessToken, DeviceKey: &dev.key})
	wantAPIError[*types.ResourceNotFoundException](t, err, "Device does not exist.")
	_, err = c.ForgetDevice(bg, &cip.ForgetDeviceInput{AccessToken: jane.AccessToken, DeviceKey: &dev.key})
	wantAPIError[*types.ResourceNotFoundException](t, err, "Device does not exist.")
	_, err = c.AdminGetDevice(bg, &cip.AdminGetDeviceInput{UserPoolId: &poolID, Username: user, DeviceKey: aws.String("us-east-1_nope")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "Device does not exist.")
	_, err = c.ConfirmDevice(bg, &cip.ConfirmDeviceInput{AccessToken: jane.AccessToken, DeviceKey: &dev.key,
		DeviceSecretVerifierConfig: cfg})
	wantAPIError[*types.ResourceNotFoundException](t, err, "Device does not exist.")
	_, err = c.ConfirmDevice(bg, &cip.ConfirmDeviceInput{AccessToken: jane.AccessToken, DeviceKey: jane.NewDeviceMetadata.DeviceKey,
		DeviceSecretVerifierConfig: &types.DeviceSecretVerifierConfigType{PasswordVerifier: aws.String("!!"), Salt: aws.String("AA==")}})
	wantAPIError[*types.InvalidParameterException](t, err, "")
	_, err = c.ListDevices(bg, &cip.ListDevicesInput{AccessToken: jane.AccessToken, Limit: aws.Int32(61)})
	wantAPIError[*types.InvalidParameterException](t, err, "")
	jl, err := c.ListDevices(bg, &cip.ListDevicesInput{AccessToken: jane.AccessToken})
	if err != nil || len(jl.Devices) != 0 {
		t.Fatalf("jane's devices: %v, %v", jl, err)
	}

	// A device not remembered still proves itself at sign-in.
	through, err := deviceSignIn(t, c, clientID, "ivan", dev, dev.secret)
	if err != nil {
		t.Fatal(err)
	}
	// A wrong proof through the admin flow too.
	out, err := c.AdminInitiateAuth(bg, &cip.AdminInitiateAuthInput{UserPoolId: &poolID, ClientId: &clientID,
		AuthFlow:       types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "ivan", "PASSWORD": password, "DEVICE_KEY": dev.key}})
	if err != nil {
		t.Fatal(err)
	}
	if out.ChallengeName != types.ChallengeNameTypeDeviceSrpAuth {
		t.Fatalf("admin sign-in with a device: challenge %q", out.ChallengeName)
	}
	_, err = proveDevice(t, c, clientID, "ivan", dev, "wrong", out.ChallengeName, out.Session)
	wantAPIError[*types.NotAuthorizedException](t, err, "")

	// Paging.
	for range 2 {
		r := signIn(t, c, clientID, "ivan", password).AuthenticationResult
		_, cfg := newTestDevice(t, r.NewDeviceMetadata)
		if _, err := c.ConfirmDevice(bg, &cip.ConfirmDeviceInput{AccessToken: r.AccessToken,
			DeviceKey: r.NewDeviceMetadata.DeviceKey, DeviceSecretVerifierConfig: cfg}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	var tok *string
	for range 5 {
		page, err := c.AdminListDevices(bg, &cip.AdminListDevicesInput{UserPoolId: &poolID, Username: user, Limit: aws.Int32(2),
			PaginationToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Devices {
			seen[aws.ToString(d.DeviceKey)] = true
		}
		if tok = page.PaginationToken; tok == nil {
			break
		}
	}
	if len(seen) != 3 || !seen[dev.key] {
		t.Fatalf("paged devices: %v", seen)
	}

	// AdminForgetDevice ends the family signed in through it.
	if _, err := c.AdminForgetDevice(bg, &cip.AdminForgetDeviceInput{UserPoolId: &poolID, Username: user,
		DeviceKey: &dev.key}); err != nil {
		t.Fatal(err)
	}
	_, err = getUser(c, *through.AccessToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
	if _, err := getUser(c, *jane.AccessToken); err != nil {
		t.Fatal(err)
	}
	_, err = c.AdminForgetDevice(bg, &cip.AdminForgetDeviceInput{UserPoolId: &poolID, Username: user, DeviceKey: &dev.key})
	wantAPIError[*types.ResourceNotFoundException](t, err, "Device does not exist.")

	// Deleting the user deletes its devices.
	keys := []string{}
	for k := range seen {
		if k != dev.key {
			keys = append(keys, k)
		}
	}
	if _, err := c.AdminDeleteUser(bg, &cip.AdminDeleteUserInput{UserPoolId: &poolID, Username: user}); err != nil {
		t.Fatal(err)
	}
	s.NewUser(t, poolID, "ivan", password)
	l, err := c.AdminListDevices(bg, &cip.AdminListDevicesInput{UserPoolId: &poolID, Username: user})
	if err != nil || len(l.Devices) != 0 {
		t.Fatalf("a new ivan inherits devices %v (%v) of %v", l, err, keys)
	}
}

// TestDevicesTrackingOff: without DeviceConfiguration, no device metadata,
// no device_key, and ConfirmDevice is refused.
func TestDevicesTrackingOff(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "olga", password)
	res := signIn(t, c, clientID, "olga", password).AuthenticationResult
	if res.NewDeviceMetadata != nil {
		t.Fatal("NewDeviceMetadata with device tracking off")
	}
	if _, ok := claims(t, *res.AccessToken)["device_key"]; ok {
		t.Fatal("device_key claim with device tracking off")
	}
	salt := make([]byte, 16)
	v := srp.Verifier("-g", "us-east-1_x", "secret", salt)
	_, err := c.ConfirmDevice(bg, &cip.ConfirmDeviceInput{AccessToken: res.AccessToken, DeviceKey: aws.String("us-east-1_x"),
		DeviceSecretVerifierConfig: &types.DeviceSecretVerifierConfigType{
			PasswordVerifier: aws.String(base64.StdEncoding.EncodeToString(v.Bytes())),
			Salt:             aws.String(base64.StdEncoding.EncodeToString(salt))}})
	wantAPIError[*types.InvalidParameterException](t, err, "")
}
