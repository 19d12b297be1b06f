package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/store"
)

const revocationCols = `pool_id, seq, kind, id, sub, client_id, gen, deleted, reason, at`

// appendRevocation appends ev to its pool's revocation feed inside tx (a
// writer transaction, which BEGIN IMMEDIATE already serializes): the pool's
// counter moves on by one and ev.Seq is set to it.
func appendRevocation(ctx context.Context, tx *sql.Tx, ev *store.RevocationEvent) error {
	const op = "append revocation event"
	err := tx.QueryRowContext(ctx, `INSERT INTO revocation_feeds (pool_id, seq) VALUES (?, 1)
		ON CONFLICT (pool_id) DO UPDATE SET seq = seq + 1 RETURNING seq`, ev.PoolID).Scan(&ev.Seq)
	if err != nil {
		return wrap(op, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO revocation_events (`+revocationCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.PoolID, ev.Seq, ev.Kind, ev.ID, ev.Sub, ev.ClientID, ev.Gen, ev.Deleted, ev.Reason, ev.At.UnixMilli())
	return wrap(op, err)
}

// RevocationsAfter implements store.Revocations.
func (s *Store) RevocationsAfter(ctx context.Context, poolID string, after int64, limit int) ([]*store.RevocationEvent, error) {
	const op = "list revocation events"
	rows, err := s.r.QueryContext(ctx, `SELECT `+revocationCols+` FROM revocation_events
		WHERE pool_id = ? AND seq > ? ORDER BY seq LIMIT ?`, poolID, after, limitArg(limit))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []*store.RevocationEvent
	for rows.Next() {
		ev := &store.RevocationEvent{}
		if err := rows.Scan(&ev.PoolID, &ev.Seq, &ev.Kind, &ev.ID, &ev.Sub, &ev.ClientID, &ev.Gen, &ev.Deleted,
			&ev.Reason, msTime{&ev.At}); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// RevocationHead implements store.Revocations.
func (s *Store) RevocationHead(ctx context.Context, poolID string) (head, floor int64, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT seq, floor FROM revocation_feeds WHERE pool_id = ?`, poolID).Scan(&head, &floor)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, wrap("revocation head", err)
	}
	return head, floor, nil
}

// PurgeRevocations implements store.Revocations in one writer transaction:
// it picks the oldest events, raises their pools' floors and deletes them.
func (s *Store) PurgeRevocations(ctx context.Context, before time.Time, limit int) (int64, error) {
	const op = "purge revocation events"
	var n int64
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		type key struct {
			pool string
			seq  int64
		}
		rows, err := tx.QueryContext(ctx, `SELECT pool_id, seq FROM revocation_events WHERE at < ? ORDER BY at LIMIT ?`,
			before.UnixMilli(), limitArg(limit))
		if err != nil {
			return wrap(op, err)
		}
		var keys []key
		floors := map[string]int64{}
		for rows.Next() {
			var k key
			if err := rows.Scan(&k.pool, &k.seq); err != nil {
				rows.Close()
				return wrap(op, err)
			}
			keys = append(keys, k)
			floors[k.pool] = max(floors[k.pool], k.seq)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return wrap(op, err)
		}
		for pool, floor := range floors {
			if _, err := tx.ExecContext(ctx, `UPDATE revocation_feeds SET floor = max(floor, ?) WHERE pool_id = ?`, floor, pool); err != nil {
				return wrap(op, err)
			}
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `DELETE FROM revocation_events WHERE pool_id = ? AND seq = ?`, k.pool, k.seq); err != nil {
				return wrap(op, err)
			}
		}
		n = int64(len(keys))
		return nil
	})
	return n, err
}
