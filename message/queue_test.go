package message

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// flaky is a fake Sender: it fails the first `fails` calls of each message
// with err (then succeeds), recording every call; block, when set, holds
// each call until it is closed or ctx ends.
type flaky struct {
	fails int
	err   error
	block chan struct{}
	calls atomic.Int32

	mu        sync.Mutex
	tries     map[string]int
	delivered []Message
	at        []time.Time // when each call came
	entered   chan struct{}
}

func (f *flaky) Send(ctx context.Context, m Message) error {
	f.calls.Add(1)
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tries == nil {
		f.tries = map[string]int{}
	}
	f.tries[m.ID]++
	f.at = append(f.at, time.Now())
	if f.tries[m.ID] <= f.fails {
		return f.err
	}
	f.delivered = append(f.delivered, m)
	return nil
}

func (f *flaky) got() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.delivered...)
}

func testLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

func closeQueue(t *testing.T, q *Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestQueueRetriesWithBackoff(t *testing.T) {
	log, buf := testLogger()
	f := &flaky{fails: 2, err: errors.New("connection reset")}
	q := NewQueue(f, QueueConfig{Workers: 1, Attempts: 5, Backoff: 20 * time.Millisecond, Logger: log})
	if err := q.Send(context.Background(), sample(Email)); err != nil {
		t.Fatal(err)
	}
	closeQueue(t, q)
	if got := f.got(); len(got) != 1 || f.calls.Load() != 3 {
		t.Fatalf("delivered %d after %d calls, want 1 after 3", len(got), f.calls.Load())
	}
	// Waits of ~20ms then ~40ms (less up to a quarter).
	if d1, d2 := f.at[1].Sub(f.at[0]), f.at[2].Sub(f.at[1]); d1 < 15*time.Millisecond || d2 < 30*time.Millisecond {
		t.Errorf("backoff %v, %v", d1, d2)
	}
	if strings.Contains(buf.String(), "level=WARN") {
		t.Errorf("a delivered message logged a warning:\n%s", buf)
	}
}

func TestQueueDoesNotRetryPermanent(t *testing.T) {
	log, buf := testLogger()
	f := &flaky{fails: 100, err: &Permanent{Err: errors.New("webhook refused: 400 Bad Request")}}
	q := NewQueue(f, QueueConfig{Attempts: 5, Backoff: time.Millisecond, Logger: log})
	m := sample(SMS)
	m.ID = "msg-perm"
	m.Kind = KindForgotPassword
	if err := q.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	closeQueue(t, q)
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
	out := buf.String()
	for _, want := range []string{"level=WARN", "message not delivered", "id=msg-perm", "pool=us-east-1_Pool",
		"kind=FORGOT_PASSWORD", "channel=SMS", "attempts=1", "permanent=true", "400 Bad Request"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{m.Code, m.Body} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows %q", secret)
		}
	}
}

func TestQueueGivesUpAfterAttempts(t *testing.T) {
	log, buf := testLogger()
	f := &flaky{fails: 100, err: errors.New("503 Service Unavailable")}
	q := NewQueue(f, QueueConfig{Attempts: 3, Backoff: time.Millisecond, Logger: log})
	_ = q.Send(context.Background(), sample(Email))
	closeQueue(t, q)
	if n := f.calls.Load(); n != 3 {
		t.Fatalf("%d calls, want 3", n)
	}
	out := buf.String()
	if strings.Count(out, "level=WARN") != 1 || !strings.Contains(out, "attempts=3") || !strings.Contains(out, "permanent=false") {
		t.Fatalf("log:\n%s", out)
	}
	if strings.Contains(out, "123456") {
		t.Fatal("log shows the code")
	}
}

func TestQueueFullRefuses(t *testing.T) {
	f := &flaky{block: make(chan struct{}), entered: make(chan struct{}, 10)}
	log, _ := testLogger()
	q := NewQueue(f, QueueConfig{Size: 2, Workers: 1, Logger: log})
	ctx := context.Background()
	if err := q.Send(ctx, sample(Email)); err != nil {
		t.Fatal(err)
	}
	<-f.entered // the worker holds the first
	for i := range 2 {
		if err := q.Send(ctx, sample(Email)); err != nil {
			t.Fatalf("queued %d: %v", i, err)
		}
	}
	start := time.Now()
	if err := q.Send(ctx, sample(Email)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("full queue: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("a full queue blocked Send")
	}
	if q.Len() != 2 {
		t.Fatalf("Len %d", q.Len())
	}
	close(f.block)
	closeQueue(t, q)
	if n := len(f.got()); n != 3 {
		t.Fatalf("delivered %d, want 3", n)
	}
}

func TestQueueCloseDrains(t *testing.T) {
	f := &flaky{fails: 1, err: errors.New("temporary")}
	log, _ := testLogger()
	q := NewQueue(f, QueueConfig{Size: 100, Workers: 3, Backoff: time.Millisecond, Logger: log})
	ids := map[string]bool{}
	for i := range 50 {
		m := sample(Email)
		m.ID = fmt.Sprint("m", i)
		ids[m.ID] = true
		if err := q.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	closeQueue(t, q)
	got := f.got()
	if len(got) != 50 {
		t.Fatalf("delivered %d, want 50", len(got))
	}
	for _, m := range got {
		delete(ids, m.ID)
	}
	if len(ids) != 0 {
		t.Fatalf("not delivered: %v", ids)
	}
	if err := q.Send(context.Background(), sample(Email)); !errors.Is(err, ErrQueueClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
	closeQueue(t, q) // twice is fine
}

func TestQueueCloseGivesUpAtDeadline(t *testing.T) {
	log, buf := testLogger()
	f := &flaky{block: make(chan struct{})} // never released: each call ends with its ctx
	q := NewQueue(f, QueueConfig{Workers: 1, Logger: log})
	for range 3 {
		_ = q.Send(context.Background(), sample(Email))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := q.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("Close did not give up at its deadline")
	}
	<-q.done // the workers stop once cancelled
	if n := strings.Count(buf.String(), "message not delivered"); n != 3 {
		t.Fatalf("%d not-delivered lines, want 3:\n%s", n, buf)
	}
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("%d calls after giving up, want 1", n)
	}
}

func TestQueueSendHonoursContextAndFills(t *testing.T) {
	f := &flaky{}
	log, _ := testLogger()
	q := NewQueue(f, QueueConfig{Logger: log})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.Send(ctx, sample(Email)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: %v", err)
	}
	// The caller's context ending after Send does not stop the delivery.
	ctx, cancel = context.WithCancel(context.Background())
	if err := q.Send(ctx, sample(Email)); err != nil {
		t.Fatal(err)
	}
	cancel()
	closeQueue(t, q)
	got := f.got()
	if len(got) != 1 || got[0].ID == "" || got[0].SentAt.IsZero() {
		t.Fatalf("%+v", got)
	}
}

func TestQueueBackoff(t *testing.T) {
	q := &Queue{cfg: QueueConfig{Backoff: time.Second}}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 30: maxBackoff} {
		for range 20 {
			if d := q.backoff(attempt); d > want || d < want*3/4 {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", attempt, d, want*3/4, want)
			}
		}
	}
}

func TestQueueDefaults(t *testing.T) {
	q := NewQueue(&flaky{}, QueueConfig{})
	defer closeQueue(t, q)
	c := q.cfg
	if c.Size != DefaultQueueSize || c.Workers != DefaultQueueWorkers || c.Attempts != DefaultQueueAttempts ||
		c.Backoff != DefaultQueueBackoff || c.Logger == nil || cap(q.ch) != DefaultQueueSize {
		t.Fatalf("%+v", c)
	}
}
