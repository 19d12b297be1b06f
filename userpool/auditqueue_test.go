package userpool

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// fakeAudit is a store.Audit that refuses events of the pool "gone" as a
// store refuses a missing pool, and can be held up.
type fakeAudit struct {
	store.Audit
	mu      sync.Mutex
	stored  []string
	batches int
	gate    chan struct{}
}

func (f *fakeAudit) AppendAuditEvents(ctx context.Context, evs ...*store.AuditEvent) error {
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches++
	for _, ev := range evs {
		if ev.PoolID == "gone" {
			return fmt.Errorf("fake: %w", store.ErrNotFound)
		}
	}
	for _, ev := range evs {
		f.stored = append(f.stored, ev.ID)
	}
	return nil
}

// TestAuditQueue: queued events are stored in batches, in order; an event
// of a missing pool does not take its batch down with it; flush waits for
// the writer, or for its context.
func TestAuditQueue(t *testing.T) {
	f := &fakeAudit{gate: make(chan struct{})}
	q := &auditQueue{store: f, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for i := range 5 {
		pool := "p"
		if i == 3 {
			pool = "gone"
		}
		q.add(&store.AuditEvent{ID: fmt.Sprint(i), PoolID: pool})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	if err := q.flush(ctx); err == nil {
		t.Fatal("flush returned while the writer was held up")
	}
	cancel()
	close(f.gate)
	if err := q.flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	got := fmt.Sprint(f.stored)
	f.mu.Unlock()
	// The first event may have gone alone (the writer started with it);
	// the rest went as one batch, refused, then one by one.
	if got != "[0 1 2 4]" {
		t.Fatalf("stored %s, want [0 1 2 4]", got)
	}
	if err := q.flush(context.Background()); err != nil {
		t.Fatal("flush of an idle queue:", err)
	}
	q.add(&store.AuditEvent{ID: "5", PoolID: "p"})
	if err := q.flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.stored[len(f.stored)-1] != "5" {
		t.Fatalf("a second run stored %v", f.stored)
	}
}
