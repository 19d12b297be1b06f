package message

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// The queue's defaults, for zero QueueConfig fields.
const (
	DefaultQueueSize     = 1000
	DefaultQueueWorkers  = 2
	DefaultQueueAttempts = 5
	DefaultQueueBackoff  = time.Second
	// maxBackoff caps the wait between two attempts.
	maxBackoff = 5 * time.Minute
)

// QueueConfig configures NewQueue; zero fields take the defaults.
type QueueConfig struct {
	Size     int           // messages waiting at most (DefaultQueueSize)
	Workers  int           // deliveries in flight at most (DefaultQueueWorkers)
	Attempts int           // tries of each message, the first included (DefaultQueueAttempts)
	Backoff  time.Duration // wait before the second try, doubled for each next one, up to 5 minutes (DefaultQueueBackoff)
	Logger   *slog.Logger  // failures, at warn (slog.Default())
}

// Queue delivers messages through another Sender in the background: Send
// returns once the message is queued, and workers deliver it, retrying
// with exponential backoff (and some jitter) what is not permanent (see
// IsPermanent). A message that cannot be delivered is logged at warn level
// with its id, pool, kind and channel and the error, never its code or
// body. It is safe for concurrent use.
type Queue struct {
	d   Sender
	cfg QueueConfig
	log *slog.Logger

	ch     chan Message
	mu     sync.RWMutex // guards closed and the closing of ch
	closed bool

	ctx    context.Context // cancelled when Close gives up
	cancel context.CancelFunc
	done   chan struct{} // closed when every worker has returned
}

// NewQueue starts the workers of a queue delivering through d.
func NewQueue(d Sender, cfg QueueConfig) *Queue {
	if cfg.Size <= 0 {
		cfg.Size = DefaultQueueSize
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultQueueWorkers
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultQueueAttempts
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultQueueBackoff
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	q := &Queue{d: d, cfg: cfg, log: cfg.Logger, ch: make(chan Message, cfg.Size), done: make(chan struct{})}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Go(q.work)
	}
	go func() { wg.Wait(); close(q.done) }()
	return q
}

// Send queues m (with an ID and SentAt filled when missing) and returns at
// once: ErrQueueFull when the queue is full, ErrQueueClosed after Close,
// ctx's error when ctx is already done. Delivery failures are not returned:
// they are logged.
func (q *Queue) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fill(&m)
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return ErrQueueClosed
	}
	select {
	case q.ch <- m:
		return nil
	default:
		return ErrQueueFull
	}
}

// Len is the number of messages waiting (not those being delivered).
func (q *Queue) Len() int { return len(q.ch) }

// Close stops accepting messages and waits until the queued ones are
// delivered (or have failed every attempt). When ctx ends first it gives
// up: deliveries in flight are cancelled, the messages still waiting are
// logged as not delivered, and ctx's error is returned. Later calls wait
// the same way.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
		q.cancel()
		return ctx.Err()
	}
}

func (q *Queue) work() {
	for m := range q.ch {
		q.deliver(m)
	}
}

// deliver tries m up to Attempts times.
func (q *Queue) deliver(m Message) {
	var err error
	attempt := 0
	for {
		if q.ctx.Err() != nil {
			if err == nil {
				err = errors.New("the queue was closed before delivery")
			} else {
				err = fmt.Errorf("%w (then the queue was closed)", err)
			}
			break
		}
		attempt++
		err = q.d.Send(q.ctx, m)
		if err == nil {
			return
		}
		if IsPermanent(err) || attempt >= q.cfg.Attempts {
			break
		}
		q.log.Debug("message delivery failed; will retry", "id", m.ID, "pool", m.PoolID, "kind", string(m.Kind),
			"channel", string(m.Channel), "attempt", attempt, "err", err)
		t := time.NewTimer(q.backoff(attempt))
		select {
		case <-t.C:
		case <-q.ctx.Done():
			t.Stop()
		}
	}
	q.log.Warn("message not delivered", "id", m.ID, "pool", m.PoolID, "kind", string(m.Kind),
		"channel", string(m.Channel), "attempts", attempt, "permanent", IsPermanent(err), "err", err)
}

// backoff is the wait after the attempt-th failure: Backoff doubled
// attempt-1 times, capped, minus up to a quarter at random.
func (q *Queue) backoff(attempt int) time.Duration {
	d := q.cfg.Backoff
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}
