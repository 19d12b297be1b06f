//go:build race

package e2e

// raceEnabled: this test binary runs under the race detector, so the
// replicas are built with it too.
const raceEnabled = true
