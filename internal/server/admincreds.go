package server

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxAdminCredentialsFile bounds what LoadAdminCredentialsFile reads.
const maxAdminCredentialsFile = 1 << 20

// ParseAdminCredentials parses admin credentials: ACCESS_KEY_ID:SECRET
// entries separated by commas or newlines (the secret is everything after the
// first colon). Blank entries and lines starting with # are skipped. Errors
// name the entry by position, never by content, so no secret is echoed.
func ParseAdminCredentials(s string) (map[string]string, error) {
	creds := map[string]string{}
	n := 0
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, pair := range strings.Split(line, ",") {
			pair = strings.TrimSpace(pair)
			if pair == "" {
				continue
			}
			n++
			id, secret, ok := strings.Cut(pair, ":")
			id, secret = strings.TrimSpace(id), strings.TrimSpace(secret)
			if !ok || id == "" || secret == "" {
				return nil, fmt.Errorf("admin credentials: entry %d is not ACCESS_KEY_ID:SECRET", n)
			}
			if _, dup := creds[id]; dup {
				return nil, fmt.Errorf("admin credentials: access key id %q is given twice", id)
			}
			creds[id] = secret
		}
	}
	return creds, nil
}

// LoadAdminCredentialsFile reads admin credentials (ParseAdminCredentials's
// format) from path. It refuses a file that is not a regular file, that
// group or others may access (its mode must be 0600 or 0400), or that holds
// no credential: a server told to require signatures must not start without
// them.
func LoadAdminCredentialsFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("admin credentials file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("admin credentials file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("admin credentials file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("admin credentials file %s has mode %04o: it is open to group or others "+
			"and holds secrets; make it readable by its owner only (chmod 600 %s)", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxAdminCredentialsFile+1))
	if err != nil {
		return nil, fmt.Errorf("admin credentials file %s: %w", path, err)
	}
	if len(b) > maxAdminCredentialsFile {
		return nil, fmt.Errorf("admin credentials file %s is larger than %d bytes", path, maxAdminCredentialsFile)
	}
	creds, err := ParseAdminCredentials(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(creds) == 0 {
		return nil, errors.New("admin credentials file " + path + " holds no ACCESS_KEY_ID:SECRET entry")
	}
	return creds, nil
}
