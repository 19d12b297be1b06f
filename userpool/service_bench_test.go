package userpool_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cognate-dev/cognate/store/sqlite"
	"github.com/cognate-dev/cognate/userpool"
)

// These benchmarks call the service directly over a real SQLite store (no
// HTTP), so that a CPU profile of the hot operations shows the domain,
// token and store costs without the wire layer:
//
//	go test -run x -bench 'Service' -cpuprofile /tmp/cpu.out ./userpool/
//	go tool pprof -top /tmp/cpu.out

// sharedFixture is built once per test binary run: b.RunParallel calls the
// benchmark function several times, and the setup (RSA key generation, 60
// sign-ins) would otherwise dominate a CPU profile.
var (
	sharedOnce sync.Once
	shared     *benchFixture
	sharedErr  error
)

func sharedBenchFixture(b *testing.B) *benchFixture {
	b.Helper()
	sharedOnce.Do(func() { shared, sharedErr = newBenchFixture(20, 3) })
	if sharedErr != nil {
		b.Fatal(sharedErr)
	}
	b.ResetTimer()
	return shared
}

type benchFixture struct {
	st        *sqlite.Store
	poolID    string
	svc       *userpool.Service
	clientID  string
	usernames []string
	sessions  []*userpool.AuthResult
}

// newBenchFixture makes a pool, a client allowing password and refresh
// sign-in, users, and signins sessions per user. Its database lives in a
// temporary directory that is left to the OS (the fixture outlives any one
// benchmark).
func newBenchFixture(users, signins int) (*benchFixture, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "cognate-bench-")
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		return nil, err
	}
	svc := userpool.New(userpool.Options{Store: st, PublicURL: "http://127.0.0.1:9229",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// Cheap hashing: sign-in is setup here, not what is measured.
		Hash: userpool.HashParams{Time: 1, Memory: 1024, Threads: 1}})
	p, err := svc.CreateUserPool(ctx, "bench", userpool.PoolConfig{})
	if err != nil {
		return nil, err
	}
	revoke := true
	c, err := svc.CreateUserPoolClient(ctx, userpool.ClientInput{PoolID: p.ID, Name: "bench",
		Config: userpool.ClientConfig{ExplicitAuthFlows: []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
			EnableTokenRevocation: &revoke}})
	if err != nil {
		return nil, err
	}
	fx := &benchFixture{st: st, poolID: p.ID, svc: svc, clientID: c.ID}
	for i := range users {
		name := fmt.Sprintf("bench-user-%03d", i)
		if _, err := svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: p.ID, Username: name, MessageAction: "SUPPRESS",
			Attributes: []userpool.Attribute{{Name: "email", Value: name + "@example.com"}}}); err != nil {
			return nil, err
		}
		if err := svc.AdminSetUserPassword(ctx, p.ID, name, "Bench-Passw0rd!", true); err != nil {
			return nil, err
		}
		fx.usernames = append(fx.usernames, name)
		for range signins {
			r, err := fx.signIn(name)
			if err != nil {
				return nil, err
			}
			fx.sessions = append(fx.sessions, r)
		}
	}
	return fx, nil
}

func (fx *benchFixture) signIn(name string) (*userpool.AuthResult, error) {
	r, err := fx.svc.InitiateAuth(context.Background(), userpool.InitiateAuthInput{ClientID: fx.clientID,
		AuthFlow: userpool.FlowUserPassword, AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": "Bench-Passw0rd!"}})
	if err != nil {
		return nil, err
	}
	if r.Result == nil {
		return nil, fmt.Errorf("sign-in of %s: challenge %s", name, r.ChallengeName)
	}
	return r.Result, nil
}

// BenchmarkServiceGetUser: one GetUser (verify an access token, read the
// user and the session).
func BenchmarkServiceGetUser(b *testing.B) {
	fx := sharedBenchFixture(b)
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			s := fx.sessions[int(n.Add(1))%len(fx.sessions)]
			if _, err := fx.svc.GetUser(ctx, s.AccessToken); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkServiceRefresh: one REFRESH_TOKEN_AUTH (open the refresh token,
// read the session and the user, sign an access and an ID token).
func BenchmarkServiceRefresh(b *testing.B) {
	fx := sharedBenchFixture(b)
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			s := fx.sessions[int(n.Add(1))%len(fx.sessions)]
			if _, err := fx.svc.InitiateAuth(ctx, userpool.InitiateAuthInput{ClientID: fx.clientID, AuthFlow: userpool.FlowRefreshToken,
				AuthParameters: map[string]string{"REFRESH_TOKEN": s.RefreshToken}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkServiceRevokeToken: one RevokeToken of a distinct token family
// (a committed write per call). The sign-ins that make the families are
// outside the timer.
func BenchmarkServiceRevokeToken(b *testing.B) {
	fx := sharedBenchFixture(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		s, err := fx.signIn(fx.usernames[0])
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := fx.svc.RevokeToken(ctx, s.RefreshToken, fx.clientID, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServiceStoreReads: the two reads GetUser makes after verifying
// the token, on rows written by the service itself (a real user row carries
// an argon2id hash and a 2048-bit SRP verifier).
func BenchmarkServiceStoreReads(b *testing.B) {
	fx := sharedBenchFixture(b)
	type ids struct{ sub, family string }
	var all []ids
	for _, s := range fx.sessions {
		parts := strings.Split(s.AccessToken, ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			b.Fatal(err)
		}
		var c struct {
			Sub     string `json:"sub"`
			EventID string `json:"event_id"`
		}
		if err := json.Unmarshal(payload, &c); err != nil {
			b.Fatal(err)
		}
		all = append(all, ids{c.Sub, c.EventID})
	}
	b.Run("GetUserBySub", func(b *testing.B) {
		var n atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				if _, err := fx.st.GetUserBySub(ctx, fx.poolID, all[int(n.Add(1))%len(all)].sub); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("GetSession", func(b *testing.B) {
		var n atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				if _, err := fx.st.GetSession(ctx, all[int(n.Add(1))%len(all)].family); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
