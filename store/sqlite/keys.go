package sqlite

import (
	"context"

	"github.com/cognate-dev/cognate/store"
)

const keyCols = `id, pool_id, key_use, private, created_at, retired_at`

// PutKey implements store.Keys. Key ids are unique across pools. A missing
// pool is store.ErrNotFound.
func (s *Store) PutKey(ctx context.Context, k *store.Key) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		k.ID, k.PoolID, k.Use, notNullBlob(k.Private), ms(k.CreatedAt), ms(k.RetiredAt))
	return wrap("put key", err)
}

// ListKeys implements store.Keys: the pool's keys, retired ones included,
// oldest (by CreatedAt) first.
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
