package verify

import (
	"sync"
	"time"
)

// keepaliveGrace is how long a connected stream may stay silent and still
// count as current: the feed sends a keepalive every 15 seconds.
const keepaliveGrace = 20 * time.Second

// feedView is the Verifier's view of the feed: the state, and how current it is.
type feedView struct {
	mu          sync.RWMutex
	st          *revState // nil until the first snapshot
	connected   bool      // a stream is open
	lastContact time.Time // the last moment the view was known current
	disabled    bool      // FeedAuto and the server has no feed

	readyOnce sync.Once
	ready     chan struct{} // closed at the first snapshot, or when disabled
}

func newFeedView() *feedView { return &feedView{ready: make(chan struct{})} }

func (v *feedView) markReady() { v.readyOnce.Do(func() { close(v.ready) }) }

// age is how old the view is at now: zero while a stream is open and has
// spoken within keepaliveGrace, else the time since the last contact.
func (v *feedView) age(now time.Time) time.Duration {
	d := now.Sub(v.lastContact)
	if v.connected {
		d -= keepaliveGrace
	}
	if d < 0 {
		return 0
	}
	return d
}

// replace installs a snapshot's state.
func (v *feedView) replace(st *revState, now time.Time) {
	v.mu.Lock()
	v.st, v.lastContact = st, now
	v.mu.Unlock()
	v.markReady()
}

// seq is the position of the state (0 and false before the first snapshot).
func (v *feedView) seq() (int64, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.st == nil {
		return 0, false
	}
	return v.st.seq, true
}

// setConnected records a stream opening or closing; contact says whether
// the view was current at now.
func (v *feedView) setConnected(c bool, now time.Time, contact bool) {
	v.mu.Lock()
	v.connected = c
	if contact {
		v.lastContact = now
	}
	v.mu.Unlock()
}

func (v *feedView) touch(now time.Time) {
	v.mu.Lock()
	v.lastContact = now
	v.mu.Unlock()
}

func (v *feedView) disable() {
	v.mu.Lock()
	v.disabled = true
	v.mu.Unlock()
	v.markReady()
}
