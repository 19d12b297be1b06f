package main

// The soak's parts that need no server: the request mix, the pacing
// arithmetic and the per-interval statistics.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// soakOp is one kind of request in the soak's mix.
type soakOp int

const (
	opGetUser soakOp = iota
	opRefresh        // InitiateAuth REFRESH_TOKEN_AUTH
	opSignIn         // InitiateAuth USER_PASSWORD_AUTH
	opRevoke         // RevokeToken of a refresh token the soak signed in for
	opSignOut        // GlobalSignOut with an access token the soak holds
	numSoakOps
)

var soakOpNames = [numSoakOps]string{"GetUser", "refresh", "sign-in", "RevokeToken", "GlobalSignOut"}

func (o soakOp) String() string {
	if o < 0 || o >= numSoakOps {
		return fmt.Sprintf("soakOp(%d)", int(o))
	}
	return soakOpNames[o]
}

type mixEntry struct {
	op     soakOp
	weight float64 // per cent of requests
}

// soakMix is the soak's request mix, meant to look like an app's traffic:
// most calls read the signed-in user (GetUser 60 %); an app refreshes its
// access token now and then (refresh 21 %); sign-ins are rarer and each
// costs the server a password hash (sign-in 10 %); sessions end by signing
// out of one device, which revokes that device's refresh token (RevokeToken
// 7 %), or rarely everywhere (GlobalSignOut 2 %).
//
// The shares of the last three keep the token pool at a steady size by
// themselves. Every 100 requests start 10 sessions (a sign-in for a user
// whose slotsPerUser slots are all taken replaces the oldest instead) and
// end 7 + 2k, k being the sessions of the signed-out user, at least 1 and
// growing as users fill their slots: the pool grows while k < 1.5 and
// shrinks above, so it settles between one and two sessions per user
// (1.05 to 1.6 in 30 runs of TestTokenPoolRandom). (With 8 %
// RevokeToken, 8 + 2k >= 10 always: the pool would only shrink, down to
// where every operation falls back to a sign-in.) The set-up starts the
// pool at one session per user; a user whose sessions all ended is the
// next to sign in again.
var soakMix = []mixEntry{
	{opGetUser, 60},
	{opRefresh, 21},
	{opSignIn, 10},
	{opRevoke, 7},
	{opSignOut, 2},
}

// mix picks operations with fixed probabilities.
type mix struct {
	ops []soakOp
	cum []float64 // cumulative probability, the last one 1
}

func newMix(entries []mixEntry) (mix, error) {
	var sum float64
	for _, e := range entries {
		if e.weight < 0 {
			return mix{}, fmt.Errorf("negative weight %v for %s", e.weight, e.op)
		}
		sum += e.weight
	}
	if sum <= 0 {
		return mix{}, errors.New("empty mix")
	}
	var m mix
	var acc float64
	for _, e := range entries {
		if e.weight == 0 {
			continue
		}
		acc += e.weight
		m.ops = append(m.ops, e.op)
		m.cum = append(m.cum, acc/sum)
	}
	m.cum[len(m.cum)-1] = 1
	return m, nil
}

// pick maps u, uniform in [0, 1), to an operation.
func (m mix) pick(u float64) soakOp {
	i := sort.Search(len(m.cum), func(i int) bool { return u < m.cum[i] })
	return m.ops[min(i, len(m.ops)-1)]
}

func (m mix) String() string {
	var parts []string
	prev := 0.0
	for i, op := range m.ops {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", op, 100*(m.cum[i]-prev)))
		prev = m.cum[i]
	}
	return strings.Join(parts, ", ")
}

// pacer is open-loop pacing: request i (from 0) is due i/rate seconds after
// the start, whatever happened to the requests before it.
type pacer struct{ rate float64 } // requests per second

// dueAt is when request i is due, after the start.
func (p pacer) dueAt(i int64) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / p.rate)
}

// dueBy is how many requests are due at or before elapsed: the n with
// dueAt(n-1) <= elapsed < dueAt(n).
func (p pacer) dueBy(elapsed time.Duration) int64 {
	if elapsed < 0 {
		return 0
	}
	n := int64(float64(elapsed)*p.rate/float64(time.Second)) + 1
	for n > 0 && p.dueAt(n-1) > elapsed {
		n--
	}
	for p.dueAt(n) <= elapsed {
		n++
	}
	return n
}

// outcome is how one request ended.
type outcome int

const (
	outOK      outcome = iota
	outRefused         // an expected refusal: the token was ended by the soak itself
	outError           // anything unexpected
	outCut             // cancelled at the end of a closed-loop run: not counted
)

// opWindow is one operation's requests in a window.
type opWindow struct {
	ok, refused, errors int
	lat                 []time.Duration // successful requests only
}

func (o *opWindow) total() int { return o.ok + o.refused + o.errors }

// window is what happened during one sampling interval (or a whole run).
type window struct {
	ops        [numSoakOps]opWindow
	scheduled  int             // requests due (open loop)
	missed     int             // due while no worker could take them: not sent
	skipped    int             // no idle user to sign in: not sent
	fallbacks  int             // sent as a sign-in for want of a live token
	cut        int             // cancelled at a closed loop's deadline
	lag        []time.Duration // how late each open-loop request started
	errSamples map[string]int
}

func newWindow() *window { return &window{errSamples: map[string]int{}} }

// merge adds w's counts and latencies to t.
func (t *window) merge(w *window) {
	for i := range w.ops {
		t.ops[i].ok += w.ops[i].ok
		t.ops[i].refused += w.ops[i].refused
		t.ops[i].errors += w.ops[i].errors
		t.ops[i].lat = append(t.ops[i].lat, w.ops[i].lat...)
	}
	t.scheduled += w.scheduled
	t.missed += w.missed
	t.skipped += w.skipped
	t.fallbacks += w.fallbacks
	t.cut += w.cut
	t.lag = append(t.lag, w.lag...)
	for k, v := range w.errSamples {
		t.errSamples[k] += v
	}
}

// opSummary is one operation's (or all operations') numbers over a window.
type opSummary struct {
	requests, refused, errors int
	p50, p99, max             time.Duration
}

// sample is one window's statistics, with the server's size at its end.
type sample struct {
	at, length          time.Duration // elapsed at the end of the window, and its length
	ops                 [numSoakOps]opSummary
	all                 opSummary
	scheduled, missed   int
	skipped, fallbacks  int
	lagP99              time.Duration
	rss, db             int64 // bytes; -1 when not known
	serverGone          bool
	errSamples          map[string]int
	rateTarget, rateGot float64
}

// nearestRank is the nearest-rank percentile p (0 < p <= 100) of sorted.
func nearestRank(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func summarizeOp(requests, refused, errs int, lat []time.Duration) opSummary {
	slices.Sort(lat)
	s := opSummary{requests: requests, refused: refused, errors: errs,
		p50: nearestRank(lat, 50), p99: nearestRank(lat, 99)}
	if len(lat) > 0 {
		s.max = lat[len(lat)-1]
	}
	return s
}

// summarize computes a window's statistics. It sorts the window's latency
// slices in place.
func summarize(w *window, at, length time.Duration) sample {
	s := sample{at: at, length: length, scheduled: w.scheduled, missed: w.missed, skipped: w.skipped,
		fallbacks: w.fallbacks, rss: -1, db: -1, errSamples: w.errSamples}
	var all []time.Duration
	var requests, refused, errs int
	for i := range w.ops {
		o := &w.ops[i]
		s.ops[i] = summarizeOp(o.total(), o.refused, o.errors, o.lat)
		all = append(all, o.lat...)
		requests += o.total()
		refused += o.refused
		errs += o.errors
	}
	s.all = summarizeOp(requests, refused, errs, all)
	slices.Sort(w.lag)
	s.lagP99 = nearestRank(w.lag, 99)
	if length > 0 {
		s.rateGot = float64(requests) / length.Seconds()
	}
	return s
}

// errorRate is the fraction of completed requests that failed unexpectedly.
func (s sample) errorRate() float64 {
	if s.all.requests == 0 {
		return 1
	}
	return float64(s.all.errors) / float64(s.all.requests)
}

// parseVmRSS reads VmRSS, in bytes, from the text of /proc/PID/status.
func parseVmRSS(status string) (int64, bool) {
	for line := range strings.SplitSeq(status, "\n") {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		return kb * 1024, true
	}
	return 0, false
}

// readRSS is a process's resident set size in bytes; -1 when pid is 0 or
// unreadable, and gone when the process no longer exists.
func readRSS(pid int) (rss int64, gone bool) {
	if pid <= 0 {
		return -1, false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1, errors.Is(err, os.ErrNotExist)
	}
	v, ok := parseVmRSS(string(data))
	if !ok {
		// A zombie has no VmRSS line: the server has exited.
		return -1, strings.Contains(string(data), "State:\tZ")
	}
	return v, false
}

// dbFiles are the server's SQLite database files in its data directory.
var dbFiles = []string{"cognate.db", "cognate.db-wal", "cognate.db-shm"}

// dbSize is the sum of the sizes of the database files in dir; -1 when dir
// is empty or has no cognate.db.
func dbSize(dir string) int64 {
	if dir == "" {
		return -1
	}
	var total int64
	for i, name := range dbFiles {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			if i == 0 {
				return -1
			}
			continue // no WAL or shared-memory file (yet)
		}
		total += fi.Size()
	}
	return total
}

func mib(b int64) string {
	if b < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", float64(b)/(1<<20))
}
