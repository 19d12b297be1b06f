package main

import (
	"os"
	"runtime/debug"
)

// defaultGCPercent is the garbage collector's target when GOGC is not set.
//
// A Cognate server keeps a small live heap (a few MiB: the data lives in
// the database) and allocates on every request, so at Go's default of 100
// it collects dozens of times a second under load: a third of the CPU of a
// GetUser went to the collector. At 400 the heap may grow to five times
// the live heap between collections (tens of MiB) and the collector's share
// falls to a few percent. GOGC, and GOMEMLIMIT, in the environment still
// rule.
const defaultGCPercent = 400

// tuneGC applies defaultGCPercent unless the environment sets GOGC.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}
