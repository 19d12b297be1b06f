package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// TestMigrationMovesSignUpCodes opens a database written by the schema
// before one-time codes had their own table, with an unconfirmed user's
// pending code and a temporary password's deadline, and checks both survive
// the migration where the new schema keeps them.
func TestMigrationMovesSignUpCodes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(driverName, dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
	for _, m := range ms[:5] {
		exec(m.sql)
		exec(`INSERT INTO schema_version VALUES (?, ?, 0)`, m.version, m.name)
	}
	deadline := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	exec(`INSERT INTO pools (id, name, settings) VALUES ('us-east-1_old', 'old', '{}')`)
	exec(`INSERT INTO users (pool_id, username, sub, status, enabled, attributes, password_hash, srp_salt, srp_verifier,
		code, code_expires_at, updated_at) VALUES
		('us-east-1_old', 'una', 'sub-una', 'UNCONFIRMED', 1, '{}', 'h', '', '', '424242', ?, 1000),
		('us-east-1_old', 'tom', 'sub-tom', 'FORCE_CHANGE_PASSWORD', 1, '{}', 'h', '', '', '', ?, 1000)`,
		deadline.UnixMilli(), deadline.UnixMilli())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.GetCode(ctx, "us-east-1_old", "sub-una", "signup")
	if err != nil || c.Code != "424242" || !c.ExpiresAt.Equal(deadline) || c.Attempts != 0 {
		t.Fatalf("una's sign-up code after the migration: %+v, %v", c, err)
	}
	una, err := s.GetUser(ctx, "us-east-1_old", "una")
	if err != nil || !una.TempPasswordExpiresAt.IsZero() || una.Version != 0 {
		t.Fatalf("una after the migration: %+v, %v", una, err)
	}
	tom, err := s.GetUser(ctx, "us-east-1_old", "tom")
	if err != nil || !tom.TempPasswordExpiresAt.Equal(deadline) {
		t.Fatalf("tom's temporary-password deadline after the migration: %+v, %v", tom, err)
	}
	if _, err := s.GetCode(ctx, "us-east-1_old", "sub-tom", "signup"); err == nil {
		t.Fatal("tom got a sign-up code")
	}
}
