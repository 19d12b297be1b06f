package sqlite

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cognate-dev/cognate/store"
)

// BenchmarkListGroupsForUser measures the read every mint makes: a user's
// groups (here 3 of 20), through the membership index joined to the groups.
func BenchmarkListGroupsForUser(b *testing.B) {
	const users, groups = 500, 20
	s := openInternal(b)
	ctx := context.Background()
	if err := s.CreatePool(ctx, &store.Pool{ID: benchPool, Name: "bench", Settings: []byte(`{}`), CreatedAt: benchT0}); err != nil {
		b.Fatal(err)
	}
	for g := range groups {
		p := int64(g)
		if err := s.CreateGroup(ctx, &store.Group{PoolID: benchPool, Name: fmt.Sprintf("group%02d", g), Precedence: &p,
			RoleArn: "arn:aws:iam::123456789012:role/bench", CreatedAt: benchT0, UpdatedAt: benchT0}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range users {
		if err := s.CreateUser(ctx, &store.User{PoolID: benchPool, Username: fmt.Sprintf("user%04d", i), Sub: benchSub(i),
			Status: "CONFIRMED", Enabled: true, CreatedAt: benchT0, UpdatedAt: benchT0}); err != nil {
			b.Fatal(err)
		}
		for k := range 3 {
			if err := s.AddUserToGroup(ctx, benchPool, fmt.Sprintf("group%02d", (i+k*7)%groups), benchSub(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seq.Add(1)) * 7919
		for pb.Next() {
			i++
			gs, err := s.ListGroupsForUser(ctx, benchPool, benchSub(i%users), "", 0)
			if err != nil || len(gs) != 3 {
				b.Errorf("ListGroupsForUser: %d groups, %v", len(gs), err)
				return
			}
		}
	})
}
