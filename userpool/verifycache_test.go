package userpool

import (
	"fmt"
	"math/big"
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

func TestVerifierEncoding(t *testing.T) {
	v, _ := new(big.Int).SetString("f00dfeed00112233445566778899aabbccddeeff", 16)
	enc := encodeVerifier(v)
	if got, ok := decodeVerifier(enc); !ok || got.Cmp(v) != 0 {
		t.Fatalf("base64 round trip: %v %v", got, ok)
	}
	// Rows written before the base64 form still read.
	if got, ok := decodeVerifier(v.Text(16)); !ok || got.Cmp(v) != 0 {
		t.Fatalf("legacy hex: %v %v", got, ok)
	}
	if _, ok := decodeVerifier(verifierPrefix + "!!"); ok {
		t.Fatal("malformed base64 accepted")
	}
	if len(enc) >= len(v.Text(16)) && v.BitLen() > 64 {
		t.Fatalf("base64 form (%d) is not shorter than hex (%d)", len(enc), len(v.Text(16)))
	}
}
