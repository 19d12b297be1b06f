package postgres

import (
	"context"
	"errors"

	"github.com/cognate-dev/cognate/store"
)

// errRemoved is returned by the methods that store.Store still lists but
// that are being removed from it; this backend does not implement them.
var errRemoved = errors.New("postgres: not supported by this backend (being removed from store.Store)")

// UpdatePool is not supported: it is being removed from store.Pools.
func (s *Store) UpdatePool(context.Context, *store.Pool) error { return errRemoved }
