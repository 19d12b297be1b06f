package storetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/store"
)

func init() {
	tests = append(tests,
		test{"Devices", testDevices},
		test{"DevicesPaging", testDevicesPaging},
		test{"DevicesGoWithTheirUser", testDevicesGoWithTheirUser},
		test{"DevicesConcurrent", testDevicesConcurrent},
	)
}

func deviceKey(d *store.Device) string { return d.Key }

// newDevice returns a device of u with every field set.
func newDevice(u *store.User, key string) *store.Device {
	return &store.Device{PoolID: u.PoolID, UserSub: u.Sub, Key: key, GroupKey: "-group" + u.Sub[:8], Name: "phone \u00e9",
		Remembered: true, Salt: []byte{0, 1, 2, 0xff}, Verifier: []byte{0x80, 0, 7, 0},
		CreatedAt: at(time.Minute), LastModified: at(2 * time.Minute), LastAuthenticated: at(3 * time.Minute)}
}

func testDevices(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")
	d := newDevice(f.alice, "us-east-1_dev-1")
	mustOK(t, "CreateDevice", s.CreateDevice(ctx, d))
	got, err := s.GetDevice(ctx, f.pool.ID, d.Key)
	mustOK(t, "GetDevice", err)
	check(t, "GetDevice", d, got)
	wantErr(t, "CreateDevice of a taken key", s.CreateDevice(ctx, newDevice(f.bobby, d.Key)), store.ErrConflict)
	wantErr(t, "CreateDevice of a taken key in another pool", s.CreateDevice(ctx, newDevice(g.alice, d.Key)), store.ErrConflict)
	missing := newDevice(f.alice, "us-east-1_dev-x")
	missing.UserSub = newSub()
	wantErr(t, "CreateDevice for a missing user", s.CreateDevice(ctx, missing), store.ErrNotFound)
	_, err = s.GetDevice(ctx, g.pool.ID, d.Key)
	wantErr(t, "GetDevice in another pool", err, store.ErrNotFound)
	_, err = s.GetDevice(ctx, f.pool.ID, "us-east-1_nope")
	wantErr(t, "GetDevice of a missing key", err, store.ErrNotFound)

	// Zero times and empty fields round-trip.
	z := &store.Device{PoolID: f.pool.ID, UserSub: f.bobby.Sub, Key: "us-east-1_dev-0", GroupKey: "g",
		Salt: []byte{1}, Verifier: []byte{2}, CreatedAt: at(0)}
	mustOK(t, "CreateDevice", s.CreateDevice(ctx, z))
	got, err = s.GetDevice(ctx, f.pool.ID, z.Key)
	mustOK(t, "GetDevice", err)
	check(t, "GetDevice of a device with zero times", z, got)

	up := *d
	up.Name, up.Remembered, up.Salt, up.Verifier = "renamed", false, []byte{9}, []byte{8, 8}
	up.LastModified, up.LastAuthenticated = at(time.Hour), at(2*time.Hour)
	up.CreatedAt = at(5 * time.Hour) // ignored
	mustOK(t, "UpdateDevice", s.UpdateDevice(ctx, &up))
	want := up
	want.CreatedAt = d.CreatedAt
	got, err = s.GetDevice(ctx, f.pool.ID, d.Key)
	mustOK(t, "GetDevice", err)
	check(t, "GetDevice after UpdateDevice", &want, got)
	other := up
	other.PoolID = g.pool.ID
	wantErr(t, "UpdateDevice in another pool", s.UpdateDevice(ctx, &other), store.ErrNotFound)
	other = up
	other.UserSub = f.bobby.Sub
	wantErr(t, "UpdateDevice of another user", s.UpdateDevice(ctx, &other), store.ErrNotFound)

	wantErr(t, "DeleteDevice in another pool", s.DeleteDevice(ctx, g.pool.ID, d.Key), store.ErrNotFound)
	mustOK(t, "DeleteDevice", s.DeleteDevice(ctx, f.pool.ID, d.Key))
	wantErr(t, "DeleteDevice again", s.DeleteDevice(ctx, f.pool.ID, d.Key), store.ErrNotFound)
	_, err = s.GetDevice(ctx, f.pool.ID, d.Key)
	wantErr(t, "GetDevice after DeleteDevice", err, store.ErrNotFound)
	wantErr(t, "UpdateDevice after DeleteDevice", s.UpdateDevice(ctx, &up), store.ErrNotFound)
	_, err = s.GetDevice(ctx, f.pool.ID, d.Key)
	wantErr(t, "a forgotten device is not brought back", err, store.ErrNotFound)
}

func testDevicesPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")
	for _, k := range []string{"us-east-1_c", "us-east-1_a", "us-east-1_B", "us-east-1_b"} {
		mustOK(t, "CreateDevice", s.CreateDevice(ctx, newDevice(f.alice, k)))
	}
	mustOK(t, "CreateDevice", s.CreateDevice(ctx, newDevice(f.bobby, "us-east-1_0")))
	mustOK(t, "CreateDevice", s.CreateDevice(ctx, newDevice(g.alice, "us-east-1_1")))
	all, err := s.ListDevices(ctx, f.pool.ID, f.alice.Sub, "", 0)
	mustOK(t, "ListDevices", err)
	checkIDs(t, "ListDevices", []string{"us-east-1_B", "us-east-1_a", "us-east-1_b", "us-east-1_c"}, ids(all, deviceKey))
	if len(all) > 0 {
		check(t, "ListDevices record", newDevice(f.alice, "us-east-1_B"), all[0])
	}
	var paged []string
	after := ""
	for range 10 {
		page, err := s.ListDevices(ctx, f.pool.ID, f.alice.Sub, after, 3)
		mustOK(t, "ListDevices page", err)
		if len(page) > 3 {
			t.Fatalf("ListDevices returned %d devices, limit 3", len(page))
		}
		paged = append(paged, ids(page, deviceKey)...)
		if len(page) < 3 {
			break
		}
		after = page[len(page)-1].Key
	}
	checkIDs(t, "ListDevices by pages", ids(all, deviceKey), paged)
	none, err := s.ListDevices(ctx, f.pool.ID, newSub(), "", 0)
	mustOK(t, "ListDevices of a missing user", err)
	checkIDs(t, "ListDevices of a missing user", nil, ids(none, deviceKey))
}

func testDevicesGoWithTheirUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	g := setup(t, s, "us-east-1_q")
	mustOK(t, "CreateDevice", s.CreateDevice(ctx, newDevice(f.alice, "us-east-1_a")))
	mustOK(t, "CreateDevice", s.CreateDevice(ctx, newDevice(f.bobby, "us-east-1_b")))
	mustOK(t, "CreateDevice", s.CreateDevice(ctx, newDevice(g.alice, "us-east-1_c")))
	mustOK(t, "DeleteUser", s.DeleteUser(ctx, f.pool.ID, f.alice.Username))
	_, err := s.GetDevice(ctx, f.pool.ID, "us-east-1_a")
	wantErr(t, "a deleted user's device", err, store.ErrNotFound)
	_, err = s.GetDevice(ctx, f.pool.ID, "us-east-1_b")
	mustOK(t, "another user's device", err)
	_, err = s.GetDevice(ctx, g.pool.ID, "us-east-1_c")
	mustOK(t, "the same name's device in another pool", err)
	// A new user of the same name does not inherit the device.
	mustOK(t, "CreateUser", s.CreateUser(ctx, newUser(f.pool.ID, "alice")))
	got, err := s.ListDevices(ctx, f.pool.ID, f.alice.Sub, "", 0)
	mustOK(t, "ListDevices", err)
	checkIDs(t, "devices of a deleted user", nil, ids(got, deviceKey))
	mustOK(t, "DeletePool", s.DeletePool(ctx, g.pool.ID))
	_, err = s.GetDevice(ctx, g.pool.ID, "us-east-1_c")
	wantErr(t, "a deleted pool's device", err, store.ErrNotFound)
}

// testDevicesConcurrent races confirmations (create, or update when it
// exists), updates, forgets and listings of the same devices: every call
// either succeeds or reports the device's absence or presence, a forgotten
// device stays forgotten unless created again, and listings always see
// whole records.
func testDevicesConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := setup(t, s, "us-east-1_p")
	const keys, n = 4, 24
	var created, deleted atomic.Int64
	errs := make(chan error, n*4)
	race(n, func(i int) {
		key := fmt.Sprintf("us-east-1_k%d", i%keys)
		d := newDevice(f.alice, key)
		d.Name = fmt.Sprintf("n%d", i)
		switch i % 4 {
		case 0, 1: // ConfirmDevice: create, or update the one there
			err := s.CreateDevice(ctx, d)
			if errors.Is(err, store.ErrConflict) {
				err = s.UpdateDevice(ctx, d)
				if errors.Is(err, store.ErrNotFound) {
					err = nil // forgotten in between: stays forgotten
				}
			} else if err == nil {
				created.Add(1)
			}
			if err != nil {
				errs <- fmt.Errorf("confirm %s: %w", key, err)
			}
		case 2: // ForgetDevice
			err := s.DeleteDevice(ctx, f.pool.ID, key)
			if err == nil {
				deleted.Add(1)
			} else if !errors.Is(err, store.ErrNotFound) {
				errs <- fmt.Errorf("forget %s: %w", key, err)
			}
		case 3: // ListDevices
			list, err := s.ListDevices(ctx, f.pool.ID, f.alice.Sub, "", 0)
			if err != nil {
				errs <- fmt.Errorf("list: %w", err)
				return
			}
			for _, got := range list {
				if got.UserSub != f.alice.Sub || got.GroupKey == "" || len(got.Verifier) == 0 {
					errs <- fmt.Errorf("list: a partial record %+v", got)
				}
			}
		}
	})
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	list, err := s.ListDevices(ctx, f.pool.ID, f.alice.Sub, "", 0)
	mustOK(t, "ListDevices", err)
	if got, want := int64(len(list)), created.Load()-deleted.Load(); got != want {
		t.Errorf("%d devices listed after %d creations and %d deletions, want %d", got, created.Load(), deleted.Load(), want)
	}
}
