package userpool

// Sessions a user (or an administrator) can see and revoke: the live token
// families of a user, with where they were signed in from. Listing reads
// the store's live sessions and judges each again with family.liveness;
// revoking goes through revokeFamily like every revocation.

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// SessionInfo is one live session (token family) of a user.
type SessionInfo struct {
	ID         string
	ClientID   string
	ClientName string
	CreatedAt  time.Time
	// LastUsed is when the session last refreshed its tokens, or
	// CreatedAt; refreshes are recorded at most once a minute (always when
	// rotating, or when the address or user agent changed).
	LastUsed time.Time
	// LastRefresh is LastUsed once the session has refreshed, zero before.
	LastRefresh time.Time
	DeviceKey   string
	SourceIP    string
	UserAgent   string
	Source      string // SourceAPI or SourceHostedUI
	// Current marks the session of the access token that asked.
	Current bool
}

// maxSessionsPage is the largest page of sessions (and the default).
const maxSessionsPage = 60

// callerMeta is the caller's address and user agent, bounded for storage.
func callerMeta(ctx context.Context) (ip, userAgent string) {
	c := callerOf(ctx)
	return bounded(c.IP, 64), bounded(c.UserAgent, maxUserAgent)
}

// recordSessionClient notes a refresh's address and user agent in its
// session when they differ from the recorded ones (an unknown caller
// changes nothing).
func (s *Service) recordSessionClient(ctx context.Context, sess *store.Session) error {
	ip, ua := callerMeta(ctx)
	if ip == "" && ua == "" || ip == sess.SourceIP && ua == sess.UserAgent {
		return nil
	}
	if err := s.sessions.SetSessionClient(ctx, sess.ID, ip, ua); err != nil && !errors.Is(err, store.ErrNotFound) {
		return internal("record session client", err)
	}
	sess.SourceIP, sess.UserAgent = ip, ua
	return nil
}

// ListSessions pages through the live sessions of the access token's user.
func (s *Service) ListSessions(ctx context.Context, accessToken string, limit int, next string) ([]*SessionInfo, string, error) {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return nil, "", err
	}
	return s.listSessions(ctx, pr.user, pr.sess.ID, limit, next)
}

// AdminListSessions pages through the live sessions of a user.
func (s *Service) AdminListSessions(ctx context.Context, poolID, username string, limit int, next string) ([]*SessionInfo, string, error) {
	_, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return nil, "", err
	}
	return s.listSessions(ctx, u, "", limit, next)
}

func (s *Service) listSessions(ctx context.Context, u *store.User, current string, limit int, next string) ([]*SessionInfo, string, error) {
	if limit == 0 {
		limit = maxSessionsPage
	}
	if limit < 1 || limit > maxSessionsPage {
		return nil, "", violation(Violation{Member: "maxResults", Rule: RuleRange, Value: strconv.Itoa(limit), Shown: true,
			Min: 0, Max: maxSessionsPage})
	}
	after, err := decodeNext(next)
	if err != nil {
		return nil, "", err
	}
	now := s.now().UTC()
	rows, err := s.sessions.ListUserSessions(ctx, u.PoolID, u.Sub, now, after, limit+1)
	if err != nil {
		return nil, "", internal("list sessions", err)
	}
	tok := ""
	if len(rows) > limit {
		rows = rows[:limit]
		tok = encodeNext(rows[len(rows)-1].ID)
	}
	names := map[string]string{}
	out := make([]*SessionInfo, 0, len(rows))
	for _, sess := range rows {
		// The store's listing is the rule's stored part; the rule decides.
		if sessionFamily(sess, u).liveness(now) != "" {
			continue
		}
		name, ok := names[sess.ClientID]
		if !ok {
			if c, err := s.pools.GetClient(ctx, sess.ClientID); err == nil {
				name = c.Name
			} else if !errors.Is(err, store.ErrNotFound) {
				return nil, "", internal("list sessions", err)
			}
			names[sess.ClientID] = name
		}
		info := &SessionInfo{ID: sess.ID, ClientID: sess.ClientID, ClientName: name, CreatedAt: sess.CreatedAt,
			LastUsed: sess.LastUsed, DeviceKey: sess.DeviceKey, SourceIP: sess.SourceIP, UserAgent: sess.UserAgent,
			Source: sess.Source, Current: sess.ID == current}
		if info.LastUsed.Before(info.CreatedAt) {
			info.LastUsed = info.CreatedAt
		}
		if sess.LastUsed.After(sess.CreatedAt) {
			info.LastRefresh = sess.LastUsed
		}
		out = append(out, info)
	}
	return out, tok, nil
}

// errSessionNotFound answers a session id that is not one of the user's:
// missing and another user's look the same.
func errSessionNotFound() *Error { return errorf(KindNotFound, "Session not found.") }

// RevokeSession ends one session of the access token's user (the current
// one included): its refresh token is refused and its access tokens at
// once. A session of another user is not found.
func (s *Service) RevokeSession(ctx context.Context, accessToken, sessionID string) (err error) {
	ctx, e := s.beginAudit(ctx, EventRevokeSession, "")
	defer func() { s.finish(ctx, e, err, "") }()
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return err
	}
	return s.revokeUserSession(ctx, pr.user, sessionID)
}

// AdminRevokeSession ends one session of a user.
func (s *Service) AdminRevokeSession(ctx context.Context, poolID, username, sessionID string) (err error) {
	ctx, _ = s.beginAudit(ctx, EventAdminRevokeSession, username)
	defer s.auditAdmin(ctx, EventAdminRevokeSession, poolID, username, &err)
	_, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	return s.revokeUserSession(ctx, u, sessionID)
}

func (s *Service) revokeUserSession(ctx context.Context, u *store.User, sessionID string) error {
	if sessionID == "" {
		return required("sessionId")
	}
	if len(sessionID) > 128 {
		return errSessionNotFound()
	}
	f, err := s.loadFamily(ctx, sessionID)
	if errors.Is(err, errFamilyGone) {
		return errSessionNotFound()
	}
	if err != nil {
		return err
	}
	if f.sess.PoolID != u.PoolID || f.sess.UserSub != u.Sub {
		return errSessionNotFound()
	}
	if e := auditOf(ctx); e != nil {
		e.ev.SessionID = f.id
	}
	if f.liveness(s.now()) != "" {
		return nil // ended already: nothing more to revoke
	}
	return s.revokeFamily(ctx, f, ReasonRevoked)
}

// CountLiveSessions counts the live sessions of every pool (a gauge).
func (s *Service) CountLiveSessions(ctx context.Context) (int64, error) {
	n, err := s.sessions.CountLiveSessions(ctx, s.now().UTC())
	if err != nil {
		return 0, internal("count live sessions", err)
	}
	return n, nil
}
