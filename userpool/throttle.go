package userpool

// Sign-in throttling, shared by the API flows (password and SRP), the
// hosted UI's login page and ChangePassword, so that none is a way around
// the others. It works like Cognito's: a user's first few failures are free,
// then each failure locks the user out for a while, the wait doubling up to
// a maximum; a success forgets the failures. Each attempt on a user is
// counted before the password is checked (and forgiven on success), so
// concurrent guesses cannot slip past the limit. Failures are also counted
// per client address, over a window: there only failures count (so that
// many users signing in at once behind one address are not refused), and
// concurrent guesses can overshoot the limit by at most the password checks
// the hash gate lets run at once. The state lives in the store
// (store.Throttles), so every server of one store shares it.

import (
	"context"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// SignInLimits configure sign-in throttling. Zero fields take the defaults.
type SignInLimits struct {
	FreeAttempts  int           // failed sign-ins of a user before lockouts start (5)
	FirstLockout  time.Duration // the first lockout; each further failure doubles it (1 s)
	MaxLockout    time.Duration // the longest lockout (15 min)
	Forget        time.Duration // a user's failures are forgotten this long after the last lockout ends (15 min)
	PerAddress    int           // failed sign-ins allowed per client address per window (20)
	AddressWindow time.Duration // the per-address window (5 min)
}

// DefaultSignInLimits are Cognito-like limits.
var DefaultSignInLimits = SignInLimits{FreeAttempts: 5, FirstLockout: time.Second, MaxLockout: 15 * time.Minute,
	Forget: 15 * time.Minute, PerAddress: 20, AddressWindow: 5 * time.Minute}

func (l SignInLimits) orDefault() SignInLimits {
	d := DefaultSignInLimits
	if l.FreeAttempts > 0 {
		d.FreeAttempts = l.FreeAttempts
	}
	if l.FirstLockout > 0 {
		d.FirstLockout = l.FirstLockout
	}
	if l.MaxLockout > 0 {
		d.MaxLockout = l.MaxLockout
	}
	if l.Forget > 0 {
		d.Forget = l.Forget
	}
	if l.PerAddress > 0 {
		d.PerAddress = l.PerAddress
	}
	if l.AddressWindow > 0 {
		d.AddressWindow = l.AddressWindow
	}
	return d
}

// retention is how long a throttle state can matter after its last update.
func (l SignInLimits) retention() time.Duration {
	return max(l.MaxLockout+l.Forget, l.AddressWindow)
}

// userThrottleKey names a user in the throttle, whether or not the user
// exists (so that a lockout says nothing about existence).
func userThrottleKey(poolID, username string) string { return "user\x00" + poolID + "\x00" + username }

// addressThrottleKey names a client address in the throttle.
func addressThrottleKey(ip string) string { return "ip\x00" + ip }

// signInAttempt is a counted attempt: the caller reports how it ended.
type signInAttempt struct {
	s        *Service
	user, ip string
}

// claimSignIn counts an attempt to prove the password of username (which
// need not exist) from the caller's address, before the password is
// checked. It refuses an address over its window's limit (KindThrottled)
// and a user locked out (CauseAttemptsExceeded, "Password attempts
// exceeded").
func (s *Service) claimSignIn(ctx context.Context, poolID, username string) (*signInAttempt, error) {
	now := s.now()
	l := s.limits
	a := &signInAttempt{s: s, user: userThrottleKey(poolID, username)}
	if ip := callerOf(ctx).IP; ip != "" {
		a.ip = addressThrottleKey(ip)
		err := s.throttles.UpdateThrottle(ctx, a.ip, func(st *store.Throttle) error {
			if now.Sub(st.Since) >= l.AddressWindow {
				st.Count, st.Since = 0, now
			}
			if st.Count >= l.PerAddress {
				return &Error{Kind: KindThrottled, Message: "too many failed sign-ins from this address; try again later",
					RetryAfter: st.Since.Add(l.AddressWindow).Sub(now)}
			}
			return nil
		})
		if err != nil {
			if e := AsError(err); e != nil {
				s.log.Warn("sign-in throttled", "pool", poolID, "ip", ip, "why", "address")
			}
			return nil, internal("throttle", err)
		}
	}
	err := s.throttles.UpdateThrottle(ctx, a.user, func(st *store.Throttle) error {
		if !st.UpdatedAt.IsZero() && now.Sub(later(st.Until, st.UpdatedAt)) > l.Forget {
			*st = store.Throttle{}
		}
		if now.Before(st.Until) {
			return &Error{Kind: KindNotAuthorized, Cause: CauseAttemptsExceeded, RetryAfter: st.Until.Sub(now)}
		}
		st.Count++
		st.UpdatedAt = now
		if st.Count >= l.FreeAttempts {
			// Counting the last free attempt (and each one after) starts
			// the next lockout, so that concurrent guesses cannot pass.
			d := l.MaxLockout
			if n := st.Count - l.FreeAttempts; n < 32 {
				d = min(l.FirstLockout<<n, l.MaxLockout)
			}
			st.Until = now.Add(d)
		}
		return nil
	})
	if err != nil {
		if AsError(err) != nil {
			s.log.Warn("sign-in throttled", "pool", poolID, "why", "user")
		}
		return nil, internal("throttle", err)
	}
	return a, nil
}

// succeeded forgives the attempt: the user's failures are forgotten.
// Errors are logged, not returned: the sign-in itself succeeded.
func (a *signInAttempt) succeeded(ctx context.Context) {
	now := a.s.now()
	if err := a.s.throttles.UpdateThrottle(ctx, a.user, func(st *store.Throttle) error {
		*st = store.Throttle{UpdatedAt: now}
		return nil
	}); err != nil {
		a.s.log.Warn("throttle: forget failures", "err", err)
	}
}

// failed counts the attempt's failure against the caller's address (the
// user's count was taken when the attempt was claimed).
func (a *signInAttempt) failed(ctx context.Context) { a.s.addressFailed(ctx) }

// abandoned gives the attempt back when the password was never checked (the
// hash gate was full, the context ended): a failure of the server, not of the
// caller, must not bring a user closer to a lockout. A lockout this attempt
// started is lifted only if the user is back under the free attempts.
// Errors are logged: the request fails anyway.
func (a *signInAttempt) abandoned(ctx context.Context) {
	// The request's own context may be what ended: undo with a short one.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	l := a.s.limits
	if err := a.s.throttles.UpdateThrottle(ctx, a.user, func(st *store.Throttle) error {
		if st.Count > 0 {
			st.Count--
		}
		if st.Count < l.FreeAttempts {
			st.Until = time.Time{}
		}
		return nil
	}); err != nil {
		a.s.log.Warn("throttle: give back an attempt", "err", err)
	}
}

// addressFailed counts a failed sign-in against the caller's address.
// Errors are logged: the request fails anyway.
func (s *Service) addressFailed(ctx context.Context) {
	ip := callerOf(ctx).IP
	if ip == "" {
		return
	}
	now := s.now()
	l := s.limits
	if err := s.throttles.UpdateThrottle(ctx, addressThrottleKey(ip), func(st *store.Throttle) error {
		if now.Sub(st.Since) >= l.AddressWindow {
			st.Count, st.Since = 0, now
		}
		st.Count++
		st.UpdatedAt = now
		return nil
	}); err != nil {
		s.log.Warn("throttle: count an address failure", "err", err)
	}
}

// forgiveSignIn reports a successful proof of an attempt counted by an
// earlier request (SRP proves the password in its second step).
func (s *Service) forgiveSignIn(ctx context.Context, poolID, username string) {
	a := &signInAttempt{s: s, user: userThrottleKey(poolID, username)}
	a.succeeded(ctx)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
