package main

// -op gso-latency: does GlobalSignOut cost the same for a user with one
// session as for a user with many? The server's GlobalSignOut bumps the
// user's sign-out generation (one UPDATE of the user's row) instead of
// touching the sessions, so it should.
//
// Two users: "load-gso-one" signed in once and "load-gso-many" signed in
// -sessions times (SRP sign-ins, at most four in flight for one user: the
// server's per-user attempt counter would start a lockout at a fifth).
// Then -gso-calls rounds: in each, each user gets a fresh access token by a
// sign-in (the first round uses the tokens just minted) and one timed
// GlobalSignOut. Only the GlobalSignOut is timed. The order of the two users
// alternates from round to round, and round i goes to endpoint i mod n.
//
// After the first round every earlier session of a user is dead, but its
// row stays in the store until the janitor purges it (an hour after the
// sign-out, the access tokens' lifetime), so the many-session user keeps
// -sessions + i session rows at round i, and the one-session user i + 1.
// The first round is also reported apart: there the many-session user's
// -sessions sessions were all live.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"
)

type gsoUser struct {
	name  string
	label string
	lat   []time.Duration
	first time.Duration
}

func runGSOLatency(c config) error {
	if c.sessions < 1 || c.gsoCalls < 1 {
		return errors.New("-sessions and -gso-calls must be positive")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Printf("cognate-load: endpoints %s, op gso-latency, %d sessions for the many-session user, %d calls per user, mint %s, GOMAXPROCS %d, NumCPU %d, %s\n",
		strings.Join(c.endpoints, " "), c.sessions, c.gsoCalls, c.mint, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())
	cls := newClients(c.endpoints, c.mintConc+2)
	cl := cls[0]
	fx, err := createPool(ctx, cl, 0)
	defer func() {
		if c.keep {
			return
		}
		if err := teardown(context.Background(), cl, fx); err != nil {
			fmt.Fprintln(os.Stderr, "cognate-load: teardown:", err)
		}
	}()
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	one := &gsoUser{name: "load-gso-one", label: "1 session"}
	many := &gsoUser{name: "load-gso-many", label: fmt.Sprintf("%d sessions", c.sessions)}
	if err := createUsers(ctx, cl, fx.poolID, fx.clientID, []string{one.name, many.name}, 2, "gso-latency"); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	m := &minter{cl: cl, mode: c.mint, poolID: fx.poolID, clientID: fx.clientID}
	t0 := time.Now()
	names := make([]string, c.sessions)
	for i := range names {
		names[i] = many.name
	}
	fmt.Printf("gso-latency: minting %d sessions for %s (%s, %d in flight)\n", c.sessions, many.name, c.mint, min(c.mintConc, maxInFlightPerUser))
	manySessions, err := mintSessions(ctx, m, names, c.mintConc, "gso-latency mint")
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	el := time.Since(t0)
	fmt.Printf("gso-latency: minted %d sessions for %s in %.1fs (%.0f/s)\n", c.sessions, many.name, el.Seconds(), float64(c.sessions)/el.Seconds())
	oneSession, err := m.signIn(ctx, one.name)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}

	tokens := map[*gsoUser]string{one: oneSession.accessToken, many: manySessions[len(manySessions)-1].accessToken}
	var signInLat []time.Duration
	errs := 0
	var errSamples []string
	for i := range c.gsoCalls {
		ecl := cls[i%len(cls)]
		order := []*gsoUser{one, many}
		if i%2 == 1 {
			order = []*gsoUser{many, one}
		}
		for _, u := range order {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			tok := tokens[u]
			if i > 0 {
				t := time.Now()
				s, err := m.signIn(ctx, u.name)
				if err != nil {
					return fmt.Errorf("round %d: sign-in of %s: %w", i, u.name, err)
				}
				signInLat = append(signInLat, time.Since(t))
				tok = s.accessToken
			}
			status, body, lat, err := ecl.post(ctx, "GlobalSignOut", mustJSON(map[string]string{"AccessToken": tok}))
			if err != nil || status != 200 {
				errs++
				if len(errSamples) < 5 {
					errSamples = append(errSamples, fmt.Sprintf("round %d %s: HTTP %d %s %v", i, u.name, status, truncate(string(body), 160), err))
				}
				continue
			}
			u.lat = append(u.lat, lat)
			if i == 0 {
				u.first = lat
			}
			tokens[u] = tok
		}
		if i == 0 {
			// Every earlier session of the many-session user ended with it.
			if err := checkGSOEnded(ctx, cls[len(cls)-1], fx.clientID, manySessions); err != nil {
				return err
			}
		}
	}
	// The last token of each user is refused now.
	for _, u := range []*gsoUser{one, many} {
		status, body, _, err := cl.post(ctx, "GetUser", mustJSON(map[string]string{"AccessToken": tokens[u]}))
		if err != nil || !isRefusal(status, body) {
			return fmt.Errorf("GetUser after %s's last GlobalSignOut: want NotAuthorizedException, got HTTP %d %s %v", u.name, status, truncate(string(body), 160), err)
		}
	}
	printGSOLatency(os.Stdout, c, one, many, summarizeLatencies(signInLat))
	for _, s := range errSamples {
		fmt.Println("gso-latency: error:", s)
	}
	if total := 2 * c.gsoCalls; errs > 0 && float64(errs)/float64(total) > c.maxErrRate {
		fmt.Fprintf(os.Stderr, "cognate-load: gso-latency: %d errors in %d GlobalSignOut calls\n", errs, total)
		return errThreshold
	}
	return nil
}

// checkGSOEnded checks, on cl, that a few of the sessions minted before the
// first GlobalSignOut are refused: the first, middle and last access
// tokens by GetUser and the first refresh token by REFRESH_TOKEN_AUTH.
func checkGSOEnded(ctx context.Context, cl *client, clientID string, ss []session) error {
	for _, i := range []int{0, len(ss) / 2, len(ss) - 1} {
		status, body, _, err := cl.post(ctx, "GetUser", mustJSON(map[string]string{"AccessToken": ss[i].accessToken}))
		if err != nil || !isRefusal(status, body) {
			return fmt.Errorf("GetUser with session %d after GlobalSignOut: want NotAuthorizedException, got HTTP %d %s %v",
				i, status, truncate(string(body), 160), err)
		}
	}
	status, body, _, err := cl.post(ctx, "InitiateAuth", mustJSON(map[string]any{"ClientId": clientID, "AuthFlow": "REFRESH_TOKEN_AUTH",
		"AuthParameters": map[string]string{"REFRESH_TOKEN": ss[0].refreshToken}}))
	if err != nil || !isRefusal(status, body) {
		return fmt.Errorf("refresh with session 0 after GlobalSignOut: want NotAuthorizedException, got HTTP %d %s %v", status, truncate(string(body), 160), err)
	}
	fmt.Printf("gso-latency: checked on %s that %d sessions minted before the first GlobalSignOut are refused (3 access tokens, 1 refresh token)\n",
		cl.endpoint(), len(ss))
	return nil
}

func printGSOLatency(w io.Writer, c config, one, many *gsoUser, signIn latencyStats) {
	a, b := summarizeLatencies(one.lat), summarizeLatencies(many.lat)
	fmt.Fprintf(w, "gso-latency: user with %s (then 1 live session and up to %d rows): %s\n", one.label, c.gsoCalls, a)
	fmt.Fprintf(w, "gso-latency: user with %s (then 1 live session and %d to %d rows): %s\n", many.label, c.sessions, c.sessions+c.gsoCalls-1, b)
	fmt.Fprintf(w, "gso-latency: ratio many/one: p50 %.2f, p90 %.2f, p99 %.2f, mean %.2f\n", ratio(b.p50, a.p50), ratio(b.p90, a.p90),
		ratio(b.p99, a.p99), ratio(b.mean, a.mean))
	fmt.Fprintf(w, "gso-latency: first call (all %d sessions of the many-session user live): one %s, many %s\n", c.sessions, ms(one.first), ms(many.first))
	fmt.Fprintf(w, "gso-latency: sign-ins between calls (not timed in the above): %s\n", signIn)
	if !c.markdown {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| GlobalSignOut | calls | p50 | p90 | p99 | max | first call |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	fmt.Fprintf(w, "| user with %s | %d | %s | %s | %s | %s | %s |\n", one.label, a.n, ms(a.p50), ms(a.p90), ms(a.p99), ms(a.max), ms(one.first))
	fmt.Fprintf(w, "| user with %s | %d | %s | %s | %s | %s | %s |\n", many.label, b.n, ms(b.p50), ms(b.p90), ms(b.p99), ms(b.max), ms(many.first))
	fmt.Fprintf(w, "| ratio many / one | | %.2f | %.2f | %.2f | %.2f | %.2f |\n", ratio(b.p50, a.p50), ratio(b.p90, a.p90), ratio(b.p99, a.p99),
		ratio(b.max, a.max), ratio(many.first, one.first))
}
