package userpool

// Remembered devices, Cognito's way. With device tracking on (the pool's
// DeviceConfiguration), a sign-in that names no known device ends with
// NewDeviceMetadata: a device key (recorded in the session and carried by
// its access tokens as device_key) and the user's device group key. The
// client makes a device secret and confirms the device (ConfirmDevice) with
// the SRP verifier of that secret; from then on a sign-in that names the
// device (DEVICE_KEY) proves it after the password: DEVICE_SRP_AUTH, then
// DEVICE_PASSWORD_VERIFIER, the SRP exchange of srp.go with the device
// group key as the pool name and the device key as the user. Forgetting a
// device ends the token families signed in through it; a global sign-out
// does not forget devices.
//
// The hook for MFA is completeSignIn: every password sign-in reaches it
// with a signInState saying whether the user proved a remembered device.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strconv"
	"time"

	"github.com/cognate-dev/cognate/srp"
	"github.com/cognate-dev/cognate/store"
)

// Device challenge names.
const (
	ChallengeDeviceSRP              = "DEVICE_SRP_AUTH"
	ChallengeDevicePasswordVerifier = "DEVICE_PASSWORD_VERIFIER"
)

// Device remembered statuses (device_remembered_status).
const (
	DeviceRemembered    = "remembered"
	DeviceNotRemembered = "not_remembered"
)

// Audit event types of the device operations that change something
// (Cognate's; see audit.go). Forgetting a device also records each family
// it ends (device-forgotten).
const (
	EventConfirmDevice           = "ConfirmDevice"
	EventUpdateDeviceStatus      = "UpdateDeviceStatus"
	EventAdminUpdateDeviceStatus = "AdminUpdateDeviceStatus"
	EventForgetDevice            = "ForgetDevice"
	EventAdminForgetDevice       = "AdminForgetDevice"
)

// maxDevicesPage is Cognito's largest Limit of ListDevices.
const maxDevicesPage = 60

// DeviceConfiguration is a pool's device tracking (Cognito member names).
// Tracking is on when the pool has one.
type DeviceConfiguration struct {
	ChallengeRequiredOnNewDevice     bool `json:"ChallengeRequiredOnNewDevice"`
	DeviceOnlyRememberedOnUserPrompt bool `json:"DeviceOnlyRememberedOnUserPrompt"`
}

// NewDeviceMetadata is what a sign-in with device tracking on returns for
// a device the pool does not know yet.
type NewDeviceMetadata struct {
	DeviceKey      string
	DeviceGroupKey string
}

// Device is a confirmed device of a user, as ListDevices and GetDevice
// return it.
type Device struct {
	Key               string
	Attributes        []Attribute // device_name, device_status, device_remembered_status
	CreateDate        time.Time
	LastModifiedDate  time.Time
	LastAuthenticated time.Time // zero when never authenticated
}

// ConfirmDeviceInput is what ConfirmDevice takes. PasswordVerifier and Salt
// are base64 (Cognito's DeviceSecretVerifierConfig).
type ConfirmDeviceInput struct {
	AccessToken      string
	DeviceKey        string
	DeviceName       string
	PasswordVerifier string
	Salt             string
}

// normalizeDevices checks the pool's DeviceConfiguration and writes it with
// both members explicit.
func (c *PoolConfig) normalizeDevices() error {
	raw := bytes.TrimSpace(c.DeviceConfiguration)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		c.DeviceConfiguration = nil
		return nil
	}
	var dc DeviceConfiguration
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&dc); err != nil || dec.More() {
		return invalidf("DeviceConfiguration must be an object with the booleans ChallengeRequiredOnNewDevice and DeviceOnlyRememberedOnUserPrompt")
	}
	out, err := json.Marshal(dc)
	if err != nil {
		return internal("encode device configuration", err)
	}
	c.DeviceConfiguration = out
	return nil
}

// deviceTracking returns the pool's device configuration, and whether
// device tracking is on.
func (p *Pool) deviceTracking() (DeviceConfiguration, bool) {
	var dc DeviceConfiguration
	if len(p.Config.DeviceConfiguration) == 0 || json.Unmarshal(p.Config.DeviceConfiguration, &dc) != nil {
		return dc, false
	}
	return dc, true
}

// deviceKeyCtx carries the DEVICE_KEY a sign-in step was sent.
type deviceKeyCtx struct{}

// withDeviceKey notes the DEVICE_KEY of a sign-in request (AuthParameters
// or ChallengeResponses) for afterPassword.
func withDeviceKey(ctx context.Context, params map[string]string) context.Context {
	if k := params["DEVICE_KEY"]; k != "" && len(k) <= 128 {
		return context.WithValue(ctx, deviceKeyCtx{}, k)
	}
	return ctx
}

func deviceKeyFrom(ctx context.Context) string {
	k, _ := ctx.Value(deviceKeyCtx{}).(string)
	return k
}

// signInState is what a sign-in knows once the user's password (and, for a
// known device, the device) is proven, on its way to tokens.
//
// completeSignIn is where the second factor comes in. As Cognito documents
// ChallengeRequiredOnNewDevice, a sign-in that proved a remembered device
// (rememberedDevice) skips MFA only when the pool's DeviceConfiguration sets
// it; a device that is not (or not yet) remembered never skips MFA. The MFA
// challenge carries deviceKey and newDevice in its state and gives them back
// to the tokens once answered (mfaSucceeded).
type signInState struct {
	deviceKey        string             // recorded in the session and its access tokens
	rememberedDevice bool               // the user proved a remembered device (DEVICE_PASSWORD_VERIFIER)
	newDevice        *NewDeviceMetadata // returned with the tokens: a device the pool did not know
}

// signInDevice runs after the password step: with device tracking on, a
// sign-in naming a confirmed device of the user must prove it
// (DEVICE_SRP_AUTH); any other gets a new device key.
func (s *Service) signInDevice(ctx context.Context, p *Pool, c *Client, u *store.User) (*AuthResponse, error) {
	if _, on := p.deviceTracking(); !on {
		return s.completeSignIn(ctx, p, c, u, signInState{})
	}
	if key := deviceKeyFrom(ctx); key != "" {
		d, err := s.devices.GetDevice(ctx, p.ID, key)
		switch {
		case err == nil && d.UserSub == u.Sub:
			data, err := json.Marshal(deviceState{DeviceKey: d.Key})
			if err != nil {
				return nil, internal("device state", err)
			}
			id, err := s.putChallenge(ctx, c, u.Username, ChallengeDeviceSRP, data, "")
			if err != nil {
				return nil, err
			}
			return &AuthResponse{ChallengeName: ChallengeDeviceSRP, Session: id,
				ChallengeParameters: map[string]string{"USERNAME": u.Username}}, nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, internal("get device", err)
		}
		// An unknown or forgotten device (or another user's): a new one.
	}
	group, err := s.deviceGroupKey(ctx, p.ID, u.Sub)
	if err != nil {
		return nil, err
	}
	key := s.region + "_" + newUUID()
	return s.completeSignIn(ctx, p, c, u, signInState{deviceKey: key,
		newDevice: &NewDeviceMetadata{DeviceKey: key, DeviceGroupKey: group}})
}

// completeSignIn ends a sign-in whose proofs are all given: it starts the
// token family. This is where MFA plugs in (see signInState).
func (s *Service) completeSignIn(ctx context.Context, p *Pool, c *Client, u *store.User, st signInState) (*AuthResponse, error) {
	// A remembered device skips MFA where the pool says so
	// (ChallengeRequiredOnNewDevice), as in Cognito; so does a passwordless
	// first factor (userauth.go).
	dc, _ := p.deviceTracking()
	if !(st.rememberedDevice && dc.ChallengeRequiredOnNewDevice) && !passwordlessSignIn(ctx) {
		if r, err := s.mfaStep(ctx, p, c, u, st); r != nil || err != nil {
			return r, err
		}
	}
	res, err := s.newSession(ctx, c, u, sessionOptions{source: SourceAPI, deviceKey: st.deviceKey})
	if err != nil {
		return nil, err
	}
	res.NewDevice = st.newDevice
	if st.rememberedDevice || (st.deviceKey != "" && st.newDevice == nil) {
		// A device forgotten while this sign-in proved it must not leave
		// a family behind: ForgetDevice deletes, then revokes what it
		// lists; a family created after that listing is caught here.
		if _, err := s.devices.GetDevice(ctx, p.ID, st.deviceKey); errors.Is(err, store.ErrNotFound) {
			if f, ferr := s.loadFamily(ctx, res.family); ferr == nil {
				_ = s.revokeFamily(ctx, f, ReasonDeviceForgotten)
			}
			return nil, refused(CauseBadCredentials)
		}
	}
	return &AuthResponse{Result: res}, nil
}

// deviceGroupKey is the user's device group key: an identifier (the "pool
// name" of the device's SRP identity, not a secret) derived from the pool
// and the user's sub, so that it needs no storage until a device is
// confirmed, and is the same on every server and across key rotations. A
// confirmed device keeps the one it was confirmed with.
func (s *Service) deviceGroupKey(_ context.Context, poolID, sub string) (string, error) {
	h := sha256.New()
	for _, part := range []string{"cognate device group key v1", poolID, sub} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "-" + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:9]), nil
}

// deviceState is what the device challenges remember.
type deviceState struct {
	DeviceKey   string `json:"deviceKey"`
	Key         []byte `json:"key,omitempty"` // the SRP session key
	SecretBlock []byte `json:"secretBlock,omitempty"`
}

// respondDeviceSRP answers DEVICE_SRP_AUTH (DEVICE_KEY, SRP_A) with the
// DEVICE_PASSWORD_VERIFIER challenge (SRP_B, SALT, SECRET_BLOCK).
func (s *Service) respondDeviceSRP(ctx context.Context, c *Client, session string, r map[string]string) (*AuthResponse, error) {
	ch, err := s.takeChallenge(ctx, c, session, ChallengeDeviceSRP)
	if err != nil {
		return nil, err
	}
	var st deviceState
	if err := json.Unmarshal(ch.Data, &st); err != nil {
		return nil, internal("device state", err)
	}
	if r["USERNAME"] != "" && r["USERNAME"] != ch.Username {
		return nil, refused(CauseSignInSessionExpired)
	}
	if r["DEVICE_KEY"] != st.DeviceKey {
		return nil, refused(CauseBadCredentials)
	}
	if r["SRP_A"] == "" {
		return nil, invalidf("Missing required parameter SRP_A")
	}
	d, err := s.devices.GetDevice(ctx, c.PoolID, st.DeviceKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errDeviceNotFound()
	}
	if err != nil {
		return nil, internal("get device", err)
	}
	srv, err := srp.NewServer(new(big.Int).SetBytes(d.Verifier))
	if err != nil {
		return nil, refused(CauseBadCredentials) // a verifier no device can prove
	}
	key, err := srv.Key(r["SRP_A"])
	if err != nil {
		return nil, invalidf("SRP_A is not a valid SRP value")
	}
	block := make([]byte, 512)
	if _, err := rand.Read(block); err != nil {
		return nil, internal("srp secret block", err)
	}
	data, err := json.Marshal(deviceState{DeviceKey: d.Key, Key: key, SecretBlock: block})
	if err != nil {
		return nil, internal("device state", err)
	}
	id, err := s.putChallenge(ctx, c, ch.Username, ChallengeDevicePasswordVerifier, data, srpChallengeID(block))
	if err != nil {
		return nil, err
	}
	return &AuthResponse{ChallengeName: ChallengeDevicePasswordVerifier, Session: id, ChallengeParameters: map[string]string{
		"SRP_B": srv.BHex(), "SALT": srp.SaltHex(d.Salt), "SECRET_BLOCK": base64.StdEncoding.EncodeToString(block),
		"USERNAME": ch.Username, "DEVICE_KEY": d.Key}}, nil
}

// respondDevicePasswordVerifier checks the device's proof and signs the
// user in.
func (s *Service) respondDevicePasswordVerifier(ctx context.Context, c *Client, r map[string]string) (*AuthResponse, error) {
	var st deviceState
	ch, block, err := s.takeSRPProof(ctx, c, r, ChallengeDevicePasswordVerifier, &st)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(st.SecretBlock, block) != 1 || (r["USERNAME"] != "" && r["USERNAME"] != ch.Username) {
		return nil, refused(CauseSignInSessionExpired)
	}
	if r["DEVICE_KEY"] != "" && r["DEVICE_KEY"] != st.DeviceKey {
		return nil, refused(CauseBadCredentials)
	}
	if err := s.checkSRPTimestamp(r["TIMESTAMP"]); err != nil {
		return nil, err
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	u, err := s.findUser(ctx, p, ch.Username)
	if err != nil {
		return nil, err
	}
	d, err := s.devices.GetDevice(ctx, p.ID, st.DeviceKey)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.UserSub != u.Sub) {
		return nil, errDeviceNotFound()
	}
	if err != nil {
		return nil, internal("get device", err)
	}
	if !srp.VerifySignature(st.Key, d.GroupKey, d.Key, block, r["TIMESTAMP"], r["PASSWORD_CLAIM_SIGNATURE"]) {
		return nil, refused(CauseBadCredentials)
	}
	if !u.Enabled {
		return nil, refused(CauseUserDisabled)
	}
	now := s.now().UTC()
	d.LastAuthenticated = now
	if err := s.devices.UpdateDevice(ctx, d); errors.Is(err, store.ErrNotFound) {
		return nil, errDeviceNotFound()
	} else if err != nil {
		return nil, internal("update device", err)
	}
	return s.completeSignIn(withTokenSource(ctx, tokenSourceDevice), p, c, u, signInState{deviceKey: d.Key, rememberedDevice: d.Remembered})
}

// errDeviceNotFound answers a device key that is not one of the user's:
// missing and another user's look the same.
func errDeviceNotFound() *Error { return errorf(KindNotFound, "Device does not exist.") }

// ConfirmDevice stores the SRP verifier of a device the access token's
// session signed in on (its NewDeviceMetadata), and returns whether the user
// must still be asked to remember it (DeviceOnlyRememberedOnUserPrompt).
func (s *Service) ConfirmDevice(ctx context.Context, in ConfirmDeviceInput) (bool, error) {
	return audited(ctx, s, EventConfirmDevice, "", func(ctx context.Context) (bool, error) { return s.confirmDevice(ctx, in) })
}

func (s *Service) confirmDevice(ctx context.Context, in ConfirmDeviceInput) (bool, error) {
	pr, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return false, err
	}
	if in.DeviceKey == "" {
		return false, required("deviceKey")
	}
	if len(in.DeviceName) > 1024 {
		return false, violation(Violation{Member: "deviceName", Rule: RuleMaxLength, Max: 1024})
	}
	verifier, verr := base64.StdEncoding.DecodeString(in.PasswordVerifier)
	salt, serr := base64.StdEncoding.DecodeString(in.Salt)
	if verr != nil || serr != nil || len(verifier) == 0 || len(salt) == 0 || len(verifier) > 1024 || len(salt) > 1024 {
		return false, invalidf("DeviceSecretVerifierConfig must have a base64 PasswordVerifier and Salt")
	}
	if _, err := srp.NewServer(new(big.Int).SetBytes(verifier)); err != nil {
		return false, invalidf("DeviceSecretVerifierConfig.PasswordVerifier is not a valid SRP verifier")
	}
	p, err := s.pool(ctx, pr.user.PoolID)
	if err != nil {
		return false, err
	}
	dc, on := p.deviceTracking()
	if !on {
		return false, invalidf("Device tracking is not enabled for this user pool")
	}
	group, err := s.deviceGroupKey(ctx, p.ID, pr.user.Sub)
	if err != nil {
		return false, err
	}
	now := s.now().UTC()
	d := &store.Device{PoolID: p.ID, UserSub: pr.user.Sub, Key: in.DeviceKey, GroupKey: group, Name: in.DeviceName,
		Remembered: !dc.DeviceOnlyRememberedOnUserPrompt, Salt: salt, Verifier: verifier,
		CreatedAt: now, LastModified: now, LastAuthenticated: now}
	if pr.sess.DeviceKey == in.DeviceKey {
		err := s.devices.CreateDevice(ctx, d)
		if err == nil {
			return dc.DeviceOnlyRememberedOnUserPrompt, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return false, internal("create device", err)
		}
	}
	// Confirmed before: a new secret for one of the user's devices.
	cur, err := s.devices.GetDevice(ctx, p.ID, in.DeviceKey)
	if errors.Is(err, store.ErrNotFound) || (err == nil && cur.UserSub != pr.user.Sub) {
		return false, errDeviceNotFound()
	}
	if err != nil {
		return false, internal("get device", err)
	}
	cur.Salt, cur.Verifier, cur.LastModified, cur.LastAuthenticated = salt, verifier, now, now
	if in.DeviceName != "" {
		cur.Name = in.DeviceName
	}
	if err := s.devices.UpdateDevice(ctx, cur); errors.Is(err, store.ErrNotFound) {
		return false, errDeviceNotFound()
	} else if err != nil {
		return false, internal("update device", err)
	}
	return !cur.Remembered && dc.DeviceOnlyRememberedOnUserPrompt, nil
}

// userDevice loads a device of u: ResourceNotFoundException when it is
// missing or another user's.
func (s *Service) userDevice(ctx context.Context, u *store.User, key string) (*store.Device, error) {
	if key == "" {
		return nil, required("deviceKey")
	}
	if len(key) > 128 {
		return nil, errDeviceNotFound()
	}
	d, err := s.devices.GetDevice(ctx, u.PoolID, key)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.UserSub != u.Sub) {
		return nil, errDeviceNotFound()
	}
	if err != nil {
		return nil, internal("get device", err)
	}
	return d, nil
}

// toDevice renders a stored device with Cognito's device attributes.
func toDevice(d *store.Device) *Device {
	status := DeviceNotRemembered
	if d.Remembered {
		status = DeviceRemembered
	}
	attrs := []Attribute{{Name: "device_status", Value: "valid"}, {Name: "device_remembered_status", Value: status}}
	if d.Name != "" {
		attrs = append([]Attribute{{Name: "device_name", Value: d.Name}}, attrs...)
	}
	return &Device{Key: d.Key, Attributes: attrs, CreateDate: d.CreatedAt, LastModifiedDate: d.LastModified,
		LastAuthenticated: d.LastAuthenticated}
}

// GetDevice returns a device of the access token's user.
func (s *Service) GetDevice(ctx context.Context, accessToken, key string) (*Device, error) {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	d, err := s.userDevice(ctx, pr.user, key)
	if err != nil {
		return nil, err
	}
	return toDevice(d), nil
}

// AdminGetDevice returns a device of a user.
func (s *Service) AdminGetDevice(ctx context.Context, poolID, username, key string) (*Device, error) {
	_, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return nil, err
	}
	d, err := s.userDevice(ctx, u, key)
	if err != nil {
		return nil, err
	}
	return toDevice(d), nil
}

// ListDevices pages through the devices of the access token's user.
func (s *Service) ListDevices(ctx context.Context, accessToken string, limit int, next string) ([]*Device, string, error) {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return nil, "", err
	}
	return s.listDevices(ctx, pr.user, limit, next)
}

// AdminListDevices pages through the devices of a user.
func (s *Service) AdminListDevices(ctx context.Context, poolID, username string, limit int, next string) ([]*Device, string, error) {
	_, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return nil, "", err
	}
	return s.listDevices(ctx, u, limit, next)
}

func (s *Service) listDevices(ctx context.Context, u *store.User, limit int, next string) ([]*Device, string, error) {
	if limit == 0 {
		limit = maxDevicesPage
	}
	if limit < 0 || limit > maxDevicesPage {
		return nil, "", violation(Violation{Member: "limit", Rule: RuleRange, Value: strconv.Itoa(limit), Shown: true,
			Min: 0, Max: maxDevicesPage})
	}
	after, err := decodeNext(next)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.devices.ListDevices(ctx, u.PoolID, u.Sub, after, limit+1)
	if err != nil {
		return nil, "", internal("list devices", err)
	}
	tok := ""
	if len(rows) > limit {
		rows = rows[:limit]
		tok = encodeNext(rows[len(rows)-1].Key)
	}
	out := make([]*Device, 0, len(rows))
	for _, d := range rows {
		out = append(out, toDevice(d))
	}
	return out, tok, nil
}

// UpdateDeviceStatus sets whether a device of the access token's user is
// remembered.
func (s *Service) UpdateDeviceStatus(ctx context.Context, accessToken, key, status string) (err error) {
	ctx, e := s.beginAudit(ctx, EventUpdateDeviceStatus, "")
	defer func() { s.finish(ctx, e, err, "") }()
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return err
	}
	return s.updateDeviceStatus(ctx, pr.user, key, status)
}

// AdminUpdateDeviceStatus sets whether a device of a user is remembered.
func (s *Service) AdminUpdateDeviceStatus(ctx context.Context, poolID, username, key, status string) (err error) {
	ctx, _ = s.beginAudit(ctx, EventAdminUpdateDeviceStatus, username)
	defer s.auditAdmin(ctx, EventAdminUpdateDeviceStatus, poolID, username, &err)
	_, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	return s.updateDeviceStatus(ctx, u, key, status)
}

func (s *Service) updateDeviceStatus(ctx context.Context, u *store.User, key, status string) error {
	var remembered bool
	switch status {
	case DeviceRemembered:
		remembered = true
	case DeviceNotRemembered, "":
	default:
		return violation(Violation{Member: "deviceRememberedStatus", Rule: RuleEnum, Value: status, Shown: true,
			Values: []string{DeviceRemembered, DeviceNotRemembered}})
	}
	d, err := s.userDevice(ctx, u, key)
	if err != nil {
		return err
	}
	d.Remembered, d.LastModified = remembered, s.now().UTC()
	if err := s.devices.UpdateDevice(ctx, d); errors.Is(err, store.ErrNotFound) {
		return errDeviceNotFound()
	} else if err != nil {
		return internal("update device", err)
	}
	return nil
}

// ForgetDevice forgets a device of the access token's user and ends the
// token families signed in through it (the caller's included, when it is
// one). The device key may be left out to forget the token's own device.
func (s *Service) ForgetDevice(ctx context.Context, accessToken, key string) (err error) {
	ctx, e := s.beginAudit(ctx, EventForgetDevice, "")
	defer func() { s.finish(ctx, e, err, "") }()
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return err
	}
	if key == "" {
		key = pr.sess.DeviceKey
	}
	return s.forgetDevice(ctx, pr.user, key)
}

// AdminForgetDevice forgets a device of a user and ends the token families
// signed in through it.
func (s *Service) AdminForgetDevice(ctx context.Context, poolID, username, key string) (err error) {
	ctx, _ = s.beginAudit(ctx, EventAdminForgetDevice, username)
	defer s.auditAdmin(ctx, EventAdminForgetDevice, poolID, username, &err)
	_, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	return s.forgetDevice(ctx, u, key)
}

func (s *Service) forgetDevice(ctx context.Context, u *store.User, key string) error {
	if _, err := s.userDevice(ctx, u, key); err != nil {
		return err
	}
	switch err := s.devices.DeleteDevice(ctx, u.PoolID, key); {
	case errors.Is(err, store.ErrNotFound):
		return errDeviceNotFound() // forgotten meanwhile
	case err != nil:
		return internal("forget device", err)
	}
	s.log.Info("device forgotten", "pool", u.PoolID, "sub", u.Sub, "device", key)
	// Every live family signed in through the device ends; completeSignIn
	// catches one that a concurrent device sign-in creates after this.
	now := s.now().UTC()
	after := ""
	for {
		rows, err := s.sessions.ListUserSessions(ctx, u.PoolID, u.Sub, now, after, 500)
		if err != nil {
			return internal("list sessions", err)
		}
		for _, sess := range rows {
			if sess.DeviceKey != key {
				continue
			}
			if err := s.revokeFamily(ctx, sessionFamily(sess, u), ReasonDeviceForgotten); err != nil {
				return err
			}
		}
		if len(rows) < 500 {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}
