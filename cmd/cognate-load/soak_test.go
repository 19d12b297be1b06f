package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPacerArithmetic(t *testing.T) {
	for _, rate := range []float64{0.5, 1, 3, 7.3, 300, 333.3, 1234.5, 10000} {
		p := pacer{rate}
		if p.dueAt(0) != 0 || p.dueBy(0) != 1 || p.dueBy(-1) != 0 {
			t.Fatalf("rate %v: request 0 is due at the start: dueAt(0) %v dueBy(0) %d dueBy(-1) %d", rate, p.dueAt(0), p.dueBy(0), p.dueBy(-1))
		}
		for _, e := range []time.Duration{1, time.Microsecond, 3 * time.Millisecond, time.Second, 7*time.Second + 123456789, 10 * time.Minute} {
			n := p.dueBy(e)
			if p.dueAt(n-1) > e || p.dueAt(n) <= e {
				t.Fatalf("rate %v elapsed %v: dueBy %d, but dueAt(n-1) %v dueAt(n) %v", rate, e, n, p.dueAt(n-1), p.dueAt(n))
			}
		}
		// The gap between requests is 1/rate.
		if gap := p.dueAt(1001) - p.dueAt(1000); math.Abs(gap.Seconds()-1/rate) > 1e-9 {
			t.Fatalf("rate %v: gap %v", rate, gap)
		}
	}
	// A run of d sends rate×d requests: those due before d.
	for _, tc := range []struct {
		rate float64
		d    time.Duration
		want int64
	}{{300, 10 * time.Minute, 180000}, {333.3, time.Minute, 19998}, {1, 10 * time.Second, 10}, {0.5, 3 * time.Second, 2}, {1000, 200 * time.Millisecond, 200}} {
		if got := (pacer{tc.rate}).dueBy(tc.d - 1); got != tc.want {
			t.Errorf("rate %v for %v: %d requests due, want %d", tc.rate, tc.d, got, tc.want)
		}
	}
}

// TestPaceCountsMissed: requests due while the queue is full are counted as
// missed, not sent later, and pacing does not slow down for them.
func TestPaceCountsMissed(t *testing.T) {
	rec := newRecorder()
	jobs := make(chan time.Time, 5) // nobody reads: every worker "busy"
	start := time.Now()
	pace(context.Background(), start, 200*time.Millisecond, pacer{1000}, jobs, rec)
	if el := time.Since(start); el < 195*time.Millisecond || el > 2*time.Second {
		t.Fatalf("pace took %v for a 200ms run", el)
	}
	w := rec.swap()
	if w.scheduled != 200 || w.missed != 195 || len(jobs) != 5 {
		t.Fatalf("scheduled %d missed %d queued %d, want 200, 195, 5", w.scheduled, w.missed, len(jobs))
	}
	// The queued ones carry their due times, 1 ms apart from the start.
	for i := range 5 {
		if due := <-jobs; due.Sub(start) != time.Duration(i)*time.Millisecond {
			t.Fatalf("job %d due at %v", i, due.Sub(start))
		}
	}

	// With a reader that keeps up, nothing is missed.
	rec = newRecorder()
	jobs = make(chan time.Time, 1000)
	var got int
	done := make(chan struct{})
	go func() {
		for range jobs {
			got++
		}
		close(done)
	}()
	pace(context.Background(), time.Now(), 200*time.Millisecond, pacer{1000}, jobs, rec)
	close(jobs)
	<-done
	if w := rec.swap(); w.scheduled != 200 || w.missed != 0 || got != 200 {
		t.Fatalf("scheduled %d missed %d received %d, want 200, 0, 200", w.scheduled, w.missed, got)
	}
}

func TestMixDistribution(t *testing.T) {
	m, err := newMix(soakMix)
	if err != nil {
		t.Fatal(err)
	}
	var want [numSoakOps]float64
	var sum float64
	for _, e := range soakMix {
		want[e.op] += e.weight
		sum += e.weight
	}
	if sum != 100 {
		t.Fatalf("soakMix adds up to %v %%", sum)
	}
	r := rand.New(rand.NewPCG(1, 2))
	const n = 1_000_000
	var got [numSoakOps]int
	for range n {
		got[m.pick(r.Float64())]++
	}
	for op := range numSoakOps {
		share := 100 * float64(got[op]) / n
		// 4.5 standard deviations of a binomial share at n = 1e6 is under 0.25 points.
		if math.Abs(share-want[op]) > 0.25 {
			t.Errorf("%s: %.3f%% of picks, want %.0f%%", op, share, want[op])
		}
	}
	// Boundaries: [0, 0.6) GetUser, [0.6, 0.81) refresh, [0.81, 0.91) sign-in, [0.91, 0.98) RevokeToken, [0.98, 1) GlobalSignOut.
	for u, op := range map[float64]soakOp{0: opGetUser, 0.5999: opGetUser, 0.6: opRefresh, 0.8099: opRefresh, 0.8101: opSignIn,
		0.9099: opSignIn, 0.9101: opRevoke, 0.9799: opRevoke, 0.9801: opSignOut, math.Nextafter(1, 0): opSignOut} {
		if got := m.pick(u); got != op {
			t.Errorf("pick(%v) = %s, want %s", u, got, op)
		}
	}
	if s := m.String(); s != "GetUser 60%, refresh 21%, sign-in 10%, RevokeToken 7%, GlobalSignOut 2%" {
		t.Errorf("mix %q", s)
	}
	// Zero weights are never picked; bad mixes are refused.
	m2, err := newMix([]mixEntry{{opGetUser, 0}, {opRefresh, 1}, {opRevoke, 0}})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []float64{0, 0.5, math.Nextafter(1, 0)} {
		if m2.pick(u) != opRefresh {
			t.Fatalf("pick(%v) = %s", u, m2.pick(u))
		}
	}
	for _, bad := range [][]mixEntry{nil, {{opGetUser, 0}}, {{opGetUser, -1}, {opRefresh, 2}}} {
		if _, err := newMix(bad); err == nil {
			t.Errorf("newMix(%v) accepted", bad)
		}
	}
}

func ds(msec ...int) []time.Duration {
	var out []time.Duration
	for _, m := range msec {
		out = append(out, time.Duration(m)*time.Millisecond)
	}
	return out
}

func TestNearestRank(t *testing.T) {
	var hundred []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose: summarize sorts
		hundred = append(hundred, time.Duration(i)*time.Millisecond)
	}
	s := summarizeOp(100, 0, 0, hundred)
	if s.p50 != 50*time.Millisecond || s.p99 != 99*time.Millisecond || s.max != 100*time.Millisecond {
		t.Fatalf("1..100 ms: p50 %v p99 %v max %v", s.p50, s.p99, s.max)
	}
	for _, tc := range []struct {
		in     []time.Duration
		p      float64
		expect time.Duration
	}{
		{nil, 50, 0},
		{ds(7), 50, 7 * time.Millisecond},
		{ds(7), 99, 7 * time.Millisecond},
		{ds(1, 2), 50, 1 * time.Millisecond},
		{ds(1, 2), 99, 2 * time.Millisecond},
		{ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 50, 5 * time.Millisecond},
		{ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 100, 10 * time.Millisecond},
	} {
		if got := nearestRank(tc.in, tc.p); got != tc.expect {
			t.Errorf("nearestRank(%v, %v) = %v, want %v", tc.in, tc.p, got, tc.expect)
		}
	}
}

func TestSummarizeWindow(t *testing.T) {
	w := newWindow()
	w.ops[opGetUser] = opWindow{ok: 4, refused: 1, lat: ds(4, 1, 3, 2)}
	w.ops[opSignIn] = opWindow{ok: 1, errors: 2, lat: ds(100)}
	w.ops[opRevoke] = opWindow{ok: 2, lat: ds(10, 20)}
	w.scheduled, w.missed, w.skipped = 12, 2, 1
	w.lag = ds(0, 5, 1)
	w.errSamples["sign-in: HTTP 400"] = 2
	s := summarize(w, 20*time.Second, 2*time.Second)
	if s.ops[opGetUser] != (opSummary{requests: 5, refused: 1, p50: 2 * time.Millisecond, p99: 4 * time.Millisecond, max: 4 * time.Millisecond}) {
		t.Errorf("GetUser %+v", s.ops[opGetUser])
	}
	if o := s.ops[opSignIn]; o.requests != 3 || o.errors != 2 || o.p99 != 100*time.Millisecond {
		t.Errorf("sign-in %+v", o)
	}
	if o := s.ops[opRefresh]; o != (opSummary{}) {
		t.Errorf("refresh %+v", o)
	}
	// All ops: 10 requests, latencies 1,2,3,4,10,20,100 ms.
	if s.all.requests != 10 || s.all.errors != 2 || s.all.refused != 1 || s.all.p50 != 4*time.Millisecond ||
		s.all.p99 != 100*time.Millisecond || s.all.max != 100*time.Millisecond {
		t.Errorf("all %+v", s.all)
	}
	if s.rateGot != 5 || s.errorRate() != 0.2 || s.scheduled != 12 || s.missed != 2 || s.skipped != 1 || s.lagP99 != 5*time.Millisecond {
		t.Errorf("rate %v errorRate %v scheduled %d missed %d skipped %d lag p99 %v", s.rateGot, s.errorRate(), s.scheduled, s.missed, s.skipped, s.lagP99)
	}
	if s.at != 20*time.Second || s.length != 2*time.Second || s.rss != -1 || s.db != -1 {
		t.Errorf("at %v length %v rss %d db %d", s.at, s.length, s.rss, s.db)
	}
	// merge adds up.
	tot := newWindow()
	tot.merge(w)
	tot.merge(w)
	if st := summarize(tot, 0, time.Second); st.all.requests != 20 || st.all.errors != 4 || st.missed != 4 || tot.errSamples["sign-in: HTTP 400"] != 4 ||
		len(tot.ops[opGetUser].lat) != 8 {
		t.Errorf("merged: %+v", st.all)
	}
	if (sample{}).errorRate() != 1 {
		t.Error("an empty run must not pass")
	}
}

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tcognate\nState:\tS (sleeping)\nVmPeak:\t 1300000 kB\nVmRSS:\t   51234 kB\nRssAnon:\t   40000 kB\n"
	if v, ok := parseVmRSS(status); !ok || v != 51234*1024 {
		t.Fatalf("got %d %v", v, ok)
	}
	for _, bad := range []string{"", "Name:\tx\n", "VmRSS:\t12 MB\n", "VmRSS:\tx kB\n"} {
		if _, ok := parseVmRSS(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	// This process: a real /proc file.
	if _, err := os.Stat("/proc/self/status"); err == nil {
		if v, gone := readRSS(os.Getpid()); v <= 0 || gone {
			t.Errorf("own RSS %d gone %v", v, gone)
		}
	}
	if v, gone := readRSS(0); v != -1 || gone {
		t.Errorf("pid 0: %d %v", v, gone)
	}
}

func TestDBSize(t *testing.T) {
	dir := t.TempDir()
	if dbSize(dir) != -1 || dbSize("") != -1 {
		t.Fatal("no database must read as unknown")
	}
	write := func(name string, n int) {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, n), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("cognate.db", 4096)
	if got := dbSize(dir); got != 4096 {
		t.Fatalf("db only: %d", got)
	}
	write("cognate.db-wal", 1000)
	write("cognate.db-shm", 32768)
	write("other.db", 1<<20) // not counted
	if got := dbSize(dir); got != 4096+1000+32768 {
		t.Fatalf("db, wal, shm: %d", got)
	}
	if mib(1<<20) != "1.0" || mib(-1) != "n/a" {
		t.Fatal("mib")
	}
}

func TestClassify(t *testing.T) {
	refused := []byte(`{"__type":"NotAuthorizedException","message":"Access Token has been revoked"}`)
	mark := [][]byte{[]byte(`"Username":"u1"`)}
	for _, tc := range []struct {
		name         string
		status       int
		body         []byte
		err          error
		atSend, now  int32
		want         outcome
		wantInSample string
	}{
		{"ok", 200, []byte(`{"Username":"u1"}`), nil, tokAlive, tokAlive, outOK, ""},
		{"ok while being revoked", 200, []byte(`{"Username":"u1"}`), nil, tokDoomed, tokDead, outOK, ""},
		{"wrong user", 200, []byte(`{"Username":"u2"}`), nil, tokAlive, tokAlive, outError, "unexpected 200 body"},
		{"accepted after confirmed end", 200, []byte(`{"Username":"u1"}`), nil, tokDead, tokDead, outError, "accepted after"},
		{"refused, soak ended it", 400, refused, nil, tokAlive, tokDoomed, outRefused, ""},
		{"refused, dead", 400, refused, nil, tokDead, tokDead, outRefused, ""},
		{"refused, dropped", 400, refused, nil, tokDropped, tokDropped, outRefused, ""},
		{"refused, alive", 400, refused, nil, tokAlive, tokAlive, outError, "HTTP 400"},
		{"other 400 while doomed", 400, []byte(`{"__type":"TooManyRequestsException"}`), nil, tokDoomed, tokDoomed, outError, "TooManyRequests"},
		{"500 while doomed", 500, refused, nil, tokDoomed, tokDoomed, outError, "HTTP 500"},
		{"transport", 0, nil, errors.New("connection reset"), tokDoomed, tokDoomed, outError, "transport: connection reset"},
	} {
		out, msg := classify(tc.status, tc.body, tc.err, tc.atSend, tc.now, mark)
		if out != tc.want || !strings.Contains(msg, tc.wantInSample) {
			t.Errorf("%s: got %v %q, want %v with %q", tc.name, out, msg, tc.want, tc.wantInSample)
		}
	}
}

// checkPool verifies the pool's bookkeeping.
func checkPool(t *testing.T, p *tokenPool) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	inLive := map[*soakSession]bool{}
	for i, s := range p.live {
		if s.live != i || s.state.Load() != tokAlive || s.slot < 0 || s.user.slots[s.slot] != s || inLive[s] {
			t.Fatalf("live[%d]: live %d slot %d state %d", i, s.live, s.slot, s.state.Load())
		}
		inLive[s] = true
	}
	n := 0
	for _, u := range p.users {
		if u.busy {
			t.Fatalf("%s busy with nothing in flight", u.name)
		}
		for _, s := range u.slots {
			if s != nil {
				n++
				if !inLive[s] {
					t.Fatalf("%s holds a session not in live", u.name)
				}
			}
		}
	}
	if n != len(p.live) {
		t.Fatalf("%d sessions in slots, %d live", n, len(p.live))
	}
	for _, u := range p.rejoin {
		if !u.queued {
			t.Fatalf("%s in rejoin but not marked", u.name)
		}
	}
}

func newTestPool(users, perUser int) *tokenPool {
	var us []*soakUser
	for i := range users {
		us = append(us, newSoakUser(fmt.Sprintf("u%d", i), "c"))
	}
	p := newTokenPool(us)
	now := time.Now()
	for i := range users * perUser {
		p.add(newSoakSession(us[i%users], "c", "ey-a", fmt.Sprintf("r%d", i), now.Add(time.Duration(i))))
	}
	return p
}

func TestTokenPool(t *testing.T) {
	p := newTestPool(3, 2)
	checkPool(t, p)
	if p.size() != 6 {
		t.Fatalf("size %d", p.size())
	}
	// Full slots: a sign-in drops the user's oldest session.
	u := p.beginSignIn()
	if u == nil || p.size() != 5 {
		t.Fatalf("sign-in on a full pool: user %v, size %d", u, p.size())
	}
	var dropped int
	for _, s := range u.slots {
		if s == nil {
			dropped++
		}
	}
	if dropped != 1 {
		t.Fatalf("%d slots freed", dropped)
	}
	p.endSignIn(u, newSoakSession(u, "c", "ey-b", "r-new", time.Now()))
	checkPool(t, p)

	// GlobalSignOut takes all the user's sessions; the user signs in first afterwards.
	s, doomed := p.beginSignOut()
	if s == nil || len(doomed) != 2 || !s.user.busy {
		t.Fatalf("sign-out: %v %d", s, len(doomed))
	}
	for _, d := range doomed {
		if d.state.Load() != tokDoomed || d.user != s.user {
			t.Fatal("doomed session not marked or of another user")
		}
	}
	if s.user.queued {
		t.Fatal("queued while busy")
	}
	// While it signs out, it is not picked to sign in.
	for range 3 {
		if x := p.beginSignIn(); x == s.user {
			t.Fatal("sign-in of a user being signed out")
		} else if x != nil {
			p.endSignIn(x, nil)
		}
	}
	p.endSignOut(s.user)
	if !s.user.queued {
		t.Fatal("signed-out user not queued to sign in again")
	}
	if x := p.beginSignIn(); x != s.user {
		t.Fatalf("sign-in picked %v, want the signed-out user first", x)
	} else {
		p.endSignIn(x, newSoakSession(x, "c", "ey-c", "r-c", time.Now()))
	}
	checkPool(t, p)

	// Revoking everything empties the pool; then every op falls back to sign-in.
	for p.size() > 0 {
		if d := p.doomOne(); d == nil || d.state.Load() != tokDoomed {
			t.Fatal("doomOne")
		}
	}
	if p.pick() != nil || p.doomOne() != nil {
		t.Fatal("empty pool gave a session")
	}
	if s, _ := p.beginSignOut(); s != nil {
		t.Fatal("sign-out from an empty pool")
	}
	checkPool(t, p)
	if len(p.rejoin) != 3 {
		t.Fatalf("%d users queued to sign in again", len(p.rejoin))
	}
}

// TestTokenPoolRandom runs random operations concurrently and checks the
// bookkeeping afterwards, and that the mix keeps the pool from draining.
func TestTokenPoolRandom(t *testing.T) {
	p := newTestPool(200, 1)
	m, err := newMix(soakMix)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20000 {
				switch m.pick(rand.Float64()) {
				case opGetUser, opRefresh:
					p.pick()
				case opRevoke:
					if s := p.doomOne(); s != nil {
						s.state.Store(tokDead)
					}
				case opSignOut:
					if s, doomed := p.beginSignOut(); s != nil {
						for _, d := range doomed {
							d.state.Store(tokDead)
						}
						p.endSignOut(s.user)
					}
				case opSignIn:
					if u := p.beginSignIn(); u != nil {
						p.endSignIn(u, newSoakSession(u, "c", "ey", "r", time.Now()))
					}
				}
			}
		})
	}
	wg.Wait()
	checkPool(t, p)
	// The mix settles between one and two sessions per user (see soakMix).
	t.Logf("pool settled at %d sessions for 200 users", p.size())
	if n := p.size(); n < 150 || n > 380 {
		t.Fatalf("pool drifted to %d sessions for 200 users", n)
	}
}

// fakeCognito is a strict in-memory server for the soak's five requests:
// a revoked or signed-out session is refused at once, and answers come
// after a random short delay so that requests race.
type fakeCognito struct {
	mu       sync.Mutex
	sessions map[string]*fakeSession
	gens     map[string]int
	n        int
	// sign-ins in flight, and the most seen at once
	signIns, maxSignIns atomic.Int64
}

type fakeSession struct {
	user    string
	gen     int
	revoked bool
}

func (f *fakeCognito) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AuthFlow       string
		AuthParameters map[string]string
		AccessToken    string
		Token          string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if in.AuthFlow == "USER_PASSWORD_AUTH" {
		n := f.signIns.Add(1)
		defer f.signIns.Add(-1)
		for m := f.maxSignIns.Load(); n > m && !f.maxSignIns.CompareAndSwap(m, n); m = f.maxSignIns.Load() {
		}
		time.Sleep(5 * time.Millisecond) // a password hash: sign-ins pile up if not bounded
	}
	time.Sleep(time.Duration(rand.IntN(4000)) * time.Microsecond)
	f.mu.Lock()
	defer f.mu.Unlock()
	refuse := func() {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"NotAuthorizedException","message":"no"}`))
	}
	// Tokens: access "ey.<sid>.<n>", refresh "rt.<sid>".
	live := func(tok, prefix string) (*fakeSession, string) {
		parts := strings.Split(tok, ".")
		if len(parts) < 2 || parts[0] != prefix {
			return nil, ""
		}
		s := f.sessions[parts[1]]
		if s == nil || s.revoked || s.gen != f.gens[s.user] {
			return nil, ""
		}
		return s, parts[1]
	}
	f.n++
	switch op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), targetPrefix); op {
	case "InitiateAuth":
		var sid string
		switch in.AuthFlow {
		case "USER_PASSWORD_AUTH":
			user := in.AuthParameters["USERNAME"]
			if in.AuthParameters["PASSWORD"] != loadPassword {
				refuse()
				return
			}
			sid = fmt.Sprint(f.n)
			f.sessions[sid] = &fakeSession{user: user, gen: f.gens[user]}
		case "REFRESH_TOKEN_AUTH":
			if _, sid = live(in.AuthParameters["REFRESH_TOKEN"], "rt"); sid == "" {
				refuse()
				return
			}
		}
		rt := ""
		if in.AuthFlow == "USER_PASSWORD_AUTH" {
			rt = `,"RefreshToken":"rt.` + sid + `"`
		}
		fmt.Fprintf(w, `{"AuthenticationResult":{"AccessToken":"ey.%s.%d","IdToken":"ey.x"%s}}`, sid, f.n, rt)
	case "GetUser":
		s, _ := live(in.AccessToken, "ey")
		if s == nil {
			refuse()
			return
		}
		fmt.Fprintf(w, `{"Username":%q}`, s.user)
	case "GlobalSignOut":
		s, _ := live(in.AccessToken, "ey")
		if s == nil {
			refuse()
			return
		}
		f.gens[s.user]++
		_, _ = w.Write([]byte(`{}`))
	case "RevokeToken":
		if parts := strings.Split(in.Token, "."); len(parts) == 2 && f.sessions[parts[1]] != nil {
			f.sessions[parts[1]].revoked = true
		}
		_, _ = w.Write([]byte(`{}`))
	default:
		http.Error(w, "unknown op "+op, http.StatusBadRequest)
	}
}

// TestSoakAgainstStrictFake drives the mix open-loop against the fake with
// few users, so that sign-outs, revocations and reads of the same tokens
// race: the soak must count no error, some expected refusals, and must have
// sent every op.
func TestSoakAgainstStrictFake(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 2 s")
	}
	f := &fakeCognito{sessions: map[string]*fakeSession{}, gens: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cl := newClient(srv.URL, 16)
	var users []*soakUser
	for i := range 10 {
		users = append(users, newSoakUser(fmt.Sprintf("load-user-%03d", i), "client"))
	}
	pool := newTokenPool(users)
	m, err := newMix(soakMix)
	if err != nil {
		t.Fatal(err)
	}
	c := config{concurrency: 16, sample: 500 * time.Millisecond, signinConc: 4}
	s := newSoakRun(c, cl, "client", pool, m)
	// Start from an empty pool: the ops fall back to sign-ins and fill it.
	var out strings.Builder
	samples, total := s.openLoop(context.Background(), 2*time.Second, 1000)
	for _, smp := range samples {
		printSampleLine(&out, smp, 0)
	}
	printSoakMarkdown(&out, samples, total)
	t.Log("\n" + out.String())
	if total.all.errors != 0 {
		t.Fatalf("%d errors: %v", total.all.errors, total.errSamples)
	}
	for op := range numSoakOps {
		if total.ops[op].requests == 0 {
			t.Errorf("no %s sent", op)
		}
	}
	if total.all.refused == 0 {
		t.Error("no expected refusal in a racy run: the race is not exercised")
	}
	if len(samples) < 3 || len(samples) > 6 {
		t.Errorf("%d samples for 2 s at 0.5 s", len(samples))
	}
	if m := f.maxSignIns.Load(); m > 4 || m < 2 {
		t.Errorf("%d sign-ins in flight at most, want 2 to 4 (-signin-concurrency 4)", m)
	}
	if total.scheduled != 2000 {
		t.Errorf("%d requests due, want 2000", total.scheduled)
	}
	checkPool(t, pool)
}
