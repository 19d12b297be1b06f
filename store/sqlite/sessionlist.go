package sqlite

import (
	"context"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// liveSessionWhere is ListUserSessions' and CountLiveSessions' rule on a
// session s joined to its user u; ?1 is now.
const liveSessionWhere = `s.revoked_at IS NULL AND s.expires_at > ?1 AND s.user_gen = u.sign_out_gen AND u.enabled = 1`

// SetSessionClient implements store.Sessions.
func (s *Store) SetSessionClient(ctx context.Context, id, sourceIP, userAgent string) error {
	return execOne(ctx, s.w, "set session client",
		`UPDATE sessions SET source_ip = ?, user_agent = ? WHERE id = ?`, sourceIP, userAgent, id)
}

// ListUserSessions implements store.Sessions through the sessions_user
// index.
func (s *Store) ListUserSessions(ctx context.Context, poolID, sub string, now time.Time, after string, limit int) ([]*store.Session, error) {
	const op = "list user sessions"
	rows, err := s.r.QueryContext(ctx, `SELECT `+prefixCols("s.", sessionCols)+`
		FROM sessions s JOIN users u ON u.pool_id = s.pool_id AND u.sub = s.user_sub
		WHERE s.pool_id = ?2 AND s.user_sub = ?3 AND s.id > ?4 AND `+liveSessionWhere+`
		ORDER BY s.id LIMIT ?5`, ms(now), poolID, sub, after, limitArg(limit))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []*store.Session
	for rows.Next() {
		ss := &store.Session{}
		if err := rows.Scan(sessionDest(ss)...); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, ss)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// CountLiveSessions implements store.Sessions: one scan of the unexpired
// sessions (sessions_expiry) joined to their users.
func (s *Store) CountLiveSessions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT count(*)
		FROM sessions s JOIN users u ON u.pool_id = s.pool_id AND u.sub = s.user_sub
		WHERE `+liveSessionWhere, ms(now)).Scan(&n)
	if err != nil {
		return 0, wrap("count live sessions", err)
	}
	return n, nil
}
