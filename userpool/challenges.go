package userpool

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// putChallenge stores a single-use challenge; id may be given (SRP derives it).
func (s *Service) putChallenge(ctx context.Context, c *Client, username, name string, data []byte, id string) (string, error) {
	if id == "" {
		b := make([]byte, 48)
		if _, err := rand.Read(b); err != nil {
			return "", internal("challenge id", err)
		}
		id = base64.RawURLEncoding.EncodeToString(b)
	}
	ch := &store.Challenge{ID: id, PoolID: c.PoolID, ClientID: c.ID, Username: username, Name: name, Data: data,
		ExpiresAt: s.now().Add(time.Duration(deref(c.Config.AuthSessionValidity)) * time.Minute)}
	if err := s.challenges.PutChallenge(ctx, ch); err != nil {
		return "", internal("store challenge", err)
	}
	return id, nil
}

// takeChallenge consumes a challenge; stale, reused, foreign or mismatched
// sessions all get Cognito's "Invalid session" answer.
// state, when not nil, receives the challenge's stored JSON state.
func (s *Service) takeChallenge(ctx context.Context, c *Client, id, name string, state any) (*store.Challenge, error) {
	if id == "" || len(id) > 2048 {
		return nil, refused(CauseSignInSessionExpired)
	}
	ch, err := s.challenges.TakeChallenge(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refused(CauseSignInSessionExpired)
	}
	if err != nil {
		return nil, internal("take challenge", err)
	}
	if ch.ClientID != c.ID || ch.Name != name || !s.now().Before(ch.ExpiresAt) {
		return nil, refused(CauseSignInSessionExpired)
	}
	if state != nil {
		if err := json.Unmarshal(ch.Data, state); err != nil {
			return nil, internal(name+" state", err)
		}
	}
	return ch, nil
}

// RespondInput is what RespondToAuthChallenge takes.
type RespondInput struct {
	PoolID        string // AdminRespondToAuthChallenge only
	ClientID      string
	ChallengeName string
	Session       string
	Responses     map[string]string
}

// respondToAuthChallenge answers a challenge.
func (s *Service) respondToAuthChallenge(ctx context.Context, in RespondInput) (*AuthResponse, error) {
	c, err := s.client(ctx, in.PoolID, in.ClientID)
	if err != nil {
		return nil, err
	}
	r := in.Responses
	if r == nil {
		r = map[string]string{}
	}
	if err := c.authenticate(hashProof(r["SECRET_HASH"], r["USERNAME"])); err != nil {
		return nil, err
	}
	ctx = withDeviceKey(ctx, r)                                                         // devicesignin.go
	if res, ok, err := s.respondUserAuth(ctx, c, in.ChallengeName, in.Session, r); ok { // userauth.go
		return res, err
	}
	switch in.ChallengeName {
	case ChallengeNewPassword:
		return s.respondNewPassword(ctx, c, in.Session, r)
	case ChallengePasswordVerifier:
		return s.respondPasswordVerifier(ctx, c, r)
	case ChallengeSoftwareTokenMFA, ChallengeSMSMFA, ChallengeEmailOTP, ChallengeSelectMFAType, ChallengeMFASetup:
		return s.respondMFA(ctx, c, in.ChallengeName, in.Session, r)
	case ChallengeCustom: // customauth.go
		return s.respondCustomChallenge(ctx, c, in.Session, r)
	case ChallengeDeviceSRP: // devicesignin.go
		return s.respondDeviceSRP(ctx, c, in.Session, r)
	case ChallengeDevicePasswordVerifier:
		return s.respondDevicePasswordVerifier(ctx, c, r)
	case "":
		return nil, required("challengeName")
	}
	return nil, invalidf("Challenge %s is not supported by this server", in.ChallengeName)
}

func (s *Service) respondNewPassword(ctx context.Context, c *Client, session string, r map[string]string) (*AuthResponse, error) {
	ch, err := s.takeChallenge(ctx, c, session, ChallengeNewPassword, nil)
	if err != nil {
		return nil, err
	}
	if r["USERNAME"] != "" && r["USERNAME"] != ch.Username {
		return nil, refused(CauseSignInSessionExpired)
	}
	// A rejected new password keeps the challenge alive for another try, as
	// Cognito does; the session is single use only once it succeeds.
	keep := func(err error) error {
		ch.ID = session
		if perr := s.challenges.PutChallenge(ctx, ch); perr != nil {
			return internal("restore challenge", perr)
		}
		return err
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	u, err := s.findUser(ctx, p, ch.Username)
	if err != nil {
		return nil, err
	}
	if u.Status != StatusForceChangePassword {
		return nil, refused(CauseSignInSessionExpired)
	}
	extra := map[string]string{}
	for k, v := range r {
		if name, ok := strings.CutPrefix(k, "userAttributes."); ok {
			extra[name] = v
		}
	}
	if err := p.checkValues(extra, checkUpdate, true); err != nil {
		return nil, keep(err)
	}
	if err := checkPasswordPolicy(p, r["NEW_PASSWORD"]); err != nil {
		return nil, keep(err)
	}
	secrets, err := s.secrets(ctx, u.PoolID, u.Username, r["NEW_PASSWORD"])
	if err != nil {
		return nil, keep(err)
	}
	u, err = s.updateUser(ctx, u, func(u *store.User) error {
		if u.Status != StatusForceChangePassword {
			return refused(CauseSignInSessionExpired) // changed meanwhile (by an admin)
		}
		secrets.apply(u)
		next := maps.Clone(u.Attributes)
		for k, v := range extra {
			next[k] = v
		}
		aliases := signInAliases(p, next)
		if err := s.checkAliasesFree(ctx, p, u.Sub, aliases); err != nil {
			return err
		}
		u.Attributes, u.Aliases = next, aliases
		u.Status, u.TempPasswordExpiresAt = StatusConfirmed, time.Time{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.afterPassword(withTokenSource(ctx, tokenSourceNewPassword), p, c, u)
}
