package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestTuneGC: without GOGC the tuner starts (the percent rises over this
// test's small heap); with GOGC set nothing changes.
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
	if p := tu.Percent(); p <= 100 {
		t.Fatalf("without GOGC the percent over a small heap is %d", p)
	}
}
