package postgres

import (
	"context"
	"time"

	"github.com/cognate-dev/cognate/store"
)

const webSessionCols = `id, pool_id, user_sub, user_gen, created_at, expires_at`

// CreateWebSession implements store.WebSessions. A missing pool or user is
// store.ErrNotFound.
func (s *Store) CreateWebSession(ctx context.Context, w *store.WebSession) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO web_sessions (`+webSessionCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		w.ID, w.PoolID, w.UserSub, w.UserGen, ms(w.CreatedAt), ms(w.ExpiresAt))
	return wrap("create web session", err)
}

// GetWebSession implements store.WebSessions.
func (s *Store) GetWebSession(ctx context.Context, id string) (*store.WebSession, error) {
	if unstorable(id) {
		return nil, notFound("get web session")
	}
	w := &store.WebSession{}
	err := s.pool.QueryRow(ctx, `SELECT `+webSessionCols+` FROM web_sessions WHERE id = $1`, id).
		Scan(&w.ID, &w.PoolID, &w.UserSub, &w.UserGen, msTime{&w.CreatedAt}, msTime{&w.ExpiresAt})
	if err != nil {
		return nil, wrap("get web session", err)
	}
	return w, nil
}

// DeleteWebSession implements store.WebSessions. It is committed when it
// returns (a sign-out).
func (s *Store) DeleteWebSession(ctx context.Context, id string) error {
	if unstorable(id) {
		return notFound("delete web session")
	}
	return s.execOne(ctx, "delete web session", `DELETE FROM web_sessions WHERE id = $1`, id)
}

// PurgeWebSessions implements store.WebSessions.
func (s *Store) PurgeWebSessions(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.purge(ctx, "purge web sessions", `DELETE FROM web_sessions WHERE id IN
		(SELECT id FROM web_sessions WHERE expires_at < $1 LIMIT $2)`, before, limit)
}

const authCodeCols = `id, pool_id, client_id, user_sub, user_gen, redirect_uri, scopes, code_challenge,
	code_challenge_method, auth_time, expires_at, nonce`

// PutAuthCode implements store.AuthCodes. A missing pool, client or user is
// store.ErrNotFound.
func (s *Store) PutAuthCode(ctx context.Context, c *store.AuthCode) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO auth_codes (`+authCodeCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.ID, c.PoolID, c.ClientID, c.UserSub, c.UserGen, c.RedirectURI, c.Scopes, c.CodeChallenge,
		c.CodeChallengeMethod, ms(c.AuthTime), ms(c.ExpiresAt), c.Nonce)
	return wrap("put auth code", err)
}

// TakeAuthCode implements store.AuthCodes with one DELETE ... RETURNING in
// autocommit: of concurrent takers of one code exactly one gets it.
func (s *Store) TakeAuthCode(ctx context.Context, id string) (*store.AuthCode, error) {
	if unstorable(id) {
		return nil, notFound("take auth code")
	}
	c := &store.AuthCode{}
	err := s.pool.QueryRow(ctx, `DELETE FROM auth_codes WHERE id = $1 RETURNING `+authCodeCols, id).
		Scan(&c.ID, &c.PoolID, &c.ClientID, &c.UserSub, &c.UserGen, &c.RedirectURI, &c.Scopes,
			&c.CodeChallenge, &c.CodeChallengeMethod, msTime{&c.AuthTime}, msTime{&c.ExpiresAt}, &c.Nonce)
	if err != nil {
		return nil, wrap("take auth code", err)
	}
	return c, nil
}

// PurgeAuthCodes implements store.AuthCodes: expired codes and expired
// used-code records, at most limit of each, in one statement.
func (s *Store) PurgeAuthCodes(ctx context.Context, before time.Time, limit int) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `WITH codes AS (
			DELETE FROM auth_codes WHERE id IN
				(SELECT id FROM auth_codes WHERE expires_at < $1 LIMIT $2) RETURNING 1
		), used AS (
			DELETE FROM used_auth_codes WHERE id IN
				(SELECT id FROM used_auth_codes WHERE expires_at < $1 LIMIT $2) RETURNING 1
		)
		SELECT (SELECT count(*) FROM codes) + (SELECT count(*) FROM used)`, ms(before), limitArg(limit)).Scan(&n)
	if err != nil {
		return 0, wrap("purge auth codes", err)
	}
	return n, nil
}

// RecordUsedAuthCode implements store.AuthCodes. A missing pool or session
// is store.ErrNotFound; an id recorded already is store.ErrConflict.
func (s *Store) RecordUsedAuthCode(ctx context.Context, id, poolID, sessionID string, expiresAt time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO used_auth_codes (id, pool_id, session_id, expires_at) VALUES ($1, $2, $3, $4)`,
		id, poolID, sessionID, ms(expiresAt))
	return wrap("record used auth code", err)
}

// UsedAuthCodeSession implements store.AuthCodes.
func (s *Store) UsedAuthCodeSession(ctx context.Context, id string) (string, error) {
	if unstorable(id) {
		return "", notFound("used auth code session")
	}
	var sid string
	if err := s.pool.QueryRow(ctx, `SELECT session_id FROM used_auth_codes WHERE id = $1`, id).Scan(&sid); err != nil {
		return "", wrap("used auth code session", err)
	}
	return sid, nil
}
