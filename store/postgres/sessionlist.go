package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/store"
)

// liveSessionWhere is ListUserSessions' and CountLiveSessions' rule on a
// session s joined to its user u; $1 is now.
const liveSessionWhere = `s.revoked_at IS NULL AND s.expires_at > $1 AND s.user_gen = u.sign_out_gen AND u.enabled`

// SetSessionClient implements store.Sessions in one UPDATE.
func (s *Store) SetSessionClient(ctx context.Context, id, sourceIP, userAgent string) error {
	const op = "set session client"
	if unstorable(id) {
		return notFound(op)
	}
	return s.execOne(ctx, op, `UPDATE sessions SET source_ip = $2, user_agent = $3 WHERE id = $1`, id, sourceIP, userAgent)
}

// ListUserSessions implements store.Sessions in one statement (one
// snapshot) through the sessions_user index.
func (s *Store) ListUserSessions(ctx context.Context, poolID, sub string, now time.Time, after string, limit int) ([]*store.Session, error) {
	if unstorable(poolID, sub, after) {
		return nil, nil
	}
	return list(ctx, s, "list user sessions", `SELECT `+prefixCols("s.", sessionCols)+`
		FROM sessions s JOIN users u ON u.pool_id = s.pool_id AND u.sub = s.user_sub
		WHERE s.pool_id = $2 AND s.user_sub = $3 AND s.id > $4 AND `+liveSessionWhere+`
		ORDER BY s.id LIMIT $5`,
		func(rows pgx.Rows) (*store.Session, error) {
			ss := &store.Session{}
			return ss, rows.Scan(sessionDest(ss)...)
		}, ms(now), poolID, sub, after, limitArg(limit))
}

// CountLiveSessions implements store.Sessions in one statement.
func (s *Store) CountLiveSessions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*)
		FROM sessions s JOIN users u ON u.pool_id = s.pool_id AND u.sub = s.user_sub
		WHERE `+liveSessionWhere, ms(now)).Scan(&n)
	if err != nil {
		return 0, wrap("count live sessions", err)
	}
	return n, nil
}
