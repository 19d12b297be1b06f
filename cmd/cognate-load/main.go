// Command cognate-load is a load generator for a running Cognate server. It
// creates its own user pool, app client and users through the API, signs the
// users in to get tokens, then drives one operation (REFRESH_TOKEN_AUTH,
// GetUser or RevokeToken) from a bounded number of workers for a bounded
// time, and reports requests/s and latency percentiles. In the same process
// it also measures the raw RSA-2048 PKCS#1 v1.5 SHA-256 sign and verify rates
// on all cores, which bound what token minting and verification can reach on
// this machine.
//
// -op soak drives a mix of sign-in, refresh, GetUser, RevokeToken and
// GlobalSignOut (soakMix) open-loop at a fixed rate (-rate; 0 measures the
// mix's capacity first and uses -calibrate-fraction of it) for a long time,
// and samples latency, errors, the server's RSS (-server-pid) and database
// size (-data-dir) every -sample; -op mixed-capacity runs the same mix
// closed-loop at full speed. See soak.go and soak.sh.
//
// Requests are hand-built JSON sent with a plain net/http client (keep-alive,
// one idle connection per worker): the AWS SDK's own per-request cost
// (middleware stack, reflection-based serialization) would be a large part of
// what is measured. Every response is checked: a non-200 status, a transport
// error or a body without the expected fields counts as an error.
//
// -op globalsignout drives GlobalSignOut: since one user's GlobalSignOut
// ends all of that user's sessions, the set-up makes -gso-users users with
// one session each and every request signs out a distinct user with its one
// access token (the phase ends early when they are used up). -op all is
// refresh, getuser, revoke and globalsignout.
//
// -op gso-latency measures GlobalSignOut's latency for a user with one
// session and for a user with -sessions sessions (see gso.go); -op
// visibility measures how soon a revocation on one replica is seen by
// another (see visibility.go).
//
// -endpoint takes a comma-separated list of servers sharing one store
// (replicas without a balancer): the set-up runs on the first, and the
// measured requests are spread over all (-spread round-robin or pinned),
// with each endpoint's count in the report.
//
// Sessions are minted with USER_SRP_AUTH by default (-mint srp): no
// argon2id on the server, so set-up is about four times faster than with
// -mint password (USER_PASSWORD_AUTH).
//
// Only loopback endpoints are accepted (127.0.0.0/8, ::1, localhost).
//
//	cognate-load -endpoint http://127.0.0.1:9229 -op all -duration 10s
//	cognate-load -endpoint http://127.0.0.1:9229,http://127.0.0.1:9230 -op visibility
//	cognate-load -op gso-latency -sessions 10000 -gso-calls 200
//	cognate-load -op soak -duration 10m -rate 200 -server-pid 1234 -data-dir /tmp/data
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type config struct {
	endpoint    string   // the flag as given
	endpoints   []string // parsed from endpoint
	spread      spread
	op          string
	duration    time.Duration
	concurrency int
	users       int
	signins     int
	revokeToks  int
	rawRSA      bool
	setupOnly   bool
	maxErrRate  float64
	keep        bool
	markdown    bool
	// accessValidity, when set, is the app client's access (and ID) token
	// validity: short ones let the janitor purge dead sessions within a soak.
	accessValidity time.Duration
	serverPID      int   // the first of serverPIDs (soak reads its RSS)
	serverPIDs     []int // -server-pid: every server process, for CPU accounting
	dbProcs        string
	mint           mintMode
	mintConc       int
	gsoUsers       int
	// gso-latency
	sessions int
	gsoCalls int
	// propagation and feed-fanout
	propTrials  int
	propPoll    time.Duration
	subscribers int
	// visibility
	visTrials  int
	visTimeout time.Duration
	// soak and mixed-capacity
	rate              float64
	sample            time.Duration
	dataDir           string
	calibrate         time.Duration
	calibrateFraction float64
	maxShortfall      float64
	signinConc        int
}

// parseFlags reads the command line (without the program name).
func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("cognate-load", flag.ContinueOnError)
	var spreadFlag, mintFlag, pidFlag string
	fs.StringVar(&c.endpoint, "endpoint", "http://127.0.0.1:9229", "server URL (loopback only), or a comma-separated list of "+
		"replicas of one store: set-up on the first, requests spread over all (-spread)")
	fs.StringVar(&spreadFlag, "spread", "round-robin", "with several endpoints: round-robin (worker w's k-th request to endpoint (w+k) mod n) "+
		"or pinned (worker w always to endpoint w mod n)")
	fs.StringVar(&c.op, "op", "all", "operation to drive: refresh, getuser, revoke, globalsignout, all (those four), rsa (raw RSA rates only, no server), "+
		"gso-latency (GlobalSignOut latency, 1 vs -sessions sessions), visibility (revocation on one endpoint seen by the next), "+
		"propagation (revocation's 200 to a verify.Verifier's refusal), feed-fanout (the revocation feed with -subscribers followers), "+
		"soak (the mixed workload at -rate for -duration, sampled) or mixed-capacity (the mix at full speed)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long each operation (and each raw RSA measurement) runs")
	fs.IntVar(&c.concurrency, "concurrency", 32, "number of concurrent workers (and keep-alive connections)")
	fs.IntVar(&c.users, "users", 20, "number of users to create (soak and mixed-capacity: 200 unless set)")
	fs.IntVar(&c.signins, "signins", 3, "sign-ins per user for the refresh and getuser token pools")
	fs.IntVar(&c.revokeToks, "revoke-tokens", 10000, "refresh tokens (one sign-in each) to pre-mint for revoke; each request revokes a distinct one, and the run ends early when they are used up")
	fs.BoolVar(&c.rawRSA, "raw-rsa", true, "also measure raw RSA-2048 sign/verify rates on all cores (the signing bound)")
	fs.BoolVar(&c.setupOnly, "setup-only", false, "create the pool, client, users and tokens, print a summary and exit")
	fs.Float64Var(&c.maxErrRate, "max-error-rate", 0.001, "exit non-zero when an operation's (soak: the run's) error rate exceeds this fraction")
	fs.BoolVar(&c.keep, "keep", false, "keep the pool at the end (default: delete it)")
	fs.StringVar(&pidFlag, "server-pid", "", "the server's process id, to report its CPU use (soak: its RSS) (Linux); "+
		"a comma-separated list for several replicas (their CPU is summed)")
	fs.StringVar(&c.dbProcs, "db-procs", "", "a PostgreSQL database name: also report the CPU of the backends serving it (Linux, same machine)")
	fs.StringVar(&mintFlag, "mint", "srp", "how set-up signs in: srp (USER_SRP_AUTH, no argon2id) or password (USER_PASSWORD_AUTH)")
	fs.IntVar(&c.mintConc, "mint-concurrency", 4, "set-up sign-ins and user creations in flight (at most 4 per user whatever this says)")
	fs.IntVar(&c.gsoUsers, "gso-users", 3000, "globalsignout: users to create with one session each; each request signs out a distinct one, "+
		"and the run ends early when they are used up")
	fs.IntVar(&c.sessions, "sessions", 10000, "gso-latency: sessions of the many-session user")
	fs.IntVar(&c.gsoCalls, "gso-calls", 200, "gso-latency: timed GlobalSignOut calls per user")
	fs.IntVar(&c.propTrials, "prop-trials", 1000, "propagation and feed-fanout: revocations to make")
	fs.DurationVar(&c.propPoll, "prop-poll", 200*time.Microsecond, "propagation: how often the verifier is asked again after a revocation's 200")
	fs.IntVar(&c.subscribers, "subscribers", 1000, "feed-fanout: server-sent-event subscribers of the pool's revocation feed")
	fs.IntVar(&c.visTrials, "visibility-trials", 1000, "visibility: revocations to check")
	fs.DurationVar(&c.visTimeout, "visibility-timeout", 10*time.Second, "visibility: how long to poll the second endpoint for a refusal")
	fs.Float64Var(&c.rate, "rate", 0, "soak: target requests/s, open loop; 0: measure the mix's capacity for -calibrate first and use -calibrate-fraction of it")
	fs.DurationVar(&c.sample, "sample", 10*time.Second, "soak: sampling interval")
	fs.StringVar(&c.dataDir, "data-dir", "", "soak: the server's data directory, to report the size of cognate.db, -wal and -shm")
	fs.DurationVar(&c.calibrate, "calibrate", 20*time.Second, "soak with -rate 0: how long the full-speed calibration runs")
	fs.Float64Var(&c.calibrateFraction, "calibrate-fraction", 0.8, "soak with -rate 0: the fraction of the measured capacity to drive")
	fs.IntVar(&c.signinConc, "signin-concurrency", 8, "soak: sign-ins in flight at most (the server counts sign-ins in flight against its limit of 20 failures per client address)")
	fs.Float64Var(&c.maxShortfall, "max-shortfall", 0.01, "soak: exit non-zero when more than this fraction of the requests due could not be sent")
	fs.BoolVar(&c.markdown, "markdown", true, "print a Markdown summary table at the end")
	fs.DurationVar(&c.accessValidity, "access-validity", 0, "the app client's access and ID token validity, whole minutes from 5m (0: the server's default, 60m); "+
		"the janitor deletes a dead session once its tokens have expired, so a short one shows the database staying flat within a soak")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.spread, err = parseSpread(spreadFlag); err == nil {
		if c.mint, err = parseMint(mintFlag); err == nil {
			c.serverPIDs, err = parsePIDs(pidFlag)
		}
	}
	if err != nil {
		return c, err
	}
	if len(c.serverPIDs) > 0 {
		c.serverPID = c.serverPIDs[0]
	}
	if c.op == "soak" || c.op == "mixed-capacity" {
		set := false
		fs.Visit(func(f *flag.Flag) { set = set || f.Name == "users" })
		if !set {
			c.users = 200 // enough that no user signs in often
		}
	}
	return c, nil
}

func main() {
	c, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cognate-load:", err)
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "cognate-load:", err)
		os.Exit(1)
	}
}

// errThreshold marks a completed run whose error rate was too high.
var errThreshold = errors.New("error rate above threshold")

func run(c config) error {
	eps, err := parseEndpoints(c.endpoint)
	if err != nil {
		return err
	}
	c.endpoints = eps
	if c.duration <= 0 || c.concurrency <= 0 || c.users <= 0 || c.signins <= 0 || c.mintConc <= 0 {
		return errors.New("-duration, -concurrency, -users, -signins and -mint-concurrency must be positive")
	}
	var ops []string
	switch c.op {
	case "rsa":
		return rsaOnly(c)
	case "soak", "mixed-capacity":
		if len(c.endpoints) > 1 {
			return fmt.Errorf("-op %s %w", c.op, errOneEndpoint)
		}
		return runSoak(c)
	case "gso-latency":
		return runGSOLatency(c)
	case "visibility":
		return runVisibility(c)
	case "propagation":
		return runPropagation(c)
	case "feed-fanout":
		return runFeedFanout(c)
	case "all":
		ops = []string{"refresh", "getuser", "revoke", "globalsignout"}
	case "refresh", "getuser", "revoke", "globalsignout":
		ops = []string{c.op}
	default:
		return fmt.Errorf("-op: want refresh, getuser, revoke, globalsignout, all, rsa, gso-latency, visibility, propagation, feed-fanout, soak or mixed-capacity, got %q", c.op)
	}
	if c.revokeToks < 0 || c.gsoUsers < 0 {
		return errors.New("-revoke-tokens and -gso-users must not be negative")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	fmt.Printf("cognate-load: endpoints %s (%s), ops %v, duration %s, concurrency %d, GOMAXPROCS %d, NumCPU %d, %s\n",
		strings.Join(c.endpoints, " "), c.spread, ops, c.duration, c.concurrency, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())

	cls := newClients(c.endpoints, c.concurrency)
	cl := cls[0] // set-up, checks and teardown
	if !contains(ops, "revoke") {
		c.revokeToks = 0
	}
	if !contains(ops, "globalsignout") {
		c.gsoUsers = 0
	}
	t0 := time.Now()
	fx, err := setup(ctx, cl, c)
	// Delete the pool at the end, also when the set-up failed half-way.
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
	fmt.Printf("setup: pool %s, client %s, %d users, %d sessions for refresh/getuser, %d for revoke, %d for globalsignout (%s, %.1fs)\n",
		fx.poolID, fx.clientID, len(fx.usernames), len(fx.sessions), len(fx.revokeTokens), len(fx.gsoTokens), c.mint, time.Since(t0).Seconds())
	if c.setupOnly {
		fmt.Printf("setup-only: kept pool %s (client %s)\n", fx.poolID, fx.clientID)
		c.keep = true
		return nil
	}

	// The raw RSA rates are measured before and after the load, so that a
	// change in what the machine gives us (other tenants, throttling) shows.
	var rsaRuns []*rsaResult
	measure := func(when string) error {
		if !c.rawRSA {
			return nil
		}
		a := sampleCPU(c.watch())
		r, err := measureRSA(ctx, c.duration)
		if err != nil {
			return fmt.Errorf("raw RSA: %w", err)
		}
		r.when, r.cpu = when, cpuUse(a, sampleCPU(c.watch()))
		rsaRuns = append(rsaRuns, r)
		fmt.Printf("raw RSA-2048 PKCS#1 v1.5 SHA-256 %s the load, %d goroutines: sign %.0f/s (%.0f/s per core obtained), verify %.0f/s; signing bound for refresh (2 signatures) %.0f/s\n  %s\n",
			when, r.workers, r.signRate, r.signPerCore, r.verifyRate, r.signRate/2, r.cpu)
		return nil
	}
	if err := measure("before"); err != nil {
		return err
	}
	var results []*result
	for _, op := range ops {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a := sampleCPU(c.watch())
		r, err := drive(ctx, cls, c, fx, op)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		r.cpu = cpuUse(a, sampleCPU(c.watch()))
		results = append(results, r)
		r.print(os.Stdout)
		switch op {
		case "revoke":
			if err := checkRevoked(ctx, cl, fx); err != nil {
				return fmt.Errorf("revoke: %w", err)
			}
		case "globalsignout":
			if err := checkSignedOut(ctx, cl, fx); err != nil {
				return fmt.Errorf("globalsignout: %w", err)
			}
		}
	}
	if err := measure("after"); err != nil {
		return err
	}
	if c.markdown {
		printMarkdown(os.Stdout, results, rsaRuns)
	}
	failed := false
	for _, r := range results {
		if r.errorRate() > c.maxErrRate {
			fmt.Fprintf(os.Stderr, "cognate-load: %s: %d errors in %d requests (%.3f%% > %.3f%%)\n",
				r.op, r.errors, r.total(), 100*r.errorRate(), 100*c.maxErrRate)
			failed = true
		}
	}
	if failed {
		return errThreshold
	}
	return nil
}

// rsaOnly measures the raw RSA rates alone.
func rsaOnly(c config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	a := sampleCPU(c.watch())
	r, err := measureRSA(ctx, c.duration)
	if err != nil {
		return err
	}
	fmt.Printf("raw RSA-2048 PKCS#1 v1.5 SHA-256 on %d goroutines (GOMAXPROCS %d), %s each: sign %.0f/s, verify %.0f/s\n",
		r.workers, runtime.GOMAXPROCS(0), c.duration, r.signRate, r.verifyRate)
	fmt.Println(cpuUse(a, sampleCPU(c.watch())))
	return nil
}

// checkLoopback refuses any endpoint whose host is not a loopback address.
func checkLoopback(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("-endpoint: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("-endpoint: want an http:// or https:// URL, got %q", endpoint)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return fmt.Errorf("-endpoint: host %q is not a loopback address (127.0.0.0/8, ::1 or localhost)", host)
	}
	if v4 := ip.To4(); v4 != nil && v4[0] == 127 {
		return nil
	}
	if ip.Equal(net.IPv6loopback) {
		return nil
	}
	return fmt.Errorf("-endpoint: host %q is not a loopback address (127.0.0.0/8, ::1 or localhost)", host)
}

// watch is what CPU accounting follows besides this process.
func (c config) watch() cpuWatch { return cpuWatch{serverPIDs: c.serverPIDs, dbName: c.dbProcs} }

// parsePIDs reads -server-pid's comma-separated process ids ("" is none).
func parsePIDs(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		pid, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("-server-pid: %q is not a process id", f)
		}
		out = append(out, pid)
	}
	return out, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
