package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/cognate-dev/cognate/store"
)

// testPing: Ping answers nil on an open store, and an error (never a panic)
// on a canceled context and once the store is closed. The store stays
// usable after a canceled Ping.
func testPing(t *testing.T, s store.Store) {
	mustOK(t, "Ping", s.Ping(t.Context()))
	mustOK(t, "Ping again", s.Ping(t.Context()))

	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	if err := pingNoPanic(t, "Ping with a canceled context", func() error { return s.Ping(canceled) }); err == nil {
		t.Error("Ping with a canceled context succeeded")
	}
	mustOK(t, "Ping after a canceled one", s.Ping(t.Context()))

	mustOK(t, "Close", s.Close())
	if err := pingNoPanic(t, "Ping of a closed store", func() error { return s.Ping(t.Context()) }); err == nil {
		t.Error("Ping of a closed store succeeded")
	}
}

// pingNoPanic calls ping and fails the test if it panics (the panic then
// counts as an error).
func pingNoPanic(t *testing.T, what string, ping func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked: %v", what, r)
			err = errors.New("panicked")
		}
	}()
	return ping()
}
