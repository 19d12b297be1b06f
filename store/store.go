// Package store defines Cognate's storage contracts: small interfaces per
// aggregate (pools and clients, users, groups, sessions, challenges, web
// sessions, authorization codes, one-time codes, throttles, keys) and the
// leases by which servers sharing a store take turns at background jobs.
// The implementations (store/sqlite, store/postgres) hold no business
// rules; every rule lives in package userpool. Every backend must pass
// store/storetest.
//
// Encoding contracts common to every method: times are kept to the
// millisecond (finer digits may be dropped) and returned in UTC, and the zero
// time is returned as the zero time; opaque byte fields (Settings, Data,
// Private) round-trip byte for byte; listings are in byte order of their key,
// a limit <= 0 means no limit, and listing nothing is an empty result, not
// ErrNotFound. Purges delete at most limit records (limit > 0) and return how
// many they deleted, so that a janitor works in bounded batches.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when the requested record does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a record with the same identity already exists,
// or when a compare-and-set precondition does not hold.
var ErrConflict = errors.New("store: conflict")

// Pool is a user pool. Settings is an opaque JSON document owned by userpool.
type Pool struct {
	ID        string // e.g. us-east-1_AbC123xyZ
	Name      string
	Settings  []byte // JSON, interpreted by userpool only
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Client is an app client of a pool. Client ids are unique across pools.
type Client struct {
	ID        string
	PoolID    string
	Name      string
	Secret    string // empty for public clients; Cognito returns it on Describe
	Settings  []byte // JSON, interpreted by userpool only
	CreatedAt time.Time
	UpdatedAt time.Time
}

// User is a user of a pool. Username is the pool-unique key as given by the
// domain (userpool normalizes case before it reaches the store).
type User struct {
	PoolID       string
	Username     string
	Sub          string // UUID, unique per pool
	Status       string // UNCONFIRMED, CONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED
	Enabled      bool
	Attributes   map[string]string
	PasswordHash string // argon2id, PHC string format
	SRPSalt      string // hex
	SRPVerifier  string // encoded by userpool (opaque to the store)
	// TempPasswordExpiresAt is when a temporary password (the status
	// FORCE_CHANGE_PASSWORD) stops working; zero otherwise.
	TempPasswordExpiresAt time.Time
	// Aliases are the attribute values that sign the user in in place of
	// the username, as userpool derives them (normalized; only the ones the
	// pool allows and, for alias attributes, only once verified), keyed by
	// attribute: "email", "phone_number", "preferred_username". A value is
	// unique per pool and attribute.
	Aliases map[string]string
	// MFA is the user's multi-factor settings (enabled factors, the sealed
	// software-token secret), an opaque document owned by userpool; nil
	// when the user never set any.
	MFA []byte
	// SignOutGen is bumped by a global sign-out; a session whose UserGen
	// differs from it is dead. That makes global sign-out O(1). SignedOutAt
	// is when it was last bumped.
	SignOutGen  int64
	SignedOutAt time.Time
	// Version counts the writes of the row (UpdateUser and BumpSignOutGen
	// both increment it): UpdateUser is a compare-and-set on it.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Session is one sign-in: a token family. Its ID is the origin_jti carried by
// every access and ID token minted from it, and sealed inside its refresh token.
type Session struct {
	ID        string
	PoolID    string
	ClientID  string
	UserSub   string
	Username  string
	UserGen   int64 // the user's SignOutGen when the session was created
	AuthTime  time.Time
	CreatedAt time.Time
	LastUsed  time.Time
	ExpiresAt time.Time // refresh token expiry
	// RefreshGen counts refresh-token rotations; only the current generation
	// (or the previous one, within the grace period after RotatedAt) is valid.
	RefreshGen int64
	RotatedAt  time.Time // zero when never rotated
	RevokedAt  time.Time // zero when live
	Revoked    string    // why, in userpool's words (its RevocationReason); opaque here
	DeviceKey  string
	Scopes     string // space separated
	Source     string // "api" or "hostedui"
	// SourceIP and UserAgent are the client's address and user agent at
	// sign-in, updated when a refresh comes from another (empty when
	// unknown). The store keeps them as given; userpool bounds their length.
	SourceIP  string
	UserAgent string
	// AccessTTL is the longest life of an access or ID token the family
	// minted: once the family can mint no more, it is kept this long, so
	// that its tokens are refused as revoked until they expire anyway.
	AccessTTL time.Duration
}

// Challenge is a pending authentication challenge (the Session string of
// InitiateAuth). It is single use: TakeChallenge removes it.
type Challenge struct {
	ID        string
	PoolID    string
	ClientID  string
	Username  string
	Name      string // PASSWORD_VERIFIER, NEW_PASSWORD_REQUIRED
	Data      []byte // challenge state (e.g. SRP secret), opaque to the store
	ExpiresAt time.Time
}

// Key is a signing or sealing key of a pool.
type Key struct {
	ID        string // kid
	PoolID    string
	Use       string // "access", "id", "refresh"
	Private   []byte // PKCS#8 DER for RSA keys, raw bytes for symmetric keys
	CreatedAt time.Time
	RetiredAt time.Time // zero while active
}

// WebSession is a hosted-UI browser session (the login cookie). ID is a hash
// of the cookie value, never the value itself. It is valid while unexpired and
// while the user's SignOutGen still equals UserGen, so a global sign-out ends
// it in O(1) like every token family.
type WebSession struct {
	ID        string // hex SHA-256 of the cookie value
	PoolID    string
	UserSub   string
	UserGen   int64 // the user's SignOutGen when the session was created
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuthCode is a pending OAuth2 authorization code. ID is a hash of the code,
// never the code itself. It is single use: TakeAuthCode removes it.
type AuthCode struct {
	ID                  string // hex SHA-256 of the code
	PoolID              string
	ClientID            string
	UserSub             string
	UserGen             int64 // the user's SignOutGen when the code was issued
	RedirectURI         string
	Scopes              string // space separated, as granted
	CodeChallenge       string // PKCE; empty when the client sent none
	CodeChallengeMethod string // "S256" or empty
	Nonce               string // OIDC nonce of the request; empty when none
	AuthTime            time.Time
	ExpiresAt           time.Time
}

// Pools stores user pools and their app clients.
type Pools interface {
	// CreatePool stores a new pool together with its keys (none or
	// several), in one transaction: a reader sees the pool with every key
	// or nothing, so that it never takes a partial key set for the pool's.
	// Every key's PoolID must be p.ID, else CreatePool fails with an error
	// and stores nothing. ErrConflict if the pool's id exists, or a key's
	// id is an existing key's (key ids are unique across pools) or another
	// of keys': then nothing is stored either.
	CreatePool(ctx context.Context, p *Pool, keys ...*Key) error
	GetPool(ctx context.Context, id string) (*Pool, error)                   // ErrNotFound
	UpdatePool(ctx context.Context, p *Pool) error                           // ErrNotFound
	DeletePool(ctx context.Context, id string) error                         // cascades to everything in it; ErrNotFound
	ListPools(ctx context.Context, after string, limit int) ([]*Pool, error) // ordered by id, ids > after

	CreateClient(ctx context.Context, c *Client) error               // ErrConflict if the id exists
	GetClient(ctx context.Context, clientID string) (*Client, error) // ErrNotFound
	UpdateClient(ctx context.Context, c *Client) error               // ErrNotFound
	// DeleteClient deletes the client and its sessions, and appends a
	// RevocationClient event (reason ReasonClientDeleted) to the pool's
	// revocation feed in the same transaction (stamped with the store's
	// clock): ErrNotFound.
	DeleteClient(ctx context.Context, poolID, clientID string) error
	ListClients(ctx context.Context, poolID, after string, limit int) ([]*Client, error) // ordered by id
}

// Users stores users.
type Users interface {
	// CreateUser stores a new user with Version 0 (u.Version is ignored
	// and set): ErrConflict on username, sub or an alias another user of the
	// pool holds.
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, poolID, username string) (*User, error) // ErrNotFound
	GetUserBySub(ctx context.Context, poolID, sub string) (*User, error) // ErrNotFound
	// GetUserByAlias finds the user whose Aliases[attr] is value:
	// ErrNotFound.
	GetUserByAlias(ctx context.Context, poolID, attr, value string) (*User, error)
	// UpdateUser replaces every field but SignOutGen and SignedOutAt, only
	// if the stored Version still equals u.Version, and increments Version
	// (u.Version is set to the new value): ErrConflict when the row changed
	// since it was read (or the new sub or an alias is taken), ErrNotFound
	// when it is gone. No write is ever lost to a concurrent one.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser deletes the user and its sessions, and appends a
	// RevocationUser event (Deleted, reason ReasonUserDeleted) to the pool's
	// revocation feed in the same transaction (stamped with the store's
	// clock): ErrNotFound.
	DeleteUser(ctx context.Context, poolID, username string) error
	ListUsers(ctx context.Context, poolID, after string, limit int) ([]*User, error) // ordered by username
	// BumpSignOutGen atomically increments the user's SignOutGen (and
	// Version), sets SignedOutAt to at, and returns the new generation. In
	// the same transaction it appends a RevocationUser event (the new
	// generation, reason) to the pool's revocation feed. Committed before
	// it returns.
	BumpSignOutGen(ctx context.Context, poolID, username string, at time.Time, reason string) (int64, error)
}

// Sessions stores token families.
type Sessions interface {
	// CreateSession stores a new session. Its UserGen is the user's
	// SignOutGen read in the same transaction as the insert (s.UserGen is
	// ignored, and set), so a concurrent global sign-out either commits
	// before the session exists (which then lives) or after (and ends it):
	// never a session born dead. ErrNotFound if the pool, the client (in
	// that pool) or the user (by sub) is missing; ErrConflict if the id
	// exists or the user is disabled.
	CreateSession(ctx context.Context, s *Session) error
	GetSession(ctx context.Context, id string) (*Session, error) // ErrNotFound
	// GetSessionWithUser reads a session and its user (same pool, sub) in one
	// read: the hot path of every access-token call. ErrNotFound when either
	// is missing.
	GetSessionWithUser(ctx context.Context, id string) (*Session, *User, error)
	// GetSessionWithProfile is GetSessionWithUser for callers that only
	// read (GetUser, the userInfo endpoint): of the session only ID, PoolID,
	// ClientID, UserSub, Username, UserGen, ExpiresAt, RevokedAt and
	// Revoked; of the user only PoolID, Username, Sub, Status, Enabled,
	// Attributes, MFA, SignOutGen, CreatedAt and UpdatedAt. Every other
	// field is zero (Version too, so that an UpdateUser of it cannot
	// succeed). Half the columns of GetSessionWithUser: the hot path of
	// GetUser. ErrNotFound as GetSessionWithUser.
	GetSessionWithProfile(ctx context.Context, id string) (*Session, *User, error)
	// GetSessionForMint is GetSessionWithUser with the user's groups (Name,
	// Precedence and RoleArn set; nil when none), in one statement: all a
	// refresh needs to mint tokens.
	GetSessionForMint(ctx context.Context, id string) (*Session, *User, []*Group, error)
	// RevokeSession marks the session revoked at the given time with a reason,
	// unless it already is (then it is a no-op, and appends nothing). A
	// revocation appends a RevocationFamily event (the session's id, user
	// and client, reason) to the pool's revocation feed in the same
	// transaction. Committed before it returns.
	RevokeSession(ctx context.Context, id string, at time.Time, reason string) error // ErrNotFound
	// RotateRefresh moves RefreshGen from fromGen to fromGen+1 and sets
	// RotatedAt and LastUsed to at, only if RefreshGen is still fromGen and
	// the session is not revoked; otherwise ErrConflict (ErrNotFound if there
	// is no such session).
	RotateRefresh(ctx context.Context, id string, fromGen int64, at time.Time) error
	// TouchSession records use of the session: it sets LastUsed, and
	// raises AccessTTL to accessTTL when that is longer. ErrNotFound.
	TouchSession(ctx context.Context, id string, at time.Time, accessTTL time.Duration) error
	// SetSessionClient records the address and user agent the session was
	// last used from. ErrNotFound.
	SetSessionClient(ctx context.Context, id, sourceIP, userAgent string) error
	// ListUserSessions returns the user's live sessions as of now, ordered
	// by id, ids > after: not revoked, not expired (ExpiresAt after now),
	// started in the user's current sign-out generation, the user enabled.
	// A missing user has none.
	ListUserSessions(ctx context.Context, poolID, sub string, now time.Time, after string, limit int) ([]*Session, error)
	// CountLiveSessions counts the sessions of every pool that are live as
	// of now, by ListUserSessions' rule.
	CountLiveSessions(ctx context.Context, now time.Time) (int64, error)
	// PurgeSessions deletes the sessions that can mint no more tokens and
	// whose tokens have all expired by now: expired (past ExpiresAt), revoked
	// (RevokedAt), or ended by a global sign-out (UserGen below the user's
	// SignOutGen, as of SignedOutAt) — each more than AccessTTL before now.
	PurgeSessions(ctx context.Context, now time.Time, limit int) (int64, error)
}

// AuditEvent is one entry of a pool's audit trail: a sign-in, a refresh, a
// sign-out, a revocation, a password change, an administrator's action.
// What Type, Outcome and Reason say is userpool's business; the store keeps
// them as given.
type AuditEvent struct {
	PoolID    string
	ID        string // unique
	At        time.Time
	Type      string
	Username  string // the user's username, or the name a failed sign-in gave
	Sub       string // empty when no user was found
	ClientID  string
	SessionID string
	SourceIP  string
	UserAgent string
	Outcome   string
	Reason    string
}

// AuditQuery selects audit events of a pool, newest first (by At, then by
// ID descending). Empty fields select everything; Since is inclusive, Until
// exclusive. A page continues after the last event of the previous one:
// AfterID non-empty selects the events strictly before (AfterAt, AfterID)
// in that order.
type AuditQuery struct {
	PoolID   string
	Username string
	Type     string
	Since    time.Time
	Until    time.Time
	AfterAt  time.Time
	AfterID  string
	Limit    int
}

// Audit stores the audit trail. Deleting a pool deletes its events; deleting
// a user does not.
type Audit interface {
	// AppendAuditEvents stores events in one transaction, skipping those
	// whose id is stored already (so that a retried batch stores nothing
	// twice): ErrNotFound, and nothing stored, if the pool of one of them
	// does not exist.
	AppendAuditEvents(ctx context.Context, events ...*AuditEvent) error
	// ListAuditEvents returns the events q selects, newest first.
	ListAuditEvents(ctx context.Context, q AuditQuery) ([]*AuditEvent, error)
	// PurgeAuditEvents deletes events older than before.
	PurgeAuditEvents(ctx context.Context, before time.Time, limit int) (int64, error)
}

// Challenges stores pending authentication challenges.
type Challenges interface {
	PutChallenge(ctx context.Context, c *Challenge) error // ErrConflict if the id exists
	// TakeChallenge atomically removes and returns the challenge; a second
	// take of the same id gets ErrNotFound. Expiry is the caller's business.
	TakeChallenge(ctx context.Context, id string) (*Challenge, error)
	// PurgeChallenges deletes challenges that expired before the given time
	// (abandoned sign-ins).
	PurgeChallenges(ctx context.Context, before time.Time, limit int) (int64, error)
}

// WebSessions stores hosted-UI browser sessions. Deleting the pool or the
// user deletes them too.
type WebSessions interface {
	// CreateWebSession stores a new session: ErrConflict if the id exists,
	// ErrNotFound if its pool or user (by sub, in that pool) does not.
	CreateWebSession(ctx context.Context, w *WebSession) error
	GetWebSession(ctx context.Context, id string) (*WebSession, error) // ErrNotFound
	DeleteWebSession(ctx context.Context, id string) error             // ErrNotFound
	// PurgeWebSessions deletes sessions that expired before the given time.
	PurgeWebSessions(ctx context.Context, before time.Time, limit int) (int64, error)
}

// AuthCodes stores pending authorization codes. Deleting the pool, the
// client or the user deletes them too.
type AuthCodes interface {
	// PutAuthCode stores a new code: ErrConflict if the id exists,
	// ErrNotFound if its pool, client (in that pool) or user does not.
	PutAuthCode(ctx context.Context, c *AuthCode) error
	// TakeAuthCode atomically removes and returns the code; a second take
	// of the same id gets ErrNotFound. Expiry is the caller's business.
	TakeAuthCode(ctx context.Context, id string) (*AuthCode, error)
	// RecordUsedAuthCode remembers that the code id started the session,
	// until expiresAt: ErrConflict if the id is recorded already, ErrNotFound
	// if the pool or the session does not exist. Deleting the session
	// forgets it.
	RecordUsedAuthCode(ctx context.Context, id, poolID, sessionID string, expiresAt time.Time) error
	// UsedAuthCodeSession returns the session a redeemed code started:
	// ErrNotFound if the code was never recorded (or is purged).
	UsedAuthCodeSession(ctx context.Context, id string) (string, error)
	// PurgeAuthCodes deletes codes and used-code records that expired
	// before the given time (at most limit of each).
	PurgeAuthCodes(ctx context.Context, before time.Time, limit int) (int64, error)
}

// Code is a one-time code sent to a user: a sign-up confirmation, a
// password reset, an attribute verification. A user has at most one code per
// purpose; a new one replaces the old.
type Code struct {
	PoolID    string
	UserSub   string
	Purpose   string // e.g. "signup", "forgot-password", "verify:email"
	Code      string
	Data      []byte // what the code confirms, opaque to the store (e.g. a new e-mail)
	Attempts  int    // verification attempts so far
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Codes stores one-time codes. Deleting the pool or the user deletes them too.
type Codes interface {
	// PutCode stores the user's code for the purpose, replacing any code
	// the user had for it (its attempts start again at c.Attempts).
	// ErrNotFound if the pool or the user (by sub) is missing.
	PutCode(ctx context.Context, c *Code) error
	// GetCode returns the user's code for the purpose: ErrNotFound.
	GetCode(ctx context.Context, poolID, sub, purpose string) (*Code, error)
	// AttemptCode atomically counts one verification attempt and returns
	// the code with its Attempts after counting, so that the caller
	// compares only within the limit: if maxAttempts attempts were already
	// counted it counts nothing and returns ErrConflict. ErrNotFound if the
	// user has no code for the purpose. Concurrent attempts never exceed
	// maxAttempts in total.
	AttemptCode(ctx context.Context, poolID, sub, purpose string, maxAttempts int) (*Code, error)
	// DeleteCode deletes the user's code for the purpose if it is still
	// code (a code is single use: of two concurrent deletes of the same
	// code exactly one succeeds); ErrNotFound otherwise.
	DeleteCode(ctx context.Context, poolID, sub, purpose, code string) error
	// PurgeCodes deletes codes that expired before the given time.
	PurgeCodes(ctx context.Context, before time.Time, limit int) (int64, error)
}

// Throttle is the state of one sign-in throttle key (a user, an address):
// what it means is the domain's business.
type Throttle struct {
	Count int
	// Pending counts checks claimed and not yet reported (a user's sign-in
	// attempts in flight).
	Pending   int
	Until     time.Time
	Since     time.Time
	UpdatedAt time.Time
}

// Throttles keeps sign-in throttle state. It need not be durable (a restart
// may forget it) but must be shared by every server on the same store and
// updated atomically.
type Throttles interface {
	// UpdateThrottle calls fn with the key's state (the zero Throttle for
	// a key without one) and stores what fn leaves, atomically with
	// respect to every other update of the key: concurrent updates are
	// serialized, none is lost. If fn returns an error nothing is stored
	// and the error is returned.
	UpdateThrottle(ctx context.Context, key string, fn func(*Throttle) error) error
	// PurgeThrottles deletes states last updated before the given time.
	PurgeThrottles(ctx context.Context, before time.Time, limit int) (int64, error)
}

// Keys reads pool keys. A pool's keys are stored with it (Pools.CreatePool)
// and go with it (DeletePool).
type Keys interface {
	// ListKeys returns the pool's keys, retired ones included, oldest (by
	// CreatedAt, the zero time first, then by id) first; none for a
	// missing pool.
	ListKeys(ctx context.Context, poolID string) ([]*Key, error)
}

// Leases keeps named, time-limited leases, so that of several servers
// sharing one store a single one at a time does a job, such as the janitor's
// purges: each server names itself with a holder id of its own and acquires
// the job's lease before each run. A lease is held by one holder until its
// expiry, now+ttl as of its last acquisition, or until that holder releases
// it. Times are the callers' clocks: the servers' clocks must agree to well
// within a ttl. Leases belong to no pool and are never purged (there are as
// many as there are job names).
//
// A lease is a row written by one conditional statement, never a lock held
// by a connection: it needs no advisory lock, no LISTEN/NOTIFY and no
// session state, and survives the connection that took it.
type Leases interface {
	// AcquireLease takes the lease called name for holder until now+ttl,
	// and reports whether it did. It succeeds if the lease is free, expired
	// (its expiry is at or before now) or held by holder already: a
	// renewal, which moves the expiry to now+ttl (sooner, if ttl is
	// shorter than before). It is atomic: of concurrent acquisitions of a
	// free or expired lease exactly one gets true, the others false. An
	// empty name or holder, the zero now or a ttl under a millisecond is
	// refused with an error. On an error the caller must assume it does
	// not hold the lease.
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	// ReleaseLease frees the lease called name if holder holds it (expired
	// or not), so that another holder may take it at once; otherwise it
	// does nothing and returns nil.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Kinds of revocation events.
const (
	RevocationFamily = "family" // a token family (session) was revoked
	RevocationUser   = "user"   // a user's sign-out generation moved, or the user was deleted
	RevocationClient = "client" // an app client was deleted
)

// The reasons the store itself writes into the events of deletions.
const (
	ReasonUserDeleted   = "user-deleted"
	ReasonClientDeleted = "client-deleted"
)

// RevocationEvent is one entry of a pool's revocation feed. Seq numbers a
// pool's events 1, 2, 3... without gaps, in commit order.
type RevocationEvent struct {
	PoolID   string
	Seq      int64
	Kind     string // RevocationFamily, RevocationUser or RevocationClient
	ID       string // the family (session) id, the user's sub, or the client id
	Sub      string // family: its user
	ClientID string // family: its client
	Gen      int64  // user: the sign-out generation after the event
	Deleted  bool   // user: the user was deleted
	Reason   string
	At       time.Time
}

// Revocations reads and purges the revocation feeds. Events are appended by
// the writes that revoke (RevokeSession, BumpSignOutGen, DeleteUser,
// DeleteClient), each in its own transaction, so that an event exists
// exactly when its revocation committed; a pool's events are numbered in
// the order they committed, even across servers sharing the database, so a
// reader that has seen event n has seen every event before it. Deleting a
// pool deletes its feed.
type Revocations interface {
	// RevocationsAfter returns the pool's retained events with Seq > after,
	// in Seq order, at most limit of them; none for a missing pool.
	RevocationsAfter(ctx context.Context, poolID string, after int64, limit int) ([]*RevocationEvent, error)
	// RevocationHead returns the Seq of the pool's latest event (0 when
	// none ever was) and its purge floor: the highest Seq purged (0 when
	// none), so that every event with a Seq above floor is retained. Both
	// are 0 for a missing pool.
	RevocationHead(ctx context.Context, poolID string) (head, floor int64, err error)
	// PurgeRevocations deletes at most limit events (of any pool) that
	// happened before the given time, raising each pool's floor to the
	// highest Seq it deleted, in one transaction, and returns how many it
	// deleted.
	PurgeRevocations(ctx context.Context, before time.Time, limit int) (int64, error)
}

// Store is everything a backend provides.
type Store interface {
	Revocations
	Pools
	Users
	Sessions
	Challenges
	WebSessions
	AuthCodes
	Codes
	Throttles
	Keys
	Leases
	Audit
	Devices
	Groups
	Domains         // iac.go
	ResourceServers // iac.go
	PoolEdits       // iac.go
	// Ping makes one cheap round trip to the database and returns nil if
	// it answered: for readiness checks. ctx bounds it (give it a
	// deadline). On a closed store it returns an error.
	Ping(ctx context.Context) error
	// Close releases the store: every later call fails with an error. It
	// is safe to call more than once.
	Close() error
}
