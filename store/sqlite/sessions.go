package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/store"
)

const sessionCols = `id, pool_id, client_id, user_sub, username, user_gen, auth_time, created_at, last_used,
	expires_at, refresh_gen, rotated_at, revoked_at, revoked, device_key, scopes, source, access_ttl,
	source_ip, user_agent`

const (
	qGetSession = `SELECT ` + sessionCols + ` FROM sessions WHERE id = ?`
	// qCreateSession takes user_gen from the user's row in the insert
	// itself, and inserts nothing for a missing or disabled user.
	qCreateSession = `INSERT INTO sessions (` + sessionCols + `)
		SELECT ?, ?, ?, ?, ?, u.sign_out_gen, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		FROM users u WHERE u.pool_id = ? AND u.sub = ? AND u.enabled = 1
		RETURNING user_gen`
	qTouchSession  = `UPDATE sessions SET last_used = ?, access_ttl = max(access_ttl, ?) WHERE id = ?`
	qRotateRefresh = `UPDATE sessions SET refresh_gen = refresh_gen + 1, rotated_at = ?, last_used = ?
		WHERE id = ? AND refresh_gen = ? AND revoked_at IS NULL`
)

// qGetSessionWithUser joins a session to its user through the unique
// (pool_id, sub) index: one read transaction instead of two.
var qGetSessionWithUser = `SELECT ` + prefixCols("s.", sessionCols) + `, ` + prefixCols("u.", userCols) + `
	FROM sessions s JOIN users u ON u.pool_id = s.pool_id AND u.sub = s.user_sub WHERE s.id = ?`

// qGetSessionWithProfile reads what GetSessionWithProfile documents
// (profileDest's columns): every column costs on each call.
var qGetSessionWithProfile = `SELECT s.id, s.pool_id, s.client_id, s.user_sub, s.username, s.user_gen,
	s.expires_at, s.revoked_at, s.revoked, u.username, u.sub, u.status, u.enabled, u.attributes, u.mfa,
	u.sign_out_gen, u.created_at, u.updated_at
	FROM sessions s JOIN users u ON u.pool_id = s.pool_id AND u.sub = s.user_sub WHERE s.id = ?`

// profileDest is where a row of qGetSessionWithProfile scans to.
func profileDest(ss *store.Session, u *store.User) []any {
	return []any{&ss.ID, &ss.PoolID, &ss.ClientID, &ss.UserSub, &ss.Username, &ss.UserGen,
		msTime{&ss.ExpiresAt}, msTime{&ss.RevokedAt}, &ss.Revoked, &u.Username, &u.Sub, &u.Status, &u.Enabled,
		attrsCol{&u.Attributes}, &u.MFA, &u.SignOutGen, msTime{&u.CreatedAt}, msTime{&u.UpdatedAt}}
}

// qGetSessionForMint is qGetSessionWithUser with the user's groups as a
// JSON array of [name, precedence, role_arn] (see decodeMintGroups), read
// through the group_members_user index.
var qGetSessionForMint = `SELECT ` + prefixCols("s.", sessionCols) + `, ` + prefixCols("u.", userCols) + `,
	(SELECT json_group_array(json_array(g.name, g.precedence, g.role_arn)) FROM group_members m
		JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.group_name
		WHERE m.pool_id = s.pool_id AND m.user_sub = s.user_sub)
	FROM sessions s JOIN users u ON u.pool_id = s.pool_id AND u.sub = s.user_sub WHERE s.id = ?`

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
		&s.DeviceKey, &s.Scopes, &s.Source, durationMs{&s.AccessTTL}, &s.SourceIP, &s.UserAgent}
}

// createArgs are qCreateSession's arguments: the session's values in
// sessionCols' order but user_gen, then the user's key.
func createArgs(s *store.Session) []any {
	return []any{s.ID, s.PoolID, s.ClientID, s.UserSub, s.Username,
		ms(s.AuthTime), ms(s.CreatedAt), ms(s.LastUsed), ms(s.ExpiresAt), s.RefreshGen,
		ms(s.RotatedAt), ms(s.RevokedAt), s.Revoked, s.DeviceKey, s.Scopes, s.Source, s.AccessTTL.Milliseconds(),
		s.SourceIP, s.UserAgent, s.PoolID, s.UserSub}
}

// CreateSession implements store.Sessions: one INSERT ... SELECT reads the
// user's generation and inserts the session in the same statement, hence
// the same write transaction. The session's pool, client (in that pool) and
// user (by sub, in that pool) must exist, else store.ErrNotFound.
func (s *Store) CreateSession(ctx context.Context, ss *store.Session) error {
	const op = "create session"
	var gen int64
	err := s.createSession.QueryRowContext(ctx, createArgs(ss)...).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) {
		// No row was inserted: the user is missing or disabled.
		var enabled bool
		err := s.r.QueryRowContext(ctx, `SELECT enabled FROM users WHERE pool_id = ? AND sub = ?`, ss.PoolID, ss.UserSub).Scan(&enabled)
		if err != nil {
			return wrap(op, err)
		}
		return fmt.Errorf("sqlite: %s: the user is disabled: %w", op, store.ErrConflict)
	}
	if err != nil {
		return wrap(op, err)
	}
	ss.UserGen = gen
	return nil
}

// PurgeSessions implements store.Sessions, deleting at most limit sessions
// of each kind (expired, revoked, signed out) per call. Each query takes
// its candidates from an index (ended before now) and keeps those whose
// tokens may still be alive.
func (s *Store) PurgeSessions(ctx context.Context, now time.Time, limit int) (int64, error) {
	var total int64
	for _, q := range []struct{ op, sql string }{
		{"purge expired sessions", `DELETE FROM sessions WHERE id IN
			(SELECT id FROM sessions WHERE expires_at < ?1 AND expires_at + access_ttl < ?1 LIMIT ?2)`},
		{"purge revoked sessions", `DELETE FROM sessions WHERE id IN
			(SELECT id FROM sessions WHERE revoked_at < ?1 AND revoked_at + access_ttl < ?1 LIMIT ?2)`},
		{"purge signed-out sessions", `DELETE FROM sessions WHERE id IN
			(SELECT s.id FROM users u JOIN sessions s ON s.pool_id = u.pool_id AND s.user_sub = u.sub
			 WHERE u.signed_out_at < ?1 AND s.user_gen < u.sign_out_gen AND u.signed_out_at + s.access_ttl < ?1 LIMIT ?2)`},
	} {
		res, err := s.w.ExecContext(ctx, q.sql, ms(now), limitArg(limit))
		if err != nil {
			return total, wrap(q.op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, wrap(q.op, err)
		}
		total += n
	}
	return total, nil
}

// GetSession implements store.Sessions.
func (s *Store) GetSession(ctx context.Context, id string) (*store.Session, error) {
	ss := &store.Session{}
	if err := s.getSession.QueryRowContext(ctx, id).Scan(sessionDest(ss)...); err != nil {
		return nil, wrap("get session", err)
	}
	return ss, nil
}

// GetSessionWithUser implements store.Sessions.
func (s *Store) GetSessionWithUser(ctx context.Context, id string) (*store.Session, *store.User, error) {
	ss, u := &store.Session{}, &store.User{}
	dest := append(sessionDest(ss), userDest(u)...)
	if err := s.getSessionWithUser.QueryRowContext(ctx, id).Scan(dest...); err != nil {
		return nil, nil, wrap("get session with user", err)
	}
	return ss, u, nil
}

// GetSessionWithProfile implements store.Sessions.
func (s *Store) GetSessionWithProfile(ctx context.Context, id string) (*store.Session, *store.User, error) {
	ss, u := &store.Session{}, &store.User{}
	if err := s.getSessionProfile.QueryRowContext(ctx, id).Scan(profileDest(ss, u)...); err != nil {
		return nil, nil, wrap("get session with profile", err)
	}
	u.PoolID = ss.PoolID
	return ss, u, nil
}

// GetSessionForMint implements store.Sessions.
func (s *Store) GetSessionForMint(ctx context.Context, id string) (*store.Session, *store.User, []*store.Group, error) {
	const op = "get session for mint"
	ss, u := &store.Session{}, &store.User{}
	var groups []byte
	dest := append(append(sessionDest(ss), userDest(u)...), &groups)
	if err := s.getSessionForMint.QueryRowContext(ctx, id).Scan(dest...); err != nil {
		return nil, nil, nil, wrap(op, err)
	}
	gs, err := store.DecodeMintGroups(ss.PoolID, groups)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return ss, u, gs, nil
}

// RevokeSession implements store.Sessions. The first revocation wins: a
// revoked session keeps its RevokedAt and reason, and only the first
// appends a revocation event (in the same transaction). at must not be zero (the
// zero time is how "not revoked" is stored).
func (s *Store) RevokeSession(ctx context.Context, id string, at time.Time, reason string) error {
	const op = "revoke session"
	if at.IsZero() {
		return fmt.Errorf("sqlite: %s: zero revocation time", op)
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		ev := &store.RevocationEvent{Kind: store.RevocationFamily, ID: id, Reason: reason, At: at}
		err := tx.QueryRowContext(ctx,
			`UPDATE sessions SET revoked_at = ?, revoked = ? WHERE id = ? AND revoked_at IS NULL
			 RETURNING pool_id, user_sub, client_id`,
			ms(at), reason, id).Scan(&ev.PoolID, &ev.Sub, &ev.ClientID)
		if err == nil {
			return appendRevocation(ctx, tx, ev)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return wrap(op, err)
		}
		// Already revoked (a no-op: no event) or missing.
		var one int
		return wrap(op, tx.QueryRowContext(ctx, `SELECT 1 FROM sessions WHERE id = ?`, id).Scan(&one))
	})
}

// RotateRefresh implements store.Sessions as one conditional UPDATE (which
// also sets LastUsed: a rotation is a use), so that
// of concurrent rotations from the same generation exactly one succeeds. A
// missing session is store.ErrNotFound.
func (s *Store) RotateRefresh(ctx context.Context, id string, fromGen int64, at time.Time) error {
	const op = "rotate refresh token"
	res, err := s.rotateRefresh.ExecContext(ctx, ms(at), ms(at), id, fromGen)
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 1 {
		return nil
	}
	// Tell a missing session from a failed precondition. Sessions are never
	// resurrected, so reading after the failed UPDATE is not racy in a way
	// that matters: either answer is a refusal.
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1 FROM sessions WHERE id = ?`, id).Scan(&one); err != nil {
		return wrap(op, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, store.ErrConflict)
}

// TouchSession implements store.Sessions: it sets LastUsed to at. A missing
// session is store.ErrNotFound.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time, accessTTL time.Duration) error {
	res, err := s.touchSession.ExecContext(ctx, ms(at), accessTTL.Milliseconds(), id)
	return affectedOne("touch session", res, err)
}
