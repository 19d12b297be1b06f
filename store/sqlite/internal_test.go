package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func openInternal(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "cognate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestHotPathPlans checks that the hot lookups, and the lookups the cascades
// depend on, are index searches, never table scans.
func TestHotPathPlans(t *testing.T) {
	s := openInternal(t)
	for name, q := range map[string]string{
		"GetSession":            qGetSession,
		"GetSessionWithUser":    qGetSessionWithUser,
		"GetSessionForMint":     qGetSessionForMint,
		"GetSessionWithProfile": qGetSessionWithProfile,
		"ListGroupsForUser":     qListGroupsForUser,
		"GetUser":               qGetUser,
		"GetUserBySub":          qGetUserBySub,
		"GetClient":             qGetClient,
		"RotateRefresh":         qRotateRefresh,
		"TouchSession":          qTouchSession,
		"sessions of a client (DeleteClient cascade)": `SELECT id FROM sessions WHERE pool_id = ? AND client_id = ?`,
		"sessions of a pool (DeletePool cascade)":     `SELECT id FROM sessions WHERE pool_id = ?`,
		"users of a pool (DeletePool cascade)":        `SELECT username FROM users WHERE pool_id = ?`,
		"clients of a pool (DeletePool cascade)":      `SELECT id FROM clients WHERE pool_id = ?`,
		"keys of a pool (ListKeys)":                   `SELECT id FROM keys WHERE pool_id = ? ORDER BY created_at`,
		"challenges of a pool (DeletePool cascade)":   `SELECT id FROM challenges WHERE pool_id = ?`,
	} {
		n := strings.Count(q, "?")
		args := make([]any, n)
		for i := range args {
			args[i] = "x"
		}
		rows, err := s.r.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if !strings.Contains(joined, "SEARCH") || strings.Contains(joined, "SCAN") || strings.Contains(joined, "TEMP B-TREE") {
			t.Errorf("%s: plan %q, want an index search without scan or sort", name, joined)
		}
	}
}

func TestConnectionSettings(t *testing.T) {
	s := openInternal(t)
	ctx := context.Background()
	var mode string
	var sync, fk, busy int
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := s.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if err := s.w.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != 2 || busy != 5000 {
		t.Errorf("writer: journal_mode=%s synchronous=%d busy_timeout=%d; want wal, 2 (FULL), 5000", mode, sync, busy)
	}
	if err := s.r.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
		t.Fatal(err)
	}
	if fk != 1 || busy != 5000 {
		t.Errorf("reader: foreign_keys=%d busy_timeout=%d; want 1, 5000", fk, busy)
	}
	if _, err := s.r.ExecContext(ctx, "INSERT INTO pools (id, name) VALUES ('p', 'p')"); err == nil {
		t.Error("a reader connection accepted a write")
	}
	if st := s.w.Stats(); st.MaxOpenConnections != 1 {
		t.Errorf("writer pool allows %d connections, want 1", st.MaxOpenConnections)
	}
}

func TestMigrationsWellFormed(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no migrations embedded")
	}
	for i, m := range ms {
		if m.version != i+1 || strings.TrimSpace(m.sql) == "" {
			t.Errorf("migration %d: %+v", i, m.name)
		}
	}
}
