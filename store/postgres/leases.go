package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// qAcquireLease takes or renews a lease in one statement: it inserts the
// row of a free lease, or updates the row of a lease that is expired or
// already the holder's. Of concurrent acquisitions of a free lease one
// inserts; the others, having waited for its insertion to commit, take the
// update path, whose WHERE PostgreSQL evaluates on the row as committed
// (locked): the holder differs and the lease is valid, so they update
// nothing. Racers for an expired lease queue on the row lock in the same
// way: the first moves the expiry, and the others then find it valid. An
// INSERT ... ON CONFLICT DO UPDATE ... WHERE is supported as it is by
// PostgreSQL-compatible distributed engines; nothing here relies on an
// advisory lock or on the connection.
const qAcquireLease = `INSERT INTO leases AS l (name, holder, expires_at) VALUES ($1, $2, $3)
	ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
	WHERE l.holder = excluded.holder OR l.expires_at <= $4`

// AcquireLease implements store.Leases with qAcquireLease: it reports
// whether the statement wrote a row. A name or holder PostgreSQL's TEXT
// cannot hold (NUL bytes, invalid UTF-8) is an error.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if err := checkLease(name, holder, now, ttl); err != nil {
		return false, fmt.Errorf("postgres: acquire lease: %w", err)
	}
	if unstorable(name, holder) {
		return false, errors.New("postgres: acquire lease: the name and the holder must be UTF-8 text without NUL bytes")
	}
	tag, err := s.pool.Exec(ctx, qAcquireLease, name, holder, now.Add(ttl).UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, wrap("acquire lease", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease implements store.Leases: one DELETE of the lease's row if
// holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if unstorable(name, holder) {
		return nil // no lease has such a name or holder
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
	return wrap("release lease", err)
}

// checkLease refuses the arguments store.Leases calls meaningless.
func checkLease(name, holder string, now time.Time, ttl time.Duration) error {
	switch {
	case name == "":
		return errors.New("empty lease name")
	case holder == "":
		return errors.New("empty lease holder")
	case now.IsZero():
		return errors.New("zero time")
	case ttl < time.Millisecond:
		return fmt.Errorf("lease TTL %v is under a millisecond", ttl)
	}
	return nil
}
