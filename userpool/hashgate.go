package userpool

import (
	"context"
	"runtime"
	"time"
)

// Password hashing (argon2id) costs about 19 MiB and tens of milliseconds
// per call, and unauthenticated requests (SignUp, sign-in) can ask for it:
// unbounded, 256 concurrent sign-ups once took a server from 36 MiB to
// 4.8 GiB. The hash gate bounds the hashes and verifications in flight; a
// request that cannot get a slot within the queue deadline is refused with
// KindThrottled instead of queueing without end.

// Default hash gate settings.
const (
	DefaultHashQueueTimeout = 2 * time.Second
)

// DefaultHashConcurrency is two hashes per CPU: enough to keep every core
// busy while one hash waits on memory.
func DefaultHashConcurrency() int { return 2 * runtime.GOMAXPROCS(0) }

// hashGate is a counting semaphore for password hashing.
type hashGate struct {
	slots   chan struct{}
	timeout time.Duration
}

func newHashGate(concurrency int, timeout time.Duration) *hashGate {
	if concurrency <= 0 {
		concurrency = DefaultHashConcurrency()
	}
	if timeout <= 0 {
		timeout = DefaultHashQueueTimeout
	}
	return &hashGate{slots: make(chan struct{}, concurrency), timeout: timeout}
}

// errBusy is the refusal of a request that found every hash slot taken.
func errBusy() *Error {
	return errorf(KindThrottled, "the server is busy; try again")
}

// acquire waits for a slot until the queue deadline or the context ends;
// the caller must call the returned release.
func (g *hashGate) acquire(ctx context.Context) (func(), error) {
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, nil
	default:
	}
	t := time.NewTimer(g.timeout)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, nil
	case <-t.C:
		return nil, errBusy()
	case <-ctx.Done():
		return nil, errBusy()
	}
}

// hash hashes a password within the gate.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	release, err := s.gate.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return hashPassword(password, s.hashParams)
}

// verify checks a password against a hash within the gate.
func (s *Service) verify(ctx context.Context, password, encoded string) (bool, error) {
	release, err := s.gate.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return checkPassword(password, encoded), nil
}
