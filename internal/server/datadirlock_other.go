//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package server

import (
	"fmt"
	"os"
)

// tryLock opens (creating, 0600) path. There is no flock on this system, so
// it locks nothing: one server per data directory is not enforced here.
func tryLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	return f, nil
}
