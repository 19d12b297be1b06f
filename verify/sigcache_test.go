package verify

import (
	"strconv"
	"testing"
	"time"
)

func TestSigCacheBounded(t *testing.T) {
	c := newSigCache()
	now := time.Now()
	live := &Claims{ExpiresAt: now.Add(time.Hour)}
	dead := &Claims{ExpiresAt: now.Add(-time.Second)}
	for i := range maxCached {
		cl := live
		if i%4 == 0 {
			cl = dead
		}
		c.put(tokenKey(strconv.Itoa(i)), cl, now)
	}
	if n := len(c.m); n != maxCached {
		t.Fatalf("%d entries, want %d", n, maxCached)
	}
	c.put(tokenKey("one more"), live, now) // expired ones go, then half the rest
	if n := len(c.m); n > maxCached/2+1 || n < maxCached/4 {
		t.Fatalf("%d entries after eviction", n)
	}
	if c.get(tokenKey("one more")) != live {
		t.Fatal("the new entry is missing")
	}
	for k, v := range c.m {
		if v == dead {
			t.Fatalf("an expired entry survived: %x", k[:4])
		}
	}
}
