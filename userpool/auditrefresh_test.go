package userpool

import (
	"strconv"
	"testing"
	"time"
)

// TestRefreshSamplerBounded: the sampler remembers at most refreshSamplerMax
// families; when full it forgets those whose interval has passed first.
func TestRefreshSamplerBounded(t *testing.T) {
	r := &refreshSampler{every: time.Minute}
	t0 := time.Unix(1_700_000_000, 0)
	for i := range refreshSamplerMax {
		if !r.due(strconv.Itoa(i), t0) {
			t.Fatalf("family %d: first refresh not recorded", i)
		}
	}
	if r.due("7", t0.Add(time.Second)) {
		t.Fatal("a family within its interval was recorded again")
	}
	// Full: a new family at t0+2m makes room by dropping the expired ones.
	if !r.due("new", t0.Add(2*time.Minute)) || len(r.last) != 1 {
		t.Fatalf("after the interval the old families were not forgotten: %d remembered", len(r.last))
	}
	// A clock going backwards does not silence a family.
	if !r.due("new", t0) {
		t.Fatal("a refresh before the recorded one was not recorded")
	}
}
