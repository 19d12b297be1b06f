package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/cognate-dev/cognate/store"
)

const webSessionCols = `id, pool_id, user_sub, user_gen, created_at, expires_at`

// CreateWebSession implements store.WebSessions. A missing pool or user is
// store.ErrNotFound.
func (s *Store) CreateWebSession(ctx context.Context, w *store.WebSession) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO web_sessions (`+webSessionCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		w.ID, w.PoolID, w.UserSub, w.UserGen, ms(w.CreatedAt), ms(w.ExpiresAt))
	return wrap("create web session", err)
}

// GetWebSession implements store.WebSessions.
func (s *Store) GetWebSession(ctx context.Context, id string) (*store.WebSession, error) {
	w := &store.WebSession{}
	err := s.r.QueryRowContext(ctx, `SELECT `+webSessionCols+` FROM web_sessions WHERE id = ?`, id).
		Scan(&w.ID, &w.PoolID, &w.UserSub, &w.UserGen, msTime{&w.CreatedAt}, msTime{&w.ExpiresAt})
	if err != nil {
		return nil, wrap("get web session", err)
	}
	return w, nil
}

// DeleteWebSession implements store.WebSessions.
func (s *Store) DeleteWebSession(ctx context.Context, id string) error {
	return execOne(ctx, s.w, "delete web session", `DELETE FROM web_sessions WHERE id = ?`, id)
}

// PurgeWebSessions implements store.WebSessions.
func (s *Store) PurgeWebSessions(ctx context.Context, before time.Time, limit int) (int64, error) {
	return purge(ctx, s.w, "purge web sessions", `DELETE FROM web_sessions WHERE id IN
		(SELECT id FROM web_sessions WHERE expires_at < ? LIMIT ?)`, before, limit)
}

const authCodeCols = `id, pool_id, client_id, user_sub, user_gen, redirect_uri, scopes, code_challenge,
	code_challenge_method, auth_time, expires_at, nonce`

// PutAuthCode implements store.AuthCodes. A missing pool, client or user is
// store.ErrNotFound.
func (s *Store) PutAuthCode(ctx context.Context, c *store.AuthCode) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO auth_codes (`+authCodeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.PoolID, c.ClientID, c.UserSub, c.UserGen, c.RedirectURI, c.Scopes, c.CodeChallenge,
		c.CodeChallengeMethod, ms(c.AuthTime), ms(c.ExpiresAt), c.Nonce)
	return wrap("put auth code", err)
}

// TakeAuthCode implements store.AuthCodes with DELETE ... RETURNING in a
// writer transaction: of concurrent takers of one code exactly one gets it.
func (s *Store) TakeAuthCode(ctx context.Context, id string) (*store.AuthCode, error) {
	const op = "take auth code"
	c := &store.AuthCode{}
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `DELETE FROM auth_codes WHERE id = ? RETURNING `+authCodeCols, id).
			Scan(&c.ID, &c.PoolID, &c.ClientID, &c.UserSub, &c.UserGen, &c.RedirectURI, &c.Scopes,
				&c.CodeChallenge, &c.CodeChallengeMethod, msTime{&c.AuthTime}, msTime{&c.ExpiresAt}, &c.Nonce)
		return wrap(op, err)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// PurgeAuthCodes implements store.AuthCodes.
func (s *Store) PurgeAuthCodes(ctx context.Context, before time.Time, limit int) (int64, error) {
	n, err := purge(ctx, s.w, "purge auth codes", `DELETE FROM auth_codes WHERE id IN
		(SELECT id FROM auth_codes WHERE expires_at < ? LIMIT ?)`, before, limit)
	if err != nil {
		return n, err
	}
	m, err := purge(ctx, s.w, "purge used auth codes", `DELETE FROM used_auth_codes WHERE id IN
		(SELECT id FROM used_auth_codes WHERE expires_at < ? LIMIT ?)`, before, limit)
	return n + m, err
}

// RecordUsedAuthCode implements store.AuthCodes.
func (s *Store) RecordUsedAuthCode(ctx context.Context, id, poolID, sessionID string, expiresAt time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO used_auth_codes (id, pool_id, session_id, expires_at) VALUES (?, ?, ?, ?)`,
		id, poolID, sessionID, ms(expiresAt))
	return wrap("record used auth code", err)
}

// UsedAuthCodeSession implements store.AuthCodes.
func (s *Store) UsedAuthCodeSession(ctx context.Context, id string) (string, error) {
	var sid string
	err := s.r.QueryRowContext(ctx, `SELECT session_id FROM used_auth_codes WHERE id = ?`, id).Scan(&sid)
	if err != nil {
		return "", wrap("used auth code session", err)
	}
	return sid, nil
}

// purge runs a bounded DELETE whose arguments are a time and a limit, and
// returns how many rows it deleted.
func purge(ctx context.Context, w *sql.DB, op, q string, before time.Time, limit int) (int64, error) {
	res, err := w.ExecContext(ctx, q, ms(before), limitArg(limit))
	if err != nil {
		return 0, wrap(op, err)
	}
	n, err := res.RowsAffected()
	return n, wrap(op, err)
}
