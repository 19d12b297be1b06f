package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/auth/credstore"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultConnectTimeout   = 5 * time.Second
	DefaultRequestTimeout   = 10 * time.Second
	DefaultOperationTimeout = 20 * time.Second
	DefaultMaxAttempts      = 3
	DefaultRefreshThreshold = 5 * time.Minute
	DefaultHostedUITimeout  = 2 * time.Minute
	// DefaultWebUISignInTimeout bounds SignInWithWebUI's wait for the browser:
	// the user has to type a password.
	DefaultWebUISignInTimeout = 5 * time.Minute
)

// Config configures a Client. UserPoolID and ClientID are required; everything
// else has a default.
type Config struct {
	// Region is the AWS region of the user pool. When empty it is taken from the
	// user pool id ("us-east-1_AbC123" → "us-east-1").
	Region string
	// UserPoolID is the user pool's id, "<region>_<id>".
	UserPoolID string
	// ClientID is the app client's id.
	ClientID string
	// ClientSecret is the app client's secret, for clients created with one. When
	// set, every call carries SECRET_HASH (RevokeToken the secret itself).
	ClientSecret string
	// Endpoint is the base URL of the user-pool API, e.g. Cognate's
	// "http://127.0.0.1:9229". Empty means Amazon Cognito in Region.
	Endpoint string

	// Store keeps the signed-in user's session; nil means a new in-memory store
	// (the session is lost when the process exits). See package credstore.
	Store credstore.Store

	// Timeouts bound the network calls.
	Timeouts Timeouts
	// MaxAttempts is how many times the standard retryer tries one API call,
	// counting the first (DefaultMaxAttempts when zero).
	MaxAttempts int
	// HTTPClient replaces the HTTP client built from Timeouts (Timeouts.Operation
	// still bounds each call). The caller owns it: Client.Close does not close
	// its connections.
	HTTPClient *http.Client

	// RefreshThreshold: FetchAuthSession refreshes the tokens when the access
	// token expires within this duration (DefaultRefreshThreshold when zero).
	RefreshThreshold time.Duration

	// HostedUI configures the hosted UI: SignInWithWebUI and the sign-out step
	// of users who signed in through it. Nil when the app does not use it.
	HostedUI *HostedUIConfig
	// Browser opens the hosted UI's sign-out page when SignOutOptions.Browser is
	// nil, and its sign-in page when WebUISignInOptions.Browser is nil and it
	// also implements SignInBrowser (LoopbackBrowser, SystemBrowser and
	// PrintURLBrowser do).
	Browser Browser

	// Logger receives debug and warning records (never tokens). Nil discards.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil); tests set it.
	Now func() time.Time
}

// Timeouts bound network calls. Zero fields take the defaults.
type Timeouts struct {
	// Connect bounds establishing a connection (TCP and TLS).
	Connect time.Duration
	// Request bounds one HTTP attempt, from sending to the end of the response,
	// and the check that the hosted UI answers before its sign-out step.
	Request time.Duration
	// Operation bounds one API call, retries included. An offline SignOut returns
	// within about this bound per remote step.
	Operation time.Duration
}

// HostedUIConfig describes the hosted UI.
type HostedUIConfig struct {
	// Domain is the hosted UI's base URL, e.g. "https://auth.example.com" (for
	// Cognate "<server>/<poolId>"); the endpoints are <Domain>/oauth2/authorize,
	// <Domain>/oauth2/token and <Domain>/logout.
	Domain string
	// SignInRedirectURI is the app client's registered callback URL
	// (redirect_uri) for SignInWithWebUI; with LoopbackBrowser it is a loopback
	// address such as "http://127.0.0.1:8765/callback". Cognito matches it
	// exactly, port included, so the loopback listener uses that port.
	SignInRedirectURI string
	// Scopes are the OAuth scopes SignInWithWebUI asks for, e.g. "openid",
	// "email", "aws.cognito.signin.user.admin" (needed for the user-pool APIs
	// that take an access token). Empty asks for none explicitly, and the
	// service grants all the app client's allowed scopes.
	Scopes []string
	// SignInTimeout is how long SignInWithWebUI waits for the browser to come
	// back (DefaultWebUISignInTimeout when zero).
	SignInTimeout time.Duration
	// SignOutRedirectURI is the app client's registered sign-out URL (logout_uri);
	// with LoopbackBrowser it is a loopback address such as
	// "http://127.0.0.1:8765/signed-out".
	SignOutRedirectURI string
	// SignOutTimeout is how long the sign-out waits for the browser to come back
	// (DefaultHostedUITimeout when zero). Past it the sign-out fails as cancelled
	// and the user stays signed in. A hosted UI that does not answer at all is
	// found out before the browser opens (see Client.SignOut): no wait then.
	SignOutTimeout time.Duration
}

// ConfigError lists what is wrong with a Config.
type ConfigError struct {
	Problems []string
}

// Error describes the failure; it never contains a token.
func (e *ConfigError) Error() string {
	return "auth: invalid config: " + strings.Join(e.Problems, "; ")
}

var (
	regionRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	poolRE   = regexp.MustCompile(`^([\w-]+)_[0-9a-zA-Z]+$`)
	clientRE = regexp.MustCompile(`^[\w+]+$`)
)

// withDefaults validates c and returns a copy with defaults filled in.
func (c Config) withDefaults() (Config, error) {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	var poolRegion string
	switch m := poolRE.FindStringSubmatch(c.UserPoolID); {
	case c.UserPoolID == "":
		add("UserPoolID is required")
	case m == nil || len(c.UserPoolID) > 55:
		add("UserPoolID %q is not a user pool id (want <region>_<id>, e.g. us-east-1_AbC123xyZ)", c.UserPoolID)
	default:
		poolRegion = m[1]
	}
	switch {
	case c.Region == "" && poolRegion != "":
		c.Region = poolRegion
	case c.Region == "":
		add("Region is required")
	case !regionRE.MatchString(c.Region):
		add("Region %q is not a region name (e.g. us-east-1)", c.Region)
	case poolRegion != "" && poolRegion != c.Region && c.Endpoint == "":
		add("UserPoolID %q belongs to region %s, but Region is %s", c.UserPoolID, poolRegion, c.Region)
	}
	switch {
	case c.ClientID == "":
		add("ClientID is required")
	case len(c.ClientID) > 128 || !clientRE.MatchString(c.ClientID):
		add("ClientID %q is not an app client id", c.ClientID)
	}
	if c.ClientSecret != "" && (len(c.ClientSecret) > 128 || strings.ContainsAny(c.ClientSecret, " \t\r\n")) {
		add("ClientSecret is malformed (it is not shown here)")
	}
	if c.Endpoint != "" {
		if err := checkBaseURL(c.Endpoint); err != nil {
			add("Endpoint %q: %v", c.Endpoint, err)
		}
	}
	for name, d := range map[string]time.Duration{
		"Timeouts.Connect": c.Timeouts.Connect, "Timeouts.Request": c.Timeouts.Request,
		"Timeouts.Operation": c.Timeouts.Operation, "RefreshThreshold": c.RefreshThreshold,
	} {
		if d < 0 {
			add("%s must not be negative", name)
		}
	}
	if c.MaxAttempts < 0 || c.MaxAttempts > 10 {
		add("MaxAttempts must be between 1 and 10 (0 for the default)")
	}
	if h := c.HostedUI; h != nil {
		if err := checkBaseURL(h.Domain); err != nil {
			add("HostedUI.Domain %q: %v", h.Domain, err)
		}
		if u, err := url.Parse(h.SignOutRedirectURI); err != nil || !u.IsAbs() || u.Host == "" {
			add("HostedUI.SignOutRedirectURI %q must be an absolute URL", h.SignOutRedirectURI)
		}
		if h.SignOutTimeout < 0 {
			add("HostedUI.SignOutTimeout must not be negative")
		}
		if h.SignInRedirectURI != "" {
			if u, err := url.Parse(h.SignInRedirectURI); err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" {
				add("HostedUI.SignInRedirectURI %q must be an absolute URL without a fragment", h.SignInRedirectURI)
			}
		}
		if h.SignInTimeout < 0 {
			add("HostedUI.SignInTimeout must not be negative")
		}
		for _, sc := range h.Scopes {
			if sc == "" || strings.ContainsAny(sc, " \t\r\n\"\\") {
				add("HostedUI.Scopes: %q is not a scope", sc)
			}
		}
	}
	if len(p) > 0 {
		slices.Sort(p) // map iteration above is random
		return c, &ConfigError{Problems: p}
	}

	if c.Timeouts.Connect == 0 {
		c.Timeouts.Connect = DefaultConnectTimeout
	}
	if c.Timeouts.Request == 0 {
		c.Timeouts.Request = DefaultRequestTimeout
	}
	if c.Timeouts.Operation == 0 {
		c.Timeouts.Operation = DefaultOperationTimeout
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RefreshThreshold == 0 {
		c.RefreshThreshold = DefaultRefreshThreshold
	}
	if c.HostedUI != nil {
		h := *c.HostedUI
		h.Domain = strings.TrimRight(h.Domain, "/")
		if h.SignOutTimeout == 0 {
			h.SignOutTimeout = DefaultHostedUITimeout
		}
		if h.SignInTimeout == 0 {
			h.SignInTimeout = DefaultWebUISignInTimeout
		}
		h.Scopes = slices.Clone(h.Scopes)
		c.HostedUI = &h
	}
	if c.Store == nil {
		c.Store = credstore.NewMemory()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("scheme must be http or https")
	}
	if u.Host == "" {
		return errors.New("host is missing")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("must not have a query, fragment or user info")
	}
	return nil
}
