package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/auth"
)

// trackDevices turns device tracking on for the env's pool.
func trackDevices(t *testing.T, e *env, onPrompt bool) {
	t.Helper()
	if _, err := e.srv.Admin.UpdateUserPool(context.Background(), &cip.UpdateUserPoolInput{UserPoolId: aws.String(e.poolID),
		DeviceConfiguration: &types.DeviceConfigurationType{DeviceOnlyRememberedOnUserPrompt: onPrompt}}); err != nil {
		t.Fatal(err)
	}
}

// deviceKeyOf reads the device_key claim of an access token.
func deviceKeyOf(t *testing.T, jwt string) string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		DeviceKey string `json:"device_key"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.DeviceKey
}

// TestDevices_RememberedAcrossSignOut: the SDK confirms the device a sign-in
// is given, keeps it across sign-outs, and proves it at the next sign-in.
func TestDevices_RememberedAcrossSignOut(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	trackDevices(t, e, false)
	c := e.client(t)

	first := e.signIn(t, c)
	rec, err := e.store.Load(e.key())
	if err != nil {
		t.Fatal(err)
	}
	dev, ok := rec.Devices[testUser]
	if !ok || dev.DeviceKey == "" || dev.DevicePassword == "" || dev.DeviceGroupKey == "" {
		t.Fatalf("no device remembered after sign-in: %v", rec.Devices)
	}
	if got := deviceKeyOf(t, first.AccessToken); got != dev.DeviceKey {
		t.Fatalf("device_key %q, stored device %q", got, dev.DeviceKey)
	}
	devices, err := c.FetchDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(devices) != 1 || devices[0].ID != dev.DeviceKey || !devices[0].Current || !devices[0].Remembered {
		t.Fatalf("FetchDevices = %+v", devices)
	}

	if r := c.SignOut(ctx, auth.SignOutOptions{}); !r.SignedOutLocally() {
		t.Fatalf("SignOut: %#v", r)
	}
	rec, err = e.store.Load(e.key())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Devices[testUser] != dev {
		t.Fatalf("sign-out lost the device: %v", rec.Devices)
	}

	// The next sign-in (SRP, the default) proves the device.
	e.proxy.reset()
	if r, err := c.SignIn(ctx, testUser, testPassword, auth.SignInOptions{}); err != nil || !r.SignedIn {
		t.Fatalf("SignIn: %+v, %v", r, err)
	}
	if n := e.proxy.count("ConfirmDevice"); n != 0 {
		t.Fatalf("a remembered device was confirmed again (%d calls)", n)
	}
	if n := e.proxy.count("RespondToAuthChallenge"); n != 3 {
		t.Fatalf("%d RespondToAuthChallenge calls, want 3 (PASSWORD_VERIFIER, DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER)", n)
	}
	s := e.session(t)
	if got := deviceKeyOf(t, s.AccessToken); got != dev.DeviceKey {
		t.Fatalf("device_key %q after a device sign-in, want %q", got, dev.DeviceKey)
	}

	// A global sign-out forgets no device.
	if r := c.SignOut(ctx, auth.SignOutOptions{Global: true}); !r.SignedOutLocally() {
		t.Fatalf("SignOut: %#v", r)
	}
	list, err := e.srv.Admin.AdminListDevices(ctx, &cip.AdminListDevicesInput{UserPoolId: aws.String(e.poolID),
		Username: aws.String(testUser)})
	if err != nil || len(list.Devices) != 1 {
		t.Fatalf("after a global sign-out: %v, %v", list, err)
	}

	// USER_PASSWORD_AUTH proves it too; ForgetDevice of this device signs
	// out here and drops the device data.
	s = e.signIn(t, c)
	if got := deviceKeyOf(t, s.AccessToken); got != dev.DeviceKey {
		t.Fatalf("device_key %q, want %q", got, dev.DeviceKey)
	}
	events := record(c)
	if err := c.ForgetDevice(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if e.session(t) != nil {
		t.Fatal("still signed in after forgetting this device")
	}
	if got := events.waitFor(t, 1); got[0] != auth.EventSignedOut {
		t.Fatalf("events %v", got)
	}
	if err := e.accessWorks(t, s.AccessToken); err == nil {
		t.Fatal("the access token of the forgotten device still works")
	}
	rec, _ = e.store.Load(e.key())
	if _, ok := rec.Devices[testUser]; ok {
		t.Fatal("the forgotten device is still remembered locally")
	}
	// A new sign-in gets and confirms a new device.
	s = e.signIn(t, c)
	rec, _ = e.store.Load(e.key())
	if nd := rec.Devices[testUser]; nd.DeviceKey == "" || nd.DeviceKey == dev.DeviceKey || deviceKeyOf(t, s.AccessToken) != nd.DeviceKey {
		t.Fatalf("after forgetting: device %v, token device %q", nd, deviceKeyOf(t, s.AccessToken))
	}
}

// TestDevices_RememberOnPrompt: with DeviceOnlyRememberedOnUserPrompt the
// device is confirmed but not remembered until RememberDevice.
func TestDevices_RememberOnPrompt(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	trackDevices(t, e, true)
	c := e.client(t)
	e.signIn(t, c)
	devices, err := c.FetchDevices(ctx)
	if err != nil || len(devices) != 1 || devices[0].Remembered {
		t.Fatalf("FetchDevices = %+v, %v", devices, err)
	}
	if err := c.RememberDevice(ctx); err != nil {
		t.Fatal(err)
	}
	devices, err = c.FetchDevices(ctx)
	if err != nil || len(devices) != 1 || !devices[0].Remembered {
		t.Fatalf("after RememberDevice: %+v, %v", devices, err)
	}
}

// TestDevices_NoTracking: without device tracking nothing is remembered and
// the device operations say so.
func TestDevices_NoTracking(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := e.client(t)
	e.signIn(t, c)
	rec, _ := e.store.Load(e.key())
	if len(rec.Devices) != 0 {
		t.Fatalf("devices remembered without tracking: %v", rec.Devices)
	}
	if err := c.RememberDevice(ctx); err == nil {
		t.Fatal("RememberDevice without a device succeeded")
	}
	if err := c.ForgetDevice(ctx, ""); err == nil {
		t.Fatal("ForgetDevice without a device succeeded")
	}
	if devices, err := c.FetchDevices(ctx); err != nil || len(devices) != 0 {
		t.Fatalf("FetchDevices = %v, %v", devices, err)
	}
}

// TestDevices_RefusedDeviceIsDropped: a device whose proof the service
// refuses (here, a secret that no longer matches) fails that sign-in and is
// forgotten locally, so that the next sign-in is one on a new device.
func TestDevices_RefusedDeviceIsDropped(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	trackDevices(t, e, false)
	c := e.client(t)
	e.signIn(t, c)
	if r := c.SignOut(ctx, auth.SignOutOptions{}); !r.SignedOutLocally() {
		t.Fatalf("SignOut: %#v", r)
	}
	rec, err := e.store.Load(e.key())
	if err != nil {
		t.Fatal(err)
	}
	dev := rec.Devices[testUser]
	dev.DevicePassword = "not-the-secret"
	rec.Devices[testUser] = dev
	if err := e.store.Save(e.key(), rec); err != nil {
		t.Fatal(err)
	}
	_, err = c.SignIn(ctx, testUser, testPassword, auth.SignInOptions{})
	if !auth.IsServiceError(err, "NotAuthorizedException") {
		t.Fatalf("SignIn with a wrong device secret: %v, want NotAuthorizedException", err)
	}
	rec, _ = e.store.Load(e.key())
	if _, ok := rec.Devices[testUser]; ok || rec.Session != nil {
		t.Fatalf("after a refused device: devices %v, session %v", rec.Devices, rec.Session)
	}
	s := e.signIn(t, c)
	rec, _ = e.store.Load(e.key())
	if nd := rec.Devices[testUser]; nd.DeviceKey == "" || nd.DeviceKey == dev.DeviceKey || deviceKeyOf(t, s.AccessToken) != nd.DeviceKey {
		t.Fatalf("the next sign-in: device %v", nd)
	}
}
