package postgres

import (
	"testing"

	"github.com/cognate-dev/cognate/store/storetest"
)

// TestLeaseAcrossReplicas: replicas, each with its own pool, racing for one
// lease in one database: exactly one gets it.
func TestLeaseAcrossReplicas(t *testing.T) {
	dsn, _ := freshSchema(t)
	storetest.LeaseAcrossStores(t,
		openStore(t, dsn, Options{MaxConns: 4}),
		openStore(t, dsn, Options{MaxConns: 4}),
		openStore(t, dsn, Options{MaxConns: 4}))
}
