package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/cognate-dev/cognate/store/storetest"
)

// TestLeaseAcrossStores: stores opened on one file (as two processes would),
// racing for one lease: exactly one gets it, SQLite's write lock (and its
// busy timeout) serializing the writers of different stores.
func TestLeaseAcrossStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cognate.db")
	storetest.LeaseAcrossStores(t, openAt(t, path), openAt(t, path))
}
