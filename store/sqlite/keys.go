package sqlite

import (
	"context"

	"github.com/cognate-dev/cognate/store"
)

const keyCols = `id, pool_id, key_use, private, created_at, retired_at`

// qInsertKey stores a key; CreatePool runs it for each of the pool's keys,
// in the pool's transaction. Key ids are unique across pools.
const qInsertKey = `INSERT INTO keys (` + keyCols + `) VALUES (?, ?, ?, ?, ?, ?)`

// ListKeys implements store.Keys: the pool's keys, retired ones included,
// oldest first: by CreatedAt (the zero time, NULL, first), then by id.
func (s *Store) ListKeys(ctx context.Context, poolID string) ([]*store.Key, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+keyCols+` FROM keys WHERE pool_id = ? ORDER BY created_at, id`, poolID)
	if err != nil {
		return nil, wrap("list keys", err)
	}
	defer rows.Close()
	var out []*store.Key
	for rows.Next() {
		k := &store.Key{}
		if err := rows.Scan(&k.ID, &k.PoolID, &k.Use, &k.Private, msTime{&k.CreatedAt}, msTime{&k.RetiredAt}); err != nil {
			return nil, wrap("list keys", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list keys", err)
	}
	return out, nil
}
