// Package postgres is Cognate's server storage backend: a store.Store kept in
// a PostgreSQL database through github.com/jackc/pgx/v5 and its connection
// pool, pgxpool. Several Cognate replicas may share one database.
//
// # Connections
//
// Open takes a pgx connection string (postgres://user@host:5432/db?... or
// "host=... dbname=..."); everything pgx reads from it applies, including
// pool_max_conns and run-time parameters such as search_path. Options
// overrides two of them: MaxConns, the size of the pool, and StatementTimeout,
// sent as the statement_timeout parameter when each connection starts, so
// that a statement stuck behind a lock fails instead of holding a pooled
// connection forever. Every method but CreatePool and UpdateThrottle is a
// single statement on a pooled connection, in autocommit (a few follow a
// refused write with a lookup, to tell store.ErrNotFound from
// store.ErrConflict); CreatePool (a pool and its keys, inserted together)
// and UpdateThrottle are each one short transaction. None holds a
// transaction open across calls, and
// statements are prepared once per connection by pgx's statement cache. A
// connection pooler in transaction mode needs default_query_exec_mode=exec
// (or simple_protocol) in the connection string.
//
// # Concurrency
//
// Each method that must be atomic is one statement, which PostgreSQL runs
// atomically at READ COMMITTED: BumpSignOutGen is one UPDATE ... RETURNING
// (of sign_out_gen, signed_out_at and version); UpdateUser a compare-and-set
// UPDATE on version, which never writes sign_out_gen, so it cannot undo a
// concurrent bump (and an update read before a bump is refused, the bump
// having moved the version); RotateRefresh a compare-and-set UPDATE on
// refresh_gen; AttemptCode an UPDATE counting an attempt only while
// attempts < maxAttempts; TakeChallenge, TakeAuthCode and DeleteCode a
// DELETE (of concurrent takers exactly one gets the row). A compare-and-set
// that waited for a concurrent writer's row lock re-checks its condition on
// the row that writer committed, so of racing writers from one version
// exactly one wins. CreateSession is one INSERT ... SELECT that reads the
// user's sign_out_gen (and refuses a disabled user) in the statement that
// inserts the session: a global sign-out committed before it began is
// always seen, so no session is born dead. AcquireLease is one INSERT ...
// ON CONFLICT DO UPDATE whose WHERE (the lease is expired, or the caller's
// already) PostgreSQL evaluates on the row as the winner of a race committed
// it: of replicas racing for a free or expired lease exactly one takes it.
// A lease is a row, not an advisory lock: it outlives the connection that
// took it, until it expires or its holder releases it. The writes that
// revoke (RevokeSession, BumpSignOutGen, DeleteUser, DeleteClient) append
// their revocation event in the same statement, through data-modifying
// CTEs: the pool's revocation_feeds row is upserted (seq = seq + 1), and its
// row lock, held to the commit, orders the pool's revocations, so event
// numbers are gap-free and committed in order across replicas.
//
// UpdateThrottle is the one read-modify-write in Go: in one transaction it
// inserts the key's row if missing (INSERT ... ON CONFLICT DO NOTHING), locks
// and reads it (SELECT ... FOR UPDATE), calls fn and writes back what fn
// left. Updates of one key therefore queue on its row lock, on every replica
// sharing the database; fn runs with the lock held and must be quick.
//
// Row locks serialize all of these across connections and across replicas;
// nothing relies on LISTEN/NOTIFY or on any state kept in the process. The
// purges delete in bounded batches (DELETE ... WHERE key IN (SELECT ... LIMIT
// n)); those of rows that can be renewed in place (one-time codes, throttle
// states) repeat their condition in the DELETE, which PostgreSQL re-checks
// on a row changed under it, so a code or state renewed while the purge
// runs is kept.
//
// # Durability
//
// A write returns once its transaction has committed. Each new connection
// turns synchronous_commit back on if the server or the role has it off, so a
// commit is flushed to the WAL (and, where configured, to synchronous
// standbys) before the call returns: a revoked session or a global sign-out
// must not come back to life after the API answered 200. Stronger settings
// (remote_apply, ...) are left as they are.
//
// The exception is sign-in throttle state, which store.Throttles allows to
// be forgotten: the throttles table is UNLOGGED, so the write that every
// sign-in attempt makes to it generates no WAL. PostgreSQL empties an
// unlogged table after a crash (not after a clean shutdown), and standbys
// never have its contents: after a crash or a failover every throttle
// starts afresh, as it does when store/sqlite's server restarts. Nothing
// else is unlogged.
//
// # Schema and encoding
//
// The schema lives in migrations/*.sql (embedded) and is recorded in the
// schema_version table, both in the first schema of the connection's
// search_path (public by default; put search_path in the connection string
// to use another). Open applies the pending migrations in one transaction
// that first takes pg_advisory_xact_lock on a fixed key (MigrationLockKey):
// replicas starting together on an empty database queue on the lock, the
// first applies the migrations and the others then find the schema up to
// date. The lock is released by the commit or rollback. A database whose
// schema is newer than this program's is refused.
//
// Times are stored as Unix milliseconds (UTC) in BIGINT columns, NULL
// standing for the zero time, exactly as in store/sqlite. Identifier columns
// are TEXT COLLATE "C", so listings come in byte order whatever the
// database's collation. Settings, challenge and code data and key material
// are BYTEA and round-trip byte for byte; user attributes are a JSON object in TEXT.
// PostgreSQL's TEXT cannot hold NUL bytes or invalid UTF-8: storing a record
// with such a text field fails with an error, and looking up such a key is
// store.ErrNotFound (no record can have it). Throttle keys are the
// exception: the domain builds them with NUL separators, so the throttles
// table keys its rows by the key's bytes (BYTEA), unencoded, and any string
// is a throttle key. One-time codes live in the codes table, one row per
// user and purpose with its attempt count; users carry a version (for
// UpdateUser's compare-and-set), signed_out_at (when sign_out_gen last
// moved, for the session purge) and their sign-in aliases in three nullable
// columns (alias_email, alias_phone, alias_preferred), each unique per pool
// through a partial unique index that also serves GetUserByAlias. Children reference their pool, client and
// user with ON DELETE CASCADE (codes through their user), so DeletePool,
// DeleteClient and DeleteUser are single, atomic statements. A unique
// violation is store.ErrConflict; creating a record whose pool, client or
// user does not exist (a foreign-key violation) is store.ErrNotFound.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cognate-dev/cognate/store"
)

// MigrationLockKey is the key of the transaction-scoped advisory lock that
// Open holds while it migrates: "cognate" in ASCII. Advisory locks are per
// database, so stores in different schemas of one database also queue on it,
// which costs nothing but a short wait at start-up.
const MigrationLockKey int64 = 0x636f676e617465

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Options tunes the connection pool. The zero value keeps what the
// connection string says, or pgx's and the server's defaults.
type Options struct {
	// MaxConns is the largest number of connections the pool opens. Zero
	// keeps the connection string's pool_max_conns, else pgxpool's default
	// (the greater of 4 and the number of CPUs).
	MaxConns int
	// StatementTimeout, when positive, is sent as statement_timeout (rounded
	// up to the millisecond) on every connection the pool opens. Zero keeps
	// the connection string's or the server's setting.
	StatementTimeout time.Duration
}

// Store is the PostgreSQL implementation of store.Store. It is safe for
// concurrent use. Create it with Open and release it with Close.
type Store struct {
	pool *pgxpool.Pool

	closeOnce sync.Once
}

var _ store.Store = (*Store)(nil)

// Open connects to the database that dsn names, brings its schema up to date
// and returns the store. The context bounds the connection and the
// migrations (including the wait for another replica's migrations) only.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := poolConfig(dsn, opts)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool}, nil
}

// poolConfig parses dsn and applies opts to it.
func poolConfig(dsn string, opts Options) (*pgxpool.Config, error) {
	if opts.MaxConns < 0 {
		return nil, fmt.Errorf("postgres: open: negative MaxConns %d", opts.MaxConns)
	}
	if opts.MaxConns > 1<<20 {
		return nil, fmt.Errorf("postgres: open: MaxConns %d is too large", opts.MaxConns)
	}
	if opts.StatementTimeout < 0 {
		return nil, fmt.Errorf("postgres: open: negative StatementTimeout %v", opts.StatementTimeout)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors do not repeat the password.
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(opts.MaxConns)
		if cfg.MinConns > cfg.MaxConns {
			cfg.MinConns = cfg.MaxConns
		}
	}
	if opts.StatementTimeout > 0 {
		ms := (opts.StatementTimeout + time.Millisecond - 1) / time.Millisecond
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(int64(ms), 10)
	}
	if _, set := connectTimeoutIn(dsn); !set {
		// A database host that accepts the connection and never answers
		// must not hold a request (or the janitor) forever.
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	cfg.AfterConnect = afterConnect
	return cfg, nil
}

// DefaultConnectTimeout bounds opening a connection when the connection
// string sets no connect_timeout.
const DefaultConnectTimeout = 5 * time.Second

// connectTimeoutIn reports the connect_timeout a URL or keyword/value
// connection string sets, if any.
func connectTimeoutIn(dsn string) (string, bool) {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		v, ok := u.Query()["connect_timeout"]
		if ok && len(v) > 0 {
			return v[0], true
		}
		return "", false
	}
	for _, f := range strings.Fields(dsn) {
		if v, ok := strings.CutPrefix(f, "connect_timeout="); ok {
			return v, true
		}
	}
	return "", false
}

// afterConnect turns synchronous_commit on for the new connection if it is
// off (see Durability in the package documentation), in one round trip.
func afterConnect(ctx context.Context, c *pgx.Conn) error {
	_, err := c.Exec(ctx, `SELECT set_config('synchronous_commit', 'on', false)
		WHERE current_setting('synchronous_commit') = 'off'`)
	if err != nil {
		return fmt.Errorf("postgres: connect: synchronous_commit: %w", err)
	}
	return nil
}

// migration is one embedded schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads migrations/NNNN_name.sql, ordered by NNNN, which must
// run 1, 2, 3... without gaps.
func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, found := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !found || err != nil || v <= 0 {
			return nil, fmt.Errorf("postgres: migrations: bad file name %q, want NNNN_name.sql", name)
		}
		b, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, fmt.Errorf("postgres: migrations: %w", err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("postgres: migrations: %s: want version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate applies the pending migrations in one transaction that holds the
// advisory lock MigrationLockKey from its first statement to its end, so
// that concurrent Opens on one database apply them once, one after the
// other. The transaction lifts the statement timeout: waiting for another
// replica's migration, or a long migration, is bounded by ctx instead.
func migrate(ctx context.Context, pool *pgxpool.Pool) (err error) {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, MigrationLockKey); err != nil {
		return fmt.Errorf("postgres: migrate: advisory lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at BIGINT  NOT NULL
)`); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("postgres: migrate: database schema version %d is newer than this program's %d", current, len(ms))
	}
	for _, m := range ms[current:] {
		// No arguments: the simple protocol, which runs a multi-statement
		// script.
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("postgres: migrate: %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, m.name, time.Now().UnixMilli()); err != nil {
			return fmt.Errorf("postgres: migrate: %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: commit: %w", err)
	}
	return nil
}

// Close closes the pool's connections, waiting for those in use to be
// released. It is safe to call more than once. Every write has committed
// before its method returned, so nothing is flushed here.
func (s *Store) Close() error {
	s.closeOnce.Do(s.pool.Close)
	return nil
}

// wrap adds the operation to err and maps driver errors to the store's
// sentinels: no row is store.ErrNotFound, a unique violation is
// store.ErrConflict, and a foreign-key violation (the pool, client, user or
// session referenced does not exist) is store.ErrNotFound. The text of a
// PostgreSQL error names the constraint, never the values (those are in its
// Detail, which Error leaves out).
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrConflict, err)
		case "23503": // foreign_key_violation
			return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrNotFound, err)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// notFound is the error of a lookup that found nothing.
func notFound(op string) error { return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound) }

// execOne runs a statement that must affect one row; no row means
// store.ErrNotFound.
func (s *Store) execOne(ctx context.Context, op, q string, args ...any) error {
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
	}
	return nil
}

// purge runs a bounded DELETE whose arguments are a time and a limit (the
// store's: <= 0 is no limit) and returns how many rows it deleted.
func (s *Store) purge(ctx context.Context, op, q string, before time.Time, limit int) (int64, error) {
	tag, err := s.pool.Exec(ctx, q, ms(before), limitArg(limit))
	if err != nil {
		return 0, wrap(op, err)
	}
	return tag.RowsAffected(), nil
}

// limitArg maps the store's limit (<= 0: no limit) to PostgreSQL's LIMIT
// (NULL: no limit).
func limitArg(limit int) any {
	if limit <= 0 {
		return nil
	}
	return limit
}

// list runs a query and scans every row with scan.
func list[T any](ctx context.Context, s *Store, op, q string, scan func(pgx.Rows) (*T, error), args ...any) ([]*T, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// Ping implements store.Store: it takes a pooled connection (opening one if
// none is idle) and makes one round trip on it, both bounded by ctx.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}
