package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/store"
)

const codeCols = `pool_id, user_sub, purpose, code, data, attempts, created_at, expires_at`

// codeDest is where a row of codeCols scans to, in codeCols' order.
func codeDest(c *store.Code) []any {
	return []any{&c.PoolID, &c.UserSub, &c.Purpose, &c.Code, &c.Data, &c.Attempts,
		msTime{&c.CreatedAt}, msTime{&c.ExpiresAt}}
}

// PutCode implements store.Codes: one upsert on (pool, user, purpose) that
// replaces every field of the user's code for the purpose, attempts
// included. A missing pool or user (by sub, in that pool) is a foreign-key
// violation, hence store.ErrNotFound.
func (s *Store) PutCode(ctx context.Context, c *store.Code) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO codes (`+codeCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (pool_id, user_sub, purpose) DO UPDATE SET code = excluded.code, data = excluded.data,
		attempts = excluded.attempts, created_at = excluded.created_at, expires_at = excluded.expires_at`,
		c.PoolID, c.UserSub, c.Purpose, c.Code, c.Data, c.Attempts, ms(c.CreatedAt), ms(c.ExpiresAt))
	return wrap("put code", err)
}

// GetCode implements store.Codes.
func (s *Store) GetCode(ctx context.Context, poolID, sub, purpose string) (*store.Code, error) {
	const op = "get code"
	if unstorable(poolID, sub, purpose) {
		return nil, notFound(op)
	}
	c := &store.Code{}
	err := s.pool.QueryRow(ctx, `SELECT `+codeCols+` FROM codes WHERE pool_id = $1 AND user_sub = $2 AND purpose = $3`,
		poolID, sub, purpose).Scan(codeDest(c)...)
	if err != nil {
		return nil, wrap(op, err)
	}
	return c, nil
}

// AttemptCode implements store.Codes with one conditional UPDATE ...
// RETURNING in autocommit that counts the attempt only while attempts
// remain: concurrent attempts queue on the row lock and each re-checks the
// count the previous one committed, so together they never count more than
// maxAttempts. When it counts nothing, a lookup tells a spent code
// (store.ErrConflict) from a missing one (store.ErrNotFound); either answer
// is a refusal, so the lookup need not share the UPDATE's snapshot.
func (s *Store) AttemptCode(ctx context.Context, poolID, sub, purpose string, maxAttempts int) (*store.Code, error) {
	const op = "attempt code"
	if unstorable(poolID, sub, purpose) {
		return nil, notFound(op)
	}
	c := &store.Code{}
	err := s.pool.QueryRow(ctx, `UPDATE codes SET attempts = attempts + 1
		WHERE pool_id = $1 AND user_sub = $2 AND purpose = $3 AND attempts < $4::bigint RETURNING `+codeCols,
		poolID, sub, purpose, maxAttempts).Scan(codeDest(c)...)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, wrap(op, err)
	}
	var one int
	if err := s.pool.QueryRow(ctx, `SELECT 1 FROM codes WHERE pool_id = $1 AND user_sub = $2 AND purpose = $3`,
		poolID, sub, purpose).Scan(&one); err != nil {
		return nil, wrap(op, err)
	}
	return nil, fmt.Errorf("postgres: %s: no attempts left: %w", op, store.ErrConflict)
}

// DeleteCode implements store.Codes with one DELETE in autocommit, only of
// the given code: of concurrent deletes of one code exactly one finds the
// row (the others wait for its lock and then find it gone).
func (s *Store) DeleteCode(ctx context.Context, poolID, sub, purpose, code string) error {
	const op = "delete code"
	if unstorable(poolID, sub, purpose, code) {
		return notFound(op)
	}
	return s.execOne(ctx, op, `DELETE FROM codes WHERE pool_id = $1 AND user_sub = $2 AND purpose = $3 AND code = $4`,
		poolID, sub, purpose, code)
}

// PurgeCodes implements store.Codes. The DELETE repeats the expiry
// condition: a PutCode may replace an expired code with a fresh one (same
// key) while the purge runs, and PostgreSQL re-checks the DELETE's own
// conditions, not the sub-select's, on a row that changed under it.
func (s *Store) PurgeCodes(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.purge(ctx, "purge codes", `DELETE FROM codes WHERE (pool_id, user_sub, purpose) IN
		(SELECT pool_id, user_sub, purpose FROM codes WHERE expires_at < $1 LIMIT $2) AND expires_at < $1`, before, limit)
}
