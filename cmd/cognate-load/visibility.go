package main

// -op visibility: is a revocation made through replica A refused by replica
// B on B's very next request? With two endpoints A and B (the first two of
// -endpoint; with one, A and B are the same server) it runs
// -visibility-trials trials one after the other, of four kinds in turn:
//
//	revoke-access   RevokeToken(refresh token) on A, then GetUser(access token of that family) on B
//	revoke-refresh  RevokeToken(refresh token) on A, then REFRESH_TOKEN_AUTH(that refresh token) on B
//	gso-access      GlobalSignOut(access token) on A, then GetUser(that access token) on B
//	gso-refresh     GlobalSignOut(access token) on A, then REFRESH_TOKEN_AUTH(its family's refresh token) on B
//
// Each trial first gets a live token on A (revoke kinds: a REFRESH_TOKEN_AUTH
// on A with a pre-minted session's refresh token; GlobalSignOut kinds: a
// sign-in on A, since a GlobalSignOut ends all of its user's sessions), then
// uses it once on B (GetUser: 200, so that B has seen the token and its
// family before the revocation, with whatever it caches), then revokes on
// A, and as soon as A's 200 is read sends the check to B. A refusal
// (NotAuthorizedException) on that first request is the target. Otherwise
// B is polled (1 ms apart) until it refuses or -visibility-timeout passes,
// and the delay from A's 200 to B's refusal is recorded.
//
// Revoke kinds use pre-minted sessions of -users users ("load-vis-r-*");
// GlobalSignOut kinds sign in users of another set ("load-vis-g-*") in
// turn, so that no GlobalSignOut ends a session another trial needs.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"time"
)

type visKind int

const (
	visRevokeAccess visKind = iota
	visRevokeRefresh
	visGSOAccess
	visGSORefresh
	numVisKinds
)

func (k visKind) String() string {
	return [...]string{"revoke-access", "revoke-refresh", "gso-access", "gso-refresh"}[k]
}

func (k visKind) describe() string {
	return [...]string{"RevokeToken on A → GetUser on B", "RevokeToken on A → REFRESH_TOKEN_AUTH on B",
		"GlobalSignOut on A → GetUser on B", "GlobalSignOut on A → REFRESH_TOKEN_AUTH on B"}[k]
}

func (k visKind) isGSO() bool { return k == visGSOAccess || k == visGSORefresh }

// visKindOf is trial i's kind.
func visKindOf(i int) visKind { return visKind(i % int(numVisKinds)) }

// visTrial is one trial's outcome.
type visTrial struct {
	kind visKind
	// err: the trial could not be run (a step before the check failed) or
	// B answered the check with something other than 200 or a refusal.
	err error
	// stale counts B's 200 answers after A's 200; refused says B refused
	// within the timeout; delay is from A's 200 to B's refusal.
	stale   int
	refused bool
	delay   time.Duration
}

// visSummary is the trials' tally, overall or for one kind.
type visSummary struct {
	trials, errors, firstRefused, late, never int
	delays, lateDelays                        []time.Duration
}

func summarizeVisibility(trials []visTrial, kind visKind, all bool) visSummary {
	var s visSummary
	for _, t := range trials {
		if !all && t.kind != kind {
			continue
		}
		s.trials++
		switch {
		case t.err != nil:
			s.errors++
		case !t.refused:
			s.never++
		case t.stale == 0:
			s.firstRefused++
			s.delays = append(s.delays, t.delay)
		default:
			s.late++
			s.delays = append(s.delays, t.delay)
			s.lateDelays = append(s.lateDelays, t.delay)
		}
	}
	return s
}

// checked is the number of trials whose check ran to an answer.
func (s visSummary) checked() int { return s.firstRefused + s.late + s.never }

type visRun struct {
	c            config
	a, b         *client
	m            *minter
	clientID     string
	gsoUsers     []string
	pollInterval time.Duration
}

func runVisibility(c config) error {
	if c.visTrials < 1 || c.visTimeout <= 0 {
		return errors.New("-visibility-trials and -visibility-timeout must be positive")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cls := newClients(c.endpoints, c.mintConc+2)
	a, b := cls[0], cls[0]
	if len(cls) > 1 {
		b = cls[1]
	}
	fmt.Printf("cognate-load: op visibility, A %s, B %s, %d trials, timeout %s, mint %s, GOMAXPROCS %d, NumCPU %d, %s\n",
		a.endpoint(), b.endpoint(), c.visTrials, c.visTimeout, c.mint, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())
	if a == b {
		fmt.Println("visibility: one endpoint: A and B are the same server")
	}
	fx, err := createPool(ctx, a, 0)
	defer func() {
		if c.keep {
			return
		}
		if err := teardown(context.Background(), a, fx); err != nil {
			fmt.Fprintln(os.Stderr, "cognate-load: teardown:", err)
		}
	}()
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	t0 := time.Now()
	var revokeUsers, gsoUsers []string
	for i := range c.users {
		revokeUsers = append(revokeUsers, fmt.Sprintf("load-vis-r-%03d", i))
		gsoUsers = append(gsoUsers, fmt.Sprintf("load-vis-g-%03d", i))
	}
	if err := createUsers(ctx, a, fx.poolID, fx.clientID, append(append([]string{}, revokeUsers...), gsoUsers...), c.mintConc, "visibility setup"); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	nRevoke := 0
	for i := range c.visTrials {
		if !visKindOf(i).isGSO() {
			nRevoke++
		}
	}
	names := make([]string, nRevoke)
	for i := range names {
		names[i] = revokeUsers[i%len(revokeUsers)]
	}
	r := &visRun{c: c, a: a, b: b, m: &minter{cl: a, mode: c.mint, poolID: fx.poolID, clientID: fx.clientID}, clientID: fx.clientID,
		gsoUsers: gsoUsers, pollInterval: time.Millisecond}
	sessions, err := mintSessions(ctx, r.m, names, c.mintConc, "visibility setup")
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	fmt.Printf("visibility: setup: pool %s, %d users, %d pre-minted sessions for the revoke trials (%.1fs)\n",
		fx.poolID, 2*c.users, len(sessions), time.Since(t0).Seconds())

	t1 := time.Now()
	trials := make([]visTrial, 0, c.visTrials)
	next, gsoN := 0, 0
	for i := range c.visTrials {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := visKindOf(i)
		var t visTrial
		if k.isGSO() {
			t = r.gsoTrial(ctx, k, gsoUsers[gsoN%len(gsoUsers)])
			gsoN++
		} else {
			t = r.revokeTrial(ctx, k, sessions[next])
			next++
		}
		trials = append(trials, t)
		if (i+1)%250 == 0 && i+1 < c.visTrials {
			s := summarizeVisibility(trials, 0, true)
			fmt.Printf("visibility: %d/%d trials, %d refused on the first request, %d late, %d never, %d errors\n",
				i+1, c.visTrials, s.firstRefused, s.late, s.never, s.errors)
		}
	}
	fmt.Printf("visibility: %d trials in %.1fs\n", len(trials), time.Since(t1).Seconds())
	all := printVisibility(os.Stdout, trials, c.markdown)
	var failed []error
	if all.errors > 0 && float64(all.errors)/float64(all.trials) > c.maxErrRate {
		failed = append(failed, errThreshold)
	}
	if all.late > 0 || all.never > 0 {
		fmt.Fprintf(os.Stderr, "cognate-load: visibility: %d of %d revocations were not refused by B's next request (%d late, %d never within %s)\n",
			all.late+all.never, all.checked(), all.late, all.never, c.visTimeout)
		failed = append(failed, errNotNext)
	}
	return errors.Join(failed...)
}

// errNotNext marks a visibility run in which B accepted a revoked token.
var errNotNext = errors.New("a revocation was not visible on the next request")

func (r *visRun) refreshBody(rt string) []byte {
	return mustJSON(map[string]any{"ClientId": r.clientID, "AuthFlow": "REFRESH_TOKEN_AUTH",
		"AuthParameters": map[string]string{"REFRESH_TOKEN": rt}})
}

// ok200 posts and wants a 200.
func ok200(ctx context.Context, cl *client, op string, body []byte) ([]byte, error) {
	status, data, _, err := cl.post(ctx, op, body)
	if err != nil {
		return nil, err
	}
	if status != 200 {
		return nil, &apiError{op: op, status: status, body: string(data)}
	}
	return data, nil
}

// revokeTrial: refresh on A (a live access token), GetUser on B, RevokeToken
// on A, then the check on B.
func (r *visRun) revokeTrial(ctx context.Context, k visKind, s session) visTrial {
	t := visTrial{kind: k}
	data, err := ok200(ctx, r.a, "InitiateAuth", r.refreshBody(s.refreshToken))
	if err != nil {
		t.err = fmt.Errorf("refresh on A: %w", err)
		return t
	}
	var ar authResult
	if err := json.Unmarshal(data, &ar); err != nil || ar.AuthenticationResult == nil || ar.AuthenticationResult.AccessToken == "" {
		t.err = fmt.Errorf("refresh on A: no access token in %s", truncate(string(data), 160))
		return t
	}
	at := ar.AuthenticationResult.AccessToken
	getUser := mustJSON(map[string]string{"AccessToken": at})
	if _, err := ok200(ctx, r.b, "GetUser", getUser); err != nil {
		t.err = fmt.Errorf("GetUser on B before the revocation: %w", err)
		return t
	}
	if _, err := ok200(ctx, r.a, "RevokeToken", mustJSON(map[string]string{"ClientId": r.clientID, "Token": s.refreshToken})); err != nil {
		t.err = fmt.Errorf("RevokeToken on A: %w", err)
		return t
	}
	revoked := time.Now()
	if k == visRevokeAccess {
		r.check(ctx, &t, revoked, "GetUser", getUser)
	} else {
		r.check(ctx, &t, revoked, "InitiateAuth", r.refreshBody(s.refreshToken))
	}
	return t
}

// gsoTrial: sign-in on A, GetUser on B, GlobalSignOut on A, then the check
// on B.
func (r *visRun) gsoTrial(ctx context.Context, k visKind, user string) visTrial {
	t := visTrial{kind: k}
	s, err := r.m.signIn(ctx, user)
	if err != nil {
		t.err = fmt.Errorf("sign-in on A: %w", err)
		return t
	}
	getUser := mustJSON(map[string]string{"AccessToken": s.accessToken})
	if _, err := ok200(ctx, r.b, "GetUser", getUser); err != nil {
		t.err = fmt.Errorf("GetUser on B before the sign-out: %w", err)
		return t
	}
	if _, err := ok200(ctx, r.a, "GlobalSignOut", getUser); err != nil {
		t.err = fmt.Errorf("GlobalSignOut on A: %w", err)
		return t
	}
	revoked := time.Now()
	if k == visGSOAccess {
		r.check(ctx, &t, revoked, "GetUser", getUser)
	} else {
		r.check(ctx, &t, revoked, "InitiateAuth", r.refreshBody(s.refreshToken))
	}
	return t
}

// check sends op to B until B refuses it, answers something else than 200,
// or the timeout passes.
func (r *visRun) check(ctx context.Context, t *visTrial, revoked time.Time, op string, body []byte) {
	for {
		status, data, _, err := r.b.post(ctx, op, body)
		now := time.Now()
		switch {
		case err != nil:
			t.err = fmt.Errorf("%s on B after the revocation: %w", op, err)
			return
		case isRefusal(status, data):
			t.refused, t.delay = true, now.Sub(revoked)
			return
		case status != 200:
			t.err = fmt.Errorf("%s on B after the revocation: HTTP %d: %s", op, status, truncate(string(data), 160))
			return
		}
		t.stale++
		if now.Sub(revoked) >= r.c.visTimeout {
			return
		}
		time.Sleep(r.pollInterval)
	}
}

func printVisibility(w io.Writer, trials []visTrial, markdown bool) visSummary {
	all := summarizeVisibility(trials, 0, true)
	pct := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	}
	fmt.Fprintf(w, "visibility: refused on B's first request after A's 200: %d of %d checked (%.2f%%); late %d, never within the timeout %d; trials with errors %d\n",
		all.firstRefused, all.checked(), pct(all.firstRefused, all.checked()), all.late, all.never, all.errors)
	fmt.Fprintf(w, "visibility: A's 200 to B's refusal, all refused trials: %s\n", summarizeLatencies(all.delays))
	if all.late > 0 {
		fmt.Fprintf(w, "visibility: A's 200 to B's refusal, late trials only: %s\n", summarizeLatencies(all.lateDelays))
	}
	var kinds []visSummary
	for k := range numVisKinds {
		s := summarizeVisibility(trials, k, false)
		kinds = append(kinds, s)
		fmt.Fprintf(w, "visibility: %-14s (%s): %d/%d on the first request, %d late, %d never, %d errors; delay %s\n", k, k.describe(),
			s.firstRefused, s.checked(), s.late, s.never, s.errors, summarizeLatencies(s.delays))
	}
	shown := 0
	for _, t := range trials {
		if t.err != nil && shown < 5 {
			fmt.Fprintf(w, "visibility: error (%s): %v\n", t.kind, t.err)
			shown++
		}
	}
	if !markdown {
		return all
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| revocation on A → check on B | trials | refused on B's first request | late | never | errors | A's 200 → B's refusal p50 | p99 | max |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	row := func(name string, s visSummary) {
		d := summarizeLatencies(s.delays)
		fmt.Fprintf(w, "| %s | %d | %d (%.2f%%) | %d | %d | %d | %s | %s | %s |\n", name, s.trials, s.firstRefused, pct(s.firstRefused, s.checked()),
			s.late, s.never, s.errors, ms(d.p50), ms(d.p99), ms(d.max))
	}
	for k, s := range kinds {
		row(visKind(k).describe(), s)
	}
	row("all", all)
	return all
}
