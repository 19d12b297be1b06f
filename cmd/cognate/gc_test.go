package main

import (
	"os"
	"runtime/debug"
	"testing"

	"github.com/cognate-dev/cognate/internal/gctune"
)

// TestTuneGC: without GOGC the tuner starts with the default floor; with
// GOGC set nothing changes.
func TestTuneGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(orig) })

	t.Setenv("GOGC", "150")
	if tu := tuneGC(); tu != nil {
		tu.Stop()
		t.Fatal("with GOGC set, tuneGC started a tuner")
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("with GOGC set, tuneGC changed the percent to %d", got)
	}

	os.Unsetenv("GOGC")
	tu := tuneGC()
	if tu == nil {
		t.Fatal("without GOGC, no tuner")
	}
	defer tu.Stop()
	// How high the percent goes depends on this test binary's heap (see
	// internal/gctune for the behaviour); the floor is what tuneGC chose.
	if f := tu.Floor(); f != gctune.DefaultFloor {
		t.Fatalf("without GOGC the floor is %d, want %d", f, gctune.DefaultFloor)
	}
}
