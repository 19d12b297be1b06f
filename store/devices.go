package store

import (
	"context"
	"time"
)

// Device is a device a user confirmed (Cognito's remembered devices): the
// SRP verifier of the device's secret, kept so that a later sign-in can
// prove the device without the secret ever reaching the server.
type Device struct {
	PoolID   string
	UserSub  string
	Key      string // <region>_<uuid>, unique across pools
	GroupKey string // the "pool name" part of the device's SRP identity
	Name     string
	// Remembered is the device_remembered_status: remembered or not.
	Remembered bool
	// Salt and Verifier are the SRP salt and verifier of the device
	// secret, as the client sent them (raw bytes). Secret: never logged.
	Salt     []byte
	Verifier []byte
	// CreatedAt, LastModified and LastAuthenticated are Cognito's
	// DeviceCreateDate, DeviceLastModifiedDate and
	// DeviceLastAuthenticatedDate (zero when never authenticated).
	CreatedAt         time.Time
	LastModified      time.Time
	LastAuthenticated time.Time
}

// Devices stores users' devices. A device goes with its user: DeleteUser
// and DeletePool delete it.
type Devices interface {
	// CreateDevice stores a new device: ErrConflict if its key exists,
	// ErrNotFound if its user (pool, sub) does not.
	CreateDevice(ctx context.Context, d *Device) error
	// GetDevice reads a device of the pool: ErrNotFound.
	GetDevice(ctx context.Context, poolID, key string) (*Device, error)
	// UpdateDevice replaces every field of the device but its keys (pool,
	// key, user) and CreatedAt: ErrNotFound when it does not exist (a
	// forgotten device is never brought back).
	UpdateDevice(ctx context.Context, d *Device) error
	// DeleteDevice deletes a device of the pool: ErrNotFound.
	DeleteDevice(ctx context.Context, poolID, key string) error
	// ListDevices returns the user's devices with keys > after, in byte
	// order of key, at most limit (all when limit <= 0).
	ListDevices(ctx context.Context, poolID, sub, after string, limit int) ([]*Device, error)
}
