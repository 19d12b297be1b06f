//go:build unix

package sqlite_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFileModesUnderPermissiveUmask checks that the 0600 modes do not depend
// on a strict umask (SQLite's own default would be 0644).
func TestFileModesUnderPermissiveUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "new")
	path := filepath.Join(dir, "cognate.db")
	s := openAt(t, path)
	seed(t, s, "us-east-1_umask") // a write, so that -wal and -shm exist
	want := map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600}
	for name, mode := range want {
		fi, err := os.Stat(name)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(name), err)
			continue
		}
		if m := fi.Mode().Perm(); m != mode {
			t.Errorf("%s mode = %o under umask 0, want %o", filepath.Base(name), m, mode)
		}
	}
}
