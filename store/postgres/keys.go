package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/store"
)

const keyCols = `id, pool_id, key_use, private, created_at, retired_at`

// qInsertKey stores a key; CreatePool queues it for each of the pool's keys,
// in the pool's transaction. Key ids are unique across pools.
const qInsertKey = `INSERT INTO keys (` + keyCols + `) VALUES ($1, $2, $3, $4, $5, $6)`

// ListKeys implements store.Keys: the pool's keys, retired ones included,
// oldest (by CreatedAt, the zero time first, as in SQLite) first.
func (s *Store) ListKeys(ctx context.Context, poolID string) ([]*store.Key, error) {
	if unstorable(poolID) {
		return nil, nil
	}
	return list(ctx, s, "list keys",
		`SELECT `+keyCols+` FROM keys WHERE pool_id = $1 ORDER BY created_at NULLS FIRST, id`,
		func(r pgx.Rows) (*store.Key, error) {
			k := &store.Key{}
			if err := r.Scan(&k.ID, &k.PoolID, &k.Use, &k.Private, msTime{&k.CreatedAt}, msTime{&k.RetiredAt}); err != nil {
				return nil, err
			}
			return k, nil
		}, poolID)
}
