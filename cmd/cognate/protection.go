package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/cognate-dev/cognate/internal/clientip"
	"github.com/cognate-dev/cognate/internal/server"
	"github.com/cognate-dev/cognate/userpool"
)

// protectionFlags are the serve flags that protect the server from abuse:
// trusted proxies, the password-hashing bound and sign-in throttling.
type protectionFlags struct {
	trustedProxies string
	hashConc       int
	hashQueue      time.Duration
	limits         userpool.SignInLimits
}

func addProtectionFlags(f *pflag.FlagSet) *protectionFlags {
	p := &protectionFlags{}
	d := userpool.DefaultSignInLimits
	f.StringVar(&p.trustedProxies, "trusted-proxies", "",
		"CIDR[,CIDR...] of proxies whose X-Forwarded-For/Forwarded name the client (for throttling); default none: the TCP peer is the client")
	f.IntVar(&p.hashConc, "hash-concurrency", 0,
		fmt.Sprintf("password hashes (argon2id, ~19 MiB each) allowed in flight (0 = twice the CPUs, here %d)", userpool.DefaultHashConcurrency()))
	f.DurationVar(&p.hashQueue, "hash-queue-timeout", userpool.DefaultHashQueueTimeout,
		"how long a request waits for a hashing slot before TooManyRequestsException")
	f.IntVar(&p.limits.FreeAttempts, "signin-free-attempts", d.FreeAttempts,
		"failed sign-ins of a user before lockouts start")
	f.DurationVar(&p.limits.FirstLockout, "signin-first-lockout", d.FirstLockout,
		"the first lockout after the free attempts; each further failure doubles it")
	f.DurationVar(&p.limits.MaxLockout, "signin-max-lockout", d.MaxLockout, "the longest lockout")
	f.DurationVar(&p.limits.Forget, "signin-forget", d.Forget,
		"a user's failures are forgotten this long after the last lockout ends")
	f.IntVar(&p.limits.PerAddress, "signin-per-address", d.PerAddress,
		"failed sign-ins allowed per client address per window")
	f.DurationVar(&p.limits.AddressWindow, "signin-address-window", d.AddressWindow, "the per-address window")
	return p
}

// apply puts the flags into the server configuration.
func (p *protectionFlags) apply(cfg *server.Config) error {
	prefixes, err := clientip.ParsePrefixes(p.trustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	if p.limits.MaxLockout < p.limits.FirstLockout {
		return fmt.Errorf("--signin-max-lockout (%v) is shorter than --signin-first-lockout (%v)", p.limits.MaxLockout, p.limits.FirstLockout)
	}
	cfg.TrustedProxies = prefixes
	cfg.HashConcurrency = p.hashConc
	cfg.HashQueueTimeout = p.hashQueue
	cfg.SignInLimits = p.limits
	return nil
}
