package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/auth/credstore"
	"github.com/cognate-dev/cognate/srp"
)

// Remembered devices, as in Amplify. When the pool tracks devices, a
// sign-in on a new device returns NewDeviceMetadata: the SDK makes a device
// secret, confirms the device (ConfirmDevice, with the SRP verifier of the
// secret) and keeps the key and secret in the credential store under the
// user's name. They outlive sign-out; the next sign-in of that user names the
// device (DEVICE_KEY) and proves it (DEVICE_SRP_AUTH, then
// DEVICE_PASSWORD_VERIFIER). RememberDevice, ForgetDevice and FetchDevices
// act on the user's devices.

// Device is one of the signed-in user's devices, as FetchDevices returns it.
type Device struct {
	// ID is the device key.
	ID string
	// Name is the device_name attribute (empty when none was given).
	Name string
	// Remembered is the device_remembered_status.
	Remembered bool
	// Attributes are all the device's attributes.
	Attributes        map[string]string
	Created           time.Time
	LastModified      time.Time
	LastAuthenticated time.Time
	// Current marks this Client's device.
	Current bool
}

// storedDevice returns the device remembered for the user signing in as
// loginID (nil when none).
func storedDevice(rec credstore.Record, loginID string) *credstore.Device {
	d, ok := rec.Devices[loginID]
	if !ok || d.DeviceKey == "" || d.DevicePassword == "" || d.DeviceGroupKey == "" {
		return nil
	}
	return &d
}

// addDeviceKey names the user's remembered device in a sign-in request.
func addDeviceKey(rec credstore.Record, loginID string, params map[string]string) {
	if d := storedDevice(rec, loginID); d != nil {
		params["DEVICE_KEY"] = d.DeviceKey
	}
}

// dropUserDevice removes the user's remembered device from rec, under every
// name it is kept (the user name, and the login id the user typed).
func dropUserDevice(rec credstore.Record, username string) {
	d, ok := rec.Devices[username]
	delete(rec.Devices, username)
	if !ok {
		return
	}
	for name, other := range rec.Devices {
		if other.DeviceKey == d.DeviceKey {
			delete(rec.Devices, name)
		}
	}
}

// deviceRefused handles the service refusing the remembered device's proof
// (forgotten, or its verifier lost): the device is dropped here, so that the
// next sign-in is one on a new device instead of failing again.
func (c *Client) deviceRefused(loginID string, err error) error {
	if !IsServiceError(err, "NotAuthorizedException") && !IsServiceError(err, "ResourceNotFoundException") {
		return err
	}
	rec, lerr := c.loadRecord()
	if lerr != nil {
		return err
	}
	dropUserDevice(rec, loginID)
	if serr := safeSave(c.store, c.key, rec); serr != nil {
		return err
	}
	c.log.Info("auth: the remembered device was refused and is forgotten here; sign in again", "username", loginID)
	return fmt.Errorf("%w (the remembered device was refused and is forgotten here; sign in again)", err)
}

// answerDeviceSRP proves the remembered device (lock held): DEVICE_SRP_AUTH,
// then DEVICE_PASSWORD_VERIFIER, then the answer goes to afterAuth.
func (c *Client) answerDeviceSRP(ctx context.Context, rec credstore.Record, loginID string, flow AuthFlow,
	cparams map[string]string, session *string,
) (SignInResult, error) {
	d := storedDevice(rec, loginID)
	if d == nil {
		return SignInResult{}, errors.New("auth: the service asked to prove a device this client does not remember")
	}
	username := cparams["USERNAME"]
	if username == "" {
		username = loginID
	}
	cl, err := srp.NewClient()
	if err != nil {
		return SignInResult{}, fmt.Errorf("auth: SRP: %w", err)
	}
	resp := map[string]string{"USERNAME": username, "DEVICE_KEY": d.DeviceKey, "SRP_A": cl.A()}
	if h := c.secretHash(username); h != "" {
		resp["SECRET_HASH"] = h
	}
	ch, err := c.respond(ctx, types.ChallengeNameTypeDeviceSrpAuth, resp, session)
	if err != nil {
		return SignInResult{}, c.deviceRefused(loginID, err)
	}
	if ch.ChallengeName != types.ChallengeNameTypeDevicePasswordVerifier {
		return c.afterAuth(ctx, rec, loginID, flow, ch.AuthenticationResult, ch.ChallengeName, ch.ChallengeParameters, ch.Session)
	}
	p := ch.ChallengeParameters
	key, err := cl.Key(d.DeviceGroupKey, d.DeviceKey, d.DevicePassword, p["SRP_B"], p["SALT"])
	if err != nil {
		return SignInResult{}, fmt.Errorf("auth: SRP: the service sent an invalid device challenge: %w", err)
	}
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	if err != nil {
		return SignInResult{}, errors.New("auth: SRP: the service sent a malformed DEVICE_PASSWORD_VERIFIER challenge")
	}
	if u := p["USERNAME"]; u != "" {
		username = u
	}
	ts := srp.FormatTimestamp(c.cfg.Now())
	resp = map[string]string{"USERNAME": username, "DEVICE_KEY": d.DeviceKey, "TIMESTAMP": ts,
		"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
		"PASSWORD_CLAIM_SIGNATURE":    srp.Signature(key, d.DeviceGroupKey, d.DeviceKey, block, ts)}
	if h := c.secretHash(username); h != "" {
		resp["SECRET_HASH"] = h
	}
	out, err := c.respond(ctx, types.ChallengeNameTypeDevicePasswordVerifier, resp, ch.Session)
	if err != nil {
		return SignInResult{}, c.deviceRefused(loginID, err)
	}
	return c.afterAuth(ctx, rec, loginID, flow, out.AuthenticationResult, out.ChallengeName, out.ChallengeParameters, out.Session)
}

// respond sends one RespondToAuthChallenge.
func (c *Client) respond(ctx context.Context, name types.ChallengeNameType, resp map[string]string, session *string) (*cip.RespondToAuthChallengeOutput, error) {
	return callOp(ctx, c, "RespondToAuthChallenge", c.cip.RespondToAuthChallenge, &cip.RespondToAuthChallengeInput{ChallengeName: name,
		ClientId: aws.String(c.cfg.ClientID), ChallengeResponses: resp, Session: session})
}

// confirmNewDevice confirms the device a sign-in was given and records it
// in rec under the user's name (lock held). A failure leaves the user
// signed in without a remembered device, as in Amplify.
func (c *Client) confirmNewDevice(ctx context.Context, rec *credstore.Record, s *credstore.Session, m *types.NewDeviceMetadataType) {
	if m == nil || aws.ToString(m.DeviceKey) == "" || aws.ToString(m.DeviceGroupKey) == "" {
		return
	}
	secret := make([]byte, 40)
	salt := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return
	}
	if _, err := rand.Read(salt); err != nil {
		return
	}
	d := credstore.Device{DeviceKey: *m.DeviceKey, DeviceGroupKey: *m.DeviceGroupKey,
		DevicePassword: base64.StdEncoding.EncodeToString(secret), Salt: base64.StdEncoding.EncodeToString(salt)}
	v := srp.Verifier(d.DeviceGroupKey, d.DeviceKey, d.DevicePassword, salt)
	d.PasswordVerifier = base64.StdEncoding.EncodeToString(v.Bytes())
	_, err := callOp(ctx, c, "ConfirmDevice", c.cip.ConfirmDevice, &cip.ConfirmDeviceInput{AccessToken: aws.String(s.AccessToken),
		DeviceKey: aws.String(d.DeviceKey), DeviceName: aws.String(c.deviceName()),
		DeviceSecretVerifierConfig: &types.DeviceSecretVerifierConfigType{
			PasswordVerifier: aws.String(d.PasswordVerifier), Salt: aws.String(d.Salt)}})
	if err != nil {
		c.log.Warn("auth: the new device could not be confirmed", "username", s.Username, "error", err)
		return
	}
	if rec.Devices == nil {
		rec.Devices = map[string]credstore.Device{}
	}
	rec.Devices[s.Username] = d
	if s.LoginID != "" && s.LoginID != s.Username {
		rec.Devices[s.LoginID] = d
	}
}

// deviceName is the DeviceName the SDK confirms devices with: the host's
// name, as Amplify names a device by its user agent.
func (c *Client) deviceName() string {
	if h, err := os.Hostname(); err == nil && h != "" && len(h) <= 256 {
		return h
	}
	return "cognate-go"
}

// RememberDevice marks this Client's device as remembered for the
// signed-in user (UpdateDeviceStatus), as Amplify's rememberDevice does:
// needed when the pool remembers devices only when the user says so. It
// fails with ErrNotSignedIn without a signed-in user, and with
// ErrInvalidState when the sign-in gave this Client no device.
func (c *Client) RememberDevice(ctx context.Context) error {
	return c.setDeviceStatus(ctx, types.DeviceRememberedStatusTypeRemembered)
}

func (c *Client) setDeviceStatus(ctx context.Context, status types.DeviceRememberedStatusType) error {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	s, err := c.signedInSession(ctx)
	if err != nil {
		return err
	}
	key := currentDeviceKey(s)
	if key == "" {
		return invalidState("this sign-in has no device; the pool does not track devices")
	}
	_, err = callOp(ctx, c, "UpdateDeviceStatus", c.cip.UpdateDeviceStatus, &cip.UpdateDeviceStatusInput{AccessToken: aws.String(s.AccessToken),
		DeviceKey: aws.String(key), DeviceRememberedStatus: status})
	return err
}

// currentDeviceKey is the device the session signed in on (its access
// token's device_key), "" when none.
func currentDeviceKey(s *credstore.Session) string {
	cl, err := decodeClaims(s.AccessToken)
	if err != nil {
		return ""
	}
	return cl.DeviceKey
}

// ForgetDevice forgets one of the signed-in user's devices (ForgetDevice):
// this Client's device when deviceKey is empty. The service ends the
// sessions signed in through that device, so forgetting this Client's own
// device signs the user out here too (locally, with EventSignedOut); the
// local device data of a forgotten device is dropped. It fails with
// ErrNotSignedIn without a signed-in user.
func (c *Client) ForgetDevice(ctx context.Context, deviceKey string) error {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	s, err := c.signedInSession(ctx)
	if err != nil {
		return err
	}
	current := currentDeviceKey(s)
	if deviceKey == "" {
		deviceKey = current
	}
	if deviceKey == "" {
		return invalidState("this sign-in has no device; the pool does not track devices")
	}
	_, err = callOp(ctx, c, "ForgetDevice", c.cip.ForgetDevice, &cip.ForgetDeviceInput{AccessToken: aws.String(s.AccessToken),
		DeviceKey: aws.String(deviceKey)})
	if err != nil {
		return err
	}
	rec, err := c.loadRecord()
	if err != nil {
		return err
	}
	for name, d := range rec.Devices {
		if d.DeviceKey == deviceKey {
			delete(rec.Devices, name)
		}
	}
	signedOut := deviceKey == current && rec.Session != nil
	if signedOut {
		rec.Session = nil
	}
	if err := safeSave(c.store, c.key, rec); err != nil {
		return fmt.Errorf("auth: the device was forgotten but the local data could not be cleared: %w", err)
	}
	if signedOut {
		c.emit(EventSignedOut, s.Username)
	}
	return nil
}

// FetchDevices lists the signed-in user's devices (ListDevices), as
// Amplify's fetchDevices does. It fails with ErrNotSignedIn without a
// signed-in user.
func (c *Client) FetchDevices(ctx context.Context) ([]Device, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	s, err := c.signedInSession(ctx)
	if err != nil {
		return nil, err
	}
	current := currentDeviceKey(s)
	var out []Device
	var next *string
	for range 100 {
		page, err := callOp(ctx, c, "ListDevices", c.cip.ListDevices, &cip.ListDevicesInput{AccessToken: aws.String(s.AccessToken),
			Limit: aws.Int32(60), PaginationToken: next})
		if err != nil {
			return nil, err
		}
		for _, d := range page.Devices {
			dev := Device{ID: aws.ToString(d.DeviceKey), Attributes: map[string]string{}, Created: aws.ToTime(d.DeviceCreateDate),
				LastModified: aws.ToTime(d.DeviceLastModifiedDate), LastAuthenticated: aws.ToTime(d.DeviceLastAuthenticatedDate)}
			for _, a := range d.DeviceAttributes {
				dev.Attributes[aws.ToString(a.Name)] = aws.ToString(a.Value)
			}
			dev.Name = dev.Attributes["device_name"]
			dev.Remembered = dev.Attributes["device_remembered_status"] == "remembered"
			dev.Current = dev.ID != "" && dev.ID == current
			out = append(out, dev)
		}
		if next = page.PaginationToken; aws.ToString(next) == "" {
			break
		}
	}
	return out, nil
}
