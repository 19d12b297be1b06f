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
func (s *Store) PurgeChallenges(ctx context.Context, before time.Time, limit int) (int64, error) {
	return purge(ctx, s.w, "purge challenges", `DELETE FROM challenges WHERE id IN
		(SELECT id FROM challenges WHERE expires_at < ? LIMIT ?)`, before, limit)
}
