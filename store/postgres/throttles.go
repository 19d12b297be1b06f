package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/store"
)

// UpdateThrottle implements store.Throttles with one short transaction on
// the throttles table (UNLOGGED: see Durability in the package
// documentation), so that every replica sharing the database serializes on
// the key's row lock: INSERT ... ON CONFLICT DO NOTHING makes sure the row
// exists (a new key's row is the zero Throttle), SELECT ... FOR UPDATE locks
// and reads it, fn runs on what it read, and an UPDATE stores what fn left
// before the COMMIT. If fn returns an error, the transaction is rolled back
// (a new key's row with it) and the error is returned as is. fn runs while
// the row lock and a pooled connection are held: it must be quick and must
// not call the store.
//
// Keys are stored as BYTEA, byte for byte: any string is a key, NUL bytes
// and invalid UTF-8 included. Times are kept to the millisecond, as
// everywhere.
func (s *Store) UpdateThrottle(ctx context.Context, key string, fn func(*store.Throttle) error) error {
	const op = "update throttle"
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return wrap(op, err)
	}
	// After a Commit this is a no-op; otherwise (an error, fn's included, or
	// a panic in fn) it ends the transaction and returns the connection.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	k := []byte(key)
	var st store.Throttle
	// A PurgeThrottles may delete the row between the INSERT and the SELECT
	// (each statement has its own snapshot): then insert it again.
	for attempt := 0; ; attempt++ {
		if attempt == 3 {
			return fmt.Errorf("postgres: %s: the key's row keeps disappearing", op)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO throttles (key) VALUES ($1) ON CONFLICT (key) DO NOTHING`, k); err != nil {
			return wrap(op, err)
		}
		err := tx.QueryRow(ctx, `SELECT count, pending, until, since, updated_at FROM throttles WHERE key = $1 FOR UPDATE`, k).
			Scan(&st.Count, &st.Pending, msTime{&st.Until}, msTime{&st.Since}, msTime{&st.UpdatedAt})
		if err == nil {
			break
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return wrap(op, err)
		}
	}
	if err := fn(&st); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE throttles SET count = $2, pending = $3, until = $4, since = $5, updated_at = $6 WHERE key = $1`,
		k, st.Count, st.Pending, ms(st.Until), ms(st.Since), ms(st.UpdatedAt)); err != nil {
		return wrap(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return wrap(op, err)
	}
	return nil
}

// PurgeThrottles implements store.Throttles: it deletes at most limit
// states last updated before the given time, a state whose UpdatedAt is
// the zero time (NULL) included. The DELETE repeats the condition, so that a
// state updated while the purge runs is kept (PostgreSQL re-checks the
// DELETE's own conditions on a row that changed under it).
func (s *Store) PurgeThrottles(ctx context.Context, before time.Time, limit int) (int64, error) {
	if before.IsZero() {
		return 0, nil // nothing is before the zero time
	}
	return s.purge(ctx, "purge throttles", `DELETE FROM throttles WHERE key IN
		(SELECT key FROM throttles WHERE updated_at < $1 OR updated_at IS NULL LIMIT $2)
		AND (updated_at < $1 OR updated_at IS NULL)`, before, limit)
}
