package userpool

// One-time codes (sign-up confirmation now; password reset and attribute
// verification use the same rules): six digits from crypto/rand, one per
// user and purpose (a new code replaces the old), an expiry, single use,
// and a limit on attempts that concurrent guesses cannot exceed — the store
// counts an attempt before the code is compared.

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// Code purposes.
const (
	purposeSignUp = "signup"
)

// Code rules.
const (
	// MaxCodeAttempts is how many times a code may be tried; then it is
	// dead and a new one must be requested.
	MaxCodeAttempts = 5
	// SignUpCodeValidity is how long a sign-up confirmation code works.
	SignUpCodeValidity = 24 * time.Hour
)

// issueCode makes a new code for the user and purpose, replacing any
// earlier one (and its attempts).
func (s *Service) issueCode(ctx context.Context, u *store.User, purpose string, validity time.Duration, data []byte) (string, error) {
	now := s.now().UTC()
	c := &store.Code{PoolID: u.PoolID, UserSub: u.Sub, Purpose: purpose, Code: newCode(), Data: data,
		CreatedAt: now, ExpiresAt: now.Add(validity)}
	if err := s.codes.PutCode(ctx, c); err != nil {
		return "", internal("issue code", err)
	}
	return c.Code, nil
}

// redeemCode checks a code the user presents for the purpose. The attempt
// is counted first: once the code's attempts are used up the answer is
// KindLimitExceeded whatever is presented. A code past its expiry (or none
// pending) is KindCodeExpired, a wrong one KindCodeMismatch. The right code
// is consumed — of concurrent redemptions exactly one succeeds — and its
// data returned.
func (s *Service) redeemCode(ctx context.Context, u *store.User, purpose, given string) ([]byte, error) {
	c, err := s.codes.AttemptCode(ctx, u.PoolID, u.Sub, purpose, MaxCodeAttempts)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, &Error{Kind: KindCodeExpired, Cause: CauseCodeExpired}
	case errors.Is(err, store.ErrConflict):
		s.log.Warn("code attempts exceeded", "pool", u.PoolID, "sub", u.Sub, "purpose", purpose)
		return nil, &Error{Kind: KindLimitExceeded, Cause: CauseCodeAttemptsExceeded}
	case err != nil:
		return nil, internal("attempt code", err)
	}
	if !s.now().Before(c.ExpiresAt) {
		return nil, &Error{Kind: KindCodeExpired, Cause: CauseCodeExpired}
	}
	if given == "" || subtle.ConstantTimeCompare([]byte(c.Code), []byte(given)) != 1 {
		return nil, &Error{Kind: KindCodeMismatch, Cause: CauseCodeMismatch}
	}
	if err := s.codes.DeleteCode(ctx, u.PoolID, u.Sub, purpose, c.Code); errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: KindCodeExpired, Cause: CauseCodeExpired} // redeemed concurrently
	} else if err != nil {
		return nil, internal("redeem code", err)
	}
	return c.Data, nil
}

// pendingCode returns the user's unexpired code for the purpose, or "".
func (s *Service) pendingCode(ctx context.Context, u *store.User, purpose string) string {
	c, err := s.codes.GetCode(ctx, u.PoolID, u.Sub, purpose)
	if err != nil || !s.now().Before(c.ExpiresAt) || c.Attempts >= MaxCodeAttempts {
		return ""
	}
	return c.Code
}

// A name no user has, hidden by PreventUserExistenceErrors, gets decoy
// codes: ForgotPassword and ResendConfirmationCode "issue" one (its expiry
// and attempts kept in the throttle store; there is no code), and the
// confirmation counts attempts on it as redeemCode does on a real code —
// ExpiredCodeException with none pending, CodeMismatchException, then
// LimitExceededException — so that its answers do not tell the unknown
// name from a real user. A decoy lives as long as the code it imitates:
// its UpdatedAt, which the janitor purges throttle state by, is kept at its
// expiry, so the janitor forgets it only after it would have expired (a
// real code is purged once expired too).

// decoyCodeKey names a decoy code in the throttle store.
func decoyCodeKey(p *Pool, name, purpose string) string {
	return "decoycode\x00" + purpose + "\x00" + p.ID + "\x00" + usernameKey(p, name)
}

// issueDecoyCode records a new decoy code for name, replacing any earlier
// one and its attempts.
func (s *Service) issueDecoyCode(ctx context.Context, p *Pool, name, purpose string, validity time.Duration) error {
	now := s.now()
	err := s.throttles.UpdateThrottle(ctx, decoyCodeKey(p, name, purpose), func(st *store.Throttle) error {
		*st = store.Throttle{Since: now, Until: now.Add(validity), UpdatedAt: now.Add(validity)}
		return nil
	})
	if err != nil {
		return internal("issue decoy code", err)
	}
	return nil
}

// redeemDecoyCode answers a code presented for name as redeemCode answers
// a wrong one.
func (s *Service) redeemDecoyCode(ctx context.Context, p *Pool, name, purpose string) error {
	now := s.now()
	var answer error
	err := s.throttles.UpdateThrottle(ctx, decoyCodeKey(p, name, purpose), func(st *store.Throttle) error {
		switch {
		case st.Until.IsZero():
			answer = &Error{Kind: KindCodeExpired, Cause: CauseCodeExpired}
			return nil
		case st.Count >= MaxCodeAttempts:
			answer = &Error{Kind: KindLimitExceeded, Cause: CauseCodeAttemptsExceeded}
			return nil
		}
		st.Count++
		st.UpdatedAt = now
		if st.Until.After(now) {
			st.UpdatedAt = st.Until // not purged before its expiry
		}
		if !now.Before(st.Until) {
			answer = &Error{Kind: KindCodeExpired, Cause: CauseCodeExpired}
		} else {
			answer = &Error{Kind: KindCodeMismatch, Cause: CauseCodeMismatch}
		}
		return nil
	})
	if err != nil {
		return internal("redeem decoy code", err)
	}
	return answer
}
