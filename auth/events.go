package auth

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// EventType names an auth event.
type EventType string

// The events a Client emits. Each marks a real transition: SignedOut follows a
// SignedIn, never another SignedOut.
const (
	// EventSignedIn: a user signed in.
	EventSignedIn EventType = "signedIn"
	// EventSignedOut: the signed-in user was signed out on this device (SignOut
	// with a Complete or Partial result).
	EventSignedOut EventType = "signedOut"
	// EventSessionExpired: a refresh failed with a definitive error (the refresh
	// token was revoked or expired) and the user was signed out locally. No
	// EventSignedOut accompanies it.
	EventSessionExpired EventType = "sessionExpired"
	// EventUserDeleted: the signed-in user deleted their account (DeleteUser) and
	// was signed out locally. No EventSignedOut accompanies it.
	EventUserDeleted EventType = "userDeleted"
)

// Event is one auth event.
type Event struct {
	Type EventType
	// Username is the user concerned.
	Username string
	// Time is when the event happened (by the Client's clock).
	Time time.Time
}

// hub fans events out to subscribers. Each subscriber has its own unbounded FIFO
// and goroutine, so a slow subscriber delays only itself, never an auth call nor
// another subscriber, and sees events in the order they were emitted.
type hub struct {
	log    *slog.Logger
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	fn     func(Event)
	log    *slog.Logger
	mu     sync.Mutex
	queue  []Event
	wake   chan struct{}
	closed bool
}

// Subscribe calls fn with every event emitted from now on, in order, on a
// goroutine of its own. It returns a function that ends the subscription:
// events still queued are dropped, and fn is not called after an in-flight call
// returns. A slow fn never blocks the Client; events queue up for it instead.
//
// Close ends every subscription the same way. On a closed Client, a Client not
// created with New, or with a nil fn, Subscribe registers nothing (fn is never
// called) and returns a no-op function.
func (c *Client) Subscribe(fn func(Event)) (unsubscribe func()) {
	if c.usable() != nil || fn == nil {
		return func() {}
	}
	return c.events.subscribe(fn)
}

func (h *hub) subscribe(fn func(Event)) func() {
	s := &subscriber{fn: fn, wake: make(chan struct{}, 1), log: h.log}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return func() {}
	}
	if h.subs == nil {
		h.subs = make(map[*subscriber]struct{})
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	go s.run()
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, s)
			h.mu.Unlock()
			s.stop()
		})
	}
}

// close ends every subscription; later subscriptions register nothing.
func (h *hub) close() {
	h.mu.Lock()
	subs := h.subs
	h.subs = nil
	h.closed = true
	h.mu.Unlock()
	for s := range subs {
		s.stop()
	}
}

func (h *hub) emit(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.mu.Lock()
		if !s.closed {
			s.queue = append(s.queue, e)
		}
		s.mu.Unlock()
		s.signal()
	}
}

// stop drops the queued events and makes the delivery goroutine exit once the
// call in progress, if any, returns.
func (s *subscriber) stop() {
	s.mu.Lock()
	s.closed = true
	s.queue = nil
	s.mu.Unlock()
	s.signal()
}

func (s *subscriber) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) run() {
	for range s.wake {
		for {
			s.mu.Lock()
			if s.closed {
				s.mu.Unlock()
				return
			}
			if len(s.queue) == 0 {
				s.mu.Unlock()
				break
			}
			e := s.queue[0]
			s.queue[0] = Event{}
			s.queue = s.queue[1:]
			s.mu.Unlock()
			s.call(e)
		}
	}
}

// call shields the delivery goroutine from a panicking subscriber.
func (s *subscriber) call(e Event) {
	defer func() {
		if p := recover(); p != nil && s.log != nil {
			s.log.Error("auth: event subscriber panicked", "event", string(e.Type), "panic", fmt.Sprint(p))
		}
	}()
	s.fn(e)
}
