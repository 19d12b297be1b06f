package userpool

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// The audit trail is written behind the requests that make it: an event is
// queued, and a writer stores the queue in batches, one transaction each,
// so that a sign-in or a refresh does not wait for a commit of its own (on
// SQLite every commit is an fsync on the one writer). The writer runs only
// while there is something to write. What is queued when the process dies
// is lost (the log has every event); FlushAudit writes the queue out on
// shutdown, and a listing of the trail first waits (briefly) for the events
// queued before it.

const (
	// auditBatch bounds the events of one transaction.
	auditBatch = 500
	// auditQueueMax bounds the events waiting; beyond it new ones are
	// dropped (and logged), so that a stalled database cannot exhaust
	// memory.
	auditQueueMax = 50_000
	// auditWriteTimeout bounds one batch's write.
	auditWriteTimeout = 10 * time.Second
)

// auditQueue is the queue of events waiting to be stored.
type auditQueue struct {
	store store.Audit
	log   *slog.Logger

	mu      sync.Mutex
	pending []*store.AuditEvent
	running bool
	idle    chan struct{} // closed when the writer stops; nil before it first runs
	dropped int64
}

// add queues an event, starting the writer if it is not running.
func (q *auditQueue) add(ev *store.AuditEvent) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) >= auditQueueMax {
		q.dropped++
		if q.dropped == 1 || q.dropped%1000 == 0 {
			q.log.Warn("audit: queue full, events dropped", "dropped", q.dropped)
		}
		return
	}
	q.pending = append(q.pending, ev)
	if !q.running {
		q.running, q.idle = true, make(chan struct{})
		go q.run()
	}
}

// run writes the queue out in batches until it is empty.
func (q *auditQueue) run() {
	for {
		q.mu.Lock()
		batch := q.pending[:min(len(q.pending), auditBatch)]
		if len(batch) == 0 {
			q.pending, q.running = nil, false
			close(q.idle)
			q.mu.Unlock()
			return
		}
		q.pending = q.pending[len(batch):]
		q.mu.Unlock()
		q.write(batch)
	}
}

// write stores a batch; when a pool of the batch is gone (deleted since),
// it stores the events one by one and drops those of missing pools.
func (q *auditQueue) write(batch []*store.AuditEvent) {
	ctx, cancel := context.WithTimeout(context.Background(), auditWriteTimeout)
	defer cancel()
	err := q.store.AppendAuditEvents(ctx, batch...)
	if errors.Is(err, store.ErrNotFound) && len(batch) > 1 {
		for _, ev := range batch {
			if err := q.store.AppendAuditEvents(ctx, ev); err != nil && !errors.Is(err, store.ErrNotFound) {
				q.log.Warn("audit: store an event", "event", ev.Type, "event_id", ev.ID, "err", err)
			}
		}
		return
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		q.log.Warn("audit: store events", "events", len(batch), "err", err)
	}
}

// flush waits until the writer has stored everything queued so far (and
// whatever came in meanwhile), or ctx ends.
func (q *auditQueue) flush(ctx context.Context) error {
	q.mu.Lock()
	if !q.running {
		q.mu.Unlock()
		return nil
	}
	idle := q.idle
	q.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// FlushAudit waits until the audit events recorded so far are stored, or
// ctx ends: call it before closing the store.
func (s *Service) FlushAudit(ctx context.Context) error {
	if err := s.auditQ.flush(ctx); err != nil {
		return internal("flush audit events", err)
	}
	return nil
}

// auditListWait is how long a listing of the trail waits for the events
// queued before it.
const auditListWait = 2 * time.Second

// settleAudit lets the queued events reach the store before a listing
// (best effort: under a constant stream it lists what is stored).
func (s *Service) settleAudit(ctx context.Context) {
	wctx, cancel := context.WithTimeout(ctx, auditListWait)
	defer cancel()
	_ = s.auditQ.flush(wctx)
}
