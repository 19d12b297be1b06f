package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/store/storetest"
)

// The tests need a PostgreSQL server: COGNATE_TEST_POSTGRES_URL names it (a
// database the role may create schemas in). Without it they skip, or fail
// when COGNATE_REQUIRE_POSTGRES=1 (scripts/test sets both). Each test works
// in a schema of its own, created empty and dropped at the end, so runs and
// parallel packages never see each other's tables.
const (
	envURL     = "COGNATE_TEST_POSTGRES_URL"
	envRequire = "COGNATE_REQUIRE_POSTGRES"
)

// serverURL returns the test server's connection string, or skips the test
// (fails it when PostgreSQL is required).
func serverURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(envURL)
	if u != "" {
		return u
	}
	if os.Getenv(envRequire) == "1" {
		t.Fatalf("%s=1 but %s is not set: the PostgreSQL tests cannot run "+
			"(run scripts/test, which provisions a server, or point %s at one)", envRequire, envURL, envURL)
	}
	t.Skipf("PostgreSQL tests skipped: %s is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable; "+
		"scripts/test provisions a server and sets it)", envURL)
	return ""
}

// freshSchema creates an empty schema on the test server, drops it (with
// everything in it) when the test ends, and returns a connection string
// whose search_path is that schema, and the schema's name.
func freshSchema(t testing.TB) (dsn, schema string) {
	t.Helper()
	base := serverURL(t)
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema = "cognate_test_" + hex.EncodeToString(b)
	admin(t, base, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { admin(t, base, "DROP SCHEMA "+schema+" CASCADE") })
	return withSearchPath(t, base, schema), schema
}

// admin runs one statement on a connection of its own.
func admin(t testing.TB, dsn, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// withSearchPath sets search_path in a URL or keyword/value connection
// string. schema must be a plain lower-case identifier.
func withSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s: %v", envURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// withParam adds a parameter to a URL connection string.
func withParam(t testing.TB, dsn, key, value string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		t.Skipf("%s is not a URL; this test adds URL parameters", envURL)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// openStore opens a store on dsn and closes it when the test ends.
func openStore(t testing.TB, dsn string, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// openFresh opens a store on a fresh schema.
func openFresh(t testing.TB) *Store {
	t.Helper()
	dsn, _ := freshSchema(t)
	return openStore(t, dsn, Options{})
}

func TestConformance(t *testing.T) {
	serverURL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// seed creates a pool, with keys if any, a client and a user.
func seed(t testing.TB, s store.Store, poolID string, keys ...*store.Key) (*store.Client, *store.User) {
	t.Helper()
	ctx := context.Background()
	c := &store.Client{ID: poolID + "-client", PoolID: poolID, Name: "app", CreatedAt: t0}
	u := &store.User{PoolID: poolID, Username: "alice", Sub: poolID + "-sub-alice", Status: "CONFIRMED",
		Enabled: true, Attributes: map[string]string{"email": "alice@example.com"},
		Aliases: map[string]string{"email": "alice@example.com"}, PasswordHash: "h", CreatedAt: t0}
	for _, err := range []error{
		s.CreatePool(ctx, &store.Pool{ID: poolID, Name: "pool", Settings: []byte(`{}`), CreatedAt: t0}, keys...),
		s.CreateClient(ctx, c),
		s.CreateUser(ctx, u),
	} {
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	return c, u
}

// schemaVersions returns the versions recorded in schema_version, in order.
func schemaVersions(t testing.TB, s *Store) []int {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT version FROM schema_version ORDER BY version`)
	must(t, err)
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	must(t, err)
	return vs
}

// checkSchemaApplied checks that schema_version records every embedded
// migration exactly once.
func checkSchemaApplied(t testing.TB, s *Store) {
	t.Helper()
	ms, err := loadMigrations()
	must(t, err)
	vs := schemaVersions(t, s)
	if len(vs) != len(ms) {
		t.Fatalf("schema_version has versions %v, want 1..%d once each", vs, len(ms))
	}
	for i, v := range vs {
		if v != i+1 {
			t.Fatalf("schema_version has versions %v, want 1..%d once each", vs, len(ms))
		}
	}
}

// TestConcurrentOpen is replicas starting together on an empty database:
// every Open must succeed, and the schema must be applied once.
func TestConcurrentOpen(t *testing.T) {
	const n = 8
	for round := range 3 {
		dsn, _ := freshSchema(t)
		stores := make([]*Store, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				stores[i], errs[i] = Open(context.Background(), dsn, Options{MaxConns: 2})
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: concurrent Open #%d: %v", round, i, err)
			}
			t.Cleanup(func() { _ = stores[i].Close() })
		}
		checkSchemaApplied(t, stores[0])
		// Every replica works on the one schema, and sees the others' writes.
		ctx := context.Background()
		for i, s := range stores {
			must(t, s.CreatePool(ctx, &store.Pool{ID: fmt.Sprintf("us-east-1_r%d", i), Name: "p"}))
		}
		for i, s := range stores {
			pools, err := s.ListPools(ctx, "", 0)
			must(t, err)
			if len(pools) != n {
				t.Errorf("round %d: store %d lists %d pools, want %d", round, i, len(pools), n)
			}
		}
	}
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	dsn, _ := freshSchema(t)
	s, err := Open(ctx, dsn, Options{})
	must(t, err)
	c, u := seed(t, s, "us-east-1_reopen",
		&store.Key{ID: "kid", PoolID: "us-east-1_reopen", Use: "access", Private: []byte{1, 0, 3}, CreatedAt: t0})
	sess := &store.Session{ID: "jti-1", PoolID: c.PoolID, ClientID: c.ID, UserSub: u.Sub, Username: u.Username,
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	must(t, s.CreateSession(ctx, sess))
	must(t, s.RevokeSession(ctx, sess.ID, t0.Add(time.Minute), "revoke"))
	gen, err := s.BumpSignOutGen(ctx, u.PoolID, u.Username, t0.Add(2*time.Minute), "signed-out")
	must(t, err)
	must(t, s.PutCode(ctx, &store.Code{PoolID: u.PoolID, UserSub: u.Sub, Purpose: "signup", Code: "123456",
		Data: []byte{0, 1}, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	must(t, s.Close())
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.GetPool(ctx, c.PoolID); err == nil {
		t.Error("GetPool after Close succeeded")
	}

	for round := range 2 { // reopening twice: migrations are applied once
		s := openStore(t, dsn, Options{})
		got, err := s.GetSession(ctx, sess.ID)
		must(t, err)
		if got.RevokedAt.IsZero() || got.Revoked != "revoke" || !got.ExpiresAt.Equal(sess.ExpiresAt) {
			t.Errorf("round %d: session after reopen = %+v", round, got)
		}
		gu, err := s.GetUserBySub(ctx, u.PoolID, u.Sub)
		must(t, err)
		if gu.SignOutGen != gen || !gu.SignedOutAt.Equal(t0.Add(2*time.Minute)) || gu.Version != 1 ||
			gu.Attributes["email"] != "alice@example.com" || gu.Aliases["email"] != "alice@example.com" {
			t.Errorf("round %d: user after reopen = %+v", round, gu)
		}
		code, err := s.GetCode(ctx, u.PoolID, u.Sub, "signup")
		must(t, err)
		if code.Code != "123456" || string(code.Data) != "\x00\x01" || !code.ExpiresAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("round %d: code after reopen = %+v", round, code)
		}
		keys, err := s.ListKeys(ctx, c.PoolID)
		must(t, err)
		if len(keys) != 1 || string(keys[0].Private) != "\x01\x00\x03" {
			t.Errorf("round %d: keys after reopen = %+v", round, keys)
		}
		checkSchemaApplied(t, s)
		must(t, s.Close())
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dsn, _ := freshSchema(t)
	s := openStore(t, dsn, Options{})
	_, err := s.pool.Exec(context.Background(),
		`INSERT INTO schema_version (version, name, applied_at) VALUES (9999, 'from the future', 0)`)
	must(t, err)
	if s2, err := Open(context.Background(), dsn, Options{}); err == nil {
		s2.Close()
		t.Fatal("Open of a database with a newer schema succeeded")
	} else if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a database with a newer schema: %v", err)
	}
}

// TestMigrationLockHeld checks that Open waits for the migration lock: while
// another session holds it, Open does not finish, and once it is released,
// Open succeeds.
func TestMigrationLockHeld(t *testing.T) {
	dsn, _ := freshSchema(t)
	ctx := context.Background()
	holder, err := pgx.Connect(ctx, dsn)
	must(t, err)
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	must(t, err)
	_, err = tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, MigrationLockKey)
	must(t, err)

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if s, err := Open(short, dsn, Options{StatementTimeout: 50 * time.Millisecond}); err == nil {
		s.Close()
		t.Fatal("Open finished while another session held the migration lock")
	}

	done := make(chan error, 1)
	go func() {
		s, err := Open(ctx, dsn, Options{StatementTimeout: 50 * time.Millisecond})
		if err == nil {
			checkSchemaApplied(t, s)
			s.Close()
		}
		done <- err
	}()
	time.Sleep(200 * time.Millisecond) // longer than the statement timeout: migrations lift it
	must(t, tx.Rollback(ctx))
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Open after the lock was released: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Open did not finish after the lock was released")
	}
}

// TestReferentialIntegrity: records pointing at a missing pool, client or
// user are refused with store.ErrNotFound rather than stored as orphans.
func TestReferentialIntegrity(t *testing.T) {
	ctx := context.Background()
	s := openFresh(t)
	c, u := seed(t, s, "us-east-1_ri")
	_, other := seed(t, s, "us-east-1_other")
	for name, err := range map[string]error{
		"client in a missing pool": s.CreateClient(ctx, &store.Client{ID: "c2", PoolID: "us-east-1_none"}),
		"user in a missing pool":   s.CreateUser(ctx, &store.User{PoolID: "us-east-1_none", Username: "u", Sub: "s"}),
		"session of a missing user": s.CreateSession(ctx, &store.Session{ID: "s1", PoolID: c.PoolID, ClientID: c.ID,
			UserSub: "nobody"}),
		"session of a missing client": s.CreateSession(ctx, &store.Session{ID: "s2", PoolID: c.PoolID,
			ClientID: "nobody", UserSub: u.Sub}),
		"session of another pool's user": s.CreateSession(ctx, &store.Session{ID: "s3", PoolID: c.PoolID,
			ClientID: c.ID, UserSub: other.Sub}),
		"session in a missing pool": s.CreateSession(ctx, &store.Session{ID: "s4", PoolID: "us-east-1_none",
			ClientID: c.ID, UserSub: u.Sub}),
		"challenge in a missing pool": s.PutChallenge(ctx, &store.Challenge{ID: "ch", PoolID: "us-east-1_none"}),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: error = %v, want store.ErrNotFound", name, err)
		} else if !strings.HasPrefix(err.Error(), "postgres: ") {
			t.Errorf("%s: error %q does not say where it comes from", name, err)
		}
	}
	for _, id := range []string{"s1", "s2", "s3", "s4"} {
		if _, err := s.GetSession(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("refused session %s was stored (GetSession error %v)", id, err)
		}
	}
}

// TestErrorsHideValues: a constraint error names the constraint, not the
// conflicting values (a session id is the origin_jti of live tokens).
func TestErrorsHideValues(t *testing.T) {
	ctx := context.Background()
	s := openFresh(t)
	c, u := seed(t, s, "us-east-1_errs")
	const id = "origin-jti-d3adb33f"
	sess := &store.Session{ID: id, PoolID: c.PoolID, ClientID: c.ID, UserSub: u.Sub}
	must(t, s.CreateSession(ctx, sess))
	err := s.CreateSession(ctx, sess)
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CreateSession twice: %v, want store.ErrConflict", err)
	}
	if strings.Contains(err.Error(), "d3adb33f") {
		t.Errorf("the conflict error shows the id: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "postgres: create session: ") {
		t.Errorf("the conflict error does not name the operation: %v", err)
	}
}

func TestZeroRevocationTimeRefused(t *testing.T) {
	ctx := context.Background()
	s := openFresh(t)
	c, u := seed(t, s, "us-east-1_zero")
	must(t, s.CreateSession(ctx, &store.Session{ID: "s", PoolID: c.PoolID, ClientID: c.ID, UserSub: u.Sub}))
	if err := s.RevokeSession(ctx, "s", time.Time{}, "revoke"); err == nil {
		t.Error("RevokeSession with the zero time succeeded (it would leave the session live)")
	}
}

// showSetting reads a run-time parameter on one of the pool's connections.
func showSetting(t testing.TB, s *Store, name string) string {
	t.Helper()
	var v string
	must(t, s.pool.QueryRow(context.Background(), `SELECT current_setting($1)`, name).Scan(&v))
	return v
}

func TestOptions(t *testing.T) {
	dsn, _ := freshSchema(t)
	ctx := context.Background()

	s := openStore(t, dsn, Options{MaxConns: 3, StatementTimeout: 150 * time.Millisecond})
	if got := s.pool.Config().MaxConns; got != 3 {
		t.Errorf("MaxConns = %d, want 3", got)
	}
	if got := showSetting(t, s, "statement_timeout"); got != "150ms" {
		t.Errorf("statement_timeout = %q, want 150ms", got)
	}
	_, err := s.pool.Exec(ctx, `SELECT pg_sleep(2)`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" {
		t.Errorf("a statement longer than the timeout: error %v, want query_canceled (57014)", err)
	}

	// The pool opens no more than MaxConns connections.
	var conns []interface{ Release() }
	for range 3 {
		c, err := s.pool.Acquire(ctx)
		must(t, err)
		conns = append(conns, c)
	}
	wait, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	if c, err := s.pool.Acquire(wait); err == nil {
		c.Release()
		t.Error("acquired a 4th connection from a pool of 3")
	}
	cancel()
	for _, c := range conns {
		c.Release()
	}

	// Zero options keep what the connection string says.
	s2 := openStore(t, withParam(t, withParam(t, dsn, "pool_max_conns", "5"), "statement_timeout", "4321"), Options{})
	if got := s2.pool.Config().MaxConns; got != 5 {
		t.Errorf("MaxConns from pool_max_conns = %d, want 5", got)
	}
	if got := showSetting(t, s2, "statement_timeout"); got != "4321ms" {
		t.Errorf("statement_timeout from the connection string = %q, want 4321ms", got)
	}
	// And options override it; a timeout rounds up to the millisecond.
	s3 := openStore(t, withParam(t, dsn, "pool_max_conns", "5"), Options{MaxConns: 2, StatementTimeout: 1500 * time.Microsecond})
	if got := s3.pool.Config().MaxConns; got != 2 {
		t.Errorf("MaxConns = %d, want the option's 2", got)
	}
	if got := showSetting(t, s3, "statement_timeout"); got != "2ms" {
		t.Errorf("statement_timeout = %q, want 2ms", got)
	}

	for _, o := range []Options{{MaxConns: -1}, {StatementTimeout: -time.Second}} {
		if s, err := Open(ctx, dsn, o); err == nil {
			s.Close()
			t.Errorf("Open with %+v succeeded", o)
		}
	}
}

// TestSynchronousCommit: a connection whose synchronous_commit is off (from
// the server, the role or the connection string) gets it back on; other
// settings are kept.
func TestSynchronousCommit(t *testing.T) {
	dsn, _ := freshSchema(t)
	for setting, want := range map[string]string{"off": "on", "local": "local", "remote_apply": "remote_apply", "on": "on"} {
		s := openStore(t, withParam(t, dsn, "synchronous_commit", setting), Options{})
		if got := showSetting(t, s, "synchronous_commit"); got != want {
			t.Errorf("synchronous_commit=%s in the connection string: the store runs with %q, want %q", setting, got, want)
		}
	}
}

func TestOpenFailures(t *testing.T) {
	ctx := context.Background()
	for _, dsn := range []string{
		"postgres://127.0.0.1:1/none?connect_timeout=2&sslmode=disable", // nothing listens on port 1
		"postgres://%zz",
		"host=127.0.0.1 port=notaport",
	} {
		s, err := Open(ctx, dsn, Options{})
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", dsn)
			continue
		}
		if !strings.HasPrefix(err.Error(), "postgres: ") {
			t.Errorf("Open(%q): error %q does not say where it comes from", dsn, err)
		}
	}
}

// TestHotPathPlans checks that the hot lookups, the listings and the
// lookups the cascades depend on can be served by an index (in key order for
// the listings: no Sort), never only by a scan of the whole table.
func TestHotPathPlans(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	tx, err := s.pool.Begin(ctx)
	must(t, err)
	defer tx.Rollback(ctx)
	for _, set := range []string{"SET LOCAL enable_seqscan = off", "SET LOCAL enable_sort = off"} {
		_, err := tx.Exec(ctx, set)
		must(t, err)
	}
	for name, q := range map[string]string{
		"GetSession":                       `SELECT * FROM sessions WHERE id = 'x'`,
		"GetSessionWithUser":               strings.ReplaceAll(qGetSessionWithUser, "$1", "'x'"),
		"GetUser":                          `SELECT * FROM users WHERE pool_id = 'x' AND username = 'x'`,
		"GetUserBySub":                     `SELECT * FROM users WHERE pool_id = 'x' AND sub = 'x'`,
		"GetClient":                        `SELECT * FROM clients WHERE id = 'x'`,
		"ListPools":                        `SELECT * FROM pools WHERE id > 'x' ORDER BY id LIMIT 10`,
		"ListClients":                      `SELECT * FROM clients WHERE pool_id = 'x' AND id > 'x' ORDER BY id LIMIT 10`,
		"ListUsers":                        `SELECT * FROM users WHERE pool_id = 'x' AND username > 'x' ORDER BY username LIMIT 10`,
		"ListKeys":                         `SELECT * FROM keys WHERE pool_id = 'x' ORDER BY created_at NULLS FIRST, id`,
		"sessions of a client (cascade)":   `SELECT id FROM sessions WHERE pool_id = 'x' AND client_id = 'x'`,
		"sessions of a user (cascade)":     `SELECT id FROM sessions WHERE pool_id = 'x' AND user_sub = 'x'`,
		"sessions of a pool (cascade)":     `SELECT id FROM sessions WHERE pool_id = 'x'`,
		"users of a pool (cascade)":        `SELECT username FROM users WHERE pool_id = 'x'`,
		"clients of a pool (cascade)":      `SELECT id FROM clients WHERE pool_id = 'x'`,
		"challenges of a pool (cascade)":   `SELECT id FROM challenges WHERE pool_id = 'x'`,
		"web sessions of a user":           `SELECT id FROM web_sessions WHERE pool_id = 'x' AND user_sub = 'x'`,
		"codes of a client":                `SELECT id FROM auth_codes WHERE pool_id = 'x' AND client_id = 'x'`,
		"codes of a user":                  `SELECT id FROM auth_codes WHERE pool_id = 'x' AND user_sub = 'x'`,
		"used codes of a session":          `SELECT id FROM used_auth_codes WHERE session_id = 'x'`,
		"used codes of a pool":             `SELECT id FROM used_auth_codes WHERE pool_id = 'x'`,
		"PurgeChallenges":                  `SELECT id FROM challenges WHERE expires_at < 1`,
		"PurgeWebSessions":                 `SELECT id FROM web_sessions WHERE expires_at < 1`,
		"PurgeAuthCodes":                   `SELECT id FROM auth_codes WHERE expires_at < 1`,
		"PurgeAuthCodes (used codes)":      `SELECT id FROM used_auth_codes WHERE expires_at < 1`,
		"web sessions of a pool (cascade)": `SELECT id FROM web_sessions WHERE pool_id = 'x'`,
		"PurgeSessions (expired)":          `SELECT id FROM sessions WHERE expires_at < 1 AND expires_at + access_ttl < 1`,
		"PurgeSessions (revoked)":          `SELECT id FROM sessions WHERE revoked_at < 1 AND revoked_at + access_ttl < 1`,
		"PurgeSessions (signed out)": `SELECT s.id FROM users u JOIN sessions s ON s.pool_id = u.pool_id
			AND s.user_sub = u.sub WHERE u.signed_out_at < 1 AND s.user_gen < u.sign_out_gen
			AND u.signed_out_at + s.access_ttl < 1`,
		"GetCode":                   `SELECT * FROM codes WHERE pool_id = 'x' AND user_sub = 'x' AND purpose = 'x'`,
		"codes of a user (cascade)": `SELECT code FROM codes WHERE pool_id = 'x' AND user_sub = 'x'`,
		"PurgeCodes":                `SELECT code FROM codes WHERE expires_at < 1`,
		"UpdateThrottle":            `SELECT * FROM throttles WHERE key = '\x00'::bytea`,
		"PurgeThrottles":            `SELECT key FROM throttles WHERE updated_at < 1 OR updated_at IS NULL`,
	} {
		rows, err := tx.Query(ctx, "EXPLAIN "+q)
		must(t, err)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		must(t, err)
		plan := strings.Join(lines, "\n")
		if strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "Sort") {
			t.Errorf("%s is not an index search in order:\n%s", name, plan)
		}
	}
	// GetUserByAlias must search its column's partial unique index (not,
	// say, the primary key with a filter on the pool's every user), with
	// the value as a parameter, as the store sends it: a generic plan must
	// still prove the index's "IS NOT NULL" predicate.
	for attr, col := range aliasColumns {
		q, ok := qGetUserByAlias[attr]
		if !ok {
			t.Fatalf("no GetUserByAlias query for %q", attr)
		}
		_, err := tx.Exec(ctx, "PREPARE by_alias (text, text) AS "+q)
		must(t, err)
		for _, mode := range []string{"force_generic_plan", "force_custom_plan"} {
			_, err := tx.Exec(ctx, "SET LOCAL plan_cache_mode = "+mode)
			must(t, err)
			rows, err := tx.Query(ctx, "EXPLAIN EXECUTE by_alias ('x', 'x')")
			must(t, err)
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			must(t, err)
			plan := strings.Join(lines, "\n")
			if index := "users_" + col; !strings.Contains(plan, index) {
				t.Errorf("GetUserByAlias %s (%s) does not search %s:\n%s", attr, mode, index, plan)
			}
		}
		_, err = tx.Exec(ctx, "DEALLOCATE by_alias")
		must(t, err)
	}
}

// hammer runs workers goroutines doing a mix of reads and writes on s for
// about d and returns how many iterations completed; every error fails the
// test. Each UpdateUser that wins its compare-and-set adds one to updates.
func hammer(t *testing.T, s store.Store, c *store.Client, u *store.User, prefix string, workers int, d time.Duration,
	updates *atomic.Int64) int64 {
	t.Helper()
	ctx := context.Background()
	var total atomic.Int64
	var firstErr sync.Once
	fail := func(op string, err error) { firstErr.Do(func() { t.Errorf("%s: %v", op, err) }) }
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				id := fmt.Sprintf("%s-w%d-%d", prefix, w, i)
				now := t0.Add(time.Duration(i) * time.Millisecond)
				sess := &store.Session{ID: id, PoolID: c.PoolID, ClientID: c.ID, UserSub: u.Sub,
					Username: u.Username, CreatedAt: now, LastUsed: now, ExpiresAt: now.Add(time.Hour)}
				if err := s.CreateSession(ctx, sess); err != nil {
					fail("CreateSession", err)
					return
				}
				if _, _, err := s.GetSessionWithUser(ctx, id); err != nil {
					fail("GetSessionWithUser", err)
				}
				if _, err := s.GetClient(ctx, c.ID); err != nil {
					fail("GetClient", err)
				}
				if err := s.TouchSession(ctx, id, now.Add(time.Second), time.Hour); err != nil {
					fail("TouchSession", err)
				}
				if err := s.RotateRefresh(ctx, id, 0, now); err != nil {
					fail("RotateRefresh", err)
				}
				switch i % 4 {
				case 0:
					if err := s.RevokeSession(ctx, id, now, "revoke"); err != nil {
						fail("RevokeSession", err)
					}
				case 1:
					if _, err := s.BumpSignOutGen(ctx, u.PoolID, u.Username, now, "signed-out"); err != nil {
						fail("BumpSignOutGen", err)
					}
				case 2:
					if err := s.PutChallenge(ctx, &store.Challenge{ID: id, PoolID: c.PoolID, Data: []byte("d")}); err != nil {
						fail("PutChallenge", err)
					} else if _, err := s.TakeChallenge(ctx, id); err != nil {
						fail("TakeChallenge", err)
					}
				case 3:
					// A read-modify-write, as userpool does it: losing the
					// compare-and-set to a concurrent write is no failure.
					uu, err := s.GetUser(ctx, u.PoolID, u.Username)
					if err != nil {
						fail("GetUser", err)
						break
					}
					uu.UpdatedAt = now
					switch err := s.UpdateUser(ctx, uu); {
					case err == nil:
						updates.Add(1)
					case !errors.Is(err, store.ErrConflict):
						fail("UpdateUser", err)
					}
				}
				total.Add(1)
			}
		})
	}
	wg.Wait()
	return total.Load()
}

// TestTwoReplicas is two stores (two pools of connections, as two Cognate
// processes would have) working on one schema at once: no operation fails,
// each sees the other's writes, and no sign-out bump is lost.
func TestTwoReplicas(t *testing.T) {
	dsn, _ := freshSchema(t)
	a := openStore(t, dsn, Options{MaxConns: 4})
	b := openStore(t, dsn, Options{MaxConns: 4})
	c, u := seed(t, a, "us-east-1_shared")
	d := time.Second
	if testing.Short() {
		d = 200 * time.Millisecond
	}
	var wg sync.WaitGroup
	var na, nb int64
	var updates atomic.Int64
	wg.Go(func() { na = hammer(t, a, c, u, "a", 6, d, &updates) })
	wg.Go(func() { nb = hammer(t, b, c, u, "b", 6, d, &updates) })
	wg.Wait()
	if na == 0 || nb == 0 {
		t.Fatalf("iterations: %d and %d, want both > 0", na, nb)
	}
	ctx := context.Background()
	var sessions int64
	must(t, b.pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE pool_id = $1`, c.PoolID).Scan(&sessions))
	if sessions != na+nb {
		t.Errorf("%d sessions visible, %d created", sessions, na+nb)
	}
	// Iteration i of each worker bumped when i%4 == 1; the session ids say
	// which iterations ran.
	got, err := a.GetUser(ctx, u.PoolID, u.Username)
	must(t, err)
	var want int64
	must(t, a.pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE pool_id = $1
		AND split_part(id, '-', 3)::bigint % 4 = 1`, c.PoolID).Scan(&want))
	if got.SignOutGen != want {
		t.Errorf("SignOutGen = %d after %d bumps racing with updates", got.SignOutGen, want)
	}
	// Every bump and every winning update is one version.
	if got.Version != want+updates.Load() {
		t.Errorf("Version = %d after %d bumps and %d winning updates", got.Version, want, updates.Load())
	}
	t.Logf("%d + %d iterations (about 8 statements each) by two stores of 6 goroutines in %v", na, nb, d)
}

// TestByteOrderCollation: the order of a listing must not depend on the
// database's collation, so every identifier column (those that are keyed,
// joined on or ordered by) is COLLATE "C". The conformance suite's listing
// tests only catch a missing one on a database whose default collation is
// not byte order; this catches it everywhere.
func TestByteOrderCollation(t *testing.T) {
	dsn, schema := freshSchema(t)
	s := openStore(t, dsn, Options{})
	rows, err := s.pool.Query(context.Background(), `SELECT table_name, column_name, COALESCE(collation_name, '')
		FROM information_schema.columns
		WHERE table_schema = $1 AND data_type = 'text' AND table_name <> 'schema_version'
		AND (column_name IN ('id', 'pool_id', 'client_id', 'username', 'sub', 'user_sub', 'session_id',
			'alias_email', 'alias_phone', 'alias_preferred'))`, schema)
	must(t, err)
	type col struct{ table, column, collation string }
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (col, error) {
		var c col
		err := r.Scan(&c.table, &c.column, &c.collation)
		return c, err
	})
	must(t, err)
	if len(cols) < 20 {
		t.Fatalf("found only %d identifier columns: %v", len(cols), cols)
	}
	for _, c := range cols {
		if c.collation != "C" {
			t.Errorf("%s.%s has collation %q, want \"C\"", c.table, c.column, c.collation)
		}
	}
}

// TestUnstorableKeys: PostgreSQL's TEXT cannot hold NUL bytes or invalid
// UTF-8, so no record has such a key; looking one up is store.ErrNotFound
// (as with SQLite), not a driver error that would surface as a 500.
func TestUnstorableKeys(t *testing.T) {
	ctx := context.Background()
	s := openFresh(t)
	c, u := seed(t, s, "us-east-1_odd")
	for _, bad := range []string{"a\x00b", "\xff\xfe", "\x00"} {
		_, err1 := s.GetPool(ctx, bad)
		_, err2 := s.GetClient(ctx, bad)
		_, err3 := s.GetUser(ctx, c.PoolID, bad)
		_, err4 := s.GetUserBySub(ctx, bad, u.Sub)
		_, err5 := s.GetSession(ctx, bad)
		_, _, err6 := s.GetSessionWithUser(ctx, bad)
		_, err7 := s.TakeChallenge(ctx, bad)
		_, err8 := s.TakeAuthCode(ctx, bad)
		_, err9 := s.GetWebSession(ctx, bad)
		_, err10 := s.UsedAuthCodeSession(ctx, bad)
		_, err11 := s.BumpSignOutGen(ctx, c.PoolID, bad, t0, "signed-out")
		_, err12 := s.GetCode(ctx, c.PoolID, bad, "signup")
		_, err13 := s.AttemptCode(ctx, c.PoolID, u.Sub, bad, 3)
		_, err14 := s.GetUserByAlias(ctx, c.PoolID, "email", bad)
		_, err15 := s.GetUserByAlias(ctx, bad, "email", "alice@example.com")
		for i, err := range []error{err1, err2, err3, err4, err5, err6, err7, err8, err9, err10, err11, err12, err13,
			err14, err15,
			s.DeleteCode(ctx, c.PoolID, u.Sub, "signup", bad),
			s.DeletePool(ctx, bad), s.DeleteClient(ctx, c.PoolID, bad), s.DeleteUser(ctx, bad, u.Username),
			s.UpdateClient(ctx, &store.Client{ID: bad, PoolID: c.PoolID}),
			s.UpdateUser(ctx, &store.User{PoolID: c.PoolID, Username: bad}),
			s.RevokeSession(ctx, bad, t0, "revoke"), s.RotateRefresh(ctx, bad, 0, t0), s.TouchSession(ctx, bad, t0, time.Hour),
			s.DeleteWebSession(ctx, bad)} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("lookup #%d of %q: error %v, want store.ErrNotFound", i+1, bad, err)
			}
		}
		users, err := s.ListUsers(ctx, bad, "", 0)
		must(t, err)
		clients, err := s.ListClients(ctx, bad, "", 0)
		must(t, err)
		keys, err := s.ListKeys(ctx, bad)
		must(t, err)
		if len(users)+len(clients)+len(keys) > 0 {
			t.Errorf("listings of pool %q are not empty", bad)
		}
		// Creating a record with such a key is refused, without storing it.
		if err := s.CreatePool(ctx, &store.Pool{ID: bad, Name: "odd"}); err == nil {
			t.Errorf("CreatePool(%q) succeeded", bad)
		}
	}
}

// TestConnectTimeout: a database host that accepts connections and never
// answers fails Open after DefaultConnectTimeout, unless the connection
// string sets its own connect_timeout.
func TestConnectTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // accepted, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	dsn := "postgres://nobody@" + ln.Addr().String() + "/db?sslmode=disable"
	cfg, err := poolConfig(dsn, Options{})
	must(t, err)
	if cfg.ConnConfig.ConnectTimeout != DefaultConnectTimeout {
		t.Fatalf("ConnectTimeout = %v, want %v", cfg.ConnConfig.ConnectTimeout, DefaultConnectTimeout)
	}
	cfg, err = poolConfig(dsn+"&connect_timeout=1", Options{})
	must(t, err)
	if cfg.ConnConfig.ConnectTimeout != time.Second {
		t.Fatalf("ConnectTimeout from the URL = %v, want 1s", cfg.ConnConfig.ConnectTimeout)
	}
	cfg, err = poolConfig("host=127.0.0.1 connect_timeout=2 sslmode=disable", Options{})
	must(t, err)
	if cfg.ConnConfig.ConnectTimeout != 2*time.Second {
		t.Fatalf("ConnectTimeout from keyword/value = %v, want 2s", cfg.ConnConfig.ConnectTimeout)
	}
	start := time.Now()
	_, err = Open(context.Background(), dsn+"&connect_timeout=1", Options{})
	if err == nil {
		t.Fatal("Open against a host that never answers succeeded")
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("Open against a host that never answers took %v", d)
	}
}
