package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// dirLock is the exclusive lock a server holds on the directory of its
// SQLite database while it runs, so that a second `cognate serve` on the
// same data directory refuses to start instead of sharing the database.
// (The store itself allows several opens of one file; tests rely on it.)
type dirLock struct {
	f    *os.File
	path string
}

// errLocked is what tryLock returns when another process holds the lock.
var errLocked = errors.New("locked by another process")

// lockFileName is the lock file beside a database file: cognate.lock for
// cognate.db.
func lockFileName(dbPath string) string {
	base := filepath.Base(dbPath)
	return strings.TrimSuffix(base, filepath.Ext(base)) + ".lock"
}

// lockDataDir takes the exclusive lock of the directory holding dbPath (the
// file <dir>/<db name>.lock, mode 0600), creating the directory (0700) if
// needed. The lock is held until release, and dies with the process.
func lockDataDir(dbPath string) (*dirLock, error) {
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return nil, fmt.Errorf("server: data directory of %s: %w", dbPath, err)
	}
	dir := filepath.Dir(abs)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("server: data directory: %w", err)
	}
	path := filepath.Join(dir, lockFileName(abs))
	f, err := tryLock(path)
	if errors.Is(err, errLocked) {
		holder := ""
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
				holder = fmt.Sprintf(" (pid %d)", pid)
			}
		}
		return nil, fmt.Errorf("server: data directory %s is in use: another cognate serve%s holds its lock %s; "+
			"stop that server or use another --data-dir", dir, holder, path)
	}
	if err != nil {
		return nil, fmt.Errorf("server: lock data directory %s: %w", dir, err)
	}
	// Record who holds it, for the message above; the lock, not the
	// content, is what counts.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f, path: path}, nil
}

// release unlocks by closing the file. The file stays: removing it could let
// a third server lock a new file while a second still holds the old one.
func (l *dirLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return fmt.Errorf("server: release data directory lock %s: %w", l.path, err)
	}
	return nil
}
