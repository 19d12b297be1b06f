//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDataDirLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db := filepath.Join(dir, "cognate.db")
	first, err := lockDataDir(db)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "cognate.lock"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("lock file: %v %v", fi, err)
	}
	_, err = lockDataDir(db)
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "another cognate serve") {
		t.Fatalf("second lock: %v", err)
	}
	// Another database in the same directory has its own lock.
	other, err := lockDataDir(filepath.Join(dir, "other.db"))
	if err != nil {
		t.Fatalf("other database: %v", err)
	}
	if err := other.release(); err != nil {
		t.Fatal(err)
	}
	if err := first.release(); err != nil {
		t.Fatal(err)
	}
	if err := first.release(); err != nil {
		t.Fatalf("second release: %v", err)
	}
	again, err := lockDataDir(db)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	_ = again.release()
}
