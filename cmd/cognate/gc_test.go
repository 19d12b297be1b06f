package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestTuneGC: without GOGC the collector's target becomes defaultGCPercent;
// with GOGC set it is left as the runtime read it.
func TestTuneGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(orig) })

	t.Setenv("GOGC", "150")
	tuneGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("with GOGC set, tuneGC changed the target to %d", got)
	}

	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	tuneGC()
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Fatalf("without GOGC the target is %d, want %d", got, defaultGCPercent)
	}
}
