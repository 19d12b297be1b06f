package userpool

import (
	"fmt"
	"testing"

	"github.com/cognate-dev/cognate/token"
)

func TestVerifiedCacheBounded(t *testing.T) {
	c := verifiedCache{max: 100}
	for i := range 1000 {
		c.put(fmt.Sprint("tok", i), verifiedToken{poolID: "p", claims: &token.Claims{Sub: fmt.Sprint(i)}})
		if len(c.m) > c.max {
			t.Fatalf("cache grew to %d entries, bound is %d", len(c.m), c.max)
		}
	}
	v, ok := c.get("tok999")
	if !ok || v.claims.Sub != "999" {
		t.Fatalf("the newest entry is missing: %v %v", v, ok)
	}
	if _, ok := c.get("tok999x"); ok {
		t.Fatal("a different token hit the cache")
	}
	c.clear()
	if _, ok := c.get("tok999"); ok {
		t.Fatal("clear kept an entry")
	}
}
