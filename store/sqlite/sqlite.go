// Package sqlite is Cognate's embedded storage backend: a store.Store kept in
// one SQLite file through the pure-Go driver modernc.org/sqlite (no cgo).
//
// # Connections
//
// Open opens the file twice through database/sql:
//
//   - a writer pool of exactly one connection, in which every transaction
//     begins with BEGIN IMMEDIATE (_txlock=immediate). Writers of this process
//     therefore queue in database/sql instead of racing for SQLite's write lock,
//     so concurrent writers never see SQLITE_BUSY from each other, and a
//     read-then-write transaction can never fail to upgrade its lock;
//   - a reader pool of several query_only connections. Under WAL, readers run
//     concurrently with the writer and with each other and see every committed
//     transaction.
//
// busy_timeout (5 s) covers the remaining contention: another process on the
// same file (an admin command, a second server) and WAL checkpoints.
//
// # Durability
//
// journal_mode=WAL with synchronous=FULL: every commit fsyncs the WAL before
// it returns. With synchronous=NORMAL, WAL commits are only fsynced at
// checkpoints, so a power loss can roll back the last transactions; a session
// revocation or a global sign-out must not come back to life after the API
// answered 200, so NORMAL is not acceptable here.
//
// # Schema and encoding
//
// The schema lives in migrations/*.sql (embedded), applied in order inside one
// transaction at Open and recorded in the schema_version table; reopening an
// up-to-date file applies nothing. Times are stored as Unix milliseconds (UTC)
// in INTEGER columns, NULL standing for the zero time: they round-trip to the
// millisecond (sub-millisecond digits are truncated) and come back in UTC.
// User attributes are a JSON object in a TEXT column; settings, challenge data
// and key material are BLOBs that round-trip byte for byte. Children reference
// their pool, client and user with ON DELETE CASCADE (foreign_keys is on for
// every connection), so DeletePool is a single, atomic statement, and
// DeleteClient and DeleteUser are one statement each plus their revocation
// event, in one transaction (as are RevokeSession and BumpSignOutGen). A
// pool's revocation events are numbered by its revocation_feeds row in the
// writer's transaction, which BEGIN IMMEDIATE serializes. Creating a record
// whose pool, client or user does not exist fails with an error wrapping
// store.ErrNotFound.
//
// # Files
//
// Open creates the parent directory (0700) and the database file (0600) when
// they are missing; SQLite gives the -wal and -shm files the database file's
// permissions. An existing file's permissions are left as they are.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/store"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// BusyTimeout is how long a connection waits for a lock held by another
// connection (typically another process on the same file) before failing with
// SQLITE_BUSY.
const BusyTimeout = 5 * time.Second

// driverName is the database/sql driver registered by modernc.org/sqlite.
const driverName = "sqlite"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is the SQLite implementation of store.Store. It is safe for
// concurrent use. Create it with Open and release it with Close.
type Store struct {
	w *sql.DB // one connection; every transaction is BEGIN IMMEDIATE
	r *sql.DB // query_only connections

	// Hot-path statements, prepared once at Open.
	getSession         *sql.Stmt // reader
	getSessionWithUser *sql.Stmt // reader
	getSessionForMint  *sql.Stmt // reader
	getSessionProfile  *sql.Stmt // reader
	getUser            *sql.Stmt // reader
	getUserBySub       *sql.Stmt // reader
	getClient          *sql.Stmt // reader
	listGroupsForUser  *sql.Stmt // reader (every mint reads the user's groups)
	createSession      *sql.Stmt // writer
	touchSession       *sql.Stmt // writer
	rotateRefresh      *sql.Stmt // writer

	throttles throttles

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the SQLite database at path, a file system
// path (not a URI and not ":memory:"), and brings its schema up to date. The
// context bounds the opening and the migrations only.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open: %q is not a file path", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: open: create directory: %w", err)
	}
	// Create the file ourselves so that it gets 0600 whatever SQLite's default;
	// SQLite treats an empty file as a new database.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}

	s := &Store{}
	ok := false
	defer func() {
		if !ok {
			_ = s.closeAll()
		}
	}()

	s.w, err = sql.Open(driverName, dsn(abs, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open writer: %w", err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := checkWriter(ctx, s.w); err != nil {
		return nil, err
	}
	if err := migrate(ctx, s.w); err != nil {
		return nil, err
	}

	readers := min(max(runtime.GOMAXPROCS(0), 4), 8)
	s.r, err = sql.Open(driverName, dsn(abs, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	s.r.SetMaxOpenConns(readers)
	s.r.SetMaxIdleConns(readers)
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(0)
	if err := s.r.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}

	for _, p := range []struct {
		db   *sql.DB
		dst  **sql.Stmt
		name string
		q    string
	}{
		{s.r, &s.getSession, "get session", qGetSession},
		{s.r, &s.getSessionWithUser, "get session with user", qGetSessionWithUser},
		{s.r, &s.getSessionForMint, "get session for mint", qGetSessionForMint},
		{s.r, &s.getSessionProfile, "get session with profile", qGetSessionWithProfile},
		{s.r, &s.getUser, "get user", qGetUser},
		{s.r, &s.getUserBySub, "get user by sub", qGetUserBySub},
		{s.r, &s.getClient, "get client", qGetClient},
		{s.r, &s.listGroupsForUser, "list groups for user", qListGroupsForUser},
		{s.w, &s.createSession, "create session", qCreateSession},
		{s.w, &s.touchSession, "touch session", qTouchSession},
		{s.w, &s.rotateRefresh, "rotate refresh", qRotateRefresh},
	} {
		st, err := p.db.PrepareContext(ctx, p.q)
		if err != nil {
			return nil, fmt.Errorf("sqlite: prepare %s: %w", p.name, err)
		}
		*p.dst = st
	}
	ok = true
	return s, nil
}

// dsn builds the modernc.org/sqlite data source name for the file at abs.
func dsn(abs string, writer bool) string {
	q := url.Values{}
	// busy_timeout is applied first by the driver whatever its position.
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(BusyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/dir/file.db
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String()
}

// checkWriter verifies that the pragmas the store relies on took effect: WAL
// (concurrent readers), foreign keys (cascades) and synchronous=FULL
// (durability). SQLite ignores some of them silently, e.g. WAL on a file
// system without shared memory.
func checkWriter(ctx context.Context, w *sql.DB) error {
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: open: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite: open: journal_mode is %q, want wal", mode)
	}
	var fk, sync int
	if err := w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return fmt.Errorf("sqlite: open: %w", err)
	}
	if fk != 1 {
		return errors.New("sqlite: open: foreign_keys is off")
	}
	if err := w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return fmt.Errorf("sqlite: open: %w", err)
	}
	if sync != 2 {
		return fmt.Errorf("sqlite: open: synchronous is %d, want 2 (FULL)", sync)
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
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
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
			return nil, fmt.Errorf("sqlite: migrations: bad file name %q, want NNNN_name.sql", name)
		}
		b, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, fmt.Errorf("sqlite: migrations: %w", err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlite: migrations: %s: want version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate applies the pending migrations in one (immediate) transaction, so
// two processes opening the same new file cannot both apply them.
func migrate(ctx context.Context, w *sql.DB) (err error) {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
)`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&current); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("sqlite: migrate: database schema version %d is newer than this program's %d", current, len(ms))
	}
	for _, m := range ms[current:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("sqlite: migrate: %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
			m.version, m.name, time.Now().UnixMilli()); err != nil {
			return fmt.Errorf("sqlite: migrate: %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate: commit: %w", err)
	}
	return nil
}

// Close releases the prepared statements and both connection pools after
// checkpointing the WAL into the database file. It is safe to call more than
// once; later calls return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.closeAll() })
	return s.closeErr
}

func (s *Store) closeAll() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.getSession, s.getSessionWithUser, s.getSessionForMint, s.getSessionProfile, s.getUser, s.getUserBySub, s.getClient, s.listGroupsForUser,
		s.createSession, s.touchSession, s.rotateRefresh} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		// Best effort: fold the WAL back into the main file so that a copy of
		// the .db file alone is a complete backup. It fails harmlessly (returns
		// busy=1) while another process reads the file.
		if _, err := s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// inTx runs fn in a writer transaction (BEGIN IMMEDIATE) and commits it. fn
// must use tx only: the writer pool has a single connection.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap(op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return wrap(op, err)
	}
	return nil
}

// execOne runs a writer statement that must affect one row; no row means
// store.ErrNotFound.
func execOne(ctx context.Context, ex interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, op, q string, args ...any) error {
	res, err := ex.ExecContext(ctx, q, args...)
	return affectedOne(op, res, err)
}

// affectedOne checks the result of a statement that must affect one row; no
// row means store.ErrNotFound.
func affectedOne(op string, res sql.Result, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrNotFound)
	}
	return nil
}

// limitArg maps the store's limit (<= 0: no limit) to SQLite's LIMIT (-1: no
// limit).
func limitArg(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// Ping implements store.Store: a SELECT 1 on a reader connection (a commit
// queued on the writer does not delay it).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return wrap("ping", err)
	}
	return nil
}
