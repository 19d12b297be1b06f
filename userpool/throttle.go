package userpool

// Sign-in throttling, shared by the API flows (password and SRP) and the
// hosted UI's login page, so that neither is a way around the other.
// Failures are counted in memory, per user and per client address, over a
// sliding window. With several replicas each replica counts its own, so the
// effective limits are multiplied by the number of replicas a client's
// requests reach.

import (
	"slices"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// Sign-in throttle limits.
const (
	LoginWindow       = 5 * time.Minute
	LoginFailsPerUser = 5
	LoginFailsPerIP   = 20
)

// signInThrottle counts failed sign-ins per user and per address.
type signInThrottle struct {
	limiter loginLimiter
}

// userKey names a user in the limiter.
func userKey(poolID, username string) string { return "user\x00" + poolID + "\x00" + username }

// ipKey names a client address in the limiter.
func ipKey(ip string) string { return "ip\x00" + ip }

// blocked reports whether the user (or, when ip is set, the address) has
// failed too often recently to try again now.
func (t *signInThrottle) blocked(poolID, username, ip string, now time.Time) bool {
	if t.limiter.wait(userKey(poolID, username), LoginFailsPerUser, LoginWindow, now) > 0 {
		return true
	}
	return ip != "" && t.limiter.wait(ipKey(ip), LoginFailsPerIP, LoginWindow, now) > 0
}

// failed records a failed password proof against the user (and the address).
func (t *signInThrottle) failed(poolID, username, ip string, now time.Time) {
	keys := []string{userKey(poolID, username)}
	if ip != "" {
		keys = append(keys, ipKey(ip))
	}
	t.limiter.fail(now, LoginWindow, LoginFailsPerIP, keys...)
}

// succeeded clears the user's failures after a correct password.
func (t *signInThrottle) succeeded(poolID, username string) {
	t.limiter.forget(userKey(poolID, username))
}

// checkThrottle refuses an API sign-in of a user with too many recent
// failures, with Cognito's "Password attempts exceeded".
func (s *Service) checkThrottle(u *store.User) error {
	if s.throttle.blocked(u.PoolID, u.Username, "", s.now()) {
		s.log.Warn("sign-in throttled", "pool", u.PoolID, "sub", u.Sub)
		return refused(CauseAttemptsExceeded)
	}
	return nil
}

// recordFailure counts a failed API sign-in against the user.
func (s *Service) recordFailure(u *store.User) { s.throttle.failed(u.PoolID, u.Username, "", s.now()) }

// recordSuccess clears the user's failures.
func (s *Service) recordSuccess(u *store.User) { s.throttle.succeeded(u.PoolID, u.Username) }

// loginLimiter remembers recent sign-in failures per key.
type loginLimiter struct {
	mu    sync.Mutex
	fails map[string][]time.Time // oldest first, only the last few kept
	ops   int
}

// maxLimiterKeys bounds the memory an attacker spraying usernames or
// addresses can make the limiter use; the oldest half is dropped beyond it.
const maxLimiterKeys = 100_000

// wait reports how long key must wait before trying again (0: it may try
// now) given at most limit failures per window.
func (l *loginLimiter) wait(key string, limit int, window time.Duration, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.recent(key, window, now)
	if len(recent) < limit {
		return 0
	}
	return recent[len(recent)-limit].Add(window).Sub(now)
}

// recent returns key's failures within the window; l.mu is held.
func (l *loginLimiter) recent(key string, window time.Duration, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-window)) {
		i++
	}
	if i == len(ts) && ts != nil {
		delete(l.fails, key)
		return nil
	}
	return ts[i:]
}

// fail records a failure of each key at now, keeping at most keep per key.
func (l *loginLimiter) fail(now time.Time, window time.Duration, keep int, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fails == nil {
		l.fails = map[string][]time.Time{}
	}
	for _, k := range keys {
		ts := append(l.recent(k, window, now), now)
		if len(ts) > keep {
			ts = ts[len(ts)-keep:]
		}
		l.fails[k] = slices.Clip(ts)
	}
	l.ops++
	if l.ops%1024 == 0 || len(l.fails) > maxLimiterKeys {
		l.sweep(window, now)
	}
}

// sweep forgets keys without recent failures, and the oldest ones if there
// are still too many; l.mu is held.
func (l *loginLimiter) sweep(window time.Duration, now time.Time) {
	for k, ts := range l.fails {
		if len(ts) == 0 || !ts[len(ts)-1].After(now.Add(-window)) {
			delete(l.fails, k)
		}
	}
	if len(l.fails) <= maxLimiterKeys {
		return
	}
	type kv struct {
		k    string
		last time.Time
	}
	all := make([]kv, 0, len(l.fails))
	for k, ts := range l.fails {
		all = append(all, kv{k, ts[len(ts)-1]})
	}
	slices.SortFunc(all, func(a, b kv) int { return a.last.Compare(b.last) })
	for _, e := range all[:len(all)/2] {
		delete(l.fails, e.k)
	}
}

// forget clears key's failures (after a successful sign-in).
func (l *loginLimiter) forget(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}
