package credstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// File is a Store that keeps one JSON file per Key in a directory. Files are
// created with mode 0600 (the directory with 0700) and replaced atomically: the
// new content is written to a temporary file in the same directory, synced,
// renamed over the old file, and the directory is synced. A file that the group
// or others may read is refused with an *InsecureFileError rather than trusted.
type File struct {
	dir string
	mu  sync.Mutex
}

// InsecureFileError is returned when a credential file is readable or writable
// by users other than its owner.
type InsecureFileError struct {
	Path string
	Mode fs.FileMode
}

// Error describes the failure; it never contains a token.
func (e *InsecureFileError) Error() string {
	return fmt.Sprintf("credstore: refusing to use %s: its mode is %#o, so users other than its owner can access it; "+
		"run `chmod 600 %s` if you trust its content, or delete it and sign in again", e.Path, e.Mode.Perm(), e.Path)
}

// NewFile returns a store that keeps its files in dir, creating dir (mode 0700)
// if needed.
func NewFile(dir string) (*File, error) {
	if dir == "" {
		return nil, errors.New("credstore: the file store needs a directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("credstore: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("credstore: cannot create directory: %w", err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("credstore: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("credstore: %s is not a directory", abs)
	}
	return &File{dir: abs}, nil
}

// DefaultDir is where credentials live when the caller names no directory:
// <user config dir>/cognate/auth (e.g. ~/.config/cognate/auth on Linux).
func DefaultDir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("credstore: no user config directory: %w", err)
	}
	return filepath.Join(base, "cognate", "auth"), nil
}

// Dir returns the store's directory.
func (f *File) Dir() string { return f.dir }

// Path returns the file that holds key's record.
func (f *File) Path(key Key) string {
	return filepath.Join(f.dir, fileComponent(key.UserPoolID)+"."+fileComponent(key.ClientID)+".json")
}

// fileComponent maps an id to a safe file-name part: letters, digits, '-' and
// '_' are kept, anything else is written as %XX.
func fileComponent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// checkPerm refuses files that others may access. Windows has no Unix modes
// (the file system reports 0666); ACLs govern there.
func checkPerm(path string, st fs.FileInfo) error {
	if !st.Mode().IsRegular() {
		return fmt.Errorf("credstore: %s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return &InsecureFileError{Path: path, Mode: st.Mode()}
	}
	return nil
}

// Load implements Store.
func (f *File) Load(key Key) (Record, error) {
	if err := key.Validate(); err != nil {
		return Record{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	path := f.Path(key)
	fh, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Record{}, nil
	}
	if err != nil {
		return Record{}, fmt.Errorf("credstore: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return Record{}, fmt.Errorf("credstore: %w", err)
	}
	if err := checkPerm(path, st); err != nil {
		return Record{}, err
	}
	data, err := io.ReadAll(io.LimitReader(fh, 1<<20))
	if err != nil {
		return Record{}, fmt.Errorf("credstore: reading %s: %w", path, err)
	}
	return decode(key, data, path)
}

// Save implements Store.
func (f *File) Save(key Key, rec Record) error {
	if err := key.Validate(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	path := f.Path(key)
	if rec.IsZero() {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("credstore: %w", err)
		}
		return syncDir(f.dir)
	}
	data, err := encode(key, rec)
	if err != nil {
		return fmt.Errorf("credstore: encoding record: %w", err)
	}
	return writeAtomic(f.dir, path, data)
}

// writeAtomic replaces path with data: temp file in the same directory (0600),
// write, fsync, close, rename, fsync the directory. On failure the old file is
// untouched and the temp file removed.
func writeAtomic(dir, path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("credstore: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if err = tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("credstore: %w", err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("credstore: writing %s: %w", tmpName, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("credstore: syncing %s: %w", tmpName, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("credstore: %w", err)
	}
	if err = os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("credstore: %w", err)
	}
	return syncDir(dir)
}

// syncDir makes a rename or removal in dir durable. Not every platform can sync
// a directory (Windows cannot); that is not an error.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("credstore: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("credstore: syncing %s: %w", dir, err)
	}
	return nil
}
