package verify

// event is one entry of the revocation feed (docs/revocation-feed.md).
type event struct {
	Seq      int64  `json:"seq"`
	Kind     string `json:"kind"`
	ID       string `json:"id"`
	Sub      string `json:"sub"`
	ClientID string `json:"clientId"`
	Gen      int64  `json:"gen"`
	Deleted  bool   `json:"deleted"`
	Reason   string `json:"reason"`
	At       int64  `json:"at"`
}

// userRev is what the feed says of a user: the latest sign-out generation
// and whether the user was deleted.
type userRev struct {
	gen     int64
	deleted bool
	reason  string
}

// revState is the pool's revocation state as of seq. It is built by one
// goroutine (the follower) under the view's lock.
type revState struct {
	seq      int64
	families map[string]string // family id → reason
	clients  map[string]string // client id → reason
	users    map[string]userRev
}

func newRevState(seq int64) *revState {
	return &revState{seq: seq, families: map[string]string{}, clients: map[string]string{}, users: map[string]userRev{}}
}

// apply records e. Generations only move forward and a deletion sticks, so
// applying an event twice, or an older one, changes nothing.
func (s *revState) apply(e event) {
	switch e.Kind {
	case "family":
		if _, ok := s.families[e.ID]; !ok {
			s.families[e.ID] = e.Reason
		}
	case "client":
		s.clients[e.ID] = e.Reason
	case "user":
		u := s.users[e.ID]
		if e.Gen > u.gen {
			u.gen = e.Gen
			u.reason = e.Reason
		}
		if e.Deleted {
			u.deleted = true
			u.reason = e.Reason
		}
		s.users[e.ID] = u
	}
	if e.Seq > s.seq {
		s.seq = e.Seq
	}
}
