package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/store"
)

const sessionCols = `id, pool_id, client_id, user_sub, username, user_gen, auth_time, created_at, last_used,
	expires_at, refresh_gen, rotated_at, revoked_at, revoked, device_key, scopes, source`

// qGetSessionWithUser joins a session to its user through the unique
// (pool_id, sub) index: one round trip instead of two.
var qGetSessionWithUser = `SELECT ` + prefixCols("s.", sessionCols) + `, ` + prefixCols("u.", userCols) + `
	FROM sessions s JOIN users u ON u.pool_id = s.pool_id AND u.sub = s.user_sub WHERE s.id = $1`

// prefixCols qualifies each column of a comma-separated list.
func prefixCols(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// sessionDest is where a row of sessionCols scans to, in sessionCols' order.
func sessionDest(s *store.Session) []any {
	return []any{&s.ID, &s.PoolID, &s.ClientID, &s.UserSub, &s.Username, &s.UserGen,
		msTime{&s.AuthTime}, msTime{&s.CreatedAt}, msTime{&s.LastUsed}, msTime{&s.ExpiresAt},
		&s.RefreshGen, msTime{&s.RotatedAt}, msTime{&s.RevokedAt}, &s.Revoked,
		&s.DeviceKey, &s.Scopes, &s.Source}
}

// CreateSession implements store.Sessions. The session's pool, client (in
// that pool) and user (by sub, in that pool) must exist, else
// store.ErrNotFound.
func (s *Store) CreateSession(ctx context.Context, ss *store.Session) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (`+sessionCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		ss.ID, ss.PoolID, ss.ClientID, ss.UserSub, ss.Username, ss.UserGen,
		ms(ss.AuthTime), ms(ss.CreatedAt), ms(ss.LastUsed), ms(ss.ExpiresAt), ss.RefreshGen,
		ms(ss.RotatedAt), ms(ss.RevokedAt), ss.Revoked, ss.DeviceKey, ss.Scopes, ss.Source)
	return wrap("create session", err)
}

// GetSession implements store.Sessions.
func (s *Store) GetSession(ctx context.Context, id string) (*store.Session, error) {
	if unstorable(id) {
		return nil, notFound("get session")
	}
	ss := &store.Session{}
	if err := s.pool.QueryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = $1`, id).
		Scan(sessionDest(ss)...); err != nil {
		return nil, wrap("get session", err)
	}
	return ss, nil
}

// GetSessionWithUser implements store.Sessions in one statement, hence one
// snapshot.
func (s *Store) GetSessionWithUser(ctx context.Context, id string) (*store.Session, *store.User, error) {
	if unstorable(id) {
		return nil, nil, notFound("get session with user")
	}
	ss, u := &store.Session{}, &store.User{}
	dest := append(sessionDest(ss), userDest(u)...)
	if err := s.pool.QueryRow(ctx, qGetSessionWithUser, id).Scan(dest...); err != nil {
		return nil, nil, wrap("get session with user", err)
	}
	return ss, u, nil
}

// RevokeSession implements store.Sessions. The first revocation wins: a
// revoked session keeps its RevokedAt and reason (concurrent revocations
// queue on the row lock, and the later ones find it revoked). at must not be
// zero (the zero time is how "not revoked" is stored). One statement in
// autocommit: the revocation is committed when it returns.
func (s *Store) RevokeSession(ctx context.Context, id string, at time.Time, reason string) error {
	const op = "revoke session"
	if at.IsZero() {
		return fmt.Errorf("postgres: %s: zero revocation time", op)
	}
	if unstorable(id) {
		return notFound(op)
	}
	// The UPDATE's row, if any, or else whether the session exists (as of
	// the statement's snapshot): revoking an already revoked session is a
	// no-op, not an error.
	var found bool
	err := s.pool.QueryRow(ctx, `WITH revoked AS (
			UPDATE sessions SET revoked_at = $2, revoked = $3 WHERE id = $1 AND revoked_at IS NULL RETURNING 1
		)
		SELECT EXISTS (SELECT 1 FROM revoked) OR EXISTS (SELECT 1 FROM sessions WHERE id = $1)`,
		id, ms(at), reason).Scan(&found)
	if err != nil {
		return wrap(op, err)
	}
	if !found {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
	}
	return nil
}

// RotateRefresh implements store.Sessions as one conditional UPDATE (which
// also sets LastUsed: a rotation is a use). Concurrent rotations from the
// same generation queue on the row lock; PostgreSQL re-checks the condition
// on the row the first one committed, so exactly one succeeds. A missing
// session is store.ErrNotFound.
func (s *Store) RotateRefresh(ctx context.Context, id string, fromGen int64, at time.Time) error {
	const op = "rotate refresh token"
	if unstorable(id) {
		return notFound(op)
	}
	var rotated, exists bool
	err := s.pool.QueryRow(ctx, `WITH rotated AS (
			UPDATE sessions SET refresh_gen = refresh_gen + 1, rotated_at = $3, last_used = $3
			WHERE id = $1 AND refresh_gen = $2 AND revoked_at IS NULL RETURNING 1
		)
		SELECT EXISTS (SELECT 1 FROM rotated), EXISTS (SELECT 1 FROM sessions WHERE id = $1)`,
		id, fromGen, ms(at)).Scan(&rotated, &exists)
	switch {
	case err != nil:
		return wrap(op, err)
	case rotated:
		return nil
	case !exists:
		return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
	default:
		return fmt.Errorf("postgres: %s: %w", op, store.ErrConflict)
	}
}

// TouchSession implements store.Sessions: it sets LastUsed to at. A missing
// session is store.ErrNotFound.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	if unstorable(id) {
		return notFound("touch session")
	}
	return s.execOne(ctx, "touch session", `UPDATE sessions SET last_used = $2 WHERE id = $1`, id, ms(at))
}
