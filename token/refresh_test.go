package token

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func mustSeal(tb testing.TB, ks *KeySet, h RefreshHandle) string {
	tb.Helper()
	tok, err := ks.SealRefresh(h)
	if err != nil {
		tb.Fatalf("SealRefresh: %v", err)
	}
	return tok
}

func TestRefreshRoundTrip(t *testing.T) {
	ks := testKeySet(t)
	for _, h := range []RefreshHandle{
		{SessionID: "8c6f2a1e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", Gen: 0, PoolID: "us-east-1_TestPool1"},
		{SessionID: "s", Gen: 1, PoolID: "p"},
		{SessionID: "s", Gen: -1, PoolID: "p"},
		{SessionID: "s", Gen: 1<<63 - 1, PoolID: "p"},
		{SessionID: "s", Gen: -1 << 63, PoolID: "p"},
		{},
		{SessionID: "ünïcødé\x00\xff", Gen: 42, PoolID: "eu-west-1_x"},
		{SessionID: strings.Repeat("s", MaxRefreshField), Gen: 7, PoolID: strings.Repeat("p", MaxRefreshField)},
	} {
		tok := mustSeal(t, ks, h)
		got, err := ks.OpenRefresh(tok)
		if err != nil {
			t.Errorf("%+v: OpenRefresh: %v", h, err)
			continue
		}
		if got != h {
			t.Errorf("round trip: got %+v, want %+v", got, h)
		}
	}
}

func TestRefreshShape(t *testing.T) {
	ks := testKeySet(t)
	h := RefreshHandle{SessionID: "8c6f2a1e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", Gen: 3, PoolID: "us-east-1_TestPool1"}
	tok := mustSeal(t, ks, h)
	seg := segments(tok)
	if len(seg) != 5 {
		t.Fatalf("%d segments, want 5", len(seg))
	}
	if got := string(decodeSeg(t, seg[0])); got != `{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}` {
		t.Errorf("header = %s", got)
	}
	if seg[0] != "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ" {
		t.Errorf("header segment = %s", seg[0])
	}
	for i, want := range map[int]int{1: 256, 2: 12, 4: 16} {
		if n := len(decodeSeg(t, seg[i])); n != want {
			t.Errorf("segment %d: %d bytes, want %d", i, n, want)
		}
	}
	if strings.ContainsAny(tok, "=+/ \n") {
		t.Errorf("token is not unpadded base64url: %s", tok)
	}
	// Nothing of the handle is visible.
	for _, s := range []string{h.SessionID, h.PoolID, "8c6f2a1e"} {
		if strings.Contains(tok, s) || strings.Contains(string(decodeSeg(t, seg[3])), s) {
			t.Errorf("token reveals %q", s)
		}
	}
	// Sealing is randomised.
	if again := mustSeal(t, ks, h); again == tok {
		t.Error("two seals of one handle are identical")
	}
}

func TestRefreshTamperEachSegment(t *testing.T) {
	ks := testKeySet(t)
	tok := mustSeal(t, ks, RefreshHandle{SessionID: "session", Gen: 9, PoolID: "pool"})
	seg := segments(tok)
	for i := range seg {
		for _, pos := range []int{0, len(seg[i]) / 2, len(seg[i]) - 2} {
			mod := append([]string(nil), seg...)
			mod[i] = flipChar(mod[i], pos)
			bad := strings.Join(mod, ".")
			if h, err := ks.OpenRefresh(bad); !errors.Is(err, ErrMalformed) {
				t.Errorf("segment %d char %d tampered: got %+v, %v", i, pos, h, err)
			}
		}
		// Bit flips in the decoded bytes, re-encoded canonically.
		if i > 0 {
			b := decodeSeg(t, seg[i])
			for _, pos := range []int{0, len(b) - 1} {
				b[pos] ^= 0x01
				mod := append([]string(nil), seg...)
				mod[i] = rawB64.EncodeToString(b)
				b[pos] ^= 0x01
				if _, err := ks.OpenRefresh(strings.Join(mod, ".")); !errors.Is(err, ErrMalformed) {
					t.Errorf("segment %d byte %d flipped: %v", i, pos, err)
				}
			}
		}
	}
}

func TestRefreshRejects(t *testing.T) {
	k := testKeys(t)
	ks := testKeySet(t)
	tok := mustSeal(t, ks, RefreshHandle{SessionID: "session", Gen: 1, PoolID: "pool"})
	seg := segments(tok)
	join := func(s ...string) string { return strings.Join(s, ".") }

	foreign := mustKeySet(t, testIssuer, k.access, k.id, k.foreignRefresh)
	foreignTok := mustSeal(t, foreign, RefreshHandle{SessionID: "session", Gen: 1, PoolID: "pool"})

	// The tag's last character carries spare bits (16 bytes = 22 chars).
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, seg[4][len(seg[4])-1])
	altTag := seg[4][:len(seg[4])-1] + string(alphabet[last|1])
	if string(decodeSegLenient(t, altTag)) != string(decodeSeg(t, seg[4])) {
		t.Fatal("test bug: alternative spelling decodes differently")
	}

	access := mustSign(t, ks, accessClaims())
	cases := map[string]string{
		"wrong key":               foreignTok,
		"empty":                   "",
		"garbage":                 "garbage",
		"four dots":               "....",
		"four segments":           join(seg[:4]...),
		"six segments":            tok + "." + seg[4],
		"trailing dot":            tok + ".",
		"access token":            access,
		"other header":            join(rawB64.EncodeToString([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM","cty":"JWT"}`)), seg[1], seg[2], seg[3], seg[4]),
		"padded header":           join(seg[0]+"=", seg[1], seg[2], seg[3], seg[4]),
		"short ek":                join(seg[0], seg[1][4:], seg[2], seg[3], seg[4]),
		"long ek":                 join(seg[0], seg[1]+"AAAA", seg[2], seg[3], seg[4]),
		"short iv":                join(seg[0], seg[1], seg[2][:12], seg[3], seg[4]),
		"empty ciphertext":        join(seg[0], seg[1], seg[2], "", seg[4]),
		"truncated ciphertext":    join(seg[0], seg[1], seg[2], seg[3][:len(seg[3])-3], seg[4]),
		"extended ciphertext":     join(seg[0], seg[1], seg[2], seg[3]+"AAAA", seg[4]),
		"short tag":               join(seg[0], seg[1], seg[2], seg[3], seg[4][:16]),
		"non-canonical tag":       join(seg[0], seg[1], seg[2], seg[3], altTag),
		"line break":              join(seg[0], seg[1][:5]+"\n"+seg[1][5:], seg[2], seg[3], seg[4]),
		"CR":                      join(seg[0], seg[1], seg[2], seg[3], seg[4]) + "\r",
		"swapped iv and tag":      join(seg[0], seg[1], seg[4], seg[3], seg[2]),
		"huge":                    strings.Repeat("A", 1<<20),
		"huge ciphertext":         join(seg[0], seg[1], seg[2], strings.Repeat("A", 4096), seg[4]),
		"space in ek":             join(seg[0], seg[1][:5]+" "+seg[1][6:], seg[2], seg[3], seg[4]),
		"standard alphabet in ek": join(seg[0], seg[1][:5]+"/"+seg[1][6:], seg[2], seg[3], seg[4]),
	}
	for name, bad := range cases {
		h, err := ks.OpenRefresh(bad)
		if !errors.Is(err, ErrMalformed) || h != (RefreshHandle{}) {
			t.Errorf("%s: got %+v, %v", name, h, err)
			continue
		}
		for _, s := range segments(bad) {
			if len(s) >= 8 && strings.Contains(err.Error(), s[:8]) {
				t.Errorf("%s: error %q contains token text", name, err)
			}
		}
	}
	if _, err := foreign.OpenRefresh(tok); !errors.Is(err, ErrMalformed) {
		t.Errorf("foreign set opened our token: %v", err)
	}
}

func TestRefreshKeyRotation(t *testing.T) {
	k := testKeys(t)
	old := mustKeySet(t, testIssuer, k.access, k.id, k.refresh)
	h := RefreshHandle{SessionID: "session", Gen: 2, PoolID: "pool"}
	oldTok := mustSeal(t, old, h)

	rotated := mustKeySet(t, testIssuer, k.access, k.id, retire(k.refresh), k.refresh2)
	if got, err := rotated.OpenRefresh(oldTok); err != nil || got != h {
		t.Fatalf("retired key: %+v, %v", got, err)
	}
	newTok := mustSeal(t, rotated, h)
	if _, err := old.OpenRefresh(newTok); !errors.Is(err, ErrMalformed) {
		t.Errorf("new token opened by the old set alone: %v (was not sealed with the new key)", err)
	}
	onlyNew := mustKeySet(t, testIssuer, k.access, k.id, k.refresh2)
	if _, err := onlyNew.OpenRefresh(newTok); err != nil {
		t.Errorf("new token, new key: %v", err)
	}
	if _, err := onlyNew.OpenRefresh(oldTok); !errors.Is(err, ErrMalformed) {
		t.Errorf("old token after its key was dropped: %v", err)
	}
	// Retired keys are tried after the current one whatever their position.
	reordered := mustKeySet(t, testIssuer, k.refresh2, k.access, k.id, retire(k.refresh))
	for _, tok := range []string{oldTok, newTok} {
		if _, err := reordered.OpenRefresh(tok); err != nil {
			t.Errorf("reordered: %v", err)
		}
	}
}

func TestSealRefreshLimits(t *testing.T) {
	ks := testKeySet(t)
	long := strings.Repeat("x", MaxRefreshField+1)
	for _, h := range []RefreshHandle{{SessionID: long}, {PoolID: long}} {
		if _, err := ks.SealRefresh(h); err == nil {
			t.Errorf("oversized handle sealed")
		}
	}
}

func TestDecodeRefreshHandle(t *testing.T) {
	// The decoder only sees authenticated plaintext, but stays strict.
	for name, pt := range map[string]string{
		"empty":           "",
		"bad version":     "\x02\x01s\x00\x01p",
		"length overflow": "\x01\x05s\x00\x01p",
		"huge length":     "\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
		"missing gen":     "\x01\x01s",
		"missing pool":    "\x01\x01s\x00",
		"trailing bytes":  "\x01\x01s\x00\x01pX",
	} {
		if h, ok := decodeRefreshHandle([]byte(pt)); ok {
			t.Errorf("%s: decoded %+v", name, h)
		}
	}
	if h, ok := decodeRefreshHandle([]byte("\x01\x01s\x04\x01p")); !ok || h != (RefreshHandle{SessionID: "s", Gen: 2, PoolID: "p"}) {
		t.Errorf("valid plaintext: %+v %v", h, ok)
	}
}

func decodeSegLenient(tb testing.TB, s string) []byte {
	tb.Helper()
	return decodeSeg(tb, s) // rawB64 is the lenient (non-Strict) encoding
}

func TestMAC(t *testing.T) {
	a := testKeySet(t)
	k := testKeys(t)
	other := k.refresh
	other.ID, other.Private = "other-refresh", bytes.Repeat([]byte{7}, len(k.refresh.Private))
	b := mustKeySet(t, testIssuer, k.access, k.id, other)
	m1 := a.MAC("fake-srp", []byte("pool"), []byte("alice"))
	if len(m1) != 32 {
		t.Fatalf("MAC length %d", len(m1))
	}
	if !bytes.Equal(m1, a.MAC("fake-srp", []byte("pool"), []byte("alice"))) {
		t.Error("MAC is not deterministic")
	}
	for _, other := range [][]byte{
		a.MAC("fake-srp", []byte("pool"), []byte("alicf")),
		a.MAC("login", []byte("pool"), []byte("alice")),
		a.MAC("fake-srp", []byte("poola"), []byte("lice")), // fields are length-prefixed
		b.MAC("fake-srp", []byte("pool"), []byte("alice")), // another pool's key
	} {
		if bytes.Equal(m1, other) {
			t.Error("two different inputs share a MAC")
		}
	}
}
