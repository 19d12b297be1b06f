package main

import (
	"net/url"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// version describes the build: the module's version when built from a
// tagged module, else the VCS revision (with "+dirty" for local changes),
// and the Go version.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
		switch {
		case len(rev) >= 12:
			v = "devel " + rev[:12] + dirty
		case rev != "":
			v = "devel " + rev + dirty
		default:
			v = "devel"
		}
	}
	return v + " (" + bi.GoVersion + ")"
}

// dataLocation says where the server keeps its data, for the start-up log:
// the SQLite file's absolute path, or the PostgreSQL host and database
// (never the user or password).
func dataLocation(db, dataDir string) string {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		u, err := url.Parse(db)
		if err != nil {
			return "postgresql"
		}
		return "postgresql://" + u.Host + u.Path
	}
	path := strings.TrimPrefix(db, "sqlite://")
	if path == "" {
		path = filepath.Join(dataDir, "cognate.db")
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return path
}
