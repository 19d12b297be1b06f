package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/store"
)

// The revocation feed. Every write that revokes is one statement whose
// data-modifying CTEs do the revocation, move the pool's counter on
// (feedAppend: an upsert of its revocation_feeds row, whose row lock then
// serializes the pool's writers until the statement commits) and insert the
// event: atomic, and numbered in commit order across replicas.

// feedAppend is the CTE pair that appends an event for each row of the CTE
// named src, which must yield pool_id; the event's other columns are given
// by cols and vals (expressions over src, aliased s, and feed, aliased f).
func feedAppend(src, cols, vals string) string {
	return `feed AS (
			INSERT INTO revocation_feeds (pool_id, seq) SELECT pool_id, 1 FROM ` + src + `
			ON CONFLICT (pool_id) DO UPDATE SET seq = revocation_feeds.seq + 1 RETURNING pool_id, seq
		),
		ev AS (
			INSERT INTO revocation_events (pool_id, seq, ` + cols + `)
			SELECT f.pool_id, f.seq, ` + vals + ` FROM feed f JOIN ` + src + ` s ON s.pool_id = f.pool_id
			RETURNING 1
		)`
}

const revocationCols = `pool_id, seq, kind, id, sub, client_id, gen, deleted, reason, at`

// RevocationsAfter implements store.Revocations.
func (s *Store) RevocationsAfter(ctx context.Context, poolID string, after int64, limit int) ([]*store.RevocationEvent, error) {
	if unstorable(poolID) {
		return nil, nil
	}
	return list(ctx, s, "list revocation events",
		`SELECT `+revocationCols+` FROM revocation_events WHERE pool_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		func(r pgx.Rows) (*store.RevocationEvent, error) {
			ev := &store.RevocationEvent{}
			err := r.Scan(&ev.PoolID, &ev.Seq, &ev.Kind, &ev.ID, &ev.Sub, &ev.ClientID, &ev.Gen, &ev.Deleted,
				&ev.Reason, msTime{&ev.At})
			return ev, err
		}, poolID, after, limitArg(limit))
}

// RevocationHead implements store.Revocations.
func (s *Store) RevocationHead(ctx context.Context, poolID string) (head, floor int64, err error) {
	if unstorable(poolID) {
		return 0, 0, nil
	}
	err = s.pool.QueryRow(ctx, `SELECT seq, floor FROM revocation_feeds WHERE pool_id = $1`, poolID).Scan(&head, &floor)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, wrap("revocation head", err)
	}
	return head, floor, nil
}

// PurgeRevocations implements store.Revocations in one statement: it picks
// the oldest events, raises their pools' floors and deletes them.
func (s *Store) PurgeRevocations(ctx context.Context, before time.Time, limit int) (int64, error) {
	const op = "purge revocation events"
	var n int64
	err := s.pool.QueryRow(ctx, `WITH victims AS (
			SELECT pool_id, seq FROM revocation_events WHERE at < $1 ORDER BY at LIMIT $2
		),
		floors AS (
			UPDATE revocation_feeds f SET floor = GREATEST(f.floor, m.top)
			FROM (SELECT pool_id, max(seq) AS top FROM victims GROUP BY pool_id) m
			WHERE f.pool_id = m.pool_id RETURNING 1
		),
		gone AS (
			DELETE FROM revocation_events e USING victims v WHERE e.pool_id = v.pool_id AND e.seq = v.seq RETURNING 1
		)
		SELECT count(*) FROM gone`, before.UnixMilli(), limitArg(limit)).Scan(&n)
	if err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}
