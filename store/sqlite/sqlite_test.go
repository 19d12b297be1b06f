package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/store/sqlite"
	"github.com/cognate-dev/cognate/store/storetest"
)

// openAt opens a store at path and closes it when the test ends.
func openAt(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openAt(t, filepath.Join(t.TempDir(), "cognate.db"))
	})
}

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// seed creates a pool, with keys if any, a client and a user.
func seed(t testing.TB, s store.Store, poolID string, keys ...*store.Key) (*store.Client, *store.User) {
	t.Helper()
	ctx := context.Background()
	c := &store.Client{ID: poolID + "-client", PoolID: poolID, Name: "app", CreatedAt: t0}
	u := &store.User{PoolID: poolID, Username: "alice", Sub: poolID + "-sub-alice", Status: "CONFIRMED",
		Enabled: true, Attributes: map[string]string{"email": "alice@example.com"}, PasswordHash: "h", CreatedAt: t0}
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

func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cognate.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c, u := seed(t, s, "us-east-1_reopen",
		&store.Key{ID: "kid", PoolID: "us-east-1_reopen", Use: "access", Private: []byte{1, 2, 3}, CreatedAt: t0})
	sess := &store.Session{ID: "jti-1", PoolID: c.PoolID, ClientID: c.ID, UserSub: u.Sub, Username: u.Username,
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	must(t, s.CreateSession(ctx, sess))
	must(t, s.RevokeSession(ctx, sess.ID, t0.Add(time.Minute), "revoke"))
	gen, err := s.BumpSignOutGen(ctx, u.PoolID, u.Username, t0, "signed-out")
	must(t, err)
	must(t, s.PutChallenge(ctx, &store.Challenge{ID: "ch", PoolID: c.PoolID, Data: []byte("x")}))
	must(t, s.Close())
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.GetPool(ctx, c.PoolID); err == nil {
		t.Error("GetPool after Close succeeded")
	}

	for round := range 2 { // reopening twice: migrations are applied once
		s := openAt(t, path)
		got, err := s.GetSession(ctx, sess.ID)
		must(t, err)
		if got.RevokedAt.IsZero() || got.Revoked != "revoke" || !got.ExpiresAt.Equal(sess.ExpiresAt) {
			t.Errorf("round %d: session after reopen = %+v", round, got)
		}
		gu, err := s.GetUserBySub(ctx, u.PoolID, u.Sub)
		must(t, err)
		if gu.SignOutGen != gen || gu.Attributes["email"] != "alice@example.com" {
			t.Errorf("round %d: user after reopen = %+v", round, gu)
		}
		keys, err := s.ListKeys(ctx, c.PoolID)
		must(t, err)
		if len(keys) != 1 || string(keys[0].Private) != "\x01\x02\x03" {
			t.Errorf("round %d: keys after reopen = %+v", round, keys)
		}
		must(t, s.Close())
	}
	// Taken only now, so that it survived both reopenings.
	s = openAt(t, path)
	if _, err := s.TakeChallenge(ctx, "ch"); err != nil {
		t.Errorf("TakeChallenge after reopen: %v", err)
	}
	must(t, s.Close())
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Error("the -wal file survived Close (WAL not checkpointed)")
	}

	db, err := sql.Open("sqlite", path)
	must(t, err)
	defer db.Close()
	var n, maxV int
	must(t, db.QueryRow("SELECT COUNT(*), MAX(version) FROM schema_version").Scan(&n, &maxV))
	if n != maxV || n < 1 {
		t.Errorf("schema_version has %d rows up to version %d, want one row per migration", n, maxV)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cognate.db")
	s, err := sqlite.Open(context.Background(), path)
	must(t, err)
	must(t, s.Close())
	db, err := sql.Open("sqlite", path)
	must(t, err)
	_, err = db.Exec("INSERT INTO schema_version (version, name, applied_at) VALUES (9999, 'from the future', 0)")
	must(t, err)
	must(t, db.Close())
	if s, err := sqlite.Open(context.Background(), path); err == nil {
		s.Close()
		t.Fatal("Open of a database with a newer schema succeeded")
	} else if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a database with a newer schema: %v", err)
	}
}

func TestOpenRejectsNonFiles(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if s, err := sqlite.Open(context.Background(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "nested")
	path := filepath.Join(dir, "cognate.db")
	s := openAt(t, path)
	seed(t, s, "us-east-1_modes") // a write, so that -wal and -shm exist
	fi, err := os.Stat(dir)
	must(t, err)
	if m := fi.Mode().Perm(); m != 0o700 {
		t.Errorf("created directory mode = %o, want 700", m)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(name), err)
			continue
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s mode = %o, want 600", filepath.Base(name), m)
		}
	}
}

// TestReferentialIntegrity checks what the conformance suite leaves open:
// records pointing at a missing pool, client or user are refused with
// store.ErrNotFound rather than stored as orphans.
func TestReferentialIntegrity(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "cognate.db"))
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
		}
	}
	for _, id := range []string{"s1", "s2", "s3", "s4"} {
		if _, err := s.GetSession(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("refused session %s was stored (GetSession error %v)", id, err)
		}
	}
}

func TestZeroTimesRefused(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "cognate.db"))
	c, u := seed(t, s, "us-east-1_zero", &store.Key{ID: "k", PoolID: "us-east-1_zero", Private: []byte{1}})
	must(t, s.CreateSession(ctx, &store.Session{ID: "s", PoolID: c.PoolID, ClientID: c.ID, UserSub: u.Sub}))
	if err := s.RevokeSession(ctx, "s", time.Time{}, "revoke"); err == nil {
		t.Error("RevokeSession with the zero time succeeded (it would leave the session live)")
	}
}

// busyError reports whether err is SQLite's "database is locked" family.
func busyError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked") ||
		strings.Contains(msg, "SQLITE_LOCKED")
}

// hammer runs workers goroutines doing a mix of reads and writes on s for
// about d, and reports every unexpected error.
func hammer(t *testing.T, s store.Store, c *store.Client, u *store.User, prefix string, workers int, d time.Duration) (ops int64) {
	t.Helper()
	ctx := context.Background()
	var total atomic.Int64
	var busy atomic.Int64
	var firstErr sync.Once
	fail := func(op string, err error) {
		if busyError(err) {
			busy.Add(1)
		}
		firstErr.Do(func() { t.Errorf("%s: %v", op, err) })
	}
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
				for range 4 {
					if _, err := s.GetSession(ctx, id); err != nil {
						fail("GetSession", err)
					}
					if _, err := s.GetUserBySub(ctx, u.PoolID, u.Sub); err != nil {
						fail("GetUserBySub", err)
					}
					if _, err := s.GetClient(ctx, c.ID); err != nil {
						fail("GetClient", err)
					}
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
					if _, _, err := s.GetSessionWithUser(ctx, id); err != nil {
						fail("GetSessionWithUser", err)
					}
				}
				total.Add(1)
			}
		})
	}
	wg.Wait()
	if n := busy.Load(); n > 0 {
		t.Errorf("%d SQLITE_BUSY/locked errors", n)
	}
	return total.Load()
}

func TestConcurrentReadersAndWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cognate.db")
	s := openAt(t, path)
	c, u := seed(t, s, "us-east-1_conc")
	d := 2 * time.Second
	if testing.Short() {
		d = 300 * time.Millisecond
	}
	n := hammer(t, s, c, u, "one", 32, d)
	if n == 0 {
		t.Fatal("no operation completed")
	}
	if got := countSessions(t, path, u); got != n {
		t.Errorf("%d sessions stored, %d iterations completed", got, n)
	}
	t.Logf("%d iterations (about 17 operations each) by 32 goroutines in %v", n, d)
}

// TestTwoStoresOneFile is two processes sharing the file: their writers
// contend for SQLite's lock, which busy_timeout must absorb.
func TestTwoStoresOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cognate.db")
	a := openAt(t, path)
	b := openAt(t, path)
	c, u := seed(t, a, "us-east-1_shared")
	d := time.Second
	if testing.Short() {
		d = 200 * time.Millisecond
	}
	var wg sync.WaitGroup
	var na, nb int64
	wg.Go(func() { na = hammer(t, a, c, u, "a", 8, d) })
	wg.Go(func() { nb = hammer(t, b, c, u, "b", 8, d) })
	wg.Wait()
	if na == 0 || nb == 0 {
		t.Errorf("iterations: %d and %d, want both > 0", na, nb)
	}
	// Each store sees the other's writes.
	if got := countSessions(t, path, u); got != na+nb {
		t.Errorf("%d sessions visible, %d created", got, na+nb)
	}
}

// countSessions counts the user's sessions by reading the database file
// directly (the store has no listing).
func countSessions(t testing.TB, path string, u *store.User) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	must(t, err)
	defer db.Close()
	var n int64
	must(t, db.QueryRow(`SELECT count(*) FROM sessions WHERE pool_id = ? AND user_sub = ?`, u.PoolID, u.Sub).Scan(&n))
	return n
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
