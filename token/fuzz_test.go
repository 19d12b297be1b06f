package token

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzVerify: Verify never panics and accepts exactly the tokens we signed.
// Because accepted tokens have a single canonical spelling, "signed by us"
// can be checked as membership in the set of tokens Sign returned.
func FuzzVerify(f *testing.F) {
	k := testKeys(f)
	ks := testKeySet(f)
	signed := map[string]string{} // token -> use
	add := func(c *Claims) {
		tok := mustSign(f, ks, c)
		signed[tok] = c.TokenUse
		f.Add(tok, c.TokenUse)
	}
	add(accessClaims())
	add(idClaims())
	c := accessClaims()
	c.Groups, c.JTI, c.OriginJTI = nil, "", ""
	add(c)
	for _, s := range []string{
		"", ".", "..", "...", "a.b.c", "e30.e30.", "eyJhbGciOiJub25lIn0.e30.",
		signRaw(f, parseRSA(f, k.access), `{"alg":"RS256","kid":"`+k.access.ID+`"}`, `{"exp":"x"}`),
		strings.Repeat("A", 400) + "." + strings.Repeat("B", 400) + "." + strings.Repeat("C", 342),
	} {
		f.Add(s, UseAccess)
	}
	f.Fuzz(func(t *testing.T, raw, use string) {
		c, err := ks.Verify(raw, use, testNow)
		if err != nil {
			if c != nil {
				t.Fatal("claims returned with an error")
			}
			return
		}
		if signed[raw] != use {
			t.Fatalf("accepted a token we did not sign for %q: %q", use, raw)
		}
		if c == nil || c.TokenUse != use || c.Iss != testIssuer {
			t.Fatalf("inconsistent claims %+v", c)
		}
	})
}

// FuzzOpenRefresh: OpenRefresh never panics and opens exactly the tokens we
// sealed, to the handle we sealed.
func FuzzOpenRefresh(f *testing.F) {
	k := testKeys(f)
	ks := mustKeySet(f, testIssuer, k.access, k.id, retire(k.refresh), k.refresh2)
	old := mustKeySet(f, testIssuer, k.access, k.id, k.refresh)
	sealed := map[string]RefreshHandle{}
	for _, h := range []RefreshHandle{
		{SessionID: "8c6f2a1e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", Gen: 0, PoolID: "us-east-1_TestPool1"},
		{SessionID: "s", Gen: -5, PoolID: ""},
	} {
		for _, set := range []*KeySet{ks, old} {
			tok := mustSeal(f, set, h)
			sealed[tok] = h
			f.Add(tok)
		}
	}
	foreign := mustSeal(f, mustKeySet(f, testIssuer, k.access, k.id, k.foreignRefresh), RefreshHandle{SessionID: "x"})
	for _, s := range []string{"", "....", "a.b.c.d.e", foreign, refreshHeader + ".....", mustSign(f, ks, accessClaims())} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		h, err := ks.OpenRefresh(tok)
		if err != nil {
			if h != (RefreshHandle{}) {
				t.Fatal("handle returned with an error")
			}
			return
		}
		want, ok := sealed[tok]
		if !ok {
			t.Fatalf("opened a token we did not seal: %q", tok)
		}
		if h != want {
			t.Fatalf("opened to %+v, sealed %+v", h, want)
		}
	})
}

// FuzzClaimsJSON: decoding arbitrary JSON never panics, and whatever decodes
// re-encodes to something that decodes to the same claims.
func FuzzClaimsJSON(f *testing.F) {
	for _, c := range []*Claims{accessClaims(), idClaims()} {
		b, _ := json.Marshal(c)
		f.Add(b)
	}
	for _, s := range []string{
		`{}`, `null`, `{"aud":["x"]}`, `{"exp":1.7e9}`, `{"a":{"b":[1,"\u2028",null]}}`,
		`{"sub":"\ud800"}`, `{"x":"\xff"}`, `{"sub":"a","sub":"b"}`, `{"EXP":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Claims
		if json.Unmarshal(data, &c) != nil {
			return
		}
		enc, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", c, err)
		}
		var again Claims
		if err := json.Unmarshal(enc, &again); err != nil {
			t.Fatalf("decoding our own %s: %v", enc, err)
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("unstable:\n%+v\n%+v", c, again)
		}
	})
}
