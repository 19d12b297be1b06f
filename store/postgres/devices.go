package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/store"
)

const deviceCols = `pool_id, device_key, user_sub, group_key, name, remembered, salt, verifier, created_at,
	last_modified, last_authenticated`

func scanDevice(row pgx.Row) (*store.Device, error) {
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
	_, err := s.pool.Exec(ctx, `INSERT INTO devices (`+deviceCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		d.PoolID, d.Key, d.UserSub, d.GroupKey, d.Name, d.Remembered, notNullBytes(d.Salt), notNullBytes(d.Verifier),
		ms(d.CreatedAt), ms(d.LastModified), ms(d.LastAuthenticated))
	return wrap("create device", err)
}

// GetDevice implements store.Devices.
func (s *Store) GetDevice(ctx context.Context, poolID, key string) (*store.Device, error) {
	d, err := scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceCols+` FROM devices WHERE pool_id = $1 AND device_key = $2`,
		poolID, key))
	if err != nil {
		return nil, wrap("get device", err)
	}
	return d, nil
}

// UpdateDevice implements store.Devices.
func (s *Store) UpdateDevice(ctx context.Context, d *store.Device) error {
	return s.execOne(ctx, "update device", `UPDATE devices SET group_key = $1, name = $2, remembered = $3, salt = $4,
		verifier = $5, last_modified = $6, last_authenticated = $7 WHERE pool_id = $8 AND device_key = $9 AND user_sub = $10`,
		d.GroupKey, d.Name, d.Remembered, notNullBytes(d.Salt), notNullBytes(d.Verifier), ms(d.LastModified),
		ms(d.LastAuthenticated), d.PoolID, d.Key, d.UserSub)
}

// DeleteDevice implements store.Devices.
func (s *Store) DeleteDevice(ctx context.Context, poolID, key string) error {
	return s.execOne(ctx, "delete device", `DELETE FROM devices WHERE pool_id = $1 AND device_key = $2`, poolID, key)
}

// ListDevices implements store.Devices.
func (s *Store) ListDevices(ctx context.Context, poolID, sub, after string, limit int) ([]*store.Device, error) {
	return list(ctx, s, "list devices", `SELECT `+deviceCols+` FROM devices
		WHERE pool_id = $1 AND user_sub = $2 AND device_key > $3 ORDER BY device_key LIMIT $4`,
		func(rows pgx.Rows) (*store.Device, error) { return scanDevice(rows) }, poolID, sub, after, limitArg(limit))
}
