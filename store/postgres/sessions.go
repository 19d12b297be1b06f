package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/store"
)

const sessionCols = `id, pool_id, client_id, user_sub, username, user_gen, auth_time, created_at, last_used,
	expires_at, refresh_gen, rotated_at, revoked_at, revoked, device_key, scopes, source, access_ttl,
	source_ip, user_agent`

// qGetSessionWithUser joins a session to its user through the unique
// (pool_id, sub) index: one round trip instead of two.
var qGetSessionWithUser = `SELECT ` + prefixCols("s.", sessionCols) + `, ` + prefixCols("u.", userCols) + `
	FROM sessions s JOIN users u ON u.pool_id = s.pool_id AND u.sub = s.user_sub WHERE s.id = $1`

// qGetSessionWithProfile reads what GetSessionWithProfile documents
// (profileDest's columns): every column costs on each call.
var qGetSessionWithProfile = `SELECT s.id, s.pool_id, s.client_id, s.user_sub, s.username, s.user_gen,
	s.expires_at, s.revoked_at, s.revoked, u.username, u.sub, u.status, u.enabled, u.attributes, u.mfa,
	u.sign_out_gen, u.created_at, u.updated_at
	FROM sessions s JOIN users u ON u.pool_id = s.pool_id AND u.sub = s.user_sub WHERE s.id = $1`

// profileDest is where a row of qGetSessionWithProfile scans to.
func profileDest(ss *store.Session, u *store.User) []any {
	return []any{&ss.ID, &ss.PoolID, &ss.ClientID, &ss.UserSub, &ss.Username, &ss.UserGen,
		msTime{&ss.ExpiresAt}, msTime{&ss.RevokedAt}, &ss.Revoked, &u.Username, &u.Sub, &u.Status, &u.Enabled,
		attrsCol{&u.Attributes}, &u.MFA, &u.SignOutGen, msTime{&u.CreatedAt}, msTime{&u.UpdatedAt}}
}

// qGetSessionForMint is qGetSessionWithUser with the user's groups as a
// JSON array of [name, precedence, role_arn] (see store.DecodeMintGroups),
// read through the group_members_user index.
var qGetSessionForMint = `SELECT ` + prefixCols("s.", sessionCols) + `, ` + prefixCols("u.", userCols) + `,
	(SELECT coalesce(json_agg(json_build_array(g.name, g.precedence, g.role_arn)), '[]')::text FROM group_members m
		JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.group_name
		WHERE m.pool_id = s.pool_id AND m.user_sub = s.user_sub)
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
		&s.DeviceKey, &s.Scopes, &s.Source, durationMs{&s.AccessTTL}, &s.SourceIP, &s.UserAgent}
}

// qCreateSession takes user_gen from the user's row in the insert itself,
// and inserts nothing for a missing or disabled user.
const qCreateSession = `INSERT INTO sessions (` + sessionCols + `)
	SELECT $1, $2, $3, $4, $5, u.sign_out_gen, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19
	FROM users u WHERE u.pool_id = $2 AND u.sub = $4 AND u.enabled
	RETURNING user_gen`

// CreateSession implements store.Sessions: one INSERT ... SELECT reads the
// user's generation and inserts the session in the same statement, so a
// global sign-out that committed before the call began is always seen (one
// that commits while the statement runs is ordered after it, and ends the
// session). The session's pool, client (in that pool) and user (by sub, in
// that pool) must exist, else store.ErrNotFound; a disabled user is
// store.ErrConflict.
func (s *Store) CreateSession(ctx context.Context, ss *store.Session) error {
	const op = "create session"
	var gen int64
	err := s.pool.QueryRow(ctx, qCreateSession,
		ss.ID, ss.PoolID, ss.ClientID, ss.UserSub, ss.Username,
		ms(ss.AuthTime), ms(ss.CreatedAt), ms(ss.LastUsed), ms(ss.ExpiresAt), ss.RefreshGen,
		ms(ss.RotatedAt), ms(ss.RevokedAt), ss.Revoked, ss.DeviceKey, ss.Scopes, ss.Source,
		ss.AccessTTL.Milliseconds(), ss.SourceIP, ss.UserAgent).Scan(&gen)
	if errors.Is(err, pgx.ErrNoRows) {
		// Nothing was inserted: the user is missing (or in another pool)
		// or disabled.
		var enabled bool
		err := s.pool.QueryRow(ctx, `SELECT enabled FROM users WHERE pool_id = $1 AND sub = $2`,
			ss.PoolID, ss.UserSub).Scan(&enabled)
		if err != nil {
			return wrap(op, err)
		}
		return fmt.Errorf("postgres: %s: the user is disabled: %w", op, store.ErrConflict)
	}
	if err != nil {
		return wrap(op, err)
	}
	ss.UserGen = gen
	return nil
}

// PurgeSessions implements store.Sessions with three bounded DELETEs, each
// in autocommit and each of at most limit sessions: expired ones, revoked
// ones, and those a global sign-out ended, each once its tokens' longest
// life (access_ttl) has passed since. What ends a session never reverts
// (expiry and user_gen are fixed, a revocation is final, sign_out_gen only
// grows), but a concurrent TouchSession may raise access_ttl, keeping the
// session's tokens alive longer. So each DELETE repeats the access_ttl
// condition: PostgreSQL re-checks the DELETE's own conditions, not the
// sub-select's, on a row that changed under it, and keeps the touched
// session. (The signed-out DELETE re-checks against the user row it
// joined; a later sign-out of the same user ends nothing more.)
func (s *Store) PurgeSessions(ctx context.Context, now time.Time, limit int) (int64, error) {
	var total int64
	for _, q := range []struct{ op, sql string }{
		{"purge expired sessions", `DELETE FROM sessions WHERE id IN
			(SELECT id FROM sessions WHERE expires_at < $1 AND expires_at + access_ttl < $1 LIMIT $2)
			AND expires_at + access_ttl < $1`},
		{"purge revoked sessions", `DELETE FROM sessions WHERE id IN
			(SELECT id FROM sessions WHERE revoked_at < $1 AND revoked_at + access_ttl < $1 LIMIT $2)
			AND revoked_at + access_ttl < $1`},
		{"purge signed-out sessions", `DELETE FROM sessions USING users u WHERE sessions.id IN
			(SELECT s.id FROM users u JOIN sessions s ON s.pool_id = u.pool_id AND s.user_sub = u.sub
			 WHERE u.signed_out_at < $1 AND s.user_gen < u.sign_out_gen AND u.signed_out_at + s.access_ttl < $1
			 LIMIT $2)
			AND u.pool_id = sessions.pool_id AND u.sub = sessions.user_sub
			AND sessions.user_gen < u.sign_out_gen AND u.signed_out_at + sessions.access_ttl < $1`},
	} {
		n, err := s.purge(ctx, q.op, q.sql, now, limit)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
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

// GetSessionWithProfile implements store.Sessions in one statement.
func (s *Store) GetSessionWithProfile(ctx context.Context, id string) (*store.Session, *store.User, error) {
	if unstorable(id) {
		return nil, nil, notFound("get session with profile")
	}
	ss, u := &store.Session{}, &store.User{}
	if err := s.pool.QueryRow(ctx, qGetSessionWithProfile, id).Scan(profileDest(ss, u)...); err != nil {
		return nil, nil, wrap("get session with profile", err)
	}
	u.PoolID = ss.PoolID
	return ss, u, nil
}

// GetSessionForMint implements store.Sessions in one statement.
func (s *Store) GetSessionForMint(ctx context.Context, id string) (*store.Session, *store.User, []*store.Group, error) {
	const op = "get session for mint"
	if unstorable(id) {
		return nil, nil, nil, notFound(op)
	}
	ss, u := &store.Session{}, &store.User{}
	var groups string
	dest := append(append(sessionDest(ss), userDest(u)...), &groups)
	if err := s.pool.QueryRow(ctx, qGetSessionForMint, id).Scan(dest...); err != nil {
		return nil, nil, nil, wrap(op, err)
	}
	gs, err := store.DecodeMintGroups(ss.PoolID, []byte(groups))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("postgres: %s: %w", op, err)
	}
	return ss, u, gs, nil
}

// RevokeSession implements store.Sessions. The first revocation wins: a
// revoked session keeps its RevokedAt and reason (concurrent revocations
// queue on the row lock, and the later ones find it revoked). at must not be
// zero (the zero time is how "not revoked" is stored). One statement in
// autocommit, which also appends the revocation event (none for a no-op):
// the revocation is committed when it returns.
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
			UPDATE sessions SET revoked_at = $2, revoked = $3 WHERE id = $1 AND revoked_at IS NULL
			RETURNING pool_id, user_sub, client_id
		),
		`+feedAppend("revoked", "kind, id, sub, client_id, reason, at", "'family', $1, s.user_sub, s.client_id, $3, $2")+`
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

// TouchSession implements store.Sessions: it sets LastUsed to at and raises
// AccessTTL to accessTTL when that is longer, in one UPDATE (concurrent
// touches queue on the row lock, and each raises what the last committed).
// A missing session is store.ErrNotFound.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time, accessTTL time.Duration) error {
	if unstorable(id) {
		return notFound("touch session")
	}
	return s.execOne(ctx, "touch session",
		`UPDATE sessions SET last_used = $2, access_ttl = GREATEST(access_ttl, $3) WHERE id = $1`,
		id, ms(at), accessTTL.Milliseconds())
}
