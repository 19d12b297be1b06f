package metrics

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestCachedValue: the query runs at most once per ttl, and a failure
// keeps the last value.
func TestCachedValue(t *testing.T) {
	now := time.Unix(1000, 0)
	calls, fail := 0, false
	var reported error
	c := &cachedValue{ttl: 15 * time.Second, now: func() time.Time { return now }, onErr: func(err error) { reported = err },
		query: func(context.Context) (float64, error) {
			calls++
			if fail {
				return 0, errors.New("database down")
			}
			return float64(calls * 10), nil
		}}
	if v := c.get(); v != 10 || calls != 1 {
		t.Fatalf("first scrape: %v after %d queries", v, calls)
	}
	now = now.Add(14 * time.Second)
	if v := c.get(); v != 10 || calls != 1 {
		t.Fatalf("within the ttl: %v after %d queries", v, calls)
	}
	now = now.Add(time.Second)
	if v := c.get(); v != 20 || calls != 2 {
		t.Fatalf("after the ttl: %v after %d queries", v, calls)
	}
	fail = true
	now = now.Add(time.Minute)
	if v := c.get(); v != 20 || reported == nil {
		t.Fatalf("a failed query: %v, reported %v", v, reported)
	}
}
