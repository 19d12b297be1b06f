package userpool

// Software tokens (authenticator apps): AssociateSoftwareToken makes a new
// secret and VerifySoftwareToken proves the user's app computes its codes.
// Both take an access token, or the Session of an MFA_SETUP challenge
// (then each answers a new Session, for the next step). The secret is
// kept sealed (AES-256-GCM under a key derived from the pool's sealing
// key, bound to the user's sub) and is shown only once, by
// AssociateSoftwareToken.

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"

	"github.com/cognate-dev/cognate/store"
)

// softwareTokenCaller is who AssociateSoftwareToken and
// VerifySoftwareToken act for: the user, and for a session the challenge.
type softwareTokenCaller struct {
	pool   *Pool
	user   *store.User
	client *Client
	ch     *store.Challenge // nil for an access token
	st     mfaChallenge
}

// softwareTokenCaller authenticates an access token or takes an MFA_SETUP
// session (exactly one must be given).
func (s *Service) softwareTokenCaller(ctx context.Context, accessToken, session string) (*softwareTokenCaller, error) {
	if accessToken != "" {
		pr, err := s.authenticate(ctx, accessToken)
		if err != nil {
			return nil, err
		}
		p, err := s.pool(ctx, pr.user.PoolID)
		if err != nil {
			return nil, err
		}
		return &softwareTokenCaller{pool: p, user: pr.user}, nil
	}
	if session == "" || len(session) > 2048 {
		return nil, refused(CauseSignInSessionExpired)
	}
	ch, err := s.challenges.TakeChallenge(ctx, session)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refused(CauseSignInSessionExpired)
	}
	if err != nil {
		return nil, internal("take challenge", err)
	}
	if ch.Name != ChallengeMFASetup || !s.now().Before(ch.ExpiresAt) {
		return nil, refused(CauseSignInSessionExpired)
	}
	c, err := s.client(ctx, ch.PoolID, ch.ClientID)
	if err != nil {
		return nil, refused(CauseSignInSessionExpired)
	}
	p, err := s.pool(ctx, ch.PoolID)
	if err != nil {
		return nil, err
	}
	u, err := s.findUser(ctx, p, ch.Username)
	if err != nil {
		return nil, err
	}
	out := &softwareTokenCaller{pool: p, user: u, client: c, ch: ch}
	if err := json.Unmarshal(ch.Data, &out.st); err != nil {
		return nil, internal("mfa challenge", err)
	}
	return out, nil
}

// nextSession stores the next MFA_SETUP challenge of a session caller.
func (s *Service) nextSession(ctx context.Context, t *softwareTokenCaller) (string, error) {
	data, err := json.Marshal(t.st)
	if err != nil {
		return "", internal("mfa challenge", err)
	}
	return s.putChallenge(ctx, t.client, t.user.Username, ChallengeMFASetup, data, "")
}

// secretKey is the key that seals the pool's software-token secrets.
func (s *Service) secretKey(ctx context.Context, poolID string) ([]byte, error) {
	ks, err := s.keySet(ctx, poolID)
	if err != nil {
		return nil, internal("software token key", err)
	}
	return ks.MAC("software-token-secret", []byte(poolID)), nil
}

// openUserSecret opens a sealed secret of the user.
func (s *Service) openUserSecret(ctx context.Context, poolID string, u *store.User, sealed []byte) ([]byte, error) {
	key, err := s.secretKey(ctx, poolID)
	if err != nil {
		return nil, err
	}
	secret, err := openSecret(key, sealed, []byte(u.Sub))
	if err != nil {
		return nil, internal("open software token secret", err)
	}
	return secret, nil
}

// AssociateSoftwareToken makes a new software-token secret for the user
// and returns it (base32, no padding); with a session, also the next
// session.
func (s *Service) AssociateSoftwareToken(ctx context.Context, accessToken, session string) (secretCode, next string, err error) {
	type out struct{ code, next string }
	o, err := audited(ctx, s, EventAssociateSoftwareTok, "", func(ctx context.Context) (out, error) {
		if accessToken == "" && session == "" {
			return out{}, invalidf("Missing required parameter AccessToken or Session")
		}
		t, err := s.softwareTokenCaller(ctx, accessToken, session)
		if err != nil {
			return out{}, err
		}
		secret, err := newTOTPSecret()
		if err != nil {
			return out{}, internal("software token secret", err)
		}
		key, err := s.secretKey(ctx, t.pool.ID)
		if err != nil {
			return out{}, err
		}
		sealed, err := sealSecret(key, secret, []byte(t.user.Sub))
		if err != nil {
			return out{}, internal("seal software token secret", err)
		}
		u, err := s.updateUser(ctx, t.user, func(u *store.User) error {
			m := decodeMFA(u)
			m.Pending, m.PendingAttempts = sealed, 0
			return m.store(u)
		})
		if err != nil {
			return out{}, err
		}
		t.user = u
		o := out{code: totpEncoding.EncodeToString(secret)}
		if t.ch != nil {
			t.st.Verified = false
			if o.next, err = s.nextSession(ctx, t); err != nil {
				return out{}, err
			}
		}
		return o, nil
	})
	return o.code, o.next, err
}

// userCodeRE is VerifySoftwareToken's UserCode pattern.
var userCodeRE = regexp.MustCompile(`^[0-9]+$`)

// VerifySoftwareToken checks a code of the secret AssociateSoftwareToken
// made; when it is right the secret becomes the user's software token and
// software-token MFA is enabled for the user. It returns Cognito's Status
// (SUCCESS) and, with a session, the next session.
func (s *Service) VerifySoftwareToken(ctx context.Context, accessToken, session, userCode, deviceName string) (status, next string, err error) {
	type out struct{ next string }
	o, err := audited(ctx, s, EventVerifySoftwareToken, "", func(ctx context.Context) (out, error) {
		if accessToken == "" && session == "" {
			return out{}, invalidf("Missing required parameter AccessToken or Session")
		}
		if len(userCode) != totpDigits || !userCodeRE.MatchString(userCode) {
			return out{}, violation(Violation{Member: "userCode", Rule: RuleLengthPattern, Min: 6, Max: 6, Pattern: "[0-9]+"})
		}
		if len(deviceName) > maxFriendlyDeviceNameLen {
			return out{}, violation(Violation{Member: "friendlyDeviceName", Rule: RuleMaxLength, Max: maxFriendlyDeviceNameLen})
		}
		t, err := s.softwareTokenCaller(ctx, accessToken, session)
		if err != nil {
			return out{}, err
		}
		// keep puts a session back after a wrong code, while tries remain.
		keep := func(err error) error {
			if t.ch == nil {
				return err
			}
			t.st.Attempts++
			if t.st.Attempts >= maxMFAChallengeAttempts {
				return err
			}
			data, merr := json.Marshal(t.st)
			if merr != nil {
				return internal("mfa challenge", merr)
			}
			t.ch.Data = data
			t.ch.ID = session
			if perr := s.challenges.PutChallenge(ctx, t.ch); perr != nil {
				return internal("restore challenge", perr)
			}
			return err
		}
		pending := decodeMFA(t.user).Pending
		if len(pending) == 0 {
			return out{}, keep(&Error{Kind: KindNotFound, Cause: CauseSoftwareTokenMissing})
		}
		secret, err := s.openUserSecret(ctx, t.pool.ID, t.user, pending)
		if err != nil {
			return out{}, err
		}
		step, ok, _ := checkTOTP(secret, userCode, s.now(), -1)
		if !ok {
			// Wrong codes are limited: past the limit the secret is
			// dropped and must be associated again.
			if _, err := s.updateUser(ctx, t.user, func(u *store.User) error {
				m := decodeMFA(u)
				if string(m.Pending) != string(pending) {
					return nil
				}
				if m.PendingAttempts++; m.PendingAttempts >= maxMFAChallengeAttempts {
					m.Pending, m.PendingAttempts = nil, 0
				}
				return m.store(u)
			}); err != nil {
				return out{}, err
			}
			return out{}, keep(&Error{Kind: KindCodeMismatch, Cause: CauseSoftwareTokenWrong})
		}
		u, err := s.updateUser(ctx, t.user, func(u *store.User) error {
			m := decodeMFA(u)
			if string(m.Pending) != string(pending) {
				return &Error{Kind: KindCodeMismatch, Cause: CauseSoftwareTokenWrong} // associated again meanwhile
			}
			m.Secret, m.Pending, m.PendingAttempts, m.LastStep, m.DeviceName = pending, nil, 0, step, deviceName
			m.setEnabled(MFASoftwareToken, true)
			return m.store(u)
		})
		if err != nil {
			return out{}, err
		}
		t.user = u
		var o out
		if t.ch != nil {
			t.st.Verified, t.st.Attempts = true, 0
			if o.next, err = s.nextSession(ctx, t); err != nil {
				return out{}, err
			}
		}
		return o, nil
	})
	if err != nil {
		return "", "", err
	}
	return "SUCCESS", o.next, nil
}
