package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/store"
)

const poolCols = `id, name, settings, created_at, updated_at`

func scanPool(row pgx.Row) (*store.Pool, error) {
	p := &store.Pool{}
	if err := row.Scan(&p.ID, &p.Name, &p.Settings, msTime{&p.CreatedAt}, msTime{&p.UpdatedAt}); err != nil {
		return nil, err
	}
	return p, nil
}

// CreatePool implements store.Pools: the pool and its keys are inserted in
// one transaction, which readers see whole or not at all, the inserts sent
// in one batch (BEGIN, the batch and COMMIT: three round trips, whatever the
// number of keys). A key of another pool is refused before anything is
// sent.
func (s *Store) CreatePool(ctx context.Context, p *store.Pool, keys ...*store.Key) error {
	if err := checkPoolKeys(p, keys); err != nil {
		return fmt.Errorf("postgres: create pool: %w", err)
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO pools (`+poolCols+`) VALUES ($1, $2, $3, $4, $5)`,
		p.ID, p.Name, p.Settings, ms(p.CreatedAt), ms(p.UpdatedAt))
	for _, k := range keys {
		b.Queue(qInsertKey, k.ID, k.PoolID, k.Use, notNullBytes(k.Private), ms(k.CreatedAt), ms(k.RetiredAt))
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Close returns the first statement's error; the statements after
		// it fail too (the transaction is aborted), and BeginFunc rolls
		// back.
		return tx.SendBatch(ctx, b).Close()
	})
	return wrap("create pool", err)
}

// checkPoolKeys refuses keys that are not the pool's.
func checkPoolKeys(p *store.Pool, keys []*store.Key) error {
	for i, k := range keys {
		if k == nil {
			return fmt.Errorf("key %d is nil", i)
		}
		if k.PoolID != p.ID {
			return fmt.Errorf("key %d is of pool %q, not of the pool created", i, k.PoolID)
		}
	}
	return nil
}

// GetPool implements store.Pools.
func (s *Store) GetPool(ctx context.Context, id string) (*store.Pool, error) {
	if unstorable(id) {
		return nil, notFound("get pool")
	}
	p, err := scanPool(s.pool.QueryRow(ctx, `SELECT `+poolCols+` FROM pools WHERE id = $1`, id))
	if err != nil {
		return nil, wrap("get pool", err)
	}
	return p, nil
}

// UpdatePool implements store.Pools. It replaces every field but the id.
func (s *Store) UpdatePool(ctx context.Context, p *store.Pool) error {
	if unstorable(p.ID) {
		return notFound("update pool")
	}
	return s.execOne(ctx, "update pool", `UPDATE pools SET name = $1, settings = $2, created_at = $3, updated_at = $4 WHERE id = $5`,
		p.Name, p.Settings, ms(p.CreatedAt), ms(p.UpdatedAt), p.ID)
}

// DeletePool implements store.Pools. The foreign keys cascade the delete to
// everything in the pool within the same statement, hence the same
// transaction.
func (s *Store) DeletePool(ctx context.Context, id string) error {
	if unstorable(id) {
		return notFound("delete pool")
	}
	return s.execOne(ctx, "delete pool", `DELETE FROM pools WHERE id = $1`, id)
}

// ListPools implements store.Pools: at most limit pools (all when limit <= 0)
// with ids greater than after, in byte order of id.
func (s *Store) ListPools(ctx context.Context, after string, limit int) ([]*store.Pool, error) {
	return list(ctx, s, "list pools", `SELECT `+poolCols+` FROM pools WHERE id > $1 ORDER BY id LIMIT $2`,
		func(r pgx.Rows) (*store.Pool, error) { return scanPool(r) }, after, limitArg(limit))
}

const clientCols = `id, pool_id, name, secret, settings, created_at, updated_at`

func scanClient(row pgx.Row) (*store.Client, error) {
	c := &store.Client{}
	if err := row.Scan(&c.ID, &c.PoolID, &c.Name, &c.Secret, &c.Settings,
		msTime{&c.CreatedAt}, msTime{&c.UpdatedAt}); err != nil {
		return nil, err
	}
	return c, nil
}

// CreateClient implements store.Pools. A missing pool is store.ErrNotFound.
func (s *Store) CreateClient(ctx context.Context, c *store.Client) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO clients (`+clientCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.ID, c.PoolID, c.Name, c.Secret, c.Settings, ms(c.CreatedAt), ms(c.UpdatedAt))
	return wrap("create client", err)
}

// GetClient implements store.Pools.
func (s *Store) GetClient(ctx context.Context, clientID string) (*store.Client, error) {
	if unstorable(clientID) {
		return nil, notFound("get client")
	}
	c, err := scanClient(s.pool.QueryRow(ctx, `SELECT `+clientCols+` FROM clients WHERE id = $1`, clientID))
	if err != nil {
		return nil, wrap("get client", err)
	}
	return c, nil
}

// UpdateClient implements store.Pools. It replaces every field but the id and
// the pool: a client whose id exists in another pool is store.ErrNotFound.
func (s *Store) UpdateClient(ctx context.Context, c *store.Client) error {
	if unstorable(c.ID, c.PoolID) {
		return notFound("update client")
	}
	return s.execOne(ctx, "update client",
		`UPDATE clients SET name = $1, secret = $2, settings = $3, created_at = $4, updated_at = $5
		 WHERE id = $6 AND pool_id = $7`,
		c.Name, c.Secret, c.Settings, ms(c.CreatedAt), ms(c.UpdatedAt), c.ID, c.PoolID)
}

// DeleteClient implements store.Pools; its sessions and authorization codes
// go with it (cascade), and the same statement appends the revocation event.
func (s *Store) DeleteClient(ctx context.Context, poolID, clientID string) error {
	if unstorable(poolID, clientID) {
		return notFound("delete client")
	}
	var n int
	err := s.pool.QueryRow(ctx, `WITH gone AS (
			DELETE FROM clients WHERE pool_id = $1 AND id = $2 RETURNING pool_id, id
		),
		`+feedAppend("gone", "kind, id, reason, at", "'client', s.id, $3, $4")+`
		SELECT count(*) FROM gone`, poolID, clientID, store.ReasonClientDeleted, time.Now().UnixMilli()).Scan(&n)
	if err != nil {
		return wrap("delete client", err)
	}
	if n == 0 {
		return notFound("delete client")
	}
	return nil
}

// ListClients implements store.Pools: at most limit clients (all when
// limit <= 0) of the pool with ids greater than after, in byte order of id.
func (s *Store) ListClients(ctx context.Context, poolID, after string, limit int) ([]*store.Client, error) {
	if unstorable(poolID) {
		return nil, nil
	}
	return list(ctx, s, "list clients",
		`SELECT `+clientCols+` FROM clients WHERE pool_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		func(r pgx.Rows) (*store.Client, error) { return scanClient(r) }, poolID, after, limitArg(limit))
}
