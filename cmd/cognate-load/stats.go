package main

import (
	"fmt"
	"slices"
	"time"
)

// latencyStats summarises a set of latencies (nearest-rank percentiles).
type latencyStats struct {
	n                        int
	p50, p90, p99, max, mean time.Duration
}

// summarizeLatencies sorts lat in place and summarises it.
func summarizeLatencies(lat []time.Duration) latencyStats {
	slices.Sort(lat)
	s := latencyStats{n: len(lat), p50: nearestRank(lat, 50), p90: nearestRank(lat, 90), p99: nearestRank(lat, 99)}
	if len(lat) == 0 {
		return s
	}
	s.max = lat[len(lat)-1]
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	s.mean = sum / time.Duration(len(lat))
	return s
}

func (s latencyStats) String() string {
	if s.n == 0 {
		return "no samples"
	}
	return fmt.Sprintf("n %d, p50 %s p90 %s p99 %s max %s mean %s", s.n, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), ms(s.mean))
}

// ratio is a/b, or 0 when b is zero.
func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}
