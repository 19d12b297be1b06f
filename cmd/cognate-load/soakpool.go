package main

// The soak's token pool: the sessions (sign-ins) the generator holds, which
// of them it has ended itself, and which users are signing in or out.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// slotsPerUser is how many sessions (devices) a user holds at most. A
// sign-in for a user whose slots are all taken drops the oldest session
// from the pool (an app that lost its tokens), without ending it.
const slotsPerUser = 2

// refreshAfter is the age after which a GetUser becomes a refresh instead,
// as an app refreshes before its access token (valid 60 minutes by default)
// expires. It only matters for soaks longer than this.
const refreshAfter = 50 * time.Minute

// What the generator knows about a session, in this order: a request may
// be refused (NotAuthorizedException) without an error only when the
// session's state, read after the answer, is at least tokDropped; a 200 is
// an error when the state, read before sending, was tokDead.
const (
	tokAlive   int32 = iota // in the pool; the generator has not ended it
	tokDropped              // left the pool without being ended (the user signed in again on a full set of slots); no longer tracked, so a later GlobalSignOut may end it
	tokDoomed               // a RevokeToken or GlobalSignOut that ends it has been sent
	tokDead                 // the server answered 200 to that RevokeToken or GlobalSignOut
)

// accessToken is a session's current access token, as request bodies.
type accessToken struct {
	body   []byte // {"AccessToken": ...}, for GetUser and GlobalSignOut
	issued time.Time
}

type soakSession struct {
	user        *soakUser
	born        time.Time
	refreshBody []byte // InitiateAuth REFRESH_TOKEN_AUTH
	revokeBody  []byte // RevokeToken
	tok         atomic.Pointer[accessToken]
	state       atomic.Int32
	live, slot  int // index in tokenPool.live and soakUser.slots, -1 when out; guarded by tokenPool.mu
}

func newSoakSession(u *soakUser, clientID, accessTok, refreshTok string, now time.Time) *soakSession {
	s := &soakSession{user: u, born: now, live: -1, slot: -1,
		refreshBody: mustJSON(map[string]any{"ClientId": clientID, "AuthFlow": "REFRESH_TOKEN_AUTH",
			"AuthParameters": map[string]string{"REFRESH_TOKEN": refreshTok}}),
		revokeBody: mustJSON(map[string]string{"ClientId": clientID, "Token": refreshTok}),
	}
	s.setAccess(accessTok, now)
	return s
}

func (s *soakSession) setAccess(tok string, now time.Time) {
	s.tok.Store(&accessToken{body: mustJSON(map[string]string{"AccessToken": tok}), issued: now})
}

type soakUser struct {
	name       string
	mark       []byte // "Username":"name", which GetUser's answer must hold
	signInBody []byte // InitiateAuth USER_PASSWORD_AUTH with the right password
	// Guarded by tokenPool.mu:
	busy   bool // a sign-in or GlobalSignOut of this user is in flight
	queued bool // in tokenPool.rejoin
	slots  [slotsPerUser]*soakSession
}

func newSoakUser(name, clientID string) *soakUser {
	return &soakUser{name: name, mark: []byte(`"Username":"` + name + `"`),
		signInBody: mustJSON(map[string]any{"ClientId": clientID, "AuthFlow": "USER_PASSWORD_AUTH",
			"AuthParameters": map[string]string{"USERNAME": name, "PASSWORD": loadPassword}})}
}

func (u *soakUser) sessions() int {
	n := 0
	for _, s := range u.slots {
		if s != nil {
			n++
		}
	}
	return n
}

// tokenPool holds the live sessions. Sign-in and GlobalSignOut of one user
// never overlap (soakUser.busy), so that the generator knows whether a
// session it got from a sign-in predates a sign-out.
type tokenPool struct {
	mu     sync.Mutex
	users  []*soakUser
	live   []*soakSession // state tokAlive, in a user's slot
	rejoin []*soakUser    // users with no session, to sign in first
}

func newTokenPool(users []*soakUser) *tokenPool { return &tokenPool{users: users} }

func (p *tokenPool) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.live)
}

func (p *tokenPool) addLocked(s *soakSession) bool {
	u := s.user
	for i := range u.slots {
		if u.slots[i] == nil {
			u.slots[i], s.slot = s, i
			s.live = len(p.live)
			p.live = append(p.live, s)
			return true
		}
	}
	return false
}

// add puts a session from the set-up in the pool.
func (p *tokenPool) add(s *soakSession) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addLocked(s)
}

func (p *tokenPool) removeLocked(s *soakSession) {
	last := p.live[len(p.live)-1]
	p.live[s.live], last.live = last, s.live
	p.live = p.live[:len(p.live)-1]
	s.live = -1
	s.user.slots[s.slot], s.slot = nil, -1
	p.queueLocked(s.user)
}

// queueLocked puts a user with no session in the queue to sign in again.
func (p *tokenPool) queueLocked(u *soakUser) {
	if !u.busy && !u.queued && u.sessions() == 0 {
		u.queued = true
		p.rejoin = append(p.rejoin, u)
	}
}

// pick is a random live session, nil when there is none.
func (p *tokenPool) pick() *soakSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.live) == 0 {
		return nil
	}
	return p.live[rand.IntN(len(p.live))]
}

// doomOne takes a random live session out of the pool to be revoked.
func (p *tokenPool) doomOne() *soakSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.live) == 0 {
		return nil
	}
	s := p.live[rand.IntN(len(p.live))]
	s.state.Store(tokDoomed)
	p.removeLocked(s)
	return s
}

// beginSignOut picks a random live session whose user is not signing in or
// out, and takes all that user's sessions out of the pool: the GlobalSignOut
// about to be sent with s's access token ends them all. The caller must
// call endSignOut.
func (p *tokenPool) beginSignOut() (s *soakSession, doomed []*soakSession) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range 8 {
		if len(p.live) == 0 {
			return nil, nil
		}
		s = p.live[rand.IntN(len(p.live))]
		u := s.user
		if u.busy {
			continue
		}
		u.busy = true
		for _, x := range u.slots {
			if x != nil {
				doomed = append(doomed, x)
			}
		}
		for _, x := range doomed {
			x.state.Store(tokDoomed)
			p.removeLocked(x)
		}
		return s, doomed
	}
	return nil, nil
}

func (p *tokenPool) endSignOut(u *soakUser) {
	p.mu.Lock()
	defer p.mu.Unlock()
	u.busy = false
	p.queueLocked(u) // the user signs in again
}

// beginSignIn picks the user to sign in: first one whose sessions all
// ended, else a random user with a free slot, else a random user whose
// oldest session is dropped from the pool to make room. It returns nil when
// every user is busy. The caller must call endSignIn.
func (p *tokenPool) beginSignIn() *soakUser {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.rejoin) > 0 {
		u := p.rejoin[0]
		p.rejoin[0] = nil
		p.rejoin = p.rejoin[1:]
		u.queued = false
		if u.busy || u.sessions() == len(u.slots) {
			continue // whoever made it busy queues it again if need be
		}
		u.busy = true
		return u
	}
	n := len(p.users)
	if n == 0 {
		return nil
	}
	off := rand.IntN(n)
	for i := range n {
		if u := p.users[(off+i)%n]; !u.busy && u.sessions() < len(u.slots) {
			u.busy = true
			return u
		}
	}
	for i := range n {
		u := p.users[(off+i)%n]
		if u.busy {
			continue
		}
		var old *soakSession
		for _, s := range u.slots {
			if s != nil && (old == nil || s.born.Before(old.born)) {
				old = s
			}
		}
		u.busy = true
		if old != nil {
			old.state.Store(tokDropped)
			p.removeLocked(old)
		}
		return u
	}
	return nil
}

// endSignIn puts the new session (nil when the sign-in failed) in the pool.
func (p *tokenPool) endSignIn(u *soakUser, s *soakSession) {
	p.mu.Lock()
	defer p.mu.Unlock()
	u.busy = false
	if s != nil && !p.addLocked(s) {
		s.state.Store(tokDropped) // cannot happen: only this sign-in fills u's slots
	}
	p.queueLocked(u)
}

// classify checks one answer. atSend is the session's state read before
// sending, now the state read after the answer; requests that do not use a
// pooled token pass tokAlive for both. marks must all be in a 200 answer.
func classify(status int, body []byte, err error, atSend, now int32, marks [][]byte) (outcome, string) {
	switch {
	case err != nil:
		return outError, "transport: " + truncate(err.Error(), 120)
	case status == http.StatusOK && atSend == tokDead:
		return outError, "token accepted after the server confirmed its revocation or sign-out: " + truncate(string(body), 120)
	case status == http.StatusOK && !hasAll(body, marks):
		return outError, "unexpected 200 body: " + truncate(string(body), 160)
	case status == http.StatusOK:
		return outOK, ""
	case status == http.StatusBadRequest && now >= tokDropped && bytes.Contains(body, []byte("NotAuthorizedException")):
		return outRefused, ""
	}
	return outError, fmt.Sprintf("HTTP %d: %s", status, truncate(string(body), 160))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings always encode
	}
	return b
}
