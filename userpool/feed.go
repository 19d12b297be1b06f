package userpool

// The revocation feed (docs/revocation-feed.md): what a pool has revoked,
// for resource servers that verify tokens themselves. The store appends one
// event per revocation in the revocation's own transaction; this file reads
// them back (snapshot, events after a position, one family), authenticates
// the feed's readers, and fans new events out to the subscribers of this
// process: one poller per pool with subscribers reads the store every poll
// interval, and at once when this process commits a revocation.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// Feed defaults and limits.
const (
	// DefaultFeedPoll is how often a pool's poller reads new events from
	// the store (Options.FeedPoll's default).
	DefaultFeedPoll = 100 * time.Millisecond
	// FeedRetention is how long events are kept: longer than any access or
	// ID token lives (at most one day).
	FeedRetention = 25 * time.Hour
	// FeedBatch is the most events one read returns.
	FeedBatch = 1000
	// feedCache is how many of a pool's latest events its poller keeps for
	// its subscribers; those further behind read the store.
	feedCache = 4096
)

// ErrSequenceExpired means a feed position is older than the retained feed,
// or beyond its end: the reader must take a new snapshot.
var ErrSequenceExpired = errors.New("the feed position is no longer retained or is beyond the feed's end")

// ErrFeedClosed means the server is shutting down.
var ErrFeedClosed = errors.New("the revocation feed is closed")

// RevocationEvent is one event of a pool's revocation feed.
type RevocationEvent struct {
	Seq      int64
	Kind     string // "family", "user" or "client"
	ID       string // the family id, the user's sub or the client id
	Sub      string // family: its user
	ClientID string // family: its client
	Gen      int64  // user: the sign-out generation after the event
	Deleted  bool   // user: deleted
	Reason   string
	At       time.Time
}

func toEvent(ev *store.RevocationEvent) RevocationEvent {
	return RevocationEvent{Seq: ev.Seq, Kind: ev.Kind, ID: ev.ID, Sub: ev.Sub, ClientID: ev.ClientID, Gen: ev.Gen,
		Deleted: ev.Deleted, Reason: ev.Reason, At: ev.At}
}

// FeedSnapshot is the compacted state of a pool's feed as of Seq.
type FeedSnapshot struct {
	PoolID string
	Seq    int64
	Events []RevocationEvent
}

// FeedFamily is what a verifier needs to know of a token family.
type FeedFamily struct {
	ID       string
	Sub      string
	ClientID string
	Gen      int64  // the user's sign-out generation when the family began
	Revoked  Reason // its recorded revocation; "" when none
}

// FeedObserver, when the Options' Observer implements it too, is told how
// long each event took from its commit to this process's poller.
type FeedObserver interface {
	FeedDelivered(lag time.Duration)
}

// AuthenticateFeedReader checks HTTP Basic credentials for the pool's feed:
// an app client of the pool that has a secret, and that secret (compared in
// constant time). Public clients are refused: their id is public, and the
// feed names users.
func (s *Service) AuthenticateFeedReader(ctx context.Context, poolID, clientID, secret string) error {
	c, err := s.client(ctx, poolID, clientID)
	if err != nil {
		if e := AsError(err); e != nil && (e.Kind == KindNotFound || e.Kind == KindInvalid) {
			return &Error{Kind: KindClientAuthFailed, Cause: CauseClientSecret, Subject: clientID,
				Message: "Client credentials are not valid for this pool's revocation feed"}
		}
		return err
	}
	if c.Secret == "" {
		return &Error{Kind: KindClientAuthFailed, Cause: CauseClientSecret, Subject: clientID,
			Message: "A public client cannot read the revocation feed"}
	}
	if secret == "" {
		return &Error{Kind: KindClientAuthFailed, Cause: CauseClientSecret, Subject: clientID}
	}
	return c.authenticate(clientProof{secret: secret})
}

// RevocationSnapshot returns the pool's retained feed, compacted: of the
// user events only the latest per user.
func (s *Service) RevocationSnapshot(ctx context.Context, poolID string) (FeedSnapshot, error) {
	if _, err := s.pool(ctx, poolID); err != nil {
		return FeedSnapshot{}, err
	}
	// Events are visible in seq order, so every event up to the head read
	// first is there to be read next (unless purged since).
	head, floor, err := s.revocations.RevocationHead(ctx, poolID)
	if err != nil {
		return FeedSnapshot{}, internal("revocation snapshot", err)
	}
	snap := FeedSnapshot{PoolID: poolID, Seq: head, Events: []RevocationEvent{}}
	latest := map[string]int{} // sub -> index in snap.Events of its latest user event
	for after := floor; after < head; {
		evs, err := s.revocations.RevocationsAfter(ctx, poolID, after, FeedBatch)
		if err != nil {
			return FeedSnapshot{}, internal("revocation snapshot", err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			if ev.Seq > head {
				break
			}
			e := toEvent(ev)
			if e.Kind == store.RevocationUser {
				if i, ok := latest[e.ID]; ok {
					snap.Events[i].Kind = "" // superseded
				}
				latest[e.ID] = len(snap.Events)
			}
			snap.Events = append(snap.Events, e)
		}
		after = evs[len(evs)-1].Seq
	}
	out := snap.Events[:0]
	for _, e := range snap.Events {
		if e.Kind != "" {
			out = append(out, e)
		}
	}
	snap.Events = out
	return snap, nil
}

// CheckFeedPosition returns ErrSequenceExpired if the feed cannot be
// followed from after: after is older than the retained feed, or beyond
// its end. A missing pool is KindNotFound.
func (s *Service) CheckFeedPosition(ctx context.Context, poolID string, after int64) error {
	if _, err := s.pool(ctx, poolID); err != nil {
		return err
	}
	head, floor, err := s.revocations.RevocationHead(ctx, poolID)
	if err != nil {
		return internal("revocation feed", err)
	}
	if after < floor || after > head {
		return ErrSequenceExpired
	}
	return nil
}

// RevocationFamily returns a token family of the pool: KindNotFound when
// there is none (never was, purged, or gone with its user or client).
func (s *Service) RevocationFamily(ctx context.Context, poolID, id string) (FeedFamily, error) {
	if _, err := s.pool(ctx, poolID); err != nil {
		return FeedFamily{}, err
	}
	sess, err := s.sessions.GetSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sess.PoolID != poolID) {
		return FeedFamily{}, &Error{Kind: KindNotFound, Message: "Token family not found"}
	}
	if err != nil {
		return FeedFamily{}, internal("get token family", err)
	}
	return FeedFamily{ID: sess.ID, Sub: sess.UserSub, ClientID: sess.ClientID, Gen: sess.UserGen,
		Revoked: storedReason(sess)}, nil
}

// Feed is the service's fan-out of revocation events to this process's
// subscribers.
func (s *Service) Feed() *Feed { return s.feed }

// Feed fans the pools' revocation feeds out to the subscribers of this
// process. It is safe for concurrent use.
type Feed struct {
	store store.Revocations
	poll  time.Duration
	now   func() time.Time
	log   *slog.Logger
	obs   FeedObserver // nil: none

	mu     sync.Mutex
	pools  map[string]*poolFeed
	closed chan struct{}
	once   sync.Once
	wg     sync.WaitGroup

	subscribers atomic.Int64
	lastLag     atomic.Int64 // ns, of the last event a poller read
}

// poolFeed is one pool's poller and what it has read.
type poolFeed struct {
	id     string
	subs   int // guarded by Feed.mu
	wake   chan struct{}
	cancel context.CancelFunc

	mu      sync.Mutex
	ready   bool              // head is known
	head    int64             // the latest seq the poller has read
	recent  []RevocationEvent // consecutive events ending at head
	changed chan struct{}     // closed (and replaced) when head moves or ready is set
}

func newFeed(st store.Revocations, poll time.Duration, now func() time.Time, log *slog.Logger, obs Observer) *Feed {
	if poll <= 0 {
		poll = DefaultFeedPoll
	}
	f := &Feed{store: st, poll: poll, now: now, log: log, pools: map[string]*poolFeed{}, closed: make(chan struct{})}
	if fo, ok := obs.(FeedObserver); ok {
		f.obs = fo
	}
	return f
}

// FeedStats is a moment's view of the fan-out.
type FeedStats struct {
	Subscribers int           // subscriptions open in this process
	Lag         time.Duration // commit to poller of the latest event read
}

// Stats returns the fan-out's numbers (cheap: no store access).
func (f *Feed) Stats() FeedStats {
	return FeedStats{Subscribers: int(f.subscribers.Load()), Lag: time.Duration(f.lastLag.Load())}
}

// committed wakes the pool's poller, if any: this process just committed a
// revocation in it.
func (f *Feed) committed(poolID string) {
	if f == nil {
		return
	}
	f.mu.Lock()
	pf := f.pools[poolID]
	f.mu.Unlock()
	if pf != nil {
		select {
		case pf.wake <- struct{}{}:
		default:
		}
	}
}

// Close ends every subscription (their Next returns ErrFeedClosed) and
// stops the pollers. It is safe to call more than once.
func (f *Feed) Close() {
	f.once.Do(func() {
		close(f.closed)
		f.mu.Lock()
		for _, pf := range f.pools {
			pf.cancel()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
}

// Subscription follows one pool's feed. Close it when done.
type Subscription struct {
	f      *Feed
	pf     *poolFeed
	closed atomic.Bool
}

// Subscribe opens a subscription to the pool's feed, starting the pool's
// poller if it is the first: ErrFeedClosed once the feed is closed.
func (f *Feed) Subscribe(poolID string) (*Subscription, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.closed:
		return nil, ErrFeedClosed
	default:
	}
	pf := f.pools[poolID]
	if pf == nil {
		ctx, cancel := context.WithCancel(context.Background())
		pf = &poolFeed{id: poolID, wake: make(chan struct{}, 1), cancel: cancel, changed: make(chan struct{})}
		f.pools[poolID] = pf
		f.wg.Add(1)
		go f.run(ctx, pf)
	}
	pf.subs++
	f.subscribers.Add(1)
	return &Subscription{f: f, pf: pf}, nil
}

// Close ends the subscription; the last one of a pool stops its poller.
func (sub *Subscription) Close() {
	if sub.closed.Swap(true) {
		return
	}
	f := sub.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subscribers.Add(-1)
	sub.pf.subs--
	if sub.pf.subs == 0 {
		sub.pf.cancel()
		if f.pools[sub.pf.id] == sub.pf {
			delete(f.pools, sub.pf.id)
		}
	}
}

// Next returns the pool's events after after (at most limit, in seq order)
// as soon as there are any, waiting at most wait for them: none (and no
// error) when wait passes first. It returns ctx's error when ctx ends,
// ErrFeedClosed when the feed closes, and ErrSequenceExpired when the
// events after after have been purged.
func (sub *Subscription) Next(ctx context.Context, after int64, limit int, wait time.Duration) ([]RevocationEvent, error) {
	if limit <= 0 || limit > FeedBatch {
		limit = FeedBatch
	}
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	pf := sub.pf
	for {
		pf.mu.Lock()
		ready, head, changed := pf.ready, pf.head, pf.changed
		var out []RevocationEvent
		if ready && head > after && len(pf.recent) > 0 && after >= pf.recent[0].Seq-1 {
			i := int(after - (pf.recent[0].Seq - 1))
			out = append([]RevocationEvent(nil), pf.recent[i:min(i+limit, len(pf.recent))]...)
		}
		pf.mu.Unlock()
		if out != nil {
			return out, nil
		}
		if !ready || head > after {
			// Further behind than the poller's cache, or before the
			// poller has read the head: read the store.
			evs, err := sub.f.store.RevocationsAfter(ctx, pf.id, after, limit)
			if err != nil {
				return nil, fmt.Errorf("revocation feed: read events: %w", err)
			}
			if len(evs) > 0 || ready {
				if len(evs) == 0 || evs[0].Seq != after+1 {
					return nil, ErrSequenceExpired
				}
				out = make([]RevocationEvent, len(evs))
				for i, ev := range evs {
					out[i] = toEvent(ev)
				}
				return out, nil
			}
			// Nothing yet, and the poller has not started: wait for it.
		}
		if timeout == nil {
			return nil, nil
		}
		select {
		case <-changed:
		case <-timeout:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-sub.f.closed:
			return nil, ErrFeedClosed
		}
	}
}

// run is a pool's poller: it reads the pool's new events every poll
// interval, or at once when woken, until ctx ends.
func (f *Feed) run(ctx context.Context, pf *poolFeed) {
	defer f.wg.Done()
	t := time.NewTicker(f.poll)
	defer t.Stop()
	failing := false
	for {
		err := f.fetch(ctx, pf)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			f.log.Warn("revocation feed: poll", "pool", pf.id, "err", err)
			failing = true
		case err == nil && failing:
			f.log.Info("revocation feed: polling again", "pool", pf.id)
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-pf.wake:
		}
	}
}

// fetch reads what the pool's feed has after the poller's head (on the
// first call, only where the head is).
func (f *Feed) fetch(ctx context.Context, pf *poolFeed) error {
	pf.mu.Lock()
	ready, after := pf.ready, pf.head
	pf.mu.Unlock()
	if !ready {
		head, _, err := f.store.RevocationHead(ctx, pf.id)
		if err != nil {
			return fmt.Errorf("read the head: %w", err)
		}
		pf.mu.Lock()
		pf.ready, pf.head = true, head
		close(pf.changed)
		pf.changed = make(chan struct{})
		pf.mu.Unlock()
		return nil
	}
	for {
		evs, err := f.store.RevocationsAfter(ctx, pf.id, after, FeedBatch)
		if err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		if len(evs) == 0 {
			return nil
		}
		now := f.now()
		batch := make([]RevocationEvent, len(evs))
		for i, ev := range evs {
			batch[i] = toEvent(ev)
			lag := max(now.Sub(ev.At), 0)
			if f.obs != nil {
				f.obs.FeedDelivered(lag)
			}
			f.lastLag.Store(int64(lag))
		}
		pf.mu.Lock()
		if batch[0].Seq != after+1 {
			pf.recent = nil // purged under a poller that fell behind: start the cache afresh
		}
		pf.recent = append(pf.recent, batch...)
		if n := len(pf.recent); n > feedCache {
			pf.recent = append([]RevocationEvent(nil), pf.recent[n-feedCache:]...)
		}
		pf.head = batch[len(batch)-1].Seq
		close(pf.changed)
		pf.changed = make(chan struct{})
		pf.mu.Unlock()
		after = batch[len(batch)-1].Seq
		if len(evs) < FeedBatch {
			return nil
		}
	}
}
