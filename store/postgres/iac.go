package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/store"
)

const domainCols = `domain, pool_id, certificate_arn, cloudfront_distribution, version, managed_login_version, created_at, updated_at`

func scanDomain(sc pgx.Row) (*store.Domain, error) {
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
	if unstorable(d.Domain, d.PoolID, d.CertificateArn, d.CloudFrontDistribution, d.Version) {
		return notFound("create domain")
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO domains (custom, `+domainCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		d.Custom(), d.Domain, d.PoolID, d.CertificateArn, d.CloudFrontDistribution, d.Version, d.ManagedLoginVersion,
		ms(d.CreatedAt), ms(d.UpdatedAt))
	return wrap("create domain", err)
}

// GetDomain implements store.Domains.
func (s *Store) GetDomain(ctx context.Context, name string) (*store.Domain, error) {
	if unstorable(name) {
		return nil, notFound("get domain")
	}
	d, err := scanDomain(s.pool.QueryRow(ctx, `SELECT `+domainCols+` FROM domains WHERE domain = $1`, name))
	if err != nil {
		return nil, wrap("get domain", err)
	}
	return d, nil
}

// ListPoolDomains implements store.Domains.
func (s *Store) ListPoolDomains(ctx context.Context, poolID string) ([]*store.Domain, error) {
	if unstorable(poolID) {
		return nil, nil
	}
	return list(ctx, s, "list pool domains", `SELECT `+domainCols+` FROM domains WHERE pool_id = $1 ORDER BY domain`,
		func(r pgx.Rows) (*store.Domain, error) { return scanDomain(r) }, poolID)
}

// UpdateDomain implements store.Domains.
func (s *Store) UpdateDomain(ctx context.Context, d *store.Domain) error {
	if unstorable(d.Domain, d.PoolID, d.CertificateArn, d.CloudFrontDistribution, d.Version) {
		return notFound("update domain")
	}
	return s.execOne(ctx, "update domain", `UPDATE domains SET certificate_arn = $1, cloudfront_distribution = $2,
		version = $3, managed_login_version = $4, updated_at = $5 WHERE domain = $6 AND pool_id = $7`,
		d.CertificateArn, d.CloudFrontDistribution, d.Version, d.ManagedLoginVersion, ms(d.UpdatedAt), d.Domain, d.PoolID)
}

// DeleteDomain implements store.Domains.
func (s *Store) DeleteDomain(ctx context.Context, poolID, name string) error {
	if unstorable(poolID, name) {
		return notFound("delete domain")
	}
	return s.execOne(ctx, "delete domain", `DELETE FROM domains WHERE domain = $1 AND pool_id = $2`, name, poolID)
}

const resourceServerCols = `pool_id, identifier, name, scopes, created_at, updated_at`

func scanResourceServer(sc pgx.Row) (*store.ResourceServer, error) {
	rs := &store.ResourceServer{}
	if err := sc.Scan(&rs.PoolID, &rs.Identifier, &rs.Name, &rs.Scopes, msTime{&rs.CreatedAt}, msTime{&rs.UpdatedAt}); err != nil {
		return nil, err
	}
	return rs, nil
}

// CreateResourceServer implements store.ResourceServers.
func (s *Store) CreateResourceServer(ctx context.Context, rs *store.ResourceServer) error {
	if unstorable(rs.PoolID, rs.Identifier, rs.Name) {
		return notFound("create resource server")
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO resource_servers (`+resourceServerCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		rs.PoolID, rs.Identifier, rs.Name, notNullBytes(rs.Scopes), ms(rs.CreatedAt), ms(rs.UpdatedAt))
	return wrap("create resource server", err)
}

// GetResourceServer implements store.ResourceServers.
func (s *Store) GetResourceServer(ctx context.Context, poolID, identifier string) (*store.ResourceServer, error) {
	if unstorable(poolID, identifier) {
		return nil, notFound("get resource server")
	}
	rs, err := scanResourceServer(s.pool.QueryRow(ctx, `SELECT `+resourceServerCols+` FROM resource_servers
		WHERE pool_id = $1 AND identifier = $2`, poolID, identifier))
	if err != nil {
		return nil, wrap("get resource server", err)
	}
	return rs, nil
}

// UpdateResourceServer implements store.ResourceServers.
func (s *Store) UpdateResourceServer(ctx context.Context, rs *store.ResourceServer) error {
	if unstorable(rs.PoolID, rs.Identifier, rs.Name) {
		return notFound("update resource server")
	}
	return s.execOne(ctx, "update resource server", `UPDATE resource_servers SET name = $1, scopes = $2, updated_at = $3
		WHERE pool_id = $4 AND identifier = $5`, rs.Name, notNullBytes(rs.Scopes), ms(rs.UpdatedAt), rs.PoolID, rs.Identifier)
}

// DeleteResourceServer implements store.ResourceServers.
func (s *Store) DeleteResourceServer(ctx context.Context, poolID, identifier string) error {
	if unstorable(poolID, identifier) {
		return notFound("delete resource server")
	}
	return s.execOne(ctx, "delete resource server", `DELETE FROM resource_servers WHERE pool_id = $1 AND identifier = $2`,
		poolID, identifier)
}

// ListResourceServers implements store.ResourceServers.
func (s *Store) ListResourceServers(ctx context.Context, poolID, after string, limit int) ([]*store.ResourceServer, error) {
	if unstorable(poolID, after) {
		return nil, nil
	}
	return list(ctx, s, "list resource servers", `SELECT `+resourceServerCols+` FROM resource_servers
		WHERE pool_id = $1 AND identifier > $2 ORDER BY identifier LIMIT $3`,
		func(r pgx.Rows) (*store.ResourceServer, error) { return scanResourceServer(r) }, poolID, after, limitArg(limit))
}

// EditPool implements store.PoolEdits: the pool's row is locked (SELECT ...
// FOR UPDATE) from the read to the commit, so concurrent edits queue.
func (s *Store) EditPool(ctx context.Context, id string, edit func(p *store.Pool) error) error {
	if unstorable(id) {
		return notFound("edit pool")
	}
	var editErr error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := scanPool(tx.QueryRow(ctx, `SELECT `+poolCols+` FROM pools WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if err := edit(p); err != nil {
			editErr = err
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE pools SET name = $1, settings = $2, created_at = $3, updated_at = $4 WHERE id = $5`,
			p.Name, p.Settings, ms(p.CreatedAt), ms(p.UpdatedAt), id)
		return err
	})
	if editErr != nil {
		return editErr
	}
	return wrap("edit pool", err)
}
