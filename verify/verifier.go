package verify

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Verifier verifies the tokens of one user pool. It is safe for concurrent
// use; Close stops its feed follower.
type Verifier struct {
	cfg      Config
	jwks     *jwksCache
	cache    *sigCache
	feed     *feedView // nil with FeedOff
	families *familyCache
	readyBy  time.Time // Verify waits for the first snapshot until then

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New returns a Verifier for cfg. It starts fetching the JWKS and, unless the
// feed is off, following the revocation feed in the background; it does not
// wait for either.
func New(cfg Config) (*Verifier, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	v := &Verifier{cfg: cfg, jwks: newJWKSCache(cfg.Issuer, cfg), cache: newSigCache(), ctx: ctx, cancel: cancel,
		readyBy: cfg.Now().Add(cfg.InitialWait)}
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		v.jwks.fetchMu.Lock()
		defer v.jwks.fetchMu.Unlock()
		if !v.jwks.lastFetch.IsZero() { // a Verify got there first
			return
		}
		if err := v.jwks.fetch(ctx); err != nil && ctx.Err() == nil {
			cfg.Logger.Warn("verify: fetching the JWKS failed; retrying on demand", "issuer", cfg.Issuer, "err", err)
		}
	}()
	if cfg.Feed != FeedOff {
		client := &feedClient{http: cfg.HTTPClient, id: cfg.FeedClientID, secret: cfg.FeedClientSecret}
		v.feed = newFeedView()
		v.families = newFamilyCache(ctx, cfg.Issuer, client)
		f := &follower{issuer: cfg.Issuer, mode: cfg.Feed, client: client, view: v.feed, log: cfg.Logger,
			now: cfg.Now, idle: streamIdle}
		v.wg.Add(1)
		go func() { defer v.wg.Done(); f.run(ctx) }()
	}
	return v, nil
}

// Close stops the feed follower, waits for it, and closes the idle
// connections of the HTTP client it made (not those of Config.HTTPClient).
// Verify fails with ErrClosed afterwards.
func (v *Verifier) Close() error {
	v.closeOnce.Do(func() {
		v.cancel()
		v.wg.Wait()
		if v.cfg.ownClient {
			v.cfg.HTTPClient.CloseIdleConnections()
		}
	})
	return nil
}

// Verify checks token and returns its claims: shape and size, the RS256
// signature with a key of the issuer's JWKS (fetched again, rate-limited,
// for an unknown kid), iss, token_use, the app client, exp, nbf and iat with
// the leeway, then the revocation feed. A token verified before skips
// straight to its expiry and the revocation check. Errors wrap the package's
// sentinel errors and never contain the token.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if v.ctx.Err() != nil {
		return nil, ErrClosed
	}
	now := v.cfg.Now()
	if len(token) > MaxTokenSize {
		return nil, errTooLarge
	}
	key := tokenKey(token)
	c := v.cache.get(key)
	if c == nil {
		var err error
		if c, err = v.verifyStatic(ctx, token, now); err != nil {
			return nil, err
		}
		v.cache.put(key, c, now)
	} else if !now.Before(c.ExpiresAt.Add(v.cfg.Leeway)) {
		return nil, fmt.Errorf("%w: exp is past", ErrExpired)
	}
	if err := v.checkRevocation(ctx, c, now); err != nil {
		return nil, err
	}
	out := *c
	return &out, nil
}

// verifyStatic runs every check that does not depend on the feed.
func (v *Verifier) verifyStatic(ctx context.Context, token string, now time.Time) (*Claims, error) {
	t, err := splitJWS(token)
	if err != nil {
		return nil, err
	}
	kid, err := parseHeader(t.header)
	if err != nil {
		return nil, err
	}
	pub, err := v.jwks.key(ctx, kid)
	if err != nil {
		return nil, err
	}
	if err := verifyRS256(t, pub); err != nil {
		return nil, err
	}
	m, err := decodePayload(t.payload)
	if err != nil {
		return nil, err
	}
	c, err := claimsFromMap(m)
	if err != nil {
		return nil, err
	}
	if err := v.checkClaims(c, now); err != nil {
		return nil, err
	}
	return c, nil
}

// checkClaims checks iss, token_use, the client and the times.
func (v *Verifier) checkClaims(c *Claims, now time.Time) error {
	if c.Issuer != v.cfg.Issuer {
		return fmt.Errorf("%w: iss is not %s", ErrIssuer, v.cfg.Issuer)
	}
	switch {
	case c.TokenUse == "access" && v.cfg.TokenUse != IDTokens:
	case c.TokenUse == "id" && v.cfg.TokenUse != AccessTokens:
	default:
		return fmt.Errorf("%w: token_use %q is not accepted", ErrTokenUse, c.TokenUse)
	}
	if c.ClientID == "" {
		return fmt.Errorf("%w: no client_id or aud", ErrClient)
	}
	if len(v.cfg.ClientIDs) > 0 && !slices.Contains(v.cfg.ClientIDs, c.ClientID) {
		return fmt.Errorf("%w: the token's client is not allowed", ErrClient)
	}
	if c.Sub == "" {
		return fmt.Errorf("%w: no sub", ErrMalformed)
	}
	leeway := v.cfg.Leeway
	if !now.Before(c.ExpiresAt.Add(leeway)) {
		return fmt.Errorf("%w: exp is past", ErrExpired)
	}
	if !c.NotBefore.IsZero() && c.NotBefore.After(now.Add(leeway)) {
		return fmt.Errorf("%w: nbf is in the future", ErrNotYetValid)
	}
	if !c.IssuedAt.IsZero() && c.IssuedAt.After(now.Add(leeway)) {
		return fmt.Errorf("%w: iat is in the future", ErrNotYetValid)
	}
	return nil
}
