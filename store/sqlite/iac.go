package sqlite

import (
	"context"
	"database/sql"

	"github.com/cognate-dev/cognate/store"
)

const domainCols = `domain, pool_id, certificate_arn, cloudfront_distribution, version, managed_login_version, created_at, updated_at`

func scanDomain(sc scanner) (*store.Domain, error) {
	d := &store.Domain{}
	if err := sc.Scan(&d.Domain, &d.PoolID, &d.CertificateArn, &d.CloudFrontDistribution, &d.Version,
		&d.ManagedLoginVersion, msTime{&d.CreatedAt}, msTime{&d.UpdatedAt}); err != nil {
		return nil, err
	}
	return d, nil
}

// CreateDomain implements store.Domains: the primary key keeps names
// unique, UNIQUE (pool_id, custom) one domain of each kind per pool.
func (s *Store) CreateDomain(ctx context.Context, d *store.Domain) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO domains (custom, `+domainCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.Custom(), d.Domain, d.PoolID, d.CertificateArn, d.CloudFrontDistribution, d.Version, d.ManagedLoginVersion,
		ms(d.CreatedAt), ms(d.UpdatedAt))
	return wrap("create domain", err)
}

// GetDomain implements store.Domains.
func (s *Store) GetDomain(ctx context.Context, name string) (*store.Domain, error) {
	d, err := scanDomain(s.r.QueryRowContext(ctx, `SELECT `+domainCols+` FROM domains WHERE domain = ?`, name))
	if err != nil {
		return nil, wrap("get domain", err)
	}
	return d, nil
}

// ListPoolDomains implements store.Domains.
func (s *Store) ListPoolDomains(ctx context.Context, poolID string) ([]*store.Domain, error) {
	return listRows(ctx, s.r, "list pool domains", scanDomain,
		`SELECT `+domainCols+` FROM domains WHERE pool_id = ? ORDER BY domain`, poolID)
}

// UpdateDomain implements store.Domains.
func (s *Store) UpdateDomain(ctx context.Context, d *store.Domain) error {
	return execOne(ctx, s.w, "update domain", `UPDATE domains SET certificate_arn = ?, cloudfront_distribution = ?,
		version = ?, managed_login_version = ?, updated_at = ? WHERE domain = ? AND pool_id = ?`,
		d.CertificateArn, d.CloudFrontDistribution, d.Version, d.ManagedLoginVersion, ms(d.UpdatedAt), d.Domain, d.PoolID)
}

// DeleteDomain implements store.Domains.
func (s *Store) DeleteDomain(ctx context.Context, poolID, name string) error {
	return execOne(ctx, s.w, "delete domain", `DELETE FROM domains WHERE domain = ? AND pool_id = ?`, name, poolID)
}

const resourceServerCols = `pool_id, identifier, name, scopes, created_at, updated_at`

func scanResourceServer(sc scanner) (*store.ResourceServer, error) {
	rs := &store.ResourceServer{}
	if err := sc.Scan(&rs.PoolID, &rs.Identifier, &rs.Name, &rs.Scopes, msTime{&rs.CreatedAt}, msTime{&rs.UpdatedAt}); err != nil {
		return nil, err
	}
	return rs, nil
}

// CreateResourceServer implements store.ResourceServers.
func (s *Store) CreateResourceServer(ctx context.Context, rs *store.ResourceServer) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO resource_servers (`+resourceServerCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		rs.PoolID, rs.Identifier, rs.Name, notNullBlob(rs.Scopes), ms(rs.CreatedAt), ms(rs.UpdatedAt))
	return wrap("create resource server", err)
}

// GetResourceServer implements store.ResourceServers.
func (s *Store) GetResourceServer(ctx context.Context, poolID, identifier string) (*store.ResourceServer, error) {
	rs, err := scanResourceServer(s.r.QueryRowContext(ctx, `SELECT `+resourceServerCols+` FROM resource_servers
		WHERE pool_id = ? AND identifier = ?`, poolID, identifier))
	if err != nil {
		return nil, wrap("get resource server", err)
	}
	return rs, nil
}

// UpdateResourceServer implements store.ResourceServers.
func (s *Store) UpdateResourceServer(ctx context.Context, rs *store.ResourceServer) error {
	return execOne(ctx, s.w, "update resource server", `UPDATE resource_servers SET name = ?, scopes = ?, updated_at = ?
		WHERE pool_id = ? AND identifier = ?`, rs.Name, notNullBlob(rs.Scopes), ms(rs.UpdatedAt), rs.PoolID, rs.Identifier)
}

// DeleteResourceServer implements store.ResourceServers.
func (s *Store) DeleteResourceServer(ctx context.Context, poolID, identifier string) error {
	return execOne(ctx, s.w, "delete resource server", `DELETE FROM resource_servers WHERE pool_id = ? AND identifier = ?`,
		poolID, identifier)
}

// ListResourceServers implements store.ResourceServers.
func (s *Store) ListResourceServers(ctx context.Context, poolID, after string, limit int) ([]*store.ResourceServer, error) {
	return listRows(ctx, s.r, "list resource servers", scanResourceServer, `SELECT `+resourceServerCols+`
		FROM resource_servers WHERE pool_id = ? AND identifier > ? ORDER BY identifier LIMIT ?`, poolID, after, limitArg(limit))
}

// EditPool implements store.PoolEdits in one writer transaction (BEGIN
// IMMEDIATE), which serializes it with every other writer.
func (s *Store) EditPool(ctx context.Context, id string, edit func(p *store.Pool) error) error {
	return s.inTx(ctx, "edit pool", func(tx *sql.Tx) error {
		p, err := scanPool(tx.QueryRowContext(ctx, `SELECT `+poolCols+` FROM pools WHERE id = ?`, id))
		if err != nil {
			return wrap("edit pool", err)
		}
		if err := edit(p); err != nil {
			return err
		}
		return execOne(ctx, tx, "edit pool", `UPDATE pools SET name = ?, settings = ?, created_at = ?, updated_at = ? WHERE id = ?`,
			p.Name, p.Settings, ms(p.CreatedAt), ms(p.UpdatedAt), id)
	})
}

// listRows runs a query and scans every row.
func listRows[T any](ctx context.Context, db *sql.DB, op string, scan func(scanner) (*T, error), q string, args ...any) ([]*T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}
