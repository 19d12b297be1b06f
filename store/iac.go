package store

import (
	"context"
	"time"
)

// Domain is a user pool domain: a prefix domain (CertificateArn empty;
// Domain is the prefix alone) or a custom domain (Domain is the fully
// qualified name). Names are unique across the server; a pool has at most
// one domain of each kind.
type Domain struct {
	Domain                 string
	PoolID                 string
	CertificateArn         string
	CloudFrontDistribution string
	Version                string
	ManagedLoginVersion    int
	CreatedAt              time.Time
	UpdatedAt              time.Time
}

// Custom reports whether d is a custom domain.
func (d *Domain) Custom() bool { return d.CertificateArn != "" }

// Domains stores user pool domains. A pool's domains go with it
// (DeletePool).
type Domains interface {
	// CreateDomain stores a new domain: ErrConflict if the name is taken
	// (by any pool) or the pool has a domain of the same kind already,
	// ErrNotFound if the pool does not exist.
	CreateDomain(ctx context.Context, d *Domain) error
	GetDomain(ctx context.Context, name string) (*Domain, error) // ErrNotFound
	// ListPoolDomains returns the pool's domains (none, one or two),
	// ordered by name.
	ListPoolDomains(ctx context.Context, poolID string) ([]*Domain, error)
	// UpdateDomain replaces the domain's CertificateArn,
	// CloudFrontDistribution, Version, ManagedLoginVersion and UpdatedAt,
	// where it is the pool's: ErrNotFound.
	UpdateDomain(ctx context.Context, d *Domain) error
	// DeleteDomain deletes the pool's domain of that name: ErrNotFound.
	DeleteDomain(ctx context.Context, poolID, name string) error
}

// ResourceServer is an OAuth 2.0 resource server of a pool: Identifier is
// unique per pool; Scopes is its scopes as a JSON document the store keeps
// as it is.
type ResourceServer struct {
	PoolID     string
	Identifier string
	Name       string
	Scopes     []byte
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ResourceServers stores resource servers. A pool's go with it (DeletePool).
type ResourceServers interface {
	// CreateResourceServer stores a new resource server: ErrConflict if
	// the pool has one of that identifier, ErrNotFound if the pool does
	// not exist.
	CreateResourceServer(ctx context.Context, rs *ResourceServer) error
	GetResourceServer(ctx context.Context, poolID, identifier string) (*ResourceServer, error) // ErrNotFound
	// UpdateResourceServer replaces Name, Scopes and UpdatedAt: ErrNotFound.
	UpdateResourceServer(ctx context.Context, rs *ResourceServer) error
	DeleteResourceServer(ctx context.Context, poolID, identifier string) error // ErrNotFound
	// ListResourceServers returns the pool's resource servers with
	// identifiers greater than after, ordered by identifier (all when
	// limit <= 0).
	ListResourceServers(ctx context.Context, poolID, after string, limit int) ([]*ResourceServer, error)
}

// PoolEdits changes a pool by reading and writing it in one transaction,
// so that concurrent edits (tagging, updates) never lose one another.
type PoolEdits interface {
	// EditPool loads the pool, calls edit with it and stores what edit
	// left in it (every field but the id), all in one transaction. An
	// error from edit is returned as it is and nothing is written.
	// ErrNotFound if the pool does not exist.
	EditPool(ctx context.Context, id string, edit func(p *Pool) error) error
}
