package userpool

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/srp"
	"github.com/cognate-dev/cognate/store"
)

// maxSRPSkew bounds how far a client's TIMESTAMP may be from our clock.
const maxSRPSkew = 5 * time.Minute

// srpState is what a PASSWORD_VERIFIER challenge remembers.
type srpState struct {
	Key         []byte `json:"key"` // the session key, derived once SRP_A and B are known
	SecretBlock []byte `json:"secretBlock"`
	Fake        bool   `json:"fake,omitempty"`      // unknown user hidden by PreventUserExistenceErrors
	DeviceKey   string `json:"deviceKey,omitempty"` // InitiateAuth's DEVICE_KEY (devicesignin.go)
	Custom      []byte `json:"custom,omitempty"`    // the custom sign-in that asked for the password (customauth.go)
}

// srpChallengeID derives the challenge key from the secret block, because
// some clients send the block back but not the Session.
func srpChallengeID(secretBlock []byte) string {
	sum := sha256.Sum256(secretBlock)
	return "srp." + hex.EncodeToString(sum[:])
}

func (s *Service) srpStart(ctx context.Context, c *Client, params map[string]string) (*AuthResponse, error) {
	username := params["USERNAME"]
	if err := c.authenticate(hashProof(params["SECRET_HASH"], username)); err != nil {
		return nil, err
	}
	if params["SRP_A"] == "" {
		return nil, invalidf("Missing required parameter SRP_A")
	}
	// This step checks no password: it claims no throttle slot (the proof,
	// respondPasswordVerifier, does), but refuses what cannot succeed.
	p, u, throttleKey, unknown, err := s.signInUser(ctx, c, username)
	if err != nil {
		return nil, err
	}
	if err := s.checkSignIn(ctx, p.ID, throttleKey); err != nil {
		return nil, err
	}
	if u == nil && c.Config.PreventUserExistenceErrors != "ENABLED" {
		s.addressFailed(ctx)
		return nil, unknown
	}
	if ctx, err = s.preAuthentication(ctx, p, c.ID, u, username); err != nil { // triggers_auth.go
		return nil, err
	}
	fake := u == nil
	if fake {
		// PreventUserExistenceErrors: answer as for a real user — the same
		// salt every time for this name, a verifier whose use costs what a
		// real one's does — and fail at the proof.
		if u, err = s.decoyUser(ctx, p, username); err != nil {
			return nil, err
		}
	}
	return s.srpChallenge(ctx, c, u, fake, params["SRP_A"], nil)
}

// srpChallenge answers SRP_A with a PASSWORD_VERIFIER challenge for u (a
// decoy when fake). custom is the state of a custom sign-in that asked for
// the password (customauth.go), nil otherwise.
func (s *Service) srpChallenge(ctx context.Context, c *Client, u *store.User, fake bool, srpA string, custom []byte) (*AuthResponse, error) {
	v, ok := decodeVerifier(u.SRPVerifier)
	if !ok {
		return nil, internal("srp", errors.New("stored verifier is not hex"))
	}
	srv, err := srp.NewServer(v)
	if err != nil {
		return nil, internal("srp", err)
	}
	key, err := srv.Key(srpA)
	if err != nil {
		return nil, invalidf("SRP_A is not a valid SRP value")
	}
	block := make([]byte, 512)
	if _, err := rand.Read(block); err != nil {
		return nil, internal("srp secret block", err)
	}
	data, err := json.Marshal(srpState{Key: key, SecretBlock: block, Fake: fake, DeviceKey: deviceKeyFrom(ctx), Custom: custom})
	if err != nil {
		return nil, internal("srp", err)
	}
	id, err := s.putChallenge(ctx, c, u.Username, ChallengePasswordVerifier, data, srpChallengeID(block))
	if err != nil {
		return nil, err
	}
	return &AuthResponse{ChallengeName: ChallengePasswordVerifier, Session: id, ChallengeParameters: map[string]string{
		"SALT": u.SRPSalt, "SRP_B": srv.BHex(), "SECRET_BLOCK": base64.StdEncoding.EncodeToString(block),
		"USERNAME": u.Username, "USER_ID_FOR_SRP": u.Username}}, nil
}

// decoyUser stands in for a user that does not exist: its salt and
// verifier derive from a pool secret and the name, so they are the same at
// every attempt and on every server, like a real user's.
func (s *Service) decoyUser(ctx context.Context, p *Pool, username string) (*store.User, error) {
	ks, err := s.keySet(ctx, p.ID)
	if err != nil {
		return nil, internal("decoy user", err)
	}
	name := usernameKey(p, username)
	salt := ks.MAC("srp-decoy-salt", []byte(name))[:srp.SaltLen]
	v := srp.DecoyVerifier(ks.MAC("srp-decoy-verifier", []byte(name)))
	return &store.User{PoolID: p.ID, Username: name, SRPSalt: srp.SaltHex(salt), SRPVerifier: encodeVerifier(v)}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// takeSRPProof takes the challenge an SRP proof answers (named by its
// PASSWORD_CLAIM_SECRET_BLOCK) and decodes its state into st; it returns
// the challenge and the block. The user's password proof and a device's
// proof both start here.
func (s *Service) takeSRPProof(ctx context.Context, c *Client, r map[string]string, name string, st any) (*store.Challenge, []byte, error) {
	block, err := base64.StdEncoding.DecodeString(r["PASSWORD_CLAIM_SECRET_BLOCK"])
	if err != nil || len(block) == 0 {
		return nil, nil, refused(CauseSignInSessionExpired)
	}
	ch, err := s.takeChallenge(ctx, c, srpChallengeID(block), name, st)
	if err != nil {
		return nil, nil, err
	}
	return ch, block, nil
}

// checkSRPTimestamp checks the TIMESTAMP of an SRP proof: well formed and
// within maxSRPSkew of the server's clock.
func (s *Service) checkSRPTimestamp(raw string) error {
	ts, err := srp.ParseTimestamp(raw)
	if err != nil {
		return invalidf("TIMESTAMP is not a valid timestamp")
	}
	if d := s.now().Sub(ts); d > maxSRPSkew || d < -maxSRPSkew {
		return refused(CauseSRPClockSkew)
	}
	return nil
}

func (s *Service) respondPasswordVerifier(ctx context.Context, c *Client, r map[string]string) (*AuthResponse, error) {
	var st srpState
	ch, block, err := s.takeSRPProof(ctx, c, r, ChallengePasswordVerifier, &st)
	if err != nil {
		return nil, err
	}
	if deviceKeyFrom(ctx) == "" { // devicesignin.go: the DEVICE_KEY of InitiateAuth, when the answer has none
		ctx = withDeviceKey(ctx, map[string]string{"DEVICE_KEY": st.DeviceKey})
	}
	if subtle.ConstantTimeCompare(st.SecretBlock, block) != 1 || r["USERNAME"] != ch.Username {
		return nil, refused(CauseSignInSessionExpired)
	}
	if err := s.checkSRPTimestamp(r["TIMESTAMP"]); err != nil {
		return nil, err
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	// The same claim, reads and signature check for a hidden unknown user
	// (named in the challenge as the throttle knows it) as for a real one:
	// only the outcome differs.
	attempt, err := s.claimSignIn(ctx, p.ID, ch.Username)
	if err != nil {
		return nil, err
	}
	u, err := s.findUser(ctx, p, ch.Username)
	if err != nil && !IsKind(err, KindUserNotFound) {
		attempt.abandoned(ctx)
		return nil, err
	}
	ok := srp.VerifySignature(st.Key, srp.PoolName(c.PoolID), ch.Username, block, r["TIMESTAMP"], r["PASSWORD_CLAIM_SIGNATURE"])
	if st.Fake || u == nil || !ok {
		attempt.failed(ctx)
		return nil, refused(CauseBadCredentials)
	}
	attempt.succeeded(ctx)
	if st.Custom != nil {
		return s.customAuthPasswordVerified(ctx, p, c, u, st.Custom)
	}
	return s.afterPassword(ctx, p, c, u)
}
