package main

// The soak (-op soak) and the mixed-capacity measurement (-op
// mixed-capacity): soakMix's requests, open-loop at a fixed rate for a long
// time with samples of the server's latency, memory and database size, or
// closed-loop at full speed to find the rate the mix can reach.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

var (
	refreshMarks = [][]byte{[]byte(`"AccessToken":"ey`), []byte(`"IdToken":"ey`)}
	signInMarks  = [][]byte{[]byte(`"AccessToken":"ey`), []byte(`"IdToken":"ey`), []byte(`"RefreshToken":"`)}
)

// errShortfall marks a soak that could not send its requests at the rate asked.
var errShortfall = errors.New("the server did not keep up with the target rate")

// recorder collects the current window's outcomes from all workers.
type recorder struct {
	mu  sync.Mutex
	cur *window
}

func newRecorder() *recorder { return &recorder{cur: newWindow()} }

func (r *recorder) record(op soakOp, out outcome, lat time.Duration, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := &r.cur.ops[op]
	switch out {
	case outOK:
		o.ok++
		o.lat = append(o.lat, lat)
	case outRefused:
		o.refused++
	case outError:
		o.errors++
		r.cur.errSamples[op.String()+": "+msg]++
	case outCut:
		r.cur.cut++
	}
}

func (r *recorder) lag(d time.Duration) {
	r.mu.Lock()
	r.cur.lag = append(r.cur.lag, d)
	r.mu.Unlock()
}

func (r *recorder) paced(sent, missed int) {
	r.mu.Lock()
	r.cur.scheduled += sent + missed
	r.cur.missed += missed
	r.mu.Unlock()
}

func (r *recorder) skip() {
	r.mu.Lock()
	r.cur.skipped++
	r.mu.Unlock()
}

func (r *recorder) fallback() {
	r.mu.Lock()
	r.cur.fallbacks++
	r.mu.Unlock()
}

// swap returns the current window and starts a new one.
func (r *recorder) swap() *window {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.cur
	r.cur = newWindow()
	return w
}

// soakRun drives the mix against one pool.
type soakRun struct {
	c        config
	cl       *client
	clientID string
	pool     *tokenPool
	mix      mix
	rec      *recorder
	// signIns bounds the sign-ins in flight (-signin-concurrency). The
	// server counts a sign-in against its client address's limit (20
	// failures per 5 minutes) from the moment it is claimed until the
	// password proves right, so more than 20 concurrent sign-ins from one
	// address are refused even with right passwords; and a sign-in refused
	// by the busy hash gate stays counted. The bound keeps the soak clear of
	// both: sign-ins wait here, not at the server.
	signIns chan struct{}
}

func newSoakRun(c config, cl *client, clientID string, pool *tokenPool, m mix) *soakRun {
	return &soakRun{c: c, cl: cl, clientID: clientID, pool: pool, mix: m, signIns: make(chan struct{}, max(1, c.signinConc))}
}

func (s *soakRun) post(ctx context.Context, target string, body []byte, buf *bytes.Buffer) (int, time.Duration, error) {
	req, err := s.cl.newRequest(ctx, target, body)
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	resp, err := s.cl.http.Do(req)
	if err != nil {
		return 0, time.Since(t0), err
	}
	buf.Reset()
	_, err = io.Copy(buf, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(t0), err
}

func (s *soakRun) done(ctx context.Context, op soakOp, out outcome, lat time.Duration, msg string, err error) {
	if err != nil && ctx.Err() != nil {
		out = outCut // interrupted
	}
	s.rec.record(op, out, lat, msg)
}

// exec sends one request of kind op. An op with nothing to act on (no live
// session, or every user busy) becomes a sign-in, which refills the pool.
func (s *soakRun) exec(ctx context.Context, op soakOp, buf *bytes.Buffer) {
	switch op {
	case opGetUser, opRefresh:
		sess := s.pool.pick()
		if sess == nil {
			s.rec.fallback()
			s.signIn(ctx, buf)
			return
		}
		if op == opRefresh || time.Since(sess.tok.Load().issued) > refreshAfter {
			s.refresh(ctx, sess, buf)
		} else {
			s.getUser(ctx, sess, buf)
		}
	case opRevoke:
		s.revoke(ctx, buf)
	case opSignOut:
		s.signOut(ctx, buf)
	default:
		s.signIn(ctx, buf)
	}
}

func (s *soakRun) getUser(ctx context.Context, sess *soakSession, buf *bytes.Buffer) {
	tok := sess.tok.Load()
	atSend := sess.state.Load()
	status, lat, err := s.post(ctx, "GetUser", tok.body, buf)
	out, msg := classify(status, buf.Bytes(), err, atSend, sess.state.Load(), [][]byte{sess.user.mark})
	s.done(ctx, opGetUser, out, lat, msg, err)
}

func (s *soakRun) refresh(ctx context.Context, sess *soakSession, buf *bytes.Buffer) {
	atSend := sess.state.Load()
	status, lat, err := s.post(ctx, "InitiateAuth", sess.refreshBody, buf)
	out, msg := classify(status, buf.Bytes(), err, atSend, sess.state.Load(), refreshMarks)
	if out == outOK {
		var r authResult
		if e := json.Unmarshal(buf.Bytes(), &r); e != nil || r.AuthenticationResult == nil || r.AuthenticationResult.AccessToken == "" {
			out, msg = outError, "no access token in the 200 answer: "+truncate(buf.String(), 120)
		} else {
			sess.setAccess(r.AuthenticationResult.AccessToken, time.Now()) // the app uses the new one
		}
	}
	s.done(ctx, opRefresh, out, lat, msg, err)
}

// signIn signs a user in. Its latency includes the wait for a sign-in slot.
func (s *soakRun) signIn(ctx context.Context, buf *bytes.Buffer) {
	t0 := time.Now()
	select {
	case s.signIns <- struct{}{}:
	case <-ctx.Done():
		s.rec.record(opSignIn, outCut, 0, "")
		return
	}
	defer func() { <-s.signIns }()
	wait := time.Since(t0)
	u := s.pool.beginSignIn()
	if u == nil {
		s.rec.skip()
		return
	}
	var sess *soakSession
	defer func() { s.pool.endSignIn(u, sess) }()
	status, lat, err := s.post(ctx, "InitiateAuth", u.signInBody, buf)
	lat += wait
	out, msg := classify(status, buf.Bytes(), err, tokAlive, tokAlive, signInMarks)
	if out == outOK {
		var r authResult
		if e := json.Unmarshal(buf.Bytes(), &r); e != nil || r.AuthenticationResult == nil ||
			r.AuthenticationResult.AccessToken == "" || r.AuthenticationResult.RefreshToken == "" {
			out, msg = outError, "no tokens in the 200 answer: "+truncate(buf.String(), 120)
		} else {
			sess = newSoakSession(u, s.clientID, r.AuthenticationResult.AccessToken, r.AuthenticationResult.RefreshToken, time.Now())
		}
	}
	s.done(ctx, opSignIn, out, lat, msg, err)
}

func (s *soakRun) revoke(ctx context.Context, buf *bytes.Buffer) {
	sess := s.pool.doomOne()
	if sess == nil {
		s.rec.fallback()
		s.signIn(ctx, buf)
		return
	}
	status, lat, err := s.post(ctx, "RevokeToken", sess.revokeBody, buf)
	out, msg := classify(status, buf.Bytes(), err, tokAlive, tokAlive, nil)
	if out == outOK {
		sess.state.Store(tokDead)
	}
	s.done(ctx, opRevoke, out, lat, msg, err)
}

func (s *soakRun) signOut(ctx context.Context, buf *bytes.Buffer) {
	sess, doomed := s.pool.beginSignOut()
	if sess == nil {
		s.rec.fallback()
		s.signIn(ctx, buf)
		return
	}
	defer s.pool.endSignOut(sess.user)
	// No one else ends sess: a refusal is an error.
	status, lat, err := s.post(ctx, "GlobalSignOut", sess.tok.Load().body, buf)
	out, msg := classify(status, buf.Bytes(), err, tokAlive, tokAlive, nil)
	if out == outOK {
		for _, d := range doomed {
			d.state.Store(tokDead)
		}
	}
	s.done(ctx, opSignOut, out, lat, msg, err)
}

// closedLoop runs the mix at full speed from c.concurrency workers for d:
// each worker sends its next request when the last one is answered. No new
// request starts after d; those in flight are waited for (cancelling them
// would leave the generator unsure of what the server did).
func (s *soakRun) closedLoop(ctx context.Context, d time.Duration) sample {
	s.rec = newRecorder()
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for range s.c.concurrency {
		wg.Go(func() {
			var buf bytes.Buffer
			for ctx.Err() == nil && time.Now().Before(end) {
				s.exec(ctx, s.mix.pick(rand.Float64()), &buf)
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	return summarize(s.rec.swap(), el, el)
}

// pace hands a request due time to jobs at p's rate from start until d has
// passed. A request that comes due while every worker is busy and the queue
// (one per worker) is full is never sent: it is counted as missed, the
// shortfall. So the rate offered never falls below the target unnoticed,
// and a late server does not slow the generator down.
func pace(ctx context.Context, start time.Time, d time.Duration, p pacer, jobs chan<- time.Time, rec *recorder) {
	total := p.dueBy(d - 1) // due before d
	var issued int64
	t := time.NewTimer(0)
	defer t.Stop()
	for issued < total {
		n := min(p.dueBy(time.Since(start)), total)
		sent, missed := 0, 0
		for ; issued < n; issued++ {
			select {
			case jobs <- start.Add(p.dueAt(issued)):
				sent++
			default:
				missed++
			}
		}
		rec.paced(sent, missed)
		if issued >= total {
			return
		}
		t.Reset(max(p.dueAt(issued)-time.Since(start), 0))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// openLoop runs the soak: the mix at rate requests/s for d, sampled every
// c.sample.
func (s *soakRun) openLoop(ctx context.Context, d time.Duration, rate float64) (samples []sample, total sample) {
	s.rec = newRecorder()
	jobs := make(chan time.Time, s.c.concurrency)
	start := time.Now()
	var wg sync.WaitGroup
	for range s.c.concurrency {
		wg.Go(func() {
			var buf bytes.Buffer
			for due := range jobs {
				if ctx.Err() != nil {
					continue
				}
				s.rec.lag(time.Since(due))
				s.exec(ctx, s.mix.pick(rand.Float64()), &buf)
			}
		})
	}
	all := newWindow()
	last := start
	take := func(now time.Time) {
		w := s.rec.swap()
		all.merge(w)
		smp := summarize(w, now.Sub(start), now.Sub(last))
		last = now
		smp.rateTarget = rate
		smp.rss, smp.serverGone = readRSS(s.c.serverPID)
		smp.db = dbSize(s.c.dataDir)
		samples = append(samples, smp)
		printSampleLine(os.Stdout, smp, s.pool.size())
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(s.c.sample)
		defer tick.Stop()
		for {
			select {
			case now := <-tick.C:
				take(now)
			case <-stop:
				if now := time.Now(); now.Sub(last) >= 100*time.Millisecond || len(samples) == 0 {
					take(now)
				} else {
					all.merge(s.rec.swap()) // a sliver: into the totals only
				}
				return
			}
		}
	}()
	pace(ctx, start, d, pacer{rate}, jobs, s.rec)
	close(jobs)
	wg.Wait()
	close(stop)
	<-stopped
	el := time.Since(start)
	total = summarize(all, el, el)
	total.rateTarget = rate
	for _, smp := range samples {
		total.serverGone = total.serverGone || smp.serverGone
	}
	if len(samples) > 0 {
		total.rss, total.db = samples[len(samples)-1].rss, samples[len(samples)-1].db
	}
	return samples, total
}

// printSampleLine prints one sampling interval.
func printSampleLine(w io.Writer, s sample, poolSize int) {
	var b strings.Builder
	fmt.Fprintf(&b, "[%7.1fs] %6.1f req/s", s.at.Seconds(), s.rateGot)
	if s.rateTarget > 0 {
		fmt.Fprintf(&b, " (target %.1f, missed %d, start lag p99 %s)", s.rateTarget, s.missed, ms(s.lagP99))
	}
	fmt.Fprintf(&b, " errors %d, expected refusals %d, p50 %s p99 %s |", s.all.errors, s.all.refused, ms(s.all.p50), ms(s.all.p99))
	for op := range numSoakOps {
		o := s.ops[op]
		fmt.Fprintf(&b, " %s %d/%de %s/%s", op, o.requests, o.errors, ms(o.p50), ms(o.p99))
	}
	fmt.Fprintf(&b, " | pool %d sessions, %d sign-ins for want of one | RSS %s MiB, DB %s MiB", poolSize, s.fallbacks, mib(s.rss), mib(s.db))
	if s.serverGone {
		b.WriteString(" | SERVER GONE")
	}
	fmt.Fprintln(w, b.String())
	printErrSamples(w, "  ", s.errSamples, 3)
}

func printErrSamples(w io.Writer, indent string, samples map[string]int, n int) {
	keys := make([]string, 0, len(samples))
	for k := range samples {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return samples[keys[i]] > samples[keys[j]] })
	for i, k := range keys {
		if i == n {
			fmt.Fprintf(w, "%s... %d more kinds of error\n", indent, len(keys)-n)
			break
		}
		fmt.Fprintf(w, "%s%6d × %s\n", indent, samples[k], k)
	}
}

// printOpTable prints one row per operation of a run.
func printOpTable(w io.Writer, t sample) {
	fmt.Fprintln(w, "| op | requests | share | errors | expected refusals | p50 | p99 | max |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for op := range numSoakOps {
		o := t.ops[op]
		share := 0.0
		if t.all.requests > 0 {
			share = 100 * float64(o.requests) / float64(t.all.requests)
		}
		fmt.Fprintf(w, "| %s | %d | %.1f%% | %d | %d | %s | %s | %s |\n", op, o.requests, share, o.errors, o.refused,
			ms(o.p50), ms(o.p99), ms(o.max))
	}
	fmt.Fprintf(w, "| all | %d | 100%% | %d | %d | %s | %s | %s |\n", t.all.requests, t.all.errors, t.all.refused,
		ms(t.all.p50), ms(t.all.p99), ms(t.all.max))
}

// printSoakMarkdown prints the samples and the totals.
func printSoakMarkdown(w io.Writer, samples []sample, t sample) {
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Soak: target %.1f req/s for %s, sampled every %s.\n\n", t.rateTarget, t.length.Round(time.Second),
		sampleEvery(samples))
	fmt.Fprintln(w, "| time | req/s | errors | missed | p50 | p99 | RSS MiB | DB MiB |")
	fmt.Fprintln(w, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	var maxRSS int64 = -1
	for _, s := range samples {
		maxRSS = max(maxRSS, s.rss)
		fmt.Fprintf(w, "| %s | %.1f | %d | %d | %s | %s | %s | %s |\n", s.at.Round(100*time.Millisecond), s.rateGot,
			s.all.errors, s.missed, ms(s.all.p50), ms(s.all.p99), mib(s.rss), mib(s.db))
	}
	fmt.Fprintf(w, "| **total** | **%.1f** | **%d / %d** | **%d / %d** | **%s** | **%s** | max %s | last %s |\n",
		t.rateGot, t.all.errors, t.all.requests, t.missed, t.scheduled, ms(t.all.p50), ms(t.all.p99), mib(maxRSS), mib(t.db))
	fmt.Fprintln(w)
	printOpTable(w, t)
	fmt.Fprintln(w)
	if len(samples) > 0 {
		first, last := samples[0], samples[len(samples)-1]
		fmt.Fprintf(w, "Server RSS %s MiB after the first interval, %s MiB at the end, %s MiB at most; database %s MiB → %s MiB.\n",
			mib(first.rss), mib(last.rss), mib(maxRSS), mib(first.db), mib(last.db))
	}
	fmt.Fprintf(w, "Requests due %d, sent %d, missed %d (%.2f%%); expected refusals %d (tokens the soak itself had ended); "+
		"sent as a sign-in for want of a live token %d; not sent for want of an idle user %d.\n",
		t.scheduled, t.scheduled-t.missed, t.missed, 100*fraction(t.missed, t.scheduled), t.all.refused, t.fallbacks, t.skipped)
}

func sampleEvery(samples []sample) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	return samples[0].length.Round(time.Second)
}

func fraction(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// printCapacity reports a closed-loop run.
func printCapacity(w io.Writer, what string, s sample, workers int) {
	fmt.Fprintf(w, "%s: %d requests in %.1fs from %d workers at full speed: %.1f req/s; errors %d (%.3f%%), expected refusals %d, p50 %s p99 %s; sent as a sign-in for want of a live token %d\n",
		what, s.all.requests, s.length.Seconds(), workers, s.rateGot, s.all.errors, 100*fraction(s.all.errors, s.all.requests),
		s.all.refused, ms(s.all.p50), ms(s.all.p99), s.fallbacks)
	printErrSamples(w, "  ", s.errSamples, 5)
}

// runSoak is -op soak and -op mixed-capacity.
func runSoak(c config) error {
	if c.sample <= 0 || c.calibrate <= 0 || c.calibrateFraction <= 0 || c.calibrateFraction > 1 || c.rate < 0 || c.signinConc <= 0 {
		return errors.New("-sample, -calibrate and -signin-concurrency must be positive, -calibrate-fraction in (0, 1], -rate at least 0")
	}
	m, err := newMix(soakMix)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Printf("cognate-load: endpoint %s, op %s, duration %s, rate %s, concurrency %d (sign-ins %d), users %d, GOMAXPROCS %d, NumCPU %d, %s\n",
		c.endpoints[0], c.op, c.duration, rateString(c), c.concurrency, c.signinConc, c.users, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())
	fmt.Printf("mix: %s\n", m)

	cl := newClient(c.endpoints[0], c.concurrency)
	sc := c
	sc.signins, sc.revokeToks, sc.gsoUsers = 1, 0, 0 // one session per user: where the mix keeps the pool
	t0 := time.Now()
	fx, err := setup(ctx, cl, sc)
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
	users := make([]*soakUser, len(fx.usernames))
	for i, name := range fx.usernames {
		users[i] = newSoakUser(name, fx.clientID)
	}
	pool := newTokenPool(users)
	now := time.Now()
	for i, ss := range fx.sessions {
		pool.add(newSoakSession(users[i%len(users)], fx.clientID, ss.accessToken, ss.refreshToken, now))
	}
	fmt.Printf("setup: pool %s, client %s, %d users, %d sessions (%.1fs)\n", fx.poolID, fx.clientID, len(users), pool.size(),
		time.Since(t0).Seconds())
	s := newSoakRun(c, cl, fx.clientID, pool, m)

	if c.op == "mixed-capacity" {
		r := s.closedLoop(ctx, c.duration)
		if err := ctx.Err(); err != nil {
			return err
		}
		printCapacity(os.Stdout, "mixed-capacity", r, c.concurrency)
		fmt.Println()
		printOpTable(os.Stdout, r)
		if r.errorRate() > c.maxErrRate {
			fmt.Fprintf(os.Stderr, "cognate-load: mixed-capacity: %d errors in %d requests (%.3f%% > %.3f%%)\n",
				r.all.errors, r.all.requests, 100*r.errorRate(), 100*c.maxErrRate)
			return errThreshold
		}
		return nil
	}

	rate := c.rate
	calibErrors := 0
	if rate == 0 {
		r := s.closedLoop(ctx, c.calibrate)
		if err := ctx.Err(); err != nil {
			return err
		}
		printCapacity(os.Stdout, "calibration (mixed-capacity)", r, c.concurrency)
		if r.rateGot <= 0 || r.all.errors == r.all.requests {
			return errors.New("calibration: no successful requests")
		}
		calibErrors = r.all.errors
		rate = c.calibrateFraction * r.rateGot
		fmt.Printf("calibration: soak rate %.0f%% of %.1f req/s = %.1f req/s\n", 100*c.calibrateFraction, r.rateGot, rate)
	}
	fmt.Printf("soak: %.1f req/s for %s from at most %d workers, sampled every %s; pool %d sessions\n",
		rate, c.duration, c.concurrency, c.sample, pool.size())
	samples, total := s.openLoop(ctx, c.duration, rate)
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.markdown {
		printSoakMarkdown(os.Stdout, samples, total)
	}
	if len(total.errSamples) > 0 {
		fmt.Println("errors:")
		printErrSamples(os.Stdout, "  ", total.errSamples, 10)
	}
	var failed []error
	if calibErrors > 0 {
		fmt.Fprintf(os.Stderr, "cognate-load: note: the calibration (at full speed) had %d errors; they are not counted in the soak's\n", calibErrors)
	}
	if total.serverGone {
		fmt.Fprintln(os.Stderr, "cognate-load: the server process went away during the soak")
		failed = append(failed, errors.New("server process gone"))
	}
	if total.errorRate() > c.maxErrRate {
		fmt.Fprintf(os.Stderr, "cognate-load: soak: %d errors in %d requests (%.3f%% > %.3f%%)\n",
			total.all.errors, total.all.requests, 100*total.errorRate(), 100*c.maxErrRate)
		failed = append(failed, errThreshold)
	}
	if f := fraction(total.missed, total.scheduled); f > c.maxShortfall {
		fmt.Fprintf(os.Stderr, "cognate-load: soak: %d of %d requests due could not be sent (%.2f%% > %.2f%%): the server did not keep up with %.1f req/s\n",
			total.missed, total.scheduled, 100*f, 100*c.maxShortfall, rate)
		failed = append(failed, errShortfall)
	}
	return errors.Join(failed...)
}

func rateString(c config) string {
	switch {
	case c.op == "mixed-capacity":
		return "full speed"
	case c.rate == 0:
		return fmt.Sprintf("%.0f%% of a %s calibration", 100*c.calibrateFraction, c.calibrate)
	}
	return fmt.Sprintf("%.1f req/s", c.rate)
}
