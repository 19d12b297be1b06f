// Package storetest is the conformance suite every store.Store backend must
// pass. A backend's test calls Run with a function that opens a fresh, empty
// store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := mybackend.Open(t.Context(), dsnForAFreshDatabase(t))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Besides what store.go documents method by method, the suite pins down:
//
//   - Times: round-trip at least to the millisecond (they are compared after
//     truncation to the millisecond, so sub-millisecond digits may be dropped
//     or kept), come back in UTC, and the zero time stays zero (IsZero).
//     Instants before 1970 and far in the future round-trip too.
//   - Opaque bytes (Pool.Settings, Client.Settings, Challenge.Data,
//     Key.Private) round-trip byte for byte: no JSON re-encoding (so no JSONB
//     in PostgreSQL), binary data with NUL bytes included. A nil slice may
//     come back empty and vice versa.
//   - User.Attributes round-trips any map of valid UTF-8 strings; an empty or
//     nil map comes back empty (nil or not).
//   - Orders are byte orders (Go's string comparison; PostgreSQL needs
//     COLLATE "C"), and paging with after/limit visits every record once.
//   - Identity-scoped calls are scoped: DeleteClient, GetUser and
//     friends with the right id but the wrong pool are store.ErrNotFound and
//     change nothing.
//   - Web sessions and authorization codes go with their pool, user (and,
//     for codes, client), and cannot be created for missing ones.
//   - RotateRefresh sets LastUsed as well as RotatedAt; RotateRefresh and
//     TouchSession on a missing session are store.ErrNotFound.
//   - Concurrency: BumpSignOutGen is atomic; RotateRefresh and UpdateUser
//     are compare-and-sets (of racing writers from one version exactly one
//     wins); TakeChallenge, TakeAuthCode and DeleteCode are single use; an
//     UpdateUser racing with BumpSignOutGen never loses a bump; a session
//     created while its user's generation moves is never born dead;
//     AttemptCode never counts more than its limit; UpdateThrottle loses no
//     update.
//   - A pool and the keys it is created with are one: a refused CreatePool
//     (the pool's id taken, a key's id taken or repeated, a key of another
//     pool) stores none of them, and no reader sees the pool without all of
//     them.
//   - Leases: a lease is valid until its expiry (now+ttl of the last
//     acquisition or renewal) exclusive, to the millisecond, and belongs to
//     no pool; of holders racing for a free or expired lease exactly one
//     gets it and the others get false, not an error.
//   - Revocation feeds: every revocation appends its event in its own
//     transaction (a no-op appends nothing); seqs are per pool, gap-free and
//     in commit order under concurrency; purges raise the floor.
//   - ListUserSessions and CountLiveSessions agree with the liveness rule's
//     stored part (revocation, expiry, sign-out generation, enabled user)
//     and stay consistent while sessions are created, rotated and revoked
//     concurrently; audit events list newest first and page without gaps.
//   - Groups: names are case-sensitive and per pool; memberships go with
//     their user, group and pool (a user or group re-created under the same
//     name has none); adding a membership twice is no error, removing a
//     missing one is a no-op; concurrent adds and removes lose none, and an
//     add racing a group's deletion never leaves a membership behind.
//   - Ping and Close: Ping fails, without panicking, on a canceled context
//     and once the store is closed; Close may be called more than once.
//
// Run does not close the stores it opens: open should register the Close
// (t.Cleanup) and may check its error there.
package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// Run runs every conformance test as a subtest of t, each against a fresh,
// empty store returned by open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			if s == nil {
				t.Fatal("open returned a nil store")
			}
			tc.fn(t, s)
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// tests is the suite, in the order it runs.
var tests = []test{
	{"PoolCreateGet", testPoolCreateGet},
	{"PoolCreateConflict", testPoolCreateConflict},
	{"PoolGetNotFound", testPoolGetNotFound},
	{"PoolUpdate", testPoolUpdate},
	{"PoolDelete", testPoolDelete},
	{"ListPools", testListPools},
	{"ClientCreateGet", testClientCreateGet},
	{"ClientCreateConflict", testClientCreateConflict},
	{"ClientGetNotFound", testClientGetNotFound},
	{"ClientUpdate", testClientUpdate},
	{"ClientDelete", testClientDelete},
	{"ListClients", testListClients},
	{"UserCreateGet", testUserCreateGet},
	{"UserCreateConflict", testUserCreateConflict},
	{"UserGetNotFound", testUserGetNotFound},
	{"UserUpdate", testUserUpdate},
	{"UserUpdateNotFound", testUserUpdateNotFound},
	{"UserDelete", testUserDelete},
	{"UserAttributes", testUserAttributes},
	{"ListUsers", testListUsers},
	{"BumpSignOutGen", testBumpSignOutGen},
	{"BumpSignOutGenConcurrent", testBumpSignOutGenConcurrent},
	{"UpdateUserCompareAndSet", testUpdateUserCompareAndSet},
	{"UserAliases", testUserAliases},
	{"UserMFA", testUserMFA},
	{"AliasRace", testAliasRace},
	{"SessionCreateGet", testSessionCreateGet},
	{"SessionCreateConflict", testSessionCreateConflict},
	{"SessionGetNotFound", testSessionGetNotFound},
	{"SessionWithUser", testSessionWithUser},
	{"SessionWithProfile", testSessionWithProfile},
	{"SessionWithProfileConcurrent", testSessionWithProfileConcurrent},
	{"RevokeSession", testRevokeSession},
	{"RevokeSessionConcurrent", testRevokeSessionConcurrent},
	{"RotateRefresh", testRotateRefresh},
	{"RotateRefreshConcurrent", testRotateRefreshConcurrent},
	{"TouchSession", testTouchSession},
	{"SetSessionClient", testSetSessionClient},
	{"ListUserSessions", testListUserSessions},
	{"ListUserSessionsConcurrent", testListUserSessionsConcurrent},
	{"CountLiveSessions", testCountLiveSessions},
	{"AuditEvents", testAuditEvents},
	{"AuditEventsPaging", testAuditEventsPaging},
	{"AuditEventsPurgeAndCascade", testAuditEventsPurgeAndCascade},
	{"AuditEventsConcurrent", testAuditEventsConcurrent},
	{"SessionTakesUserGeneration", testSessionTakesUserGeneration},
	{"SessionNeverBornDead", testSessionNeverBornDead},
	{"PurgeSessions", testPurgeSessions},
	{"PurgesAreBounded", testPurgesAreBounded},
	{"Codes", testCodes},
	{"AttemptCodeConcurrent", testAttemptCodeConcurrent},
	{"DeleteCodeOnce", testDeleteCodeOnce},
	{"CodesCascadeAndPurge", testCodesCascadeAndPurge},
	{"Throttles", testThrottles},
	{"ThrottlesConcurrent", testThrottlesConcurrent},
	{"ChallengePutTake", testChallengePutTake},
	{"ChallengeConflict", testChallengeConflict},
	{"TakeChallengeConcurrent", testTakeChallengeConcurrent},
	{"PurgeChallenges", testPurgeChallenges},
	{"WebSessionCreateGet", testWebSessionCreateGet},
	{"DeleteWebSession", testDeleteWebSession},
	{"PurgeWebSessions", testPurgeWebSessions},
	{"WebSessionCascades", testWebSessionCascades},
	{"AuthCodePutTake", testAuthCodePutTake},
	{"AuthCodeConflict", testAuthCodeConflict},
	{"TakeAuthCodeConcurrent", testTakeAuthCodeConcurrent},
	{"PurgeAuthCodes", testPurgeAuthCodes},
	{"UsedAuthCodes", testUsedAuthCodes},
	{"AuthCodeCascades", testAuthCodeCascades},
	{"Keys", testKeys},
	{"CreatePoolAtomic", testCreatePoolAtomic},
	{"PoolKeysNeverPartial", testPoolKeysNeverPartial},
	{"DeletePoolCascades", testDeletePoolCascades},
	{"DeleteUserRemovesSessions", testDeleteUserRemovesSessions},
	{"DeleteClientRemovesSessions", testDeleteClientRemovesSessions},
	{"Times", testTimes},
	{"ZeroTimes", testZeroTimes},
	{"OpaqueBytes", testOpaqueBytes},
	{"ReturnedRecordsAreCopies", testReturnedRecordsAreCopies},
	{"Leases", testLeases},
	{"LeaseConcurrent", testLeaseConcurrent},
	{"Ping", testPing},
	{"RevocationEvents", testRevocationEvents},
	{"RevocationsPurge", testRevocationsPurge},
	{"RevocationsConcurrent", testRevocationsConcurrent},
}

// base is the suite's reference instant: it has sub-millisecond digits and a
// non-UTC zone, so that precision and normalisation to UTC are exercised.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("IST", 5*3600+1800))

// at returns base shifted by d.
func at(d time.Duration) time.Time { return base.Add(d) }

var subCounter atomic.Uint64

// newSub returns a fresh UUID-shaped sub.
func newSub() string {
	n := subCounter.Add(1)
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n)
}

// newPool returns a pool with every field set.
func newPool(id string) *store.Pool {
	return &store.Pool{
		ID:        id,
		Name:      "pool " + id,
		Settings:  []byte(`{"mfa": "OFF", "policies": {"minLength": 8}}`),
		CreatedAt: at(0),
		UpdatedAt: at(time.Second),
	}
}

// newClient returns a client with every field set.
func newClient(poolID, id string) *store.Client {
	return &store.Client{
		ID:        id,
		PoolID:    poolID,
		Name:      "client " + id,
		Secret:    "secret-of-" + id,
		Settings:  []byte(`{"flows": ["USER_SRP_AUTH", "REFRESH_TOKEN_AUTH"]}`),
		CreatedAt: at(2 * time.Second),
		UpdatedAt: at(3 * time.Second),
	}
}

// newUser returns a user with every field set but SignOutGen.
func newUser(poolID, username string) *store.User {
	return &store.User{
		PoolID:                poolID,
		Username:              username,
		Sub:                   newSub(),
		Status:                "CONFIRMED",
		Enabled:               true,
		Attributes:            map[string]string{"email": username + "@example.com", "email_verified": "true"},
		PasswordHash:          "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
		SRPSalt:               "a1b2c3d4",
		SRPVerifier:           "0badc0ffee",
		TempPasswordExpiresAt: at(24 * time.Hour),
		CreatedAt:             at(4 * time.Second),
		UpdatedAt:             at(5 * time.Second),
	}
}

// newSession returns a live session of u through c, created at created.
func newSession(id string, c *store.Client, u *store.User, created time.Time) *store.Session {
	return &store.Session{
		ID:        id,
		PoolID:    c.PoolID,
		ClientID:  c.ID,
		UserSub:   u.Sub,
		Username:  u.Username,
		UserGen:   u.SignOutGen,
		AuthTime:  created.Add(-time.Second),
		CreatedAt: created,
		LastUsed:  created,
		ExpiresAt: created.Add(30 * 24 * time.Hour),
		DeviceKey: "us-east-1_device-" + id,
		Scopes:    "openid email aws.cognito.signin.user.admin",
		Source:    "api",
		AccessTTL: time.Hour,
		SourceIP:  "203.0.113.7",
		UserAgent: "storetest/1.0 (" + id + ")",
	}
}

// newChallenge returns a challenge with every field set.
func newChallenge(c *store.Client, id, username string) *store.Challenge {
	return &store.Challenge{
		ID:        id,
		PoolID:    c.PoolID,
		ClientID:  c.ID,
		Username:  username,
		Name:      "PASSWORD_VERIFIER",
		Data:      []byte("srp-state\x00\x01\xff" + id),
		ExpiresAt: at(3 * time.Minute),
	}
}

// newKey returns an active key created at created.
func newKey(poolID, id string, created time.Time) *store.Key {
	return &store.Key{
		ID:        id,
		PoolID:    poolID,
		Use:       "access",
		Private:   []byte("\x30\x82\x04\xbd\x02\x01\x00" + id),
		CreatedAt: created,
	}
}

// fixture is a pool (with a key) with two clients and two users.
type fixture struct {
	pool         *store.Pool
	c1, c2       *store.Client
	alice, bobby *store.User
}

// setup creates a fixture in pool poolID, the pool with one key (id
// poolID+"/key"); client ids and subs derive from poolID so that several
// fixtures can live in one store.
func setup(t *testing.T, s store.Store, poolID string) fixture {
	t.Helper()
	f := fixture{
		pool:  newPool(poolID),
		c1:    newClient(poolID, poolID+"-client1"),
		c2:    newClient(poolID, poolID+"-client2"),
		alice: newUser(poolID, "alice"),
		bobby: newUser(poolID, "bobby"),
	}
	ctx := t.Context()
	mustOK(t, "CreatePool", s.CreatePool(ctx, f.pool, newKey(poolID, poolID+"/key", at(0))))
	mustOK(t, "CreateClient", s.CreateClient(ctx, f.c1))
	mustOK(t, "CreateClient", s.CreateClient(ctx, f.c2))
	mustOK(t, "CreateUser", s.CreateUser(ctx, f.alice))
	mustOK(t, "CreateUser", s.CreateUser(ctx, f.bobby))
	return f
}

// mustOK fails the test now if err is not nil.
func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

// wantErr checks that err wraps target (store.ErrNotFound or
// store.ErrConflict).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error = %v, want %v", what, err, target)
	}
}

// same reports whether two times are the same instant to the millisecond and
// both zero or both not.
func same(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() && b.IsZero()
	}
	return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond))
}

// diff compares two records (pointers to the same struct type) field by
// field under the suite's equivalences: times to the millisecond (and got's
// must be UTC), nil and empty slices and maps alike. It returns one line per
// difference.
func diff(want, got any) []string {
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	if wv.Kind() == reflect.Pointer {
		if wv.IsNil() || gv.IsNil() {
			if wv.IsNil() != gv.IsNil() {
				return []string{fmt.Sprintf("got %v, want %v", got, want)}
			}
			return nil
		}
		wv, gv = wv.Elem(), gv.Elem()
	}
	var out []string
	for i := range wv.NumField() {
		name := wv.Type().Field(i).Name
		w, g := wv.Field(i).Interface(), gv.Field(i).Interface()
		switch w := w.(type) {
		case time.Time:
			g := g.(time.Time)
			if !same(w, g) {
				out = append(out, fmt.Sprintf("%s = %v, want %v", name, g, w))
			} else if g.Location() != time.UTC {
				out = append(out, fmt.Sprintf("%s = %v, want it in UTC", name, g))
			}
		case []byte:
			if g := g.([]byte); !bytes.Equal(w, g) {
				out = append(out, fmt.Sprintf("%s = %q, want %q", name, g, w))
			}
		case map[string]string:
			if g := g.(map[string]string); !maps.Equal(w, g) {
				out = append(out, fmt.Sprintf("%s = %q, want %q", name, g, w))
			}
		default:
			if w != g {
				out = append(out, fmt.Sprintf("%s = %#v, want %#v", name, g, w))
			}
		}
	}
	return out
}

// check fails the test (without stopping it) if got differs from want.
func check(t *testing.T, what string, want, got any) {
	t.Helper()
	for _, d := range diff(want, got) {
		t.Errorf("%s: %s", what, d)
	}
}

// ids returns the ids (or usernames) of records, for order checks.
func ids[T any](recs []*T, id func(*T) string) []string {
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		out = append(out, id(r))
	}
	return out
}

// checkIDs fails the test if got and want differ.
func checkIDs(t *testing.T, what string, want, got []string) {
	t.Helper()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

// race runs fn(i) for i in [0, n) in n goroutines released at once, and
// waits for them.
func race(n int, fn func(i int)) {
	start := make(chan struct{})
	done := make(chan struct{}, n)
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			fn(i)
		}()
	}
	close(start)
	for range n {
		<-done
	}
}

// raceTakeOnce runs n concurrent takes of one single-use record and checks
// that exactly one gets it (and that it is the right one, by ok) while every
// other gets ErrNotFound.
func raceTakeOnce[T any](t *testing.T, what string, n int, take func() (T, error), ok func(T) bool) {
	t.Helper()
	var takes, misses atomic.Int32
	race(n, func(int) {
		got, err := take()
		switch {
		case err == nil:
			takes.Add(1)
			if !ok(got) {
				t.Errorf("take of %s returned %+v", what, got)
			}
		case errors.Is(err, store.ErrNotFound):
			misses.Add(1)
		default:
			t.Errorf("take of %s: %v", what, err)
		}
	})
	if takes.Load() != 1 || misses.Load() != int32(n-1) {
		t.Errorf("%d concurrent takes of %s: %d got it, %d did not; want 1 and %d", n, what, takes.Load(), misses.Load(), n-1)
	}
}

// errorsIsNotFound reports whether err wraps store.ErrNotFound.
func errorsIsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func errorsIsConflict(err error) bool { return errors.Is(err, store.ErrConflict) }
