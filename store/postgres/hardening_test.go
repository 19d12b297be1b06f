package postgres

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/store"
)

// TestMigrationMovesSignUpCodes opens a database written by schema version 1
// (one-time codes in the users table), with an unconfirmed user's pending
// code and a temporary password's deadline, and checks that both survive
// migration 2 where the new schema keeps them.
func TestMigrationMovesSignUpCodes(t *testing.T) {
	ctx := context.Background()
	dsn, _ := freshSchema(t)
	ms, err := loadMigrations()
	must(t, err)
	c, err := pgx.Connect(ctx, dsn)
	must(t, err)
	defer c.Close(ctx)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := c.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
	exec(ms[0].sql)
	exec(`INSERT INTO schema_version VALUES ($1, $2, 0)`, ms[0].version, ms[0].name)
	deadline := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	exec(`INSERT INTO pools (id, name, settings) VALUES ('us-east-1_old', 'old', '{}')`)
	exec(`INSERT INTO users (pool_id, username, sub, status, enabled, attributes, password_hash, srp_salt, srp_verifier,
		code, code_expires_at, sign_out_gen, updated_at) VALUES
		('us-east-1_old', 'una', 'sub-una', 'UNCONFIRMED', true, '{}', 'h', '', '', '424242', $1, 0, 1000),
		('us-east-1_old', 'tom', 'sub-tom', 'FORCE_CHANGE_PASSWORD', true, '{}', 'h', '', '', '', $1, 2, 1000),
		('us-east-1_old', 'cid', 'sub-cid', 'CONFIRMED', true, '{}', 'h', '', '', '', $1, 0, 1000)`,
		deadline.UnixMilli())

	s := openStore(t, dsn, Options{})
	checkSchemaApplied(t, s)
	code, err := s.GetCode(ctx, "us-east-1_old", "sub-una", "signup")
	if err != nil || code.Code != "424242" || !code.ExpiresAt.Equal(deadline) || code.Attempts != 0 ||
		!code.CreatedAt.Equal(time.UnixMilli(1000)) {
		t.Fatalf("una's sign-up code after the migration: %+v, %v", code, err)
	}
	una, err := s.GetUser(ctx, "us-east-1_old", "una")
	if err != nil || !una.TempPasswordExpiresAt.IsZero() || una.Version != 0 || !una.SignedOutAt.IsZero() ||
		una.Aliases == nil || len(una.Aliases) != 0 {
		t.Fatalf("una after the migration: %+v, %v", una, err)
	}
	tom, err := s.GetUser(ctx, "us-east-1_old", "tom")
	if err != nil || !tom.TempPasswordExpiresAt.Equal(deadline) || tom.SignOutGen != 2 {
		t.Fatalf("tom's temporary-password deadline after the migration: %+v, %v", tom, err)
	}
	cid, err := s.GetUser(ctx, "us-east-1_old", "cid")
	if err != nil || !cid.TempPasswordExpiresAt.IsZero() {
		t.Fatalf("cid after the migration: %+v, %v", cid, err)
	}
	for _, sub := range []string{"sub-tom", "sub-cid"} {
		if _, err := s.GetCode(ctx, "us-east-1_old", sub, "signup"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s got a sign-up code (%v)", sub, err)
		}
	}
	// The migrated user works with the new contract.
	una.Status = "CONFIRMED"
	must(t, s.UpdateUser(ctx, una))
	if una.Version != 1 {
		t.Errorf("UpdateUser of a migrated user left Version %d, want 1", una.Version)
	}
}

// TestThrottleKeys: throttle keys are bytes (the domain joins their parts
// with NUL bytes, which TEXT refuses), distinct keys are distinct states,
// and the state is shared by replicas, in an unlogged table.
func TestThrottleKeys(t *testing.T) {
	ctx := context.Background()
	dsn, schema := freshSchema(t)
	a := openStore(t, dsn, Options{MaxConns: 3})
	b := openStore(t, dsn, Options{MaxConns: 3})
	keys := []string{"user\x00us-east-1_p\x00alice", "user\x00us-east-1_p\x00alice\x00", "user", "\xff\xfe", "", "\x00"}
	for i, k := range keys {
		must(t, a.UpdateThrottle(ctx, k, func(st *store.Throttle) error {
			if st.Count != 0 {
				t.Errorf("key %q: a new key's Count = %d", k, st.Count)
			}
			st.Count = i + 1
			st.UpdatedAt = t0
			return nil
		}))
	}
	for i, k := range keys {
		must(t, b.UpdateThrottle(ctx, k, func(st *store.Throttle) error {
			if st.Count != i+1 || !st.UpdatedAt.Equal(t0) || st.UpdatedAt.Location() != time.UTC {
				t.Errorf("key %q read by the other replica: %+v, want Count %d", k, st, i+1)
			}
			return nil
		}))
	}

	// Two replicas incrementing one key lose nothing.
	const per = 20
	var wg sync.WaitGroup
	for _, s := range []*Store{a, b, a, b} {
		wg.Go(func() {
			for range per {
				if err := s.UpdateThrottle(ctx, keys[0], func(st *store.Throttle) error {
					st.Count++
					return nil
				}); err != nil {
					t.Errorf("UpdateThrottle: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	must(t, a.UpdateThrottle(ctx, keys[0], func(st *store.Throttle) error {
		if want := 1 + 4*per; st.Count != want {
			t.Errorf("Count = %d after %d increments from two replicas, want %d", st.Count, 4*per, want)
		}
		return nil
	}))

	var persistence string
	must(t, a.pool.QueryRow(ctx, `SELECT c.relpersistence FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = 'throttles'`, schema).Scan(&persistence))
	if persistence != "u" {
		t.Errorf("throttles has relpersistence %q, want u (unlogged)", persistence)
	}
}

// TestThrottleReleasesOnPanic: a panicking fn rolls the transaction back and
// gives its connection back to the pool (of one connection here).
func TestThrottleReleasesOnPanic(t *testing.T) {
	dsn, _ := freshSchema(t)
	s := openStore(t, dsn, Options{MaxConns: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("fn's panic did not propagate")
			}
		}()
		_ = s.UpdateThrottle(ctx, "k", func(st *store.Throttle) error {
			st.Count = 5
			panic("boom")
		})
	}()
	must(t, s.UpdateThrottle(ctx, "k", func(st *store.Throttle) error {
		if st.Count != 0 {
			t.Errorf("a panicking fn's state was stored: Count %d", st.Count)
		}
		return nil
	}))
}

// TestPurgeKeepsRenewedRows: a purge that selected a row as expired, and
// then finds it renewed by a write that committed meanwhile (a new one-time
// code for the same user and purpose, a throttle updated again, a dead
// session's access TTL raised by a TouchSession), keeps it.
func TestPurgeKeepsRenewedRows(t *testing.T) {
	ctx := context.Background()
	dsn, _ := freshSchema(t)
	s := openStore(t, dsn, Options{})
	_, u := seed(t, s, "us-east-1_renew")
	must(t, s.PutCode(ctx, &store.Code{PoolID: u.PoolID, UserSub: u.Sub, Purpose: "signup", Code: "1",
		CreatedAt: t0, ExpiresAt: t0}))
	must(t, s.UpdateThrottle(ctx, "k", func(st *store.Throttle) error { st.UpdatedAt = t0; return nil }))

	// A dead session of each kind, whose tokens lived a minute, each of its
	// own user and made just before its case: the earlier cases' sessions,
	// renewed, are purgeable no more.
	client, _ := seed(t, s, "us-east-1_renew2")
	// session returns a setup that makes the user and calls end, which
	// creates the session and ends it.
	session := func(id, user string, end func(*store.Session)) func() {
		return func() {
			sub := client.PoolID + "-sub-" + user
			must(t, s.CreateUser(ctx, &store.User{PoolID: client.PoolID, Username: user, Sub: sub, Status: "CONFIRMED",
				Enabled: true, PasswordHash: "h", CreatedAt: t0}))
			ss := &store.Session{ID: id, PoolID: client.PoolID, ClientID: client.ID, UserSub: sub, Username: user,
				CreatedAt: t0, LastUsed: t0, ExpiresAt: t0.Add(48 * time.Hour), AccessTTL: time.Minute}
			end(ss)
		}
	}
	create := func(ss *store.Session) { must(t, s.CreateSession(ctx, ss)) }
	purgeSessions := func() (int64, error) { return s.PurgeSessions(ctx, t0.Add(time.Hour), 0) }
	sessionExists := func(id string) func() bool {
		return func() bool { _, err := s.GetSession(ctx, id); return err == nil }
	}
	// A touch that raises the access TTL so that the session's tokens live
	// until the renewal time.
	touch := `UPDATE sessions SET access_ttl = $1 - created_at WHERE id = `

	for _, c := range []struct {
		name   string
		setup  func() // or nil
		renew  string
		purge  func() (int64, error)
		exists func() bool
	}{
		{"codes", nil, `UPDATE codes SET expires_at = $1`,
			func() (int64, error) { return s.PurgeCodes(ctx, t0.Add(time.Hour), 0) },
			func() bool { _, err := s.GetCode(ctx, u.PoolID, u.Sub, "signup"); return err == nil }},
		{"throttles", nil, `UPDATE throttles SET updated_at = $1`,
			func() (int64, error) { return s.PurgeThrottles(ctx, t0.Add(time.Hour), 0) },
			func() bool {
				var n int
				must(t, s.pool.QueryRow(ctx, `SELECT count(*) FROM throttles`).Scan(&n))
				return n == 1
			}},
		{"expired session", session("expired", "bob", func(ss *store.Session) {
			ss.ExpiresAt = t0
			create(ss)
		}), touch + `'expired'`, purgeSessions, sessionExists("expired")},
		{"revoked session", session("revoked", "carol", func(ss *store.Session) {
			create(ss)
			must(t, s.RevokeSession(ctx, ss.ID, t0, "revoke"))
		}), touch + `'revoked'`, purgeSessions, sessionExists("revoked")},
		{"signed-out session", session("signed-out", "dave", func(ss *store.Session) {
			create(ss)
			_, err := s.BumpSignOutGen(ctx, ss.PoolID, ss.Username, t0, "signed-out")
			must(t, err)
		}), touch + `'signed-out'`, purgeSessions, sessionExists("signed-out")},
	} {
		if c.setup != nil {
			c.setup()
		}
		// The renewal holds the row's lock while the purge starts, so the
		// purge selects the expired row and then waits for it.
		tx, err := s.pool.Begin(ctx)
		must(t, err)
		_, err = tx.Exec(ctx, c.renew, t0.Add(2*time.Hour).UnixMilli())
		must(t, err)
		type result struct {
			n   int64
			err error
		}
		done := make(chan result, 1)
		go func() {
			n, err := c.purge()
			done <- result{n, err}
		}()
		time.Sleep(300 * time.Millisecond)
		must(t, tx.Commit(ctx))
		r := <-done
		must(t, r.err)
		if r.n != 0 || !c.exists() {
			t.Errorf("%s: the purge deleted %d rows, a renewed one among them", c.name, r.n)
		}
	}
}
