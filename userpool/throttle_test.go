package userpool_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/srp"
	"github.com/cognate-dev/cognate/userpool"
)

// passwordSignIn tries USER_PASSWORD_AUTH from an address.
func (e *env) passwordSignIn(ip, name, pw string) error {
	ctx := userpool.WithCaller(e.ctx(), userpool.Caller{IP: ip})
	_, err := e.svc.InitiateAuth(ctx, userpool.InitiateAuthInput{ClientID: e.app.ID, AuthFlow: userpool.FlowUserPassword,
		AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": pw}})
	return err
}

func isCause(err error, c userpool.Cause) bool {
	e := userpool.AsError(err)
	return e != nil && e.Cause == c
}

// TestProgressiveLockout: five failures, then lockouts that start at a
// second and double; a correct password is refused while locked, accepted
// after, and forgives the failures.
func TestProgressiveLockout(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		if err := e.passwordSignIn("", "alice", "wrong"); !isCause(err, userpool.CauseBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	// The fifth failure started a 1 s lockout.
	if err := e.passwordSignIn("", "alice", password); !isCause(err, userpool.CauseAttemptsExceeded) {
		t.Fatalf("the right password during the lockout: %v", err)
	}
	for _, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		e.clock.Advance(wait - time.Millisecond)
		if err := e.passwordSignIn("", "alice", "wrong"); !isCause(err, userpool.CauseAttemptsExceeded) {
			t.Fatalf("just before a %v lockout ends: %v", wait, err)
		}
		e.clock.Advance(time.Millisecond)
		if err := e.passwordSignIn("", "alice", "wrong"); !isCause(err, userpool.CauseBadCredentials) {
			t.Fatalf("once a %v lockout ended: %v", wait, err)
		}
	}
	e.clock.Advance(16 * time.Second)
	if err := e.passwordSignIn("", "alice", password); err != nil {
		t.Fatalf("the right password after the lockout: %v", err)
	}
	// Forgiven: five free failures again.
	for i := range 5 {
		if err := e.passwordSignIn("", "alice", "wrong"); !isCause(err, userpool.CauseBadCredentials) {
			t.Fatalf("failure %d after a success: %v", i+1, err)
		}
	}
}

// TestLockoutIsCapped: the waits double up to the maximum and no further,
// and failures are forgotten some time after the last lockout.
func TestLockoutIsCapped(t *testing.T) {
	e := newEnv(t)
	max := userpool.DefaultSignInLimits.MaxLockout
	for range 30 {
		_ = e.passwordSignIn("", "alice", "wrong")
		e.clock.Advance(max)
	}
	if err := e.passwordSignIn("", "alice", "wrong"); !isCause(err, userpool.CauseBadCredentials) {
		t.Fatalf("after a maximal lockout: %v", err)
	}
	e.clock.Advance(max - time.Second)
	if err := e.passwordSignIn("", "alice", password); !isCause(err, userpool.CauseAttemptsExceeded) {
		t.Fatalf("within the capped lockout: %v", err)
	}
	e.clock.Advance(time.Second + userpool.DefaultSignInLimits.Forget + time.Second)
	for i := range 5 {
		if err := e.passwordSignIn("", "alice", "wrong"); !isCause(err, userpool.CauseBadCredentials) {
			t.Fatalf("failure %d after the failures were forgotten: %v", i+1, err)
		}
	}
}

// TestConcurrentGuessesCannotPassTheLimit: 32 concurrent wrong guesses get
// at most five password checks.
func TestConcurrentGuessesCannotPassTheLimit(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	checked := 0
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			err := e.passwordSignIn(fmt.Sprintf("198.51.100.%d", i), "alice", "wrong")
			switch {
			case isCause(err, userpool.CauseBadCredentials):
				mu.Lock()
				checked++
				mu.Unlock()
			case !isCause(err, userpool.CauseAttemptsExceeded):
				t.Errorf("guess: %v", err)
			}
		})
	}
	wg.Wait()
	if checked > 5 {
		t.Fatalf("%d of 32 concurrent guesses were checked, want at most 5", checked)
	}
}

// TestConcurrentRightPasswordsAllSucceed: only failures count, so a user
// signing in on many devices at the same moment is never locked out, even
// after a few failures: checks beyond the user's slots wait for one.
func TestConcurrentRightPasswordsAllSucceed(t *testing.T) {
	e := newEnv(t)
	for _, failuresFirst := range []int{0, 4} {
		for range failuresFirst {
			if err := e.passwordSignIn("", "alice", "wrong"); !isCause(err, userpool.CauseBadCredentials) {
				t.Fatalf("a failure: %v", err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Go(func() { errs <- e.passwordSignIn(fmt.Sprintf("203.0.113.%d", i), "alice", password) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("after %d failures, one of 16 concurrent right sign-ins: %v", failuresFirst, err)
			}
		}
	}
}

// TestSRPProofsAreThrottled: SRP's first step checks no password and
// claims nothing, so starting many SRP sign-ins costs nothing; its proofs
// are counted like passwords, and concurrent wrong proofs get at most the
// free checks.
func TestSRPProofsAreThrottled(t *testing.T) {
	e := newEnv(t)
	var challenges []*srpAttempt
	for range 12 {
		challenges = append(challenges, e.srpStart(t, "alice"))
	}
	var mu sync.Mutex
	checked := 0
	var wg sync.WaitGroup
	for _, ch := range challenges {
		wg.Go(func() {
			err := e.srpProve(ch, "wrong")
			switch {
			case isCause(err, userpool.CauseBadCredentials):
				mu.Lock()
				checked++
				mu.Unlock()
			case !isCause(err, userpool.CauseAttemptsExceeded):
				t.Errorf("a wrong proof: %v", err)
			}
		})
	}
	wg.Wait()
	if checked != 5 {
		t.Fatalf("%d of 12 concurrent wrong proofs were checked, want 5", checked)
	}
	// Locked out: SRP's first step says so at once.
	_, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: e.app.ID, AuthFlow: userpool.FlowUserSRP,
		AuthParameters: map[string]string{"USERNAME": "alice", "SRP_A": newSRPClient(t).A()}})
	if !isCause(err, userpool.CauseAttemptsExceeded) {
		t.Fatalf("SRP's first step during a lockout: %v", err)
	}
}

// srpAttempt is an SRP sign-in after its first step.
type srpAttempt struct {
	client *srp.Client
	ch     *userpool.AuthResponse
}

func newSRPClient(t *testing.T) *srp.Client {
	t.Helper()
	cl, err := srp.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// srpStart runs USER_SRP_AUTH's first step for name.
func (e *env) srpStart(t *testing.T, name string) *srpAttempt {
	t.Helper()
	cl := newSRPClient(t)
	ch, err := e.svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: e.app.ID, AuthFlow: userpool.FlowUserSRP,
		AuthParameters: map[string]string{"USERNAME": name, "SRP_A": cl.A()}})
	if err != nil {
		t.Fatalf("SRP's first step: %v", err)
	}
	return &srpAttempt{client: cl, ch: ch}
}

// srpProve answers the PASSWORD_VERIFIER challenge with pw.
func (e *env) srpProve(a *srpAttempt, pw string) error {
	p := a.ch.ChallengeParameters
	key, err := a.client.Key(srp.PoolName(e.pool), p["USER_ID_FOR_SRP"], pw, p["SRP_B"], p["SALT"])
	if err != nil {
		return err
	}
	block, _ := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	ts := srp.FormatTimestamp(e.clock.Now())
	_, err = e.svc.RespondToAuthChallenge(e.ctx(), userpool.RespondInput{ClientID: e.app.ID, ChallengeName: userpool.ChallengePasswordVerifier,
		Responses: map[string]string{"USERNAME": p["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"], "TIMESTAMP": ts,
			"PASSWORD_CLAIM_SIGNATURE": srp.Signature(key, srp.PoolName(e.pool), p["USER_ID_FOR_SRP"], block, ts)}})
	return err
}

// TestUnknownUsersLockOutToo: with PreventUserExistenceErrors an unknown
// name answers exactly as a real one, lockout included.
func TestUnknownUsersLockOutToo(t *testing.T) {
	e := newEnv(t)
	e.app = e.newClient(userpool.ClientInput{Name: "hiding", Config: userpool.ClientConfig{PreventUserExistenceErrors: "ENABLED"}})
	for _, name := range []string{"alice", "nobody"} {
		var got []userpool.Cause
		for range 7 {
			err := e.passwordSignIn("", name, "wrong")
			got = append(got, userpool.AsError(err).Cause)
		}
		want := fmt.Sprint([]userpool.Cause{"bad-credentials", "bad-credentials", "bad-credentials", "bad-credentials",
			"bad-credentials", "attempts-exceeded", "attempts-exceeded"})
		if fmt.Sprint(got) != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}

// TestAddressLimit: one address gets a limited number of failures, across
// users; other addresses are not affected, and successes give back.
func TestAddressLimit(t *testing.T) {
	e := newEnv(t)
	for i := range 20 {
		e.newUser(fmt.Sprintf("u%02d", i))
	}
	for i := range 20 {
		if err := e.passwordSignIn("203.0.113.9", fmt.Sprintf("u%02d", i), "wrong"); !isCause(err, userpool.CauseBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	err := e.passwordSignIn("203.0.113.9", "alice", password)
	if !userpool.IsKind(err, userpool.KindThrottled) || userpool.AsError(err).RetryAfter <= 0 {
		t.Fatalf("the 21st attempt from one address: %v", err)
	}
	if err := e.passwordSignIn("203.0.113.10", "alice", password); err != nil {
		t.Fatalf("another address: %v", err)
	}
	e.clock.Advance(userpool.DefaultSignInLimits.AddressWindow)
	if err := e.passwordSignIn("203.0.113.9", "alice", password); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestChangePasswordCountsFailures: wrong previous passwords lock the user
// out like wrong sign-ins.
func TestChangePasswordCountsFailures(t *testing.T) {
	e := newEnv(t)
	tk := e.signIn(e.app, "alice")
	for i := range 5 {
		err := e.svc.ChangePassword(e.ctx(), tk.AccessToken, "wrong", "New-Passw0rd!")
		if !isCause(err, userpool.CauseBadCredentials) {
			t.Fatalf("wrong previous password %d: %v", i+1, err)
		}
	}
	err := e.svc.ChangePassword(e.ctx(), tk.AccessToken, password, "New-Passw0rd!")
	if !isCause(err, userpool.CauseAttemptsExceeded) {
		t.Fatalf("the right password while locked out: %v", err)
	}
	if err := e.passwordSignIn("", "alice", password); !isCause(err, userpool.CauseAttemptsExceeded) {
		t.Fatalf("sign-in while locked out by ChangePassword: %v", err)
	}
	e.clock.Advance(time.Second)
	if err := e.svc.ChangePassword(e.ctx(), tk.AccessToken, password, "New-Passw0rd!"); err != nil {
		t.Fatalf("ChangePassword after the lockout: %v", err)
	}
}

// TestHashGateRefusesWhenFull: with every hash slot taken past the queue
// deadline, a sign-in is refused as throttled instead of queueing.
func TestHashGateRefusesWhenFull(t *testing.T) {
	e := newEnv(t)
	svc := userpool.New(userpool.Options{Store: e.st, PublicURL: "https://idp.example.com", Now: e.clock.Now,
		Hash: userpool.HashParams{Time: 1, Memory: 64, Threads: 1}, HashConcurrency: 1, HashQueueTimeout: 50 * time.Millisecond})
	release := make(chan struct{})
	held := make(chan struct{})
	go func() {
		_ = svc.HoldHashSlotForTest(context.Background(), held, release)
	}()
	<-held
	_, err := svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: e.app.ID, AuthFlow: userpool.FlowUserPassword,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": password}})
	close(release)
	if !userpool.IsKind(err, userpool.KindThrottled) {
		t.Fatalf("sign-in with every hash slot taken: %v", err)
	}
	if _, err := svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: e.app.ID, AuthFlow: userpool.FlowUserPassword,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": password}}); err != nil {
		t.Fatalf("sign-in once the slot is free: %v", err)
	}
}

// TestRefusedByTheHashGateCostsNoAttempt: a sign-in the server could not
// check (every hash slot taken) does not bring the user closer to a
// lockout, so a flood that fills the gate cannot lock real users out.
func TestRefusedByTheHashGateCostsNoAttempt(t *testing.T) {
	e := newEnv(t)
	svc := userpool.New(userpool.Options{Store: e.st, PublicURL: "https://idp.example.com", Now: e.clock.Now,
		Hash: userpool.HashParams{Time: 1, Memory: 64, Threads: 1}, HashConcurrency: 1, HashQueueTimeout: 10 * time.Millisecond})
	signIn := func(pw string) error {
		_, err := svc.InitiateAuth(e.ctx(), userpool.InitiateAuthInput{ClientID: e.app.ID, AuthFlow: userpool.FlowUserPassword,
			AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": pw}})
		return err
	}
	// Four real failures: one short of the lockout.
	for i := range 4 {
		if err := signIn("wrong"); !isCause(err, userpool.CauseBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	release, held := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = svc.HoldHashSlotForTest(context.Background(), held, release)
	}()
	<-held
	for i := range 10 {
		if err := signIn(password); !userpool.IsKind(err, userpool.KindThrottled) {
			t.Fatalf("sign-in %d with every hash slot taken: %v", i+1, err)
		}
	}
	close(release)
	<-done
	// Still one free attempt: the right password gets in.
	if err := signIn(password); err != nil {
		t.Fatalf("the right password after the gate freed: %v", err)
	}
}
