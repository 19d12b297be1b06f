package gctune

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercentFor(t *testing.T) {
	for _, tc := range []struct {
		live, floor uint64
		want        int
	}{
		{0, 64 << 20, 100},              // nothing measured yet: Go's default
		{4 << 20, 64 << 20, 1500},       // 4 MiB live: goal 64 MiB
		{32 << 20, 64 << 20, 100},       // at half the floor Go's default already reaches it
		{200 << 20, 64 << 20, 100},      // a large heap collects as Go would
		{1 << 10, 64 << 20, maxPercent}, // bounded
	} {
		if got := PercentFor(tc.live, tc.floor); got != tc.want {
			t.Errorf("PercentFor(%d, %d) = %d, want %d", tc.live, tc.floor, got, tc.want)
		}
	}
}

// TestTunerFollowsCollections: started over a small heap the tuner raises
// the percent; once the live heap grows past half the floor, the next
// collections bring it back to 100; Stop restores 100.
func TestTunerFollowsCollections(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	runtime.GC()
	tu := Start(64 << 20)
	defer tu.Stop()
	if p := tu.Percent(); p <= 100 {
		t.Fatalf("over a small heap the percent is %d, want more than 100", p)
	}
	big := make([][]byte, 48) // 48 MiB kept live: more than half the floor
	for i := range big {
		big[i] = make([]byte, 1<<20)
	}
	// The finalizer runs after a cycle, on its own goroutine: collect until
	// it has run (or give up after a while).
	for deadline := time.Now().Add(5 * time.Second); tu.Percent() != 100 && time.Now().Before(deadline); {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if p := tu.Percent(); p != 100 {
		t.Fatalf("with 48 MiB live the percent is %d, want 100", p)
	}
	runtime.KeepAlive(big)
	tu.Stop()
	if p := debug.SetGCPercent(100); p != 100 {
		t.Fatalf("after Stop the percent is %d", p)
	}
}
