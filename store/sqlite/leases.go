package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// qAcquireLease takes or renews a lease in one statement: it inserts the
// row of a free lease, or updates the row of a lease that is expired or
// already the holder's (an upsert whose DO UPDATE has a WHERE: when the
// WHERE is false, the statement changes no row). Writes are serialized (one
// writer connection, and SQLite's write lock between processes), so of
// racing acquisitions of a free or expired lease the first changes the row
// and the others find it valid.
const qAcquireLease = `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
	ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
	WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`

// AcquireLease implements store.Leases with qAcquireLease: it reports
// whether the statement changed a row.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if err := checkLease(name, holder, now, ttl); err != nil {
		return false, fmt.Errorf("sqlite: acquire lease: %w", err)
	}
	res, err := s.w.ExecContext(ctx, qAcquireLease, name, holder, now.Add(ttl).UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, wrap("acquire lease", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap("acquire lease", err)
	}
	return n == 1, nil
}

// ReleaseLease implements store.Leases: one DELETE of the lease's row if
// holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
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
