package verify

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TokenUse selects which tokens a Verifier accepts.
type TokenUse int

const (
	// AccessTokens accepts access tokens only (the default).
	AccessTokens TokenUse = iota
	// IDTokens accepts ID tokens only.
	IDTokens
	// AnyToken accepts both access and ID tokens.
	AnyToken
)

// FeedMode says whether the Verifier follows the issuer's revocation feed.
type FeedMode int

const (
	// FeedAuto follows the feed unless the issuer is Amazon Cognito's
	// (cognito-idp.<region>.amazonaws.com), which has none. A server that
	// answers 404 to the snapshot has no feed either: the Verifier logs a
	// warning and checks signatures only.
	FeedAuto FeedMode = iota
	// FeedOff checks signatures, claims and times only (JWKS only).
	FeedOff
	// FeedRequired always follows the feed and refuses every token (ErrStale)
	// until the first snapshot has been read.
	FeedRequired
)

// Defaults of Config's zero values.
const (
	DefaultLeeway       = 30 * time.Second
	DefaultJWKSInterval = 10 * time.Second
	DefaultInitialWait  = 5 * time.Second
)

// Config configures New. Issuer is required; every zero value has a default.
type Config struct {
	// Issuer is the iss of the pool's tokens:
	// http://127.0.0.1:9229/us-east-1_AbC (Cognate: its --public-url and the
	// pool id) or https://cognito-idp.<region>.amazonaws.com/<poolId>. The
	// JWKS is read from Issuer + "/.well-known/jwks.json".
	Issuer string
	// ClientIDs are the app clients whose tokens are accepted (client_id of
	// access tokens, aud of ID tokens). Empty accepts every client of the pool.
	ClientIDs []string
	// TokenUse: AccessTokens (default), IDTokens or AnyToken.
	TokenUse TokenUse
	// Leeway is the clock skew allowed on exp, nbf and iat; default
	// DefaultLeeway (30 s). A negative value means none.
	Leeway time.Duration
	// HTTPClient fetches the JWKS and reads the feed; default a client
	// without an overall timeout (the feed is a long-lived stream; each
	// request has its own deadline).
	HTTPClient *http.Client
	// JWKSRefetchInterval is the least time between two fetches of the JWKS
	// caused by an unknown kid; default DefaultJWKSInterval (10 s).
	JWKSRefetchInterval time.Duration

	// Feed selects whether the revocation feed is followed; default FeedAuto.
	Feed FeedMode
	// FeedClientID and FeedClientSecret authenticate to the feed with HTTP
	// Basic (an app client of the pool that has a secret). Empty: no
	// credentials (a Cognate server in dev mode serves the feed to anyone).
	FeedClientID, FeedClientSecret string
	// MaxStaleness: 0 keeps the last known state while the feed is
	// unreachable; N > 0 refuses every token (ErrStale) once the Verifier's
	// view of the feed is older than N. An open stream counts as current
	// until 20 s after the last thing it carried (the feed sends a keepalive
	// every 15 s); a closed one from the moment it closed.
	MaxStaleness time.Duration
	// InitialWait bounds how long Verify waits for the first snapshot after
	// New; default DefaultInitialWait (5 s). Past it, Verify decides with
	// what it has (nothing: see FeedRequired and MaxStaleness).
	InitialWait time.Duration

	// Logger receives the follower's and the JWKS fetcher's logs; default
	// slog.Default(). Tokens and secrets are never logged.
	Logger *slog.Logger
	// Now replaces the clock (tests).
	Now func() time.Time

	ownClient bool // HTTPClient was made by normalize
}

// normalize checks c and fills in its defaults.
func (c Config) normalize() (Config, error) {
	c.Issuer = strings.TrimRight(c.Issuer, "/")
	if c.Issuer == "" {
		return c, errors.New("verify: Config.Issuer is required")
	}
	u, err := url.Parse(c.Issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("verify: Config.Issuer %q is not an http(s) URL", c.Issuer)
	}
	if c.TokenUse < AccessTokens || c.TokenUse > AnyToken {
		return c, fmt.Errorf("verify: unknown TokenUse %d", c.TokenUse)
	}
	if c.Feed < FeedAuto || c.Feed > FeedRequired {
		return c, fmt.Errorf("verify: unknown Feed mode %d", c.Feed)
	}
	if c.MaxStaleness < 0 {
		return c, errors.New("verify: Config.MaxStaleness must not be negative")
	}
	if (c.FeedClientID == "") != (c.FeedClientSecret == "") {
		return c, errors.New("verify: FeedClientID and FeedClientSecret go together")
	}
	switch {
	case c.Leeway == 0:
		c.Leeway = DefaultLeeway
	case c.Leeway < 0:
		c.Leeway = 0
	}
	if c.JWKSRefetchInterval <= 0 {
		c.JWKSRefetchInterval = DefaultJWKSInterval
	}
	if c.InitialWait <= 0 {
		c.InitialWait = DefaultInitialWait
	}
	if c.HTTPClient == nil {
		// A transport of its own, so that Close can drop its idle connections.
		c.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		c.ownClient = true
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Feed == FeedAuto && isAmazonIssuer(u.Host) {
		c.Feed = FeedOff
	}
	return c, nil
}

// isAmazonIssuer reports whether host is Amazon Cognito's, which has no feed.
func isAmazonIssuer(host string) bool {
	h := strings.ToLower(host)
	return h == "amazonaws.com" || strings.HasSuffix(h, ".amazonaws.com") || strings.HasSuffix(h, ".amazonaws.com.cn")
}

// ParseFeedMode parses "auto", "off" or "required" (for flags).
func ParseFeedMode(s string) (FeedMode, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return FeedAuto, nil
	case "off":
		return FeedOff, nil
	case "required":
		return FeedRequired, nil
	}
	return 0, fmt.Errorf("feed mode %q: want auto, off or required", s)
}

// ParseTokenUse parses "access", "id" or "any" (for flags).
func ParseTokenUse(s string) (TokenUse, error) {
	switch strings.ToLower(s) {
	case "", "access":
		return AccessTokens, nil
	case "id":
		return IDTokens, nil
	case "any", "both":
		return AnyToken, nil
	}
	return 0, fmt.Errorf("token use %q: want access, id or any", s)
}
