package userpool

// The sign-in side of remembered devices (see devices.go for the device
// operations): the DEVICE_KEY a sign-in names, the step after the password
// that proves a remembered device (DEVICE_SRP_AUTH, then
// DEVICE_PASSWORD_VERIFIER) or hands out a new device key, and
// completeSignIn, the hook where MFA comes in: every password sign-in
// reaches it with a signInState saying whether the user proved a
// remembered device.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"

	"github.com/cognate-dev/cognate/srp"
	"github.com/cognate-dev/cognate/store"
)

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
	if err := s.postAuthentication(ctx, p.ID, c.ID, u, st.newDevice != nil); err != nil { // triggers_auth.go
		return nil, err
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
	var st deviceState
	ch, err := s.takeChallenge(ctx, c, session, ChallengeDeviceSRP, &st)
	if err != nil {
		return nil, err
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
