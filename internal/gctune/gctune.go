// Package gctune keeps Go's garbage collector from running dozens of times
// a second over a small heap.
//
// A Cognate server's live heap is a few MiB (the data lives in the
// database) while every request allocates, so at Go's default GOGC of 100
// the collector's goal is a few MiB too and it runs 40 or more times a
// second under load: about 30 % of a GetUser's CPU. A fixed higher GOGC
// would fix that but multiply every peak as well: a burst of password
// hashes (argon2id holds 19 MiB each) would set a goal five times its size.
// Instead, after each collection the tuner sets the GC percent so that the
// next goal is at least a floor (64 MiB by default), and never below Go's
// default of 100 %: a small heap collects as if it were the floor's size,
// a large one exactly as Go would. GOMEMLIMIT still applies on top.
package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// DefaultFloor is the smallest heap goal Start keeps.
const DefaultFloor = 64 << 20

// maxPercent bounds the GC percent the tuner sets (a live heap of a few
// KiB would otherwise ask for an absurd one).
const maxPercent = 5000

// PercentFor is the GC percent that makes the next heap goal at least
// floor for a live heap of live bytes, and never less than 100.
func PercentFor(live, floor uint64) int {
	if live == 0 || floor <= 2*live {
		return 100
	}
	p := floor*100/live - 100
	if p > maxPercent {
		return maxPercent
	}
	return int(p)
}

// Tuner adjusts the GC percent after every collection until Stop.
type Tuner struct {
	floor   uint64
	stopped atomic.Bool
	sample  []metrics.Sample
	last    atomic.Int64 // the percent set last
}

// Start starts a tuner with the given floor in bytes. It does nothing
// (and returns nil) when floor is 0.
func Start(floor uint64) *Tuner {
	if floor == 0 {
		return nil
	}
	t := &Tuner{floor: floor, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.adjust()
	t.arm()
	return t
}

// Floor is the smallest heap goal the tuner keeps.
func (t *Tuner) Floor() uint64 { return t.floor }

// Percent is the GC percent the tuner set last.
func (t *Tuner) Percent() int { return int(t.last.Load()) }

// Stop stops adjusting and restores Go's default of 100 %.
func (t *Tuner) Stop() {
	if t != nil && !t.stopped.Swap(true) {
		debug.SetGCPercent(100)
	}
}

// sentinel is garbage whose finalizer runs once a collection has found it
// unreachable, that is once per cycle. It holds a pointer so that it is not
// batched with other tiny objects (which would delay its finalizer).
type sentinel struct {
	_ *byte
	_ [16]byte
}

// arm allocates the next sentinel and drops it.
func (t *Tuner) arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		if t.stopped.Load() {
			return
		}
		t.adjust()
		t.arm()
	})
}

// adjust sets the percent for the live heap the last collection measured.
func (t *Tuner) adjust() {
	metrics.Read(t.sample)
	live := uint64(0)
	if t.sample[0].Value.Kind() == metrics.KindUint64 {
		live = t.sample[0].Value.Uint64()
	}
	p := PercentFor(live, t.floor)
	if int64(p) != t.last.Load() {
		debug.SetGCPercent(p)
		t.last.Store(int64(p))
	}
}
