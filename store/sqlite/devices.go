package sqlite

import (
	"context"
	"database/sql"

	"github.com/cognate-dev/cognate/store"
)

const deviceCols = `pool_id, device_key, user_sub, group_key, name, remembered, salt, verifier, created_at,
	last_modified, last_authenticated`

func scanDevice(row interface{ Scan(...any) error }) (*store.Device, error) {
	d := &store.Device{}
	err := row.Scan(&d.PoolID, &d.Key, &d.UserSub, &d.GroupKey, &d.Name, &d.Remembered, &d.Salt, &d.Verifier,
		msTime{&d.CreatedAt}, msTime{&d.LastModified}, msTime{&d.LastAuthenticated})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// CreateDevice implements store.Devices.
func (s *Store) CreateDevice(ctx context.Context, d *store.Device) error {
	const op = "create device"
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO devices (`+deviceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.PoolID, d.Key, d.UserSub, d.GroupKey, d.Name, d.Remembered, notNullBlob(d.Salt), notNullBlob(d.Verifier),
			ms(d.CreatedAt), ms(d.LastModified), ms(d.LastAuthenticated))
		return wrap(op, err)
	})
}

// GetDevice implements store.Devices.
func (s *Store) GetDevice(ctx context.Context, poolID, key string) (*store.Device, error) {
	d, err := scanDevice(s.r.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM devices WHERE pool_id = ? AND device_key = ?`,
		poolID, key))
	if err != nil {
		return nil, wrap("get device", err)
	}
	return d, nil
}

// UpdateDevice implements store.Devices.
func (s *Store) UpdateDevice(ctx context.Context, d *store.Device) error {
	const op = "update device"
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		return execOne(ctx, tx, op, `UPDATE devices SET group_key = ?, name = ?, remembered = ?, salt = ?, verifier = ?,
			last_modified = ?, last_authenticated = ? WHERE pool_id = ? AND device_key = ? AND user_sub = ?`,
			d.GroupKey, d.Name, d.Remembered, notNullBlob(d.Salt), notNullBlob(d.Verifier), ms(d.LastModified),
			ms(d.LastAuthenticated), d.PoolID, d.Key, d.UserSub)
	})
}

// DeleteDevice implements store.Devices.
func (s *Store) DeleteDevice(ctx context.Context, poolID, key string) error {
	const op = "delete device"
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		return execOne(ctx, tx, op, `DELETE FROM devices WHERE pool_id = ? AND device_key = ?`, poolID, key)
	})
}

// ListDevices implements store.Devices.
func (s *Store) ListDevices(ctx context.Context, poolID, sub, after string, limit int) ([]*store.Device, error) {
	const op = "list devices"
	rows, err := s.r.QueryContext(ctx, `SELECT `+deviceCols+` FROM devices
		WHERE pool_id = ? AND user_sub = ? AND device_key > ? ORDER BY device_key LIMIT ?`,
		poolID, sub, after, limitArg(limit))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []*store.Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}
