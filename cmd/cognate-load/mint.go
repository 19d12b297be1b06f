package main

// Minting sessions: users made with SignUp + AdminConfirmSignUp (one
// password hash each) and signed in with USER_SRP_AUTH (-mint srp, the
// default: no argon2id on the server, about 4 ms of SRP on each side) or
// USER_PASSWORD_AUTH (-mint password: one argon2id hash, about 40 ms of a
// core, per sign-in).

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/srp"
)

type mintMode int

const (
	mintSRP mintMode = iota
	mintPassword
)

func parseMint(s string) (mintMode, error) {
	switch s {
	case "srp":
		return mintSRP, nil
	case "password":
		return mintPassword, nil
	}
	return 0, fmt.Errorf("-mint: want srp or password, got %q", s)
}

func (m mintMode) String() string {
	if m == mintPassword {
		return "USER_PASSWORD_AUTH"
	}
	return "USER_SRP_AUTH"
}

// maxInFlightPerUser bounds the concurrent sign-ins of one user: the server
// counts each attempt against the user before checking it (5 free attempts,
// forgiven on success), so a fifth concurrent sign-in of one user would
// start a lockout.
const maxInFlightPerUser = 4

// minter signs the users of one pool in through one endpoint.
type minter struct {
	cl               *client
	mode             mintMode
	poolID, clientID string
}

func (m *minter) signIn(ctx context.Context, username string) (session, error) {
	if m.mode == mintPassword {
		return signIn(ctx, m.cl, m.clientID, username)
	}
	return srpSignIn(ctx, m.cl, m.poolID, m.clientID, username, loadPassword)
}

// srpSignIn runs USER_SRP_AUTH: InitiateAuth with SRP_A, then the
// PASSWORD_VERIFIER challenge's answer.
func srpSignIn(ctx context.Context, cl *client, poolID, clientID, username, password string) (session, error) {
	sc, err := srp.NewClient()
	if err != nil {
		return session{}, err
	}
	var ch struct {
		ChallengeName       string
		ChallengeParameters map[string]string
		Session             string
	}
	if err := cl.call(ctx, "InitiateAuth", map[string]any{
		"ClientId": clientID, "AuthFlow": "USER_SRP_AUTH",
		"AuthParameters": map[string]string{"USERNAME": username, "SRP_A": sc.A()},
	}, &ch); err != nil {
		return session{}, err
	}
	if ch.ChallengeName != "PASSWORD_VERIFIER" {
		return session{}, fmt.Errorf("InitiateAuth USER_SRP_AUTH for %s: challenge %q, want PASSWORD_VERIFIER", username, ch.ChallengeName)
	}
	p := ch.ChallengeParameters
	userID := p["USER_ID_FOR_SRP"]
	key, err := sc.Key(srp.PoolName(poolID), userID, password, p["SRP_B"], p["SALT"])
	if err != nil {
		return session{}, fmt.Errorf("SRP key for %s: %w", username, err)
	}
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	if err != nil {
		return session{}, fmt.Errorf("SRP SECRET_BLOCK for %s: %w", username, err)
	}
	ts := srp.FormatTimestamp(time.Now())
	in := map[string]any{"ClientId": clientID, "ChallengeName": "PASSWORD_VERIFIER",
		"ChallengeResponses": map[string]string{"USERNAME": userID, "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
			"TIMESTAMP": ts, "PASSWORD_CLAIM_SIGNATURE": srp.Signature(key, srp.PoolName(poolID), userID, block, ts)}}
	if ch.Session != "" {
		in["Session"] = ch.Session
	}
	var out authResult
	if err := cl.call(ctx, "RespondToAuthChallenge", in, &out); err != nil {
		return session{}, err
	}
	r := out.AuthenticationResult
	if r == nil || r.AccessToken == "" || r.RefreshToken == "" {
		return session{}, fmt.Errorf("RespondToAuthChallenge for %s: no tokens in the answer (challenge %q)", username, out.ChallengeName)
	}
	return session{accessToken: r.AccessToken, refreshToken: r.RefreshToken}, nil
}

// mintSessions signs names[i] in for every i, from workers goroutines with
// at most maxInFlightPerUser sign-ins of one user at a time, and returns
// the sessions in the order of names. A failed sign-in is retried twice
// (the server's hash gate may be full for a moment). It prints progress
// every 1,000 sign-ins and every 10 s.
func mintSessions(ctx context.Context, m *minter, names []string, workers int, label string) ([]session, error) {
	sems := map[string]chan struct{}{}
	for _, n := range names {
		if sems[n] == nil {
			sems[n] = make(chan struct{}, maxInFlightPerUser)
		}
	}
	total := len(names)
	out := make([]session, total)
	var next, done, retries atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	var progressMu sync.Mutex
	start := time.Now()
	lastPrint, lastN := start, int64(0)
	for range max(1, min(workers, total)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= total || ctx.Err() != nil {
					return
				}
				sem := sems[names[i]]
				sem <- struct{}{}
				var s session
				var err error
				for attempt := range 3 {
					if attempt > 0 {
						retries.Add(1)
						time.Sleep(time.Duration(attempt*attempt) * 200 * time.Millisecond)
					}
					if s, err = m.signIn(ctx, names[i]); err == nil || ctx.Err() != nil {
						break
					}
				}
				<-sem
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("%s: sign-in %d of %d (%s): %w", label, i+1, total, names[i], err) })
					next.Store(int64(total))
					return
				}
				out[i] = s
				n := done.Add(1)
				progressMu.Lock()
				if now := time.Now(); n%1000 == 0 || now.Sub(lastPrint) >= 10*time.Second {
					fmt.Printf("%s: %d/%d sign-ins (%s, %.0f/s, %.0f/s since the last line)\n", label, n, total, m.mode,
						float64(n)/now.Sub(start).Seconds(), float64(n-lastN)/now.Sub(lastPrint).Seconds())
					lastPrint, lastN = now, n
				}
				progressMu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if n := retries.Load(); n > 0 {
		fmt.Printf("%s: %d sign-ins were retried\n", label, n)
	}
	return out, nil
}

// createUsers makes confirmed users with loadPassword: SignUp (one password
// hash on the server) and AdminConfirmSignUp, from workers goroutines (the
// server hashes at most two passwords per core at once and refuses more
// after a short wait, so keep workers at or below that).
func createUsers(ctx context.Context, cl *client, poolID, clientID string, names []string, workers int, label string) error {
	var next, done atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range max(1, min(workers, len(names))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(names) || ctx.Err() != nil {
					return
				}
				err := cl.call(ctx, "SignUp", map[string]any{"ClientId": clientID, "Username": names[i], "Password": loadPassword}, nil)
				if err == nil {
					err = cl.call(ctx, "AdminConfirmSignUp", map[string]any{"UserPoolId": poolID, "Username": names[i]}, nil)
				}
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("%s: user %s: %w", label, names[i], err) })
					next.Store(int64(len(names)))
					return
				}
				if n := done.Add(1); n%500 == 0 {
					fmt.Printf("%s: %d/%d users (%.0f/s)\n", label, n, len(names), float64(n)/time.Since(start).Seconds())
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
