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
// Only loopback endpoints are accepted (127.0.0.0/8, ::1, localhost).
//
//	cognate-load -endpoint http://127.0.0.1:9229 -op all -duration 10s
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
	"strings"
	"time"
)

type config struct {
	endpoint    string
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
	serverPID   int
	// soak and mixed-capacity
	rate              float64
	sample            time.Duration
	dataDir           string
	calibrate         time.Duration
	calibrateFraction float64
	maxShortfall      float64
	signinConc        int
}

func main() {
	var c config
	flag.StringVar(&c.endpoint, "endpoint", "http://127.0.0.1:9229", "server URL (loopback only)")
	flag.StringVar(&c.op, "op", "all", "operation to drive: refresh, getuser, revoke, all, rsa (raw RSA rates only, no server), "+
		"soak (the mixed workload at -rate for -duration, sampled) or mixed-capacity (the mix at full speed)")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "how long each operation (and each raw RSA measurement) runs")
	flag.IntVar(&c.concurrency, "concurrency", 32, "number of concurrent workers (and keep-alive connections)")
	flag.IntVar(&c.users, "users", 20, "number of users to create (soak and mixed-capacity: 200 unless set)")
	flag.IntVar(&c.signins, "signins", 3, "sign-ins per user for the refresh and getuser token pools")
	flag.IntVar(&c.revokeToks, "revoke-tokens", 10000, "refresh tokens (one sign-in each) to pre-mint for revoke; each request revokes a distinct one, and the run ends early when they are used up")
	flag.BoolVar(&c.rawRSA, "raw-rsa", true, "also measure raw RSA-2048 sign/verify rates on all cores (the signing bound)")
	flag.BoolVar(&c.setupOnly, "setup-only", false, "create the pool, client, users and tokens, print a summary and exit")
	flag.Float64Var(&c.maxErrRate, "max-error-rate", 0.001, "exit non-zero when an operation's (soak: the run's) error rate exceeds this fraction")
	flag.BoolVar(&c.keep, "keep", false, "keep the pool at the end (default: delete it)")
	flag.IntVar(&c.serverPID, "server-pid", 0, "the server's process id, to report its CPU use (soak: its RSS) (Linux)")
	flag.Float64Var(&c.rate, "rate", 0, "soak: target requests/s, open loop; 0: measure the mix's capacity for -calibrate first and use -calibrate-fraction of it")
	flag.DurationVar(&c.sample, "sample", 10*time.Second, "soak: sampling interval")
	flag.StringVar(&c.dataDir, "data-dir", "", "soak: the server's data directory, to report the size of cognate.db, -wal and -shm")
	flag.DurationVar(&c.calibrate, "calibrate", 20*time.Second, "soak with -rate 0: how long the full-speed calibration runs")
	flag.Float64Var(&c.calibrateFraction, "calibrate-fraction", 0.8, "soak with -rate 0: the fraction of the measured capacity to drive")
	flag.IntVar(&c.signinConc, "signin-concurrency", 8, "soak: sign-ins in flight at most (the server counts sign-ins in flight against its limit of 20 failures per client address)")
	flag.Float64Var(&c.maxShortfall, "max-shortfall", 0.01, "soak: exit non-zero when more than this fraction of the requests due could not be sent")
	flag.BoolVar(&c.markdown, "markdown", true, "print a Markdown summary table at the end")
	flag.Parse()
	if c.op == "soak" || c.op == "mixed-capacity" {
		set := false
		flag.Visit(func(f *flag.Flag) { set = set || f.Name == "users" })
		if !set {
			c.users = 200 // enough that no user signs in often
		}
	}

	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "cognate-load:", err)
		os.Exit(1)
	}
}

// errThreshold marks a completed run whose error rate was too high.
var errThreshold = errors.New("error rate above threshold")

func run(c config) error {
	if err := checkLoopback(c.endpoint); err != nil {
		return err
	}
	if c.duration <= 0 || c.concurrency <= 0 || c.users <= 0 || c.signins <= 0 {
		return errors.New("-duration, -concurrency, -users and -signins must be positive")
	}
	var ops []string
	switch c.op {
	case "rsa":
		return rsaOnly(c)
	case "soak", "mixed-capacity":
		return runSoak(c)
	case "all":
		ops = []string{"refresh", "getuser", "revoke"}
	case "refresh", "getuser", "revoke":
		ops = []string{c.op}
	default:
		return fmt.Errorf("-op: want refresh, getuser, revoke, all, rsa, soak or mixed-capacity, got %q", c.op)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	fmt.Printf("cognate-load: endpoint %s, ops %v, duration %s, concurrency %d, GOMAXPROCS %d, NumCPU %d, %s\n",
		c.endpoint, ops, c.duration, c.concurrency, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())

	cl := newClient(c.endpoint, c.concurrency)
	needRevoke := contains(ops, "revoke")
	if !needRevoke {
		c.revokeToks = 0
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
	fmt.Printf("setup: pool %s, client %s, %d users, %d sessions for refresh/getuser, %d for revoke (%.1fs)\n",
		fx.poolID, fx.clientID, len(fx.usernames), len(fx.sessions), len(fx.revokeTokens), time.Since(t0).Seconds())
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
		a := sampleCPU(c.serverPID)
		r, err := measureRSA(ctx, c.duration)
		if err != nil {
			return fmt.Errorf("raw RSA: %w", err)
		}
		r.when, r.cpu = when, cpuUse(a, sampleCPU(c.serverPID), c.serverPID)
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
		a := sampleCPU(c.serverPID)
		r, err := drive(ctx, cl, c, fx, op)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		r.cpu = cpuUse(a, sampleCPU(c.serverPID), c.serverPID)
		results = append(results, r)
		r.print(os.Stdout)
		if op == "revoke" {
			if err := checkRevoked(ctx, cl, fx); err != nil {
				return fmt.Errorf("revoke: %w", err)
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
	a := sampleCPU(c.serverPID)
	r, err := measureRSA(ctx, c.duration)
	if err != nil {
		return err
	}
	fmt.Printf("raw RSA-2048 PKCS#1 v1.5 SHA-256 on %d goroutines (GOMAXPROCS %d), %s each: sign %.0f/s, verify %.0f/s\n",
		r.workers, runtime.GOMAXPROCS(0), c.duration, r.signRate, r.verifyRate)
	fmt.Println(cpuUse(a, sampleCPU(c.serverPID), c.serverPID))
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

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
