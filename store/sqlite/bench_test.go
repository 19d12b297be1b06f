package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

const (
	benchUsers    = 1000
	benchSessions = 10000
	benchPool     = "us-east-1_Bench0001"
	benchClient   = "benchclient000000000000000"
)

var benchT0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func benchSub(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i%benchUsers) }

// openBench opens a store holding benchUsers users and benchSessions
// sessions, inserted in one transaction to keep the set-up fast.
func openBench(b *testing.B) *Store {
	b.Helper()
	s := openInternal(b)
	ctx := context.Background()
	if err := s.CreatePool(ctx, &store.Pool{ID: benchPool, Name: "bench", Settings: []byte(`{}`), CreatedAt: benchT0}); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateClient(ctx, &store.Client{ID: benchClient, PoolID: benchPool, Name: "app", CreatedAt: benchT0}); err != nil {
		b.Fatal(err)
	}
	// Only the columns without a default are named, so that new columns
	// (with their defaults) do not break the seeding.
	err := s.inTx(ctx, "seed", func(tx *sql.Tx) error {
		for i := range benchUsers {
			if _, err := tx.ExecContext(ctx, `INSERT INTO users (pool_id, username, sub, status, enabled, attributes,
				password_hash, srp_salt, srp_verifier, created_at, updated_at) VALUES (?, ?, ?, 'CONFIRMED', 1, ?, ?, 'aa', 'bb', ?, ?)`,
				benchPool, fmt.Sprintf("user%04d", i), benchSub(i),
				`{"email":"user@example.com","email_verified":"true","name":"Bench User"}`,
				"$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
				ms(benchT0), ms(benchT0)); err != nil {
				return err
			}
		}
		for i := range benchSessions {
			now := benchT0.Add(time.Duration(i) * time.Second)
			ss := &store.Session{ID: fmt.Sprintf("session-%06d", i), PoolID: benchPool, ClientID: benchClient,
				UserSub: benchSub(i), Username: fmt.Sprintf("user%04d", i%benchUsers), AuthTime: now, CreatedAt: now,
				LastUsed: now, ExpiresAt: now.Add(720 * time.Hour), Scopes: "openid email", Source: "api"}
			var gen int64
			if err := tx.Stmt(s.createSession).QueryRowContext(ctx, createArgs(ss)...).Scan(&gen); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkGetSession(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seq.Add(1)) * 7919
		for pb.Next() {
			i++
			if _, err := s.GetSession(ctx, fmt.Sprintf("session-%06d", i%benchSessions)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkGetUserBySub(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seq.Add(1)) * 7919
		for pb.Next() {
			i++
			if _, err := s.GetUserBySub(ctx, benchPool, benchSub(i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCreateSession measures durable inserts: every one is its own
// transaction, fsynced (synchronous=FULL) before CreateSession returns.
func BenchmarkCreateSession(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			now := benchT0.Add(time.Duration(n) * time.Millisecond)
			err := s.CreateSession(ctx, &store.Session{ID: fmt.Sprintf("new-%09d", n), PoolID: benchPool,
				ClientID: benchClient, UserSub: benchSub(int(n)), Username: "u", AuthTime: now, CreatedAt: now,
				LastUsed: now, ExpiresAt: now.Add(720 * time.Hour), Scopes: "openid", Source: "api"})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
