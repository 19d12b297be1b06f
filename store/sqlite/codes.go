package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/store"
)

const codeCols = `pool_id, user_sub, purpose, code, data, attempts, created_at, expires_at`

func codeDest(c *store.Code) []any {
	return []any{&c.PoolID, &c.UserSub, &c.Purpose, &c.Code, &c.Data, &c.Attempts, msTime{&c.CreatedAt}, msTime{&c.ExpiresAt}}
}

// PutCode implements store.Codes: an upsert on (pool, user, purpose).
func (s *Store) PutCode(ctx context.Context, c *store.Code) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO codes (`+codeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (pool_id, user_sub, purpose) DO UPDATE SET code = excluded.code, data = excluded.data,
		attempts = excluded.attempts, created_at = excluded.created_at, expires_at = excluded.expires_at`,
		c.PoolID, c.UserSub, c.Purpose, c.Code, notNullBlob(c.Data), c.Attempts, ms(c.CreatedAt), ms(c.ExpiresAt))
	return wrap("put code", err)
}

// GetCode implements store.Codes.
func (s *Store) GetCode(ctx context.Context, poolID, sub, purpose string) (*store.Code, error) {
	c := &store.Code{}
	err := s.r.QueryRowContext(ctx, `SELECT `+codeCols+` FROM codes WHERE pool_id = ? AND user_sub = ? AND purpose = ?`,
		poolID, sub, purpose).Scan(codeDest(c)...)
	if err != nil {
		return nil, wrap("get code", err)
	}
	return c, nil
}

// AttemptCode implements store.Codes: one conditional UPDATE ... RETURNING
// counts the attempt only while attempts remain, so concurrent attempts
// can never exceed the limit.
func (s *Store) AttemptCode(ctx context.Context, poolID, sub, purpose string, maxAttempts int) (*store.Code, error) {
	const op = "attempt code"
	c := &store.Code{}
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE codes SET attempts = attempts + 1
			WHERE pool_id = ? AND user_sub = ? AND purpose = ? AND attempts < ? RETURNING `+codeCols,
			poolID, sub, purpose, maxAttempts).Scan(codeDest(c)...)
		if !errors.Is(err, sql.ErrNoRows) {
			return wrap(op, err)
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM codes WHERE pool_id = ? AND user_sub = ? AND purpose = ?`,
			poolID, sub, purpose).Scan(&one); err != nil {
			return wrap(op, err)
		}
		return fmt.Errorf("sqlite: %s: no attempts left: %w", op, store.ErrConflict)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DeleteCode implements store.Codes.
func (s *Store) DeleteCode(ctx context.Context, poolID, sub, purpose, code string) error {
	return execOne(ctx, s.w, "delete code", `DELETE FROM codes WHERE pool_id = ? AND user_sub = ? AND purpose = ? AND code = ?`,
		poolID, sub, purpose, code)
}

// PurgeCodes implements store.Codes.
func (s *Store) PurgeCodes(ctx context.Context, before time.Time, limit int) (int64, error) {
	return purge(ctx, s.w, "purge codes", `DELETE FROM codes WHERE (pool_id, user_sub, purpose) IN
		(SELECT pool_id, user_sub, purpose FROM codes WHERE expires_at < ? LIMIT ?)`, before, limit)
}
