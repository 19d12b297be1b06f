package userpool

// Sign-in throttling, shared by the API flows (password and SRP), the
// hosted UI's login page and ChangePassword, so that none is a way around
// the others. It works like Cognito's: a user's first few failures are free,
// then each failure locks the user out for a while, the wait doubling up to
// a maximum; a success forgets the failures. Only failures count, so a user
// signing in on many devices at once is never locked out; but a password
// check must claim a slot before it runs, and a user has only as many slots
// as free failures left (one once the lockouts have started), so concurrent
// guesses cannot slip past the limit: a claim beyond them waits for a slot
// (a success frees them all), and is refused if none frees in time.
// Failures are also counted per client address, over a window: there only
// failures count (so that many users signing in at once behind one address
// are not refused), and concurrent guesses can overshoot the limit by at
// most the password checks the hash gate lets run at once. The state lives
// in the store (store.Throttles), so every server of one store shares it.

import (
	"context"
	"errors"
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

// signInAttempt is a claimed password check: the caller reports how it
// ended, exactly once.
type signInAttempt struct {
	s        *Service
	user, ip string
}

const (
	// claimWait is how long a claim waits for one of the user's slots.
	claimWait = 3 * time.Second
	// pendingStale is how long a claimed slot may stay unreported before it
	// is taken back: longer than any request may run (a replica that died
	// mid-check never reports).
	pendingStale = time.Minute
)

// errNoSlot means every slot of the user is taken by checks in flight.
var errNoSlot = errors.New("every sign-in slot of the user is taken")

// claimSignIn claims a slot to check a password of username (which need
// not exist) from the caller's address, before the password is checked. It
// refuses an address over its window's limit (KindThrottled) and a user
// locked out (CauseAttemptsExceeded, "Password attempts exceeded"); while
// every slot of the user is taken it waits, up to claimWait, and then
// refuses (KindThrottled).
func (s *Service) claimSignIn(ctx context.Context, poolID, username string) (*signInAttempt, error) {
	a := &signInAttempt{s: s, user: userThrottleKey(poolID, username)}
	if err := s.checkAddress(ctx, poolID, a); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(claimWait)
	pause := 5 * time.Millisecond
	for {
		err := s.updateUserThrottle(ctx, a.user, func(st *store.Throttle, now time.Time) error {
			if now.Before(st.Until) {
				return &Error{Kind: KindNotAuthorized, Cause: CauseAttemptsExceeded, RetryAfter: st.Until.Sub(now)}
			}
			if st.Pending > 0 && now.Sub(st.Since) > pendingStale {
				st.Pending = 0 // checks that never reported: their servers died
			}
			if st.Pending >= max(s.limits.FreeAttempts-st.Count, 1) {
				return errNoSlot
			}
			st.Pending++
			st.Since = now // for a user key: the latest claim
			return nil
		})
		switch {
		case err == nil:
			return a, nil
		case errors.Is(err, errNoSlot):
			if time.Now().Add(pause).After(deadline) {
				s.log.Warn("sign-in throttled", "pool", poolID, "why", "user's checks in flight")
				return nil, &Error{Kind: KindThrottled, Message: "too many sign-ins of this user at once; try again", RetryAfter: time.Second}
			}
			select {
			case <-ctx.Done():
				return nil, internal("throttle", ctx.Err())
			case <-time.After(pause):
			}
			pause = min(2*pause, 100*time.Millisecond)
		case AsError(err) != nil:
			s.log.Warn("sign-in throttled", "pool", poolID, "why", "user")
			return nil, err
		default:
			return nil, internal("throttle", err)
		}
	}
}

// checkSignIn refuses a sign-in that cannot succeed now — the address over
// its limit, the user locked out — without claiming a slot: for SRP's first
// step, which checks no password (its second step claims).
func (s *Service) checkSignIn(ctx context.Context, poolID, username string) error {
	a := &signInAttempt{s: s, user: userThrottleKey(poolID, username)}
	if err := s.checkAddress(ctx, poolID, a); err != nil {
		return err
	}
	err := s.updateUserThrottle(ctx, a.user, func(st *store.Throttle, now time.Time) error {
		if now.Before(st.Until) {
			return &Error{Kind: KindNotAuthorized, Cause: CauseAttemptsExceeded, RetryAfter: st.Until.Sub(now)}
		}
		return nil
	})
	if err != nil && AsError(err) == nil {
		return internal("throttle", err)
	}
	return err
}

// checkAddress refuses a caller whose address used up its failures, and
// notes the address in a for the outcome.
func (s *Service) checkAddress(ctx context.Context, poolID string, a *signInAttempt) error {
	ip := callerOf(ctx).IP
	if ip == "" {
		return nil
	}
	a.ip = addressThrottleKey(ip)
	now, l := s.now(), s.limits
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
		if AsError(err) != nil {
			s.log.Warn("sign-in throttled", "pool", poolID, "ip", ip, "why", "address")
			return err
		}
		return internal("throttle", err)
	}
	return nil
}

// updateUserThrottle updates a user's throttle state, first forgetting
// failures old enough, and stamps the update.
func (s *Service) updateUserThrottle(ctx context.Context, key string, fn func(st *store.Throttle, now time.Time) error) error {
	now := s.now()
	return s.throttles.UpdateThrottle(ctx, key, func(st *store.Throttle) error {
		if !st.UpdatedAt.IsZero() && now.Sub(later(st.Until, st.UpdatedAt)) > s.limits.Forget {
			*st = store.Throttle{}
		}
		if err := fn(st, now); err != nil {
			return err
		}
		st.UpdatedAt = now
		return nil
	})
}

// outcome reports the attempt's end: it frees its slot and applies fn.
func (a *signInAttempt) outcome(ctx context.Context, what string, fn func(st *store.Throttle, now time.Time)) {
	a.s.reportUser(ctx, a.user, what, true, fn)
}

// reportUser applies fn to a user's throttle state, first freeing a slot if
// freeSlot. The request's own context may be what ended, so it reports with
// a short context of its own. Errors are logged: the request's answer is
// decided.
func (s *Service) reportUser(ctx context.Context, key, what string, freeSlot bool, fn func(st *store.Throttle, now time.Time)) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.updateUserThrottle(ctx, key, func(st *store.Throttle, now time.Time) error {
		if freeSlot && st.Pending > 0 {
			st.Pending--
		}
		fn(st, now)
		return nil
	}); err != nil {
		s.log.Warn("throttle: "+what, "err", err)
	}
}

// succeeded forgets the user's failures (and any lockout).
func (a *signInAttempt) succeeded(ctx context.Context) {
	a.outcome(ctx, "forget failures", func(st *store.Throttle, _ time.Time) {
		st.Count, st.Until = 0, time.Time{}
	})
}

// failed counts a failure against the user — the FreeAttempts-th and each
// later one starts a lockout, each twice as long as the one before — and
// against the caller's address.
func (a *signInAttempt) failed(ctx context.Context) {
	l := a.s.limits
	a.outcome(ctx, "count a failure", func(st *store.Throttle, now time.Time) {
		st.Count++
		if st.Count >= l.FreeAttempts {
			d := l.MaxLockout
			if n := st.Count - l.FreeAttempts; n < 32 {
				d = min(l.FirstLockout<<n, l.MaxLockout)
			}
			st.Until = later(st.Until, now.Add(d))
		}
	})
	a.s.addressFailed(ctx)
}

// abandoned frees the slot of a check that never ran (the hash gate was
// full, the context ended): a failure of the server, not of the caller,
// must not bring a user closer to a lockout.
func (a *signInAttempt) abandoned(ctx context.Context) {
	a.outcome(ctx, "give back a slot", func(*store.Throttle, time.Time) {})
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

// forgiveSignIn forgets the user's failures after a proof of the password
// by other means (a reset code).
func (s *Service) forgiveSignIn(ctx context.Context, poolID, username string) {
	s.reportUser(ctx, userThrottleKey(poolID, username), "forget failures", false, func(st *store.Throttle, _ time.Time) {
		st.Count, st.Until = 0, time.Time{}
	})
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
