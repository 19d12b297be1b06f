package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/store"
)

const poolCols = `id, name, settings, created_at, updated_at`

func scanPool(sc scanner) (*store.Pool, error) {
	p := &store.Pool{}
	if err := sc.Scan(&p.ID, &p.Name, &p.Settings, msTime{&p.CreatedAt}, msTime{&p.UpdatedAt}); err != nil {
		return nil, err
	}
	return p, nil
}

// CreatePool implements store.Pools: the pool and its keys are inserted in
// one (immediate) transaction, which readers see whole or not at all. A key
// of another pool is refused before anything is written.
func (s *Store) CreatePool(ctx context.Context, p *store.Pool, keys ...*store.Key) error {
	if err := checkPoolKeys(p, keys); err != nil {
		return fmt.Errorf("sqlite: create pool: %w", err)
	}
	return s.inTx(ctx, "create pool", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO pools (`+poolCols+`) VALUES (?, ?, ?, ?, ?)`,
			p.ID, p.Name, p.Settings, ms(p.CreatedAt), ms(p.UpdatedAt)); err != nil {
			return wrap("create pool", err)
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, qInsertKey,
				k.ID, k.PoolID, k.Use, notNullBlob(k.Private), ms(k.CreatedAt), ms(k.RetiredAt)); err != nil {
				return wrap("create pool: key", err)
			}
		}
		return nil
	})
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
	p, err := scanPool(s.r.QueryRowContext(ctx, `SELECT `+poolCols+` FROM pools WHERE id = ?`, id))
	if err != nil {
		return nil, wrap("get pool", err)
	}
	return p, nil
}

// UpdatePool implements store.Pools. It replaces every field but the id.
func (s *Store) UpdatePool(ctx context.Context, p *store.Pool) error {
	return execOne(ctx, s.w, "update pool",
		`UPDATE pools SET name = ?, settings = ?, created_at = ?, updated_at = ? WHERE id = ?`,
		p.Name, p.Settings, ms(p.CreatedAt), ms(p.UpdatedAt), p.ID)
}

// DeletePool implements store.Pools. The foreign keys cascade the delete to
// the pool's clients, users, sessions, challenges and keys within the same
// statement, hence the same transaction.
func (s *Store) DeletePool(ctx context.Context, id string) error {
	return execOne(ctx, s.w, "delete pool", `DELETE FROM pools WHERE id = ?`, id)
}

// ListPools implements store.Pools: at most limit pools (all when limit <= 0)
// with ids greater than after, in byte order of id.
func (s *Store) ListPools(ctx context.Context, after string, limit int) ([]*store.Pool, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+poolCols+` FROM pools WHERE id > ? ORDER BY id LIMIT ?`, after, limitArg(limit))
	if err != nil {
		return nil, wrap("list pools", err)
	}
	defer rows.Close()
	var out []*store.Pool
	for rows.Next() {
		p, err := scanPool(rows)
		if err != nil {
			return nil, wrap("list pools", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list pools", err)
	}
	return out, nil
}

const clientCols = `id, pool_id, name, secret, settings, created_at, updated_at`

const qGetClient = `SELECT ` + clientCols + ` FROM clients WHERE id = ?`

func scanClient(sc scanner) (*store.Client, error) {
	c := &store.Client{}
	if err := sc.Scan(&c.ID, &c.PoolID, &c.Name, &c.Secret, &c.Settings,
		msTime{&c.CreatedAt}, msTime{&c.UpdatedAt}); err != nil {
		return nil, err
	}
	return c, nil
}

// CreateClient implements store.Pools. A missing pool is store.ErrNotFound.
func (s *Store) CreateClient(ctx context.Context, c *store.Client) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO clients (`+clientCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.PoolID, c.Name, c.Secret, c.Settings, ms(c.CreatedAt), ms(c.UpdatedAt))
	return wrap("create client", err)
}

// GetClient implements store.Pools.
func (s *Store) GetClient(ctx context.Context, clientID string) (*store.Client, error) {
	c, err := scanClient(s.getClient.QueryRowContext(ctx, clientID))
	if err != nil {
		return nil, wrap("get client", err)
	}
	return c, nil
}

// UpdateClient implements store.Pools. It replaces every field but the id and
// the pool: a client whose id exists in another pool is store.ErrNotFound.
func (s *Store) UpdateClient(ctx context.Context, c *store.Client) error {
	return execOne(ctx, s.w, "update client",
		`UPDATE clients SET name = ?, secret = ?, settings = ?, created_at = ?, updated_at = ?
		 WHERE id = ? AND pool_id = ?`,
		c.Name, c.Secret, c.Settings, ms(c.CreatedAt), ms(c.UpdatedAt), c.ID, c.PoolID)
}

// DeleteClient implements store.Pools; its sessions go with it (cascade),
// and the revocation event is appended in the same transaction.
func (s *Store) DeleteClient(ctx context.Context, poolID, clientID string) error {
	const op = "delete client"
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, op, `DELETE FROM clients WHERE pool_id = ? AND id = ?`, poolID, clientID); err != nil {
			return err
		}
		return appendRevocation(ctx, tx, &store.RevocationEvent{PoolID: poolID, Kind: store.RevocationClient, ID: clientID,
			Reason: store.ReasonClientDeleted, At: time.Now()})
	})
}

// ListClients implements store.Pools: at most limit clients (all when
// limit <= 0) of the pool with ids greater than after, in byte order of id.
func (s *Store) ListClients(ctx context.Context, poolID, after string, limit int) ([]*store.Client, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+clientCols+` FROM clients WHERE pool_id = ? AND id > ? ORDER BY id LIMIT ?`,
		poolID, after, limitArg(limit))
	if err != nil {
		return nil, wrap("list clients", err)
	}
	defer rows.Close()
	var out []*store.Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, wrap("list clients", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list clients", err)
	}
	return out, nil
}
