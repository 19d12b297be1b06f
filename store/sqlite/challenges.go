package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/cognate-dev/cognate/store"
)

const challengeCols = `id, pool_id, client_id, username, name, data, expires_at`

// PutChallenge implements store.Challenges. A missing pool is
// store.ErrNotFound.
func (s *Store) PutChallenge(ctx context.Context, c *store.Challenge) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO challenges (`+challengeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.PoolID, c.ClientID, c.Username, c.Name, c.Data, ms(c.ExpiresAt))
	return wrap("put challenge", err)
}

// TakeChallenge implements store.Challenges with DELETE ... RETURNING in a
// writer transaction: of concurrent takers of one id exactly one gets the
// challenge, and it is gone (committed) when TakeChallenge returns it.
func (s *Store) TakeChallenge(ctx context.Context, id string) (*store.Challenge, error) {
	const op = "take challenge"
	c := &store.Challenge{}
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `DELETE FROM challenges WHERE id = ? RETURNING `+challengeCols, id).
			Scan(&c.ID, &c.PoolID, &c.ClientID, &c.Username, &c.Name, &c.Data, msTime{&c.ExpiresAt})
		return wrap(op, err)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// PurgeChallenges implements store.Challenges.
func (s *Store) PurgeChallenges(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM challenges WHERE expires_at < ?`, ms(before))
	if err != nil {
		return 0, wrap("purge challenges", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("purge challenges", err)
}
