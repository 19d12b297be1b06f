// Package credstore keeps the signed-in user's session for the auth SDK.
//
// A Store holds one Record per Key (a user pool and one of its app clients). A
// Record has at most one Session (the signed-in user's tokens: one user at a
// time) and the remembered-device data of any number of users. Signing out
// removes the Session and keeps the devices, so a remembered device survives a
// sign-out as it does in Amplify.
//
// Three backends are provided: Memory (tests, short-lived processes), File (one
// 0600 JSON file per key, written atomically; survives restarts) and Keyring (the
// operating system's credential service through github.com/zalando/go-keyring).
// NewKeyringOrFile probes the keyring and falls back to a File store where no
// keyring service runs (headless Linux, containers, CI).
//
// Every Store is safe for concurrent use. Save is atomic: after a failed Save the
// store still returns the previous Record.
package credstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"
)

// Key identifies the app client of a user pool that a Record belongs to.
type Key struct {
	UserPoolID string
	ClientID   string
}

// String returns "<UserPoolID>/<ClientID>".
func (k Key) String() string { return k.UserPoolID + "/" + k.ClientID }

// Validate reports whether both parts of the key are set.
func (k Key) Validate() error {
	if k.UserPoolID == "" || k.ClientID == "" {
		return errors.New("credstore: key needs both a user pool id and an app client id")
	}
	return nil
}

// SignInMethod tells how the session in a Record was obtained.
type SignInMethod string

const (
	// SignInMethodAPI is a sign-in through the user-pool API (InitiateAuth).
	SignInMethodAPI SignInMethod = "api"
	// SignInMethodHostedUI is a sign-in through the hosted UI in a browser.
	SignInMethodHostedUI SignInMethod = "hostedUI"
)

// Session is the signed-in user's state. It holds live credentials: never log it
// (its String method redacts the tokens).
type Session struct {
	// Username is the user's canonical user name (the access token's "username"
	// claim); it is the name used for SECRET_HASH when refreshing.
	Username string `json:"username"`
	// LoginID is what the user typed to sign in (a user name or an alias).
	LoginID string `json:"loginId,omitempty"`
	// UserSub is the user's immutable id (the "sub" claim).
	UserSub string `json:"sub,omitempty"`
	// AuthFlow is the flow used to sign in, e.g. "USER_PASSWORD_AUTH".
	AuthFlow string `json:"authFlow,omitempty"`

	IDToken      string `json:"idToken"`
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	// AccessTokenExpiresAt is when the access token expires.
	AccessTokenExpiresAt time.Time `json:"accessTokenExpiresAt"`

	// SignInMethod tells whether the user signed in through the API or the hosted UI.
	SignInMethod SignInMethod `json:"signInMethod,omitempty"`
	// PrivateSession is true when a hosted-UI sign-in ran in a private (ephemeral)
	// browser session, in which case sign-out does not open the browser.
	PrivateSession bool `json:"privateSession,omitempty"`
	// SignedInAt is when the user signed in.
	SignedInAt time.Time `json:"signedInAt"`
}

// String describes the session without its tokens.
func (s Session) String() string {
	return fmt.Sprintf("Session{Username:%q, SignInMethod:%s, AccessTokenExpiresAt:%s, tokens:[redacted]}",
		s.Username, s.SignInMethod, s.AccessTokenExpiresAt.Format(time.RFC3339))
}

// GoString is like String, so %#v does not print the tokens either.
func (s Session) GoString() string { return s.String() }

// Device is the remembered-device data of one user. It outlives sign-out.
type Device struct {
	DeviceKey      string `json:"deviceKey"`
	DeviceGroupKey string `json:"deviceGroupKey,omitempty"`
	// DevicePassword is the device's random password (the secret of DEVICE_SRP_AUTH).
	DevicePassword string `json:"devicePassword,omitempty"`
	// PasswordVerifier and Salt are the verifier fields sent with ConfirmDevice.
	PasswordVerifier string `json:"passwordVerifier,omitempty"`
	Salt             string `json:"salt,omitempty"`
}

// String describes the device without its secrets.
func (d Device) String() string {
	return fmt.Sprintf("Device{DeviceKey:%q, secrets:[redacted]}", d.DeviceKey)
}

// GoString is like String.
func (d Device) GoString() string { return d.String() }

// Record is everything a Store keeps under one Key.
type Record struct {
	// Session is the signed-in user, nil when nobody is signed in.
	Session *Session `json:"session,omitempty"`
	// Devices maps a user name to that user's remembered device.
	Devices map[string]Device `json:"devices,omitempty"`
}

// IsZero reports whether the record holds nothing.
func (r Record) IsZero() bool { return r.Session == nil && len(r.Devices) == 0 }

// Clone returns a deep copy of r.
func (r Record) Clone() Record {
	var out Record
	if r.Session != nil {
		s := *r.Session
		out.Session = &s
	}
	if r.Devices != nil {
		out.Devices = maps.Clone(r.Devices)
	}
	return out
}

// Store keeps one Record per Key.
type Store interface {
	// Load returns the record stored under key; a key never saved yields the zero
	// Record and a nil error.
	Load(key Key) (Record, error)
	// Save replaces the record under key atomically: after an error the previous
	// record is still there, whole. Saving a zero Record deletes the entry.
	Save(key Key, rec Record) error
}

// ClearSession removes the session stored under key and keeps its remembered
// devices. It is what sign-out does to the store.
func ClearSession(s Store, key Key) error {
	rec, err := s.Load(key)
	if err != nil {
		return err
	}
	if rec.Session == nil {
		return nil
	}
	rec.Session = nil
	return s.Save(key, rec)
}

// formatVersion is the version of the serialized form.
const formatVersion = 1

type envelope struct {
	Version int    `json:"version"`
	Key     string `json:"key"`
	Record
}

func encode(key Key, rec Record) ([]byte, error) {
	return json.Marshal(envelope{Version: formatVersion, Key: key.String(), Record: rec})
}

func decode(key Key, data []byte, where string) (Record, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return Record{}, fmt.Errorf("credstore: %s is not a valid credential record: %w", where, jsonProblem(err))
	}
	if env.Version != formatVersion {
		return Record{}, fmt.Errorf("credstore: %s has format version %d; this SDK reads version %d", where, env.Version, formatVersion)
	}
	if env.Key != key.String() {
		return Record{}, fmt.Errorf("credstore: %s belongs to %q, not %q", where, env.Key, key.String())
	}
	return env.Record, nil
}

// jsonProblem strips a JSON error down to its kind, so a broken file's contents
// (which may be tokens) never reach an error string.
func jsonProblem(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("wrong type for field %q", te.Field)
	}
	return errors.New("malformed JSON")
}
