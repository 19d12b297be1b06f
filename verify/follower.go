package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Reconnection backoff of the follower.
const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 10 * time.Second
	// streamIdle: a stream silent this long (three keepalives missed) is
	// taken for dead and reopened.
	streamIdle = 45 * time.Second
)

var (
	errGone   = errors.New("feed: position expired (410)")
	errNoFeed = errors.New("feed: the server has no revocation feed (404)")
	errGap    = errors.New("feed: events out of sequence")
)

// follower keeps a feedView current: a snapshot, then the SSE stream,
// reconnecting with backoff, resuming after the last event, and taking a
// new snapshot when the server answers 410.
type follower struct {
	issuer string
	mode   FeedMode
	client *feedClient
	view   *feedView
	log    *slog.Logger
	now    func() time.Time
	idle   time.Duration

	failures int  // consecutive failures, for logging
	followed bool // a snapshot has been read
}

func (f *follower) run(ctx context.Context) {
	delay := backoffMin
	needSnapshot := true
	for ctx.Err() == nil {
		var lastErr error
		if needSnapshot {
			err := f.snapshot(ctx)
			lastErr = err
			if err == nil {
				needSnapshot = false
				continue // straight to the stream
			}
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, errNoFeed) && f.mode == FeedAuto && !f.followed {
				// Only before any snapshot: a 404 later (a pool being
				// recreated, a misrouted request) must not switch checks off.
				f.log.Warn("verify: the issuer serves no revocation feed: checking signatures only", "issuer", f.issuer)
				f.view.disable()
				return
			}
			f.report(err)
		} else {
			opened, err := f.stream(ctx)
			lastErr = err
			if ctx.Err() != nil {
				return
			}
			if opened {
				delay = backoffMin
			}
			if errors.Is(err, errGone) || errors.Is(err, errGap) {
				f.log.Info("verify: taking a new feed snapshot", "issuer", f.issuer, "why", err)
				needSnapshot = true
			} else {
				f.report(err)
			}
		}
		// Even a stream that ended cleanly waits a little: a server that
		// accepts and drops at once is not hammered. A busy server's
		// Retry-After is honoured.
		if !sleep(ctx, max(jitter(delay), retryAfter(lastErr))) {
			return
		}
		delay = min(delay*2, backoffMax)
	}
}

// report logs the first failure of a run of them at warn level, the rest at
// debug, and a recovery at info.
func (f *follower) report(err error) {
	if err == nil {
		if f.failures > 0 {
			f.log.Info("verify: revocation feed reconnected", "issuer", f.issuer, "after_failures", f.failures)
		}
		f.failures = 0
		return
	}
	f.failures++
	level := slog.LevelDebug
	if f.failures == 1 {
		level = slog.LevelWarn
	}
	f.log.Log(context.Background(), level, "verify: revocation feed unavailable", "issuer", f.issuer, "err", err,
		"failures", f.failures)
}

// snapshot reads GET {issuer}/revocations/snapshot and installs it.
func (f *follower) snapshot(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := f.client.get(ctx, f.issuer+"/revocations/snapshot", "application/json")
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer resp.Body.Close()
	if err := statusError(resp); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	var snap struct {
		Seq    int64   `json:"seq"`
		Events []event `json:"events"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 256<<20)).Decode(&snap); err != nil {
		return fmt.Errorf("snapshot: decode: %w", err)
	}
	st := newRevState(snap.Seq)
	for _, e := range snap.Events {
		st.apply(e)
	}
	st.seq = snap.Seq
	f.view.replace(st, f.now())
	f.followed = true
	f.log.Debug("verify: feed snapshot", "issuer", f.issuer, "seq", snap.Seq, "events", len(snap.Events))
	f.report(nil)
	return nil
}

// stream follows GET {issuer}/revocations?after=N as server-sent events
// until the connection ends; opened reports whether the server accepted it.
func (f *follower) stream(ctx context.Context) (opened bool, err error) {
	seq, _ := f.view.seq()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	after := strconv.FormatInt(seq, 10)
	req, err := f.client.request(ctx, f.issuer+"/revocations?after="+after, "text/event-stream")
	if err != nil {
		return false, fmt.Errorf("stream: %w", err)
	}
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("Last-Event-ID", after)
	// The watchdog ends a stream that stays silent past f.idle.
	var idled atomic.Bool
	watchdog := time.AfterFunc(f.idle, func() { idled.Store(true); cancel() })
	defer watchdog.Stop()
	resp, err := f.client.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("stream: %w", err)
	}
	defer resp.Body.Close()
	if err := statusError(resp); err != nil {
		return false, fmt.Errorf("stream: %w", err)
	}
	f.view.setConnected(true, f.now(), true)
	f.report(nil)
	err = readSSE(resp.Body, func() {
		watchdog.Reset(f.idle)
		f.view.touch(f.now())
	}, f.apply)
	// A stream that ended by itself was current until now; one the watchdog
	// cut was last current at its last line.
	f.view.setConnected(false, f.now(), !idled.Load() && !errors.Is(err, errGap))
	if errors.Is(err, errGap) {
		return true, err
	}
	if idled.Load() {
		return true, errors.New("stream: silent for too long")
	}
	return true, fmt.Errorf("stream ended: %w", err)
}

// apply applies one stream event in order; a gap means a new snapshot.
func (f *follower) apply(ev sseEvent) error {
	if ev.name != "revocation" {
		return nil
	}
	var e event
	if err := json.Unmarshal([]byte(ev.data), &e); err != nil {
		return fmt.Errorf("stream: decode event: %w", err)
	}
	v := f.view
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case v.st == nil || e.Seq > v.st.seq+1:
		return errGap
	case e.Seq <= v.st.seq:
		return nil // already applied
	}
	v.st.apply(e)
	return nil
}

// statusError turns a non-200 answer into an error (errGone, errNoFeed).
func statusError(resp *http.Response) error {
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusGone:
		return errGone
	case http.StatusNotFound:
		return errNoFeed
	}
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 8<<10)).Decode(&body)
	err := errors.New(resp.Status)
	if body.Type != "" {
		err = fmt.Errorf("%s: %s: %s", resp.Status, body.Type, body.Message)
	}
	if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && secs > 0 {
		return &busyError{err: err, after: min(time.Duration(secs)*time.Second, backoffMax)}
	}
	return err
}

// busyError is an answer with Retry-After (e.g. 503 when a replica holds as
// many streams as it may).
type busyError struct {
	err   error
	after time.Duration
}

func (e *busyError) Error() string { return e.err.Error() }
func (e *busyError) Unwrap() error { return e.err }

// retryAfter is the wait err asks for, if any.
func retryAfter(err error) time.Duration {
	var b *busyError
	if errors.As(err, &b) {
		return b.after
	}
	return 0
}

// jitter spreads d over [0.8d, 1.2d) so that many verifiers do not
// reconnect in step.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
