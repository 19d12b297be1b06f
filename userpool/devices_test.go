package userpool_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"

	"github.com/cognate-dev/cognate/srp"
	"github.com/cognate-dev/cognate/userpool"
)

// trackDevices turns device tracking on for the env's pool.
func (e *env) trackDevices(onPrompt bool) {
	e.t.Helper()
	dc, _ := json.Marshal(userpool.DeviceConfiguration{DeviceOnlyRememberedOnUserPrompt: onPrompt})
	if err := e.svc.UpdateUserPool(e.ctx(), userpool.UpdatePoolInput{PoolID: e.pool,
		Config: userpool.PoolConfig{DeviceConfiguration: dc}}); err != nil {
		e.t.Fatal(err)
	}
}

type device struct{ key, group, secret string }

// confirmDevice signs alice in, confirms the device she is given and
// returns it.
func (e *env) confirmDevice() device {
	e.t.Helper()
	r := e.signIn(e.app, "alice")
	if r.NewDevice == nil {
		e.t.Fatal("no NewDeviceMetadata with device tracking on")
	}
	d := device{key: r.NewDevice.DeviceKey, group: r.NewDevice.DeviceGroupKey, secret: "device-secret"}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	v := srp.Verifier(d.group, d.key, d.secret, salt)
	if _, err := e.svc.ConfirmDevice(e.ctx(), userpool.ConfirmDeviceInput{AccessToken: r.AccessToken, DeviceKey: d.key,
		PasswordVerifier: base64.StdEncoding.EncodeToString(v.Bytes()), Salt: base64.StdEncoding.EncodeToString(salt)}); err != nil {
		e.t.Fatal(err)
	}
	return d
}

// deviceSignIn signs alice in through the device; it returns the error of
// any step (a forgotten device fails one of them, or signs in as new).
func (e *env) deviceSignIn(d device) (*userpool.AuthResponse, error) {
	r, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: e.app.ID, AuthFlow: userpool.FlowUserPassword,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": password, "DEVICE_KEY": d.key}})
	if err != nil || r.ChallengeName != userpool.ChallengeDeviceSRP {
		return r, err
	}
	cl, err := srp.NewClient()
	if err != nil {
		return nil, err
	}
	ch, err := e.svc.RespondToAuthChallenge(e.ctx(), userpool.RespondInput{ClientID: e.app.ID, ChallengeName: userpool.ChallengeDeviceSRP,
		Session: r.Session, Responses: map[string]string{"USERNAME": "alice", "DEVICE_KEY": d.key, "SRP_A": cl.A()}})
	if err != nil {
		return nil, err
	}
	p := ch.ChallengeParameters
	key, err := cl.Key(d.group, d.key, d.secret, p["SRP_B"], p["SALT"])
	if err != nil {
		return nil, err
	}
	block, _ := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	ts := srp.FormatTimestamp(e.clock.Now())
	return e.svc.RespondToAuthChallenge(e.ctx(), userpool.RespondInput{ClientID: e.app.ID,
		ChallengeName: userpool.ChallengeDevicePasswordVerifier, Session: ch.Session,
		Responses: map[string]string{"USERNAME": "alice", "DEVICE_KEY": d.key, "TIMESTAMP": ts,
			"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"], "PASSWORD_CLAIM_SIGNATURE": srp.Signature(key, d.group, d.key, block, ts)}})
}

func TestDeviceConfigurationIsChecked(t *testing.T) {
	e := newEnv(t)
	for _, bad := range []string{`{"ChallengeRequiredOnNewDevice":"yes"}`, `[1]`, `{"Other":true}`, `"x"`} {
		_, err := e.svc.CreateUserPool(e.ctx(), "p", userpool.PoolConfig{DeviceConfiguration: json.RawMessage(bad)})
		if !userpool.IsKind(err, userpool.KindInvalid) {
			t.Errorf("DeviceConfiguration %s: err = %v, want KindInvalid", bad, err)
		}
	}
	p, err := e.svc.CreateUserPool(e.ctx(), "p", userpool.PoolConfig{DeviceConfiguration: json.RawMessage(`{"ChallengeRequiredOnNewDevice":true}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.Config.DeviceConfiguration); got != `{"ChallengeRequiredOnNewDevice":true,"DeviceOnlyRememberedOnUserPrompt":false}` {
		t.Fatalf("DeviceConfiguration stored as %s", got)
	}
	// Tracking off: no device, no device_key.
	if r := e.signIn(e.app, "alice"); r.NewDevice != nil {
		t.Fatal("NewDeviceMetadata with tracking off")
	}
}

// TestForgetDeviceEndsItsFamilies: the families signed in through a device
// end with the reason device-forgotten, the others live; a global sign-out
// forgets no device; and no family signed in through the device outlives a
// ForgetDevice that races with its sign-in.
func TestForgetDeviceEndsItsFamilies(t *testing.T) {
	e := newEnv(t)
	e.trackDevices(false)
	d := e.confirmDevice()
	through, err := e.deviceSignIn(d)
	if err != nil || through.Result == nil {
		t.Fatalf("device sign-in: %+v, %v", through, err)
	}
	other := e.signIn(e.app, "alice")

	if err := e.svc.GlobalSignOut(e.ctx(), other.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AdminGetDevice(e.ctx(), e.pool, "alice", d.key); err != nil {
		t.Fatalf("a global sign-out forgot the device: %v", err)
	}

	through, err = e.deviceSignIn(d)
	if err != nil || through.Result == nil {
		t.Fatalf("device sign-in: %+v, %v", through, err)
	}
	other = e.signIn(e.app, "alice")
	if err := e.svc.ForgetDevice(e.ctx(), other.AccessToken, d.key); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.GetUser(e.ctx(), through.Result.AccessToken)
	wantRefused(t, "access token of the forgotten device", err, userpool.KindNotAuthorized, userpool.CauseAccessTokenRevoked,
		userpool.ReasonDeviceForgotten)
	_, err = e.refresh(e.app, through.Result.RefreshToken)
	wantRefused(t, "refresh token of the forgotten device", err, userpool.KindNotAuthorized, userpool.CauseRefreshTokenRevoked,
		userpool.ReasonDeviceForgotten)
	e.wantLive("a family of another device", other.AccessToken)
	evs, _, err := e.svc.ListAuditEvents(e.ctx(), userpool.AuditQuery{PoolID: e.pool, Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var forgot, revoked bool
	for _, ev := range evs {
		forgot = forgot || (ev.Type == userpool.EventForgetDevice && ev.Outcome == userpool.OutcomePass)
		revoked = revoked || (ev.Type == userpool.EventSessionRevoked && ev.Reason == string(userpool.ReasonDeviceForgotten) &&
			ev.SessionID != "")
	}
	if !forgot || !revoked {
		t.Fatalf("audit trail lacks the ForgetDevice (%v) or its revocation (%v): %+v", forgot, revoked, evs)
	}

	// The race: sign-ins through a new device while it is forgotten.
	d = e.confirmDevice()
	var wg sync.WaitGroup
	results := make(chan *userpool.AuthResponse, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, err := e.deviceSignIn(d); err == nil && r.Result != nil && r.Result.NewDevice == nil {
				results <- r
			}
		}()
	}
	if err := e.svc.AdminForgetDevice(e.ctx(), e.pool, "alice", d.key); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(results)
	for r := range results {
		if _, err := e.svc.GetUser(e.ctx(), r.Result.AccessToken); err == nil {
			t.Fatal("a family signed in through a forgotten device lives")
		}
	}
}

// TestDeviceKeyOfSRPInitiateAuth: a DEVICE_KEY sent only with USER_SRP_AUTH's
// InitiateAuth (not in the PASSWORD_VERIFIER answer) still leads to
// DEVICE_SRP_AUTH.
func TestDeviceKeyOfSRPInitiateAuth(t *testing.T) {
	e := newEnv(t)
	e.trackDevices(false)
	d := e.confirmDevice()
	cl, err := srp.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: e.app.ID, AuthFlow: userpool.FlowUserSRP,
		AuthParameters: map[string]string{"USERNAME": "alice", "SRP_A": cl.A(), "DEVICE_KEY": d.key}})
	if err != nil {
		t.Fatal(err)
	}
	p := r.ChallengeParameters
	key, err := cl.Key(srp.PoolName(e.pool), p["USER_ID_FOR_SRP"], password, p["SRP_B"], p["SALT"])
	if err != nil {
		t.Fatal(err)
	}
	block, _ := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	ts := srp.FormatTimestamp(e.clock.Now())
	out, err := e.svc.RespondToAuthChallenge(e.ctx(), userpool.RespondInput{ClientID: e.app.ID,
		ChallengeName: userpool.ChallengePasswordVerifier, Responses: map[string]string{"USERNAME": p["USER_ID_FOR_SRP"],
			"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"], "TIMESTAMP": ts,
			"PASSWORD_CLAIM_SIGNATURE": srp.Signature(key, srp.PoolName(e.pool), p["USER_ID_FOR_SRP"], block, ts)}})
	if err != nil {
		t.Fatal(err)
	}
	if out.ChallengeName != userpool.ChallengeDeviceSRP {
		t.Fatalf("challenge %q, want DEVICE_SRP_AUTH", out.ChallengeName)
	}
}
