package main

import (
	"os"

	"github.com/cognate-dev/cognate/internal/gctune"
)

// tuneGC keeps the collector's goal at least gctune.DefaultFloor (see
// internal/gctune) unless the environment sets GOGC, which then rules.
func tuneGC() *gctune.Tuner {
	if _, set := os.LookupEnv("GOGC"); set {
		return nil
	}
	return gctune.Start(gctune.DefaultFloor)
}
