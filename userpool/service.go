// Package userpool is Cognate's domain: user pools, app clients, users,
// sign-in flows, token families (sessions), sign-out and revocation rules. It
// knows no HTTP and no SQL: wire packages call it, and it calls the small
// store interfaces it needs and package token.
//
// Where each rule lives:
//
//   - family.go: the token family — one load, one liveness rule with a typed
//     Reason, one revoke, one rotate. Access tokens, refresh (both API flows
//     and the OAuth grant), RevokeToken and /oauth2/revoke, web sessions and
//     authorization codes all ask it.
//   - clientauth.go: app-client authentication (client secret, SECRET_HASH,
//     HTTP Basic, public clients), used by every entry point.
//   - errors.go: the domain's error kinds and causes; the wire packages map
//     them to their protocols.
//   - access.go (access tokens), mint.go (minting), refresh.go, signin.go,
//     srp.go, challenges.go, signout.go, throttle.go: the sign-in and
//     sign-out flows.
//   - pools.go, clients.go, users.go, signup.go, attributes.go, password.go,
//     listusers.go: pools, app clients and users.
//   - authorize.go, websession.go, authcode.go, oauthtoken.go: the hosted UI
//     and the OAuth 2.0 / OIDC endpoints' rules.
package userpool

import (
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/token"
	"github.com/cognate-dev/cognate/trigger"
)

// Options configure a Service.
type Options struct {
	Store     store.Store
	PublicURL string // issuer base, e.g. http://127.0.0.1:9229 (no trailing slash)
	Region    string // used in new pool ids and ARNs; default us-east-1
	Now       func() time.Time
	Logger    *slog.Logger
	// DevMode exposes confirmation codes to the operator (logs and
	// AdminGetUser) since no e-mail or SMS is sent.
	DevMode bool
	Hash    HashParams
	// HashConcurrency bounds the password hashes in flight (default
	// DefaultHashConcurrency); HashQueueTimeout is how long a request waits
	// for a slot before it is refused (default DefaultHashQueueTimeout).
	HashConcurrency  int
	HashQueueTimeout time.Duration
	// SignInLimits configure sign-in throttling (zero fields: defaults).
	SignInLimits SignInLimits
	// Sender delivers codes and invitations; nil means they cannot be
	// delivered (the operations that send them answer
	// CodeDeliveryFailureException).
	Sender message.Sender
	// Observer is told of revocations and global sign-outs once they have
	// committed (metrics); nil tells no one.
	Observer Observer
	// FeedPoll is how often a pool's revocation-feed poller reads the
	// store while it has subscribers (default DefaultFeedPoll).
	FeedPoll time.Duration
	// AuditRetention is how long the janitor keeps audit events (default
	// DefaultAuditRetention).
	AuditRetention time.Duration
	// AuditRefreshInterval is how often, at most, a passed refresh of one
	// token family is recorded in the audit trail (default
	// DefaultAuditRefreshInterval; negative: every refresh). Failed
	// refreshes are always recorded.
	AuditRefreshInterval time.Duration
	// Triggers invokes the pools' Lambda triggers (LambdaConfig); nil means
	// none can be invoked: a pool that names one answers
	// UnexpectedLambdaException where it would run.
	Triggers trigger.Invoker
	// TriggerTimeout is how long a trigger may take (default
	// DefaultTriggerTimeout).
	TriggerTimeout time.Duration
}

// Observer is told of the ends of sessions as they commit. Its methods must
// be quick and must not call the Service.
type Observer interface {
	// FamilyRevoked: a token family was ended by a recorded revocation.
	FamilyRevoked(reason Reason)
	// UserSignedOut: every session of a user ended at once; why is
	// "signed-out", "user-disabled" or "password-reset".
	UserSignedOut(why string)
}

// noObserver tells no one.
type noObserver struct{}

func (noObserver) FamilyRevoked(Reason) {}
func (noObserver) UserSignedOut(string) {}

// Service implements the user-pool operations.
type Service struct {
	// Each part of the domain reads and writes through the store interface
	// of its aggregate only.
	pools       store.Pools
	users       store.Users
	sessions    store.Sessions
	challenges  store.Challenges
	web         store.WebSessions
	authCodes   store.AuthCodes
	codes       store.Codes
	throttles   store.Throttles
	keyStore    store.Keys
	revocations store.Revocations
	audit       store.Audit
	devices     store.Devices
	groups      store.Groups
	domains     store.Domains         // domains.go
	resources   store.ResourceServers // resourceservers.go
	poolEdits   store.PoolEdits       // tags.go, pools.go
	auditQ      *auditQueue

	issuer     string
	region     string
	now        func() time.Time
	log        *slog.Logger
	devMode    bool
	hashParams HashParams
	gate       *hashGate
	limits     SignInLimits
	sender     message.Sender
	observer   Observer
	feed       *Feed
	retention  time.Duration  // of audit events
	refreshes  refreshSampler // which passed refreshes are audited
	triggers   trigger.Invoker
	// triggerTimeout bounds one trigger invocation.
	triggerTimeout time.Duration

	mu   sync.Mutex
	keys map[string]*token.KeySet // per pool, built once (RSA parsing is slow)

	verified verifiedCache // access tokens whose signature verified
	dummy    dummyHash
	preToken preTokenCache // which pools run a pre token generation trigger (pretoken.go)
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Observer == nil {
		o.Observer = noObserver{}
	}
	if o.AuditRetention <= 0 {
		o.AuditRetention = DefaultAuditRetention
	}
	if o.TriggerTimeout <= 0 {
		o.TriggerTimeout = DefaultTriggerTimeout
	}
	if o.AuditRefreshInterval == 0 {
		o.AuditRefreshInterval = DefaultAuditRefreshInterval
	}
	st := o.Store
	return &Service{observer: o.Observer, audit: st, devices: st, auditQ: &auditQueue{store: st, log: o.Logger}, retention: o.AuditRetention, refreshes: refreshSampler{every: o.AuditRefreshInterval},
		pools: st, users: st, sessions: st, challenges: st, web: st, authCodes: st, codes: st,
		throttles: st, keyStore: st, revocations: st, groups: st, domains: st, resources: st, poolEdits: st, feed: newFeed(st, o.FeedPoll, o.Now, o.Logger, o.Observer),
		issuer: strings.TrimRight(o.PublicURL, "/"), region: o.Region, now: o.Now,
		log: o.Logger, devMode: o.DevMode, hashParams: o.Hash, gate: newHashGate(o.HashConcurrency, o.HashQueueTimeout),
		limits: o.SignInLimits.orDefault(), sender: o.Sender, triggers: o.Triggers, triggerTimeout: o.TriggerTimeout, keys: map[string]*token.KeySet{}, verified: verifiedCache{max: verifiedCacheSize}}
}

// Region is the region pool ids are made in.
func (s *Service) Region() string { return s.region }

// Issuer returns the token issuer of a pool.
func (s *Service) Issuer(poolID string) string { return s.issuer + "/" + poolID }

// poolFromIssuer extracts the pool id from an issuer this server minted.
func (s *Service) poolFromIssuer(iss string) (string, bool) {
	prefix := s.issuer + "/"
	if !strings.HasPrefix(iss, prefix) {
		return "", false
	}
	id := iss[len(prefix):]
	if id == "" || strings.ContainsAny(id, "/?#") {
		return "", false
	}
	return id, true
}
