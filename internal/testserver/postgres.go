package testserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The environment that puts test servers on PostgreSQL, as store/postgres's
// tests read it (scripts/test sets the first two).
const (
	// EnvPostgresURL names a PostgreSQL server, as a postgres:// URL whose
	// role may create schemas in its database.
	EnvPostgresURL = "COGNATE_TEST_POSTGRES_URL"
	// EnvRequirePostgres=1 makes a test that needs PostgreSQL fail, not
	// skip, when EnvPostgresURL is not set.
	EnvRequirePostgres = "COGNATE_REQUIRE_POSTGRES"
	// EnvDB=postgres runs every StartWith server without Options.DB on a
	// fresh PostgreSQL schema (PostgresDSN), so that a whole test package
	// (e2e) runs once more on PostgreSQL without test code of its own.
	EnvDB = "COGNATE_E2E_DB"
)

// OnPostgres reports whether EnvDB asks for PostgreSQL.
func OnPostgres() bool { return os.Getenv(EnvDB) == "postgres" }

// PostgresRequired reports whether EnvRequirePostgres is set.
func PostgresRequired() bool { return os.Getenv(EnvRequirePostgres) == "1" }

// PostgresURL returns EnvPostgresURL, or skips the test (fails it when
// PostgresRequired) when it is not set.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvPostgresURL)
	if u != "" {
		if !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
			t.Fatalf("%s must be a postgres:// URL (the server only takes those), got a keyword/value string", EnvPostgresURL)
		}
		return u
	}
	if PostgresRequired() {
		t.Fatalf("%s=1 but %s is not set: this test needs PostgreSQL "+
			"(run scripts/test, which provisions a server, or point %s at one)", EnvRequirePostgres, EnvPostgresURL, EnvPostgresURL)
	}
	t.Skipf("needs PostgreSQL: %s is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable; "+
		"scripts/test provisions a server and sets it)", EnvPostgresURL)
	return ""
}

// PostgresDSN creates an empty schema on the PostgreSQL server of
// EnvPostgresURL, drops it with everything in it when the test ends (after
// the servers started later in the test have stopped), and returns a DSN
// whose search_path is that schema: every server opened on it shares one
// fresh database of its own. Without EnvPostgresURL it skips the test, or
// fails it when PostgresRequired.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	schema, err := CreateSchema(base, "cognate_test_")
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	t.Cleanup(func() {
		if err := DropSchema(base, schema); err != nil {
			t.Errorf("testserver: %v", err)
		}
	})
	dsn, err := WithSearchPath(base, schema)
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	return dsn
}

var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// CreateSchema creates a schema named prefix plus 16 random hex digits on
// the server of baseURL and returns its name. prefix must be a plain
// lower-case identifier.
func CreateSchema(baseURL, prefix string) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	schema := prefix + hex.EncodeToString(b)
	return schema, Exec(baseURL, "CREATE SCHEMA "+schema, schema)
}

// DropSchema drops the schema and everything in it, if it exists.
func DropSchema(baseURL, schema string) error {
	return Exec(baseURL, "DROP SCHEMA IF EXISTS "+schema+" CASCADE", schema)
}

// Exec runs one statement on a connection of its own; ident, when not
// empty, must be a plain lower-case identifier (it is spliced into sql).
func Exec(baseURL, sql, ident string) error {
	if ident != "" && !identRE.MatchString(ident) {
		return fmt.Errorf("%q is not a plain lower-case identifier", ident)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, baseURL)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", EnvPostgresURL, err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// WithSearchPath returns the postgres:// URL with its search_path set to
// schema.
func WithSearchPath(baseURL, schema string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", fmt.Errorf("%s is not a URL", EnvPostgresURL) // its error would repeat a password
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
