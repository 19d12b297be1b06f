package postgres

import (
	"context"
	"time"

	"github.com/cognate-dev/cognate/store"
)

const challengeCols = `id, pool_id, client_id, username, name, data, expires_at`

// PutChallenge implements store.Challenges. A missing pool is
// store.ErrNotFound.
func (s *Store) PutChallenge(ctx context.Context, c *store.Challenge) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO challenges (`+challengeCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.ID, c.PoolID, c.ClientID, c.Username, c.Name, c.Data, ms(c.ExpiresAt))
	return wrap("put challenge", err)
}

// TakeChallenge implements store.Challenges with one DELETE ... RETURNING in
// autocommit: of concurrent takers of one id exactly one gets the row (the
// others wait for its lock and then find it gone), and it is gone
// (committed) when TakeChallenge returns it.
func (s *Store) TakeChallenge(ctx context.Context, id string) (*store.Challenge, error) {
	if unstorable(id) {
		return nil, notFound("take challenge")
	}
	c := &store.Challenge{}
	err := s.pool.QueryRow(ctx, `DELETE FROM challenges WHERE id = $1 RETURNING `+challengeCols, id).
		Scan(&c.ID, &c.PoolID, &c.ClientID, &c.Username, &c.Name, &c.Data, msTime{&c.ExpiresAt})
	if err != nil {
		return nil, wrap("take challenge", err)
	}
	return c, nil
}

// PurgeChallenges implements store.Challenges.
func (s *Store) PurgeChallenges(ctx context.Context, before time.Time, limit int) (int64, error) {
	return s.purge(ctx, "purge challenges", `DELETE FROM challenges WHERE id IN
		(SELECT id FROM challenges WHERE expires_at < $1 LIMIT $2)`, before, limit)
}
