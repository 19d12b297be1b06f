package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewKey(t *testing.T) {
	k := testKeys(t)
	for _, key := range []Key{k.access, k.id} {
		if len(key.ID) != 43 || strings.ContainsAny(key.ID, "+/=") {
			t.Errorf("kid %q: want 43 URL-safe characters", key.ID)
		}
		p := parseRSA(t, key)
		if p.N.BitLen() != 2048 || p.E != 65537 {
			t.Errorf("RSA key: %d bits, e=%d", p.N.BitLen(), p.E)
		}
	}
	if k.access.Use != UseAccess || k.id.Use != UseID || k.refresh.Use != UseRefresh {
		t.Error("uses not set")
	}
	if len(k.refresh.Private) != 32 {
		t.Errorf("refresh key: %d bytes", len(k.refresh.Private))
	}
	if k.access.ID == k.access2.ID || string(k.refresh.Private) == string(k.refresh2.Private) {
		t.Error("keys are not random")
	}
	if _, err := NewKey("sig"); err == nil {
		t.Error("NewKey(sig): want error")
	}
}

func TestNewKeySetErrors(t *testing.T) {
	k := testKeys(t)
	ecPriv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ecPriv)
	cases := []struct {
		name   string
		issuer string
		keys   []Key
	}{
		{"empty issuer", "", []Key{k.access, k.id, k.refresh}},
		{"no keys", testIssuer, nil},
		{"no access key", testIssuer, []Key{k.id, k.refresh}},
		{"no id key", testIssuer, []Key{k.access, k.refresh}},
		{"no refresh key", testIssuer, []Key{k.access, k.id}},
		{"only retired access", testIssuer, []Key{retire(k.access), k.id, k.refresh}},
		{"only retired refresh", testIssuer, []Key{k.access, k.id, retire(k.refresh)}},
		{"duplicate kid", testIssuer, []Key{k.access, k.id, k.refresh, {ID: k.access.ID, Use: UseRefresh, Private: k.refresh.Private}}},
		{"empty kid", testIssuer, []Key{k.access, k.id, k.refresh, {Use: UseRefresh, Private: k.refresh.Private}}},
		{"unknown use", testIssuer, []Key{k.access, k.id, k.refresh, {ID: "x", Use: "sig", Private: k.refresh.Private}}},
		{"garbage DER", testIssuer, []Key{{ID: "a", Use: UseAccess, Private: []byte("nope")}, k.id, k.refresh}},
		{"EC key", testIssuer, []Key{{ID: "a", Use: UseAccess, Private: ecDER}, k.id, k.refresh}},
		{"short refresh key", testIssuer, []Key{k.access, k.id, {ID: "r", Use: UseRefresh, Private: make([]byte, 16)}}},
		{"refresh key used as RSA", testIssuer, []Key{{ID: "a", Use: UseAccess, Private: k.refresh.Private}, k.id, k.refresh}},
	}
	for _, tc := range cases {
		if _, err := NewKeySet(tc.issuer, tc.keys); err == nil {
			t.Errorf("%s: want error", tc.name)
		}
	}
	// An RSA key shorter than 2048 bits is refused (1024 is quick to make).
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(small)
	if _, err := NewKeySet(testIssuer, []Key{{ID: "s", Use: UseAccess, Private: der}, k.id, k.refresh}); err == nil {
		t.Error("1024-bit key: want error")
	}
}

func TestSignVerifyAccess(t *testing.T) {
	ks := testKeySet(t)
	in := accessClaims()
	tok := mustSign(t, ks, in)
	seg := segments(tok)
	if len(seg) != 3 {
		t.Fatalf("%d segments", len(seg))
	}
	wantHeader := `{"alg":"RS256","kid":"` + testKeys(t).access.ID + `"}`
	if got := string(decodeSeg(t, seg[0])); got != wantHeader {
		t.Errorf("header = %s, want %s", got, wantHeader)
	}
	var payload map[string]any
	if err := json.Unmarshal(decodeSeg(t, seg[1]), &payload); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"sub", "cognito:groups", "iss", "version", "client_id", "origin_jti", "event_id",
		"token_use", "scope", "auth_time", "exp", "iat", "jti", "username"}
	if len(payload) != len(wantKeys) {
		t.Errorf("payload has %d claims, want %d: %v", len(payload), len(wantKeys), payload)
	}
	for _, k := range wantKeys {
		if _, ok := payload[k]; !ok {
			t.Errorf("payload lacks %q", k)
		}
	}
	if payload["iss"] != testIssuer || payload["version"] != 2.0 {
		t.Errorf("iss/version: %v %v", payload["iss"], payload["version"])
	}

	got, err := ks.Verify(tok, UseAccess, testNow)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := *in
	want.Iss = testIssuer
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", *got, want)
	}
	if in.Iss != "" {
		t.Error("Sign modified its argument")
	}
}

func TestSignVerifyID(t *testing.T) {
	ks := testKeySet(t)
	in := idClaims()
	// Attributes may not override standard claims.
	in.Extra["sub"] = "evil"
	in.Extra["token_use"] = UseAccess
	in.Extra["exp"] = 1 << 40
	tok := mustSign(t, ks, in)
	if got := string(decodeSeg(t, segments(tok)[0])); !strings.Contains(got, testKeys(t).id.ID) {
		t.Errorf("ID token not signed with the ID key: %s", got)
	}
	payload := string(decodeSeg(t, segments(tok)[1]))
	for _, want := range []string{`"aud":"3n4b5urk1ft4fl3mg5e62d9ado"`, `"email_verified":true`, `"custom:tier":"gold"`, `"cognito:username":"alice"`} {
		if !strings.Contains(payload, want) {
			t.Errorf("payload %s lacks %s", payload, want)
		}
	}
	for _, absent := range []string{"evil", `"version"`, `"cognito:groups"`, `"scope"`, `"client_id"`} {
		if strings.Contains(payload, absent) {
			t.Errorf("payload %s contains %s", payload, absent)
		}
	}
	got, err := ks.Verify(tok, UseID, testNow)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := *idClaims()
	want.Iss = testIssuer
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", *got, want)
	}
}

func TestSignRevocationDisabledOmitsJTI(t *testing.T) {
	ks := testKeySet(t)
	c := accessClaims()
	c.JTI, c.OriginJTI, c.Groups = "", "", nil
	payload := string(decodeSeg(t, segments(mustSign(t, ks, c))[1]))
	for _, absent := range []string{"jti", "cognito:groups"} {
		if strings.Contains(payload, absent) {
			t.Errorf("payload %s contains %s", payload, absent)
		}
	}
}

func TestSignErrors(t *testing.T) {
	ks := testKeySet(t)
	if _, err := ks.Sign(nil); err == nil {
		t.Error("nil claims: want error")
	}
	c := accessClaims()
	c.TokenUse = "refresh"
	if _, err := ks.Sign(c); !errors.Is(err, ErrWrongUse) {
		t.Errorf("token_use refresh: %v", err)
	}
	c = accessClaims()
	c.Iss = "https://elsewhere/pool"
	if _, err := ks.Sign(c); !errors.Is(err, ErrIssuer) {
		t.Errorf("foreign issuer: %v", err)
	}
	c = accessClaims()
	c.Iss = testIssuer // the own issuer, spelled out, is fine
	if _, err := ks.Sign(c); err != nil {
		t.Errorf("own issuer: %v", err)
	}
	c = idClaims()
	c.Extra["bad"] = func() {}
	if _, err := ks.Sign(c); err == nil {
		t.Error("unencodable attribute: want error")
	}
	c = idClaims()
	c.Extra["big"] = strings.Repeat("x", MaxTokenSize)
	if _, err := ks.Sign(c); err == nil {
		t.Error("oversized token: want error")
	}
}

// verifyCase is a token Verify must reject with a given sentinel.
type verifyCase struct {
	name string
	tok  string
	use  string
	want error
}

func verifyFailureCases(t *testing.T) []verifyCase {
	k := testKeys(t)
	ks := testKeySet(t)
	accessPriv := parseRSA(t, k.access)
	access := mustSign(t, ks, accessClaims())
	id := mustSign(t, ks, idClaims())
	seg := segments(access)
	ourHeader := `{"alg":"RS256","kid":"` + k.access.ID + `"}`
	goodPayload := string(decodeSeg(t, seg[1]))

	// Payload tampering: a different username, re-encoded, old signature.
	tampered := strings.Replace(goodPayload, `"username":"alice"`, `"username":"admin"`, 1)
	tamperedPayload := seg[0] + "." + rawB64.EncodeToString([]byte(tampered)) + "." + seg[2]

	// Signature tampering: flip a byte in the middle, re-encode canonically.
	sig := decodeSeg(t, seg[2])
	sig[100] ^= 0x01
	tamperedSig := seg[0] + "." + seg[1] + "." + rawB64.EncodeToString(sig)

	// The last character of a 256-byte signature carries 4 spare bits; a
	// lenient decoder would accept this alternative spelling.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, seg[2][len(seg[2])-1])
	alt := alphabet[last|1]
	altSigSeg := seg[2][:len(seg[2])-1] + string(alt)
	if string(decodeSeg(t, altSigSeg)) != string(decodeSeg(t, seg[2])) {
		t.Fatal("test bug: alternative signature spelling decodes differently")
	}
	altSig := seg[0] + "." + seg[1] + "." + altSigSeg

	// Same kid, same claims, signed by another pool's key.
	foreign := signRaw(t, parseRSA(t, k.foreignAccess), ourHeader, goodPayload)
	// Another pool's kid.
	foreignKid := signRaw(t, parseRSA(t, k.foreignAccess), `{"alg":"RS256","kid":"`+k.foreignAccess.ID+`"}`, goodPayload)
	// Our key, unknown kid.
	unknownKid := signRaw(t, accessPriv, `{"alg":"RS256","kid":"nope"}`, goodPayload)
	noKid := signRaw(t, accessPriv, `{"alg":"RS256"}`, goodPayload)

	// Algorithm confusion.
	none := rawB64.EncodeToString([]byte(`{"alg":"none","kid":"`+k.access.ID+`"}`)) + "." + seg[1] + "."
	noneLower := rawB64.EncodeToString([]byte(`{"alg":"None","kid":"`+k.access.ID+`"}`)) + "." + seg[1] + "." + seg[2]
	hsIn := rawB64.EncodeToString([]byte(`{"alg":"HS256","kid":"`+k.access.ID+`"}`)) + "." + seg[1]
	pubDER, _ := x509.MarshalPKIXPublicKey(&accessPriv.PublicKey)
	mac := hmac.New(sha256.New, pubDER)
	mac.Write([]byte(hsIn))
	hs256 := hsIn + "." + rawB64.EncodeToString(mac.Sum(nil))
	mac = hmac.New(sha256.New, ks.JWKS())
	mac.Write([]byte(hsIn))
	hs256JWKS := hsIn + "." + rawB64.EncodeToString(mac.Sum(nil))
	// Header names are case-sensitive: "ALG" is not "alg".
	upperAlg := signRaw(t, accessPriv, `{"ALG":"RS256","kid":"`+k.access.ID+`"}`, goodPayload)
	crit := signRaw(t, accessPriv, `{"alg":"RS256","kid":"`+k.access.ID+`","crit":["exp"]}`, goodPayload)

	// Authentic, but wrong issuer / use / time.
	otherIssuer := mustKeySet(t, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other", k.access, k.id, k.refresh)
	wrongIss := mustSign(t, otherIssuer, accessClaims())
	idAsAccessUse := signRaw(t, accessPriv, ourHeader, strings.Replace(goodPayload, `"token_use":"access"`, `"token_use":"id"`, 1))
	expired := accessClaims()
	expired.ExpiresAt = testNow.Unix()
	expiredTok := mustSign(t, ks, expired)
	expired.ExpiresAt = testNow.Unix() - 1
	expiredTok2 := mustSign(t, ks, expired)
	expired.ExpiresAt = 0
	noExp := mustSign(t, ks, expired)
	expSeg := segments(expiredTok)
	expSig := decodeSeg(t, expSeg[2])
	expSig[0] ^= 0x80
	expiredBadSig := expSeg[0] + "." + expSeg[1] + "." + rawB64.EncodeToString(expSig)
	expAsString := signRaw(t, accessPriv, ourHeader, `{"exp":"soon","iss":"`+testIssuer+`","token_use":"access"}`)
	notJSON := signRaw(t, accessPriv, ourHeader, `["not","an","object"]`)

	huge := strings.Repeat("a", MaxTokenSize) + "." + seg[1] + "." + seg[2]

	return []verifyCase{
		{"tampered payload", tamperedPayload, UseAccess, ErrSignature},
		{"tampered signature", tamperedSig, UseAccess, ErrSignature},
		{"non-canonical signature", altSig, UseAccess, ErrSignature},
		{"padded signature", access + "==", UseAccess, ErrSignature},
		{"line break in signature", seg[0] + "." + seg[1] + "." + seg[2][:10] + "\n" + seg[2][10:], UseAccess, ErrSignature},
		{"truncated signature", access[:len(access)-4], UseAccess, ErrSignature},
		{"empty signature", seg[0] + "." + seg[1] + ".", UseAccess, ErrSignature},
		{"foreign key, our kid", foreign, UseAccess, ErrSignature},
		{"foreign kid", foreignKid, UseAccess, ErrSignature},
		{"unknown kid", unknownKid, UseAccess, ErrSignature},
		{"no kid", noKid, UseAccess, ErrSignature},
		{"alg none", none, UseAccess, ErrSignature},
		{"alg None with real signature", noneLower, UseAccess, ErrSignature},
		{"alg HS256 keyed with public key", hs256, UseAccess, ErrSignature},
		{"alg HS256 keyed with JWKS", hs256JWKS, UseAccess, ErrSignature},
		{"ALG header", upperAlg, UseAccess, ErrSignature},
		{"crit header", crit, UseAccess, ErrMalformed},
		{"wrong issuer", wrongIss, UseAccess, ErrIssuer},
		{"id token where access wanted", id, UseAccess, ErrWrongUse},
		{"access token where id wanted", access, UseID, ErrWrongUse},
		{"token_use id under access key", idAsAccessUse, UseAccess, ErrWrongUse},
		{"want refresh", access, UseRefresh, ErrWrongUse},
		{"want empty", access, "", ErrWrongUse},
		{"expired at exactly now", expiredTok, UseAccess, ErrExpired},
		{"expired", expiredTok2, UseAccess, ErrExpired},
		{"no exp", noExp, UseAccess, ErrExpired},
		{"expired with bad signature", expiredBadSig, UseAccess, ErrSignature},
		{"exp not a number", expAsString, UseAccess, ErrMalformed},
		{"payload not an object", notJSON, UseAccess, ErrMalformed},
		{"empty", "", UseAccess, ErrMalformed},
		{"garbage", "garbage", UseAccess, ErrMalformed},
		{"garbage three segments", "a.b.c", UseAccess, ErrMalformed},
		{"dots", "..", UseAccess, ErrMalformed},
		{"two segments", seg[0] + "." + seg[1], UseAccess, ErrMalformed},
		{"four segments", access + "." + seg[2], UseAccess, ErrMalformed},
		{"five segments", access + ".x.y", UseAccess, ErrMalformed},
		{"header not base64", "!!!!." + seg[1] + "." + seg[2], UseAccess, ErrMalformed},
		{"header not JSON", rawB64.EncodeToString([]byte("hello")) + "." + seg[1] + "." + seg[2], UseAccess, ErrMalformed},
		{"header JSON null", rawB64.EncodeToString([]byte("null")) + "." + seg[1] + "." + seg[2], UseAccess, ErrMalformed},
		{"huge", huge, UseAccess, ErrMalformed},
		{"refresh token", mustSeal(t, ks, RefreshHandle{SessionID: "s", PoolID: "p"}), UseAccess, ErrMalformed},
	}
}

func TestVerifyRejects(t *testing.T) {
	ks := testKeySet(t)
	sentinels := []error{ErrMalformed, ErrSignature, ErrExpired, ErrWrongUse, ErrIssuer}
	for _, tc := range verifyFailureCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ks.Verify(tc.tok, tc.use, testNow)
			if c != nil {
				t.Errorf("returned claims %+v", c)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			for _, s := range sentinels {
				if s != tc.want && errors.Is(err, s) {
					t.Errorf("err %v also matches %v", err, s)
				}
			}
			// No part of the token may leak into the message.
			msg := err.Error()
			for _, part := range strings.FieldsFunc(tc.tok, func(r rune) bool { return r == '.' }) {
				if len(part) >= 8 && strings.Contains(msg, part[:8]) {
					t.Errorf("error %q contains token text", msg)
				}
			}
		})
	}
}

func TestSentinelsDistinct(t *testing.T) {
	all := []error{ErrMalformed, ErrSignature, ErrExpired, ErrWrongUse, ErrIssuer}
	for i, a := range all {
		for j, b := range all {
			if i != j && (a == b || errors.Is(a, b) || a.Error() == b.Error()) {
				t.Errorf("%v and %v not distinct", a, b)
			}
		}
	}
}

func TestVerifyExpiryBoundary(t *testing.T) {
	ks := testKeySet(t)
	c := accessClaims()
	tok := mustSign(t, ks, c)
	if _, err := ks.Verify(tok, UseAccess, time.Unix(c.ExpiresAt-1, 999_999_999)); err != nil {
		t.Errorf("one nanosecond before exp: %v", err)
	}
	if _, err := ks.Verify(tok, UseAccess, time.Unix(c.ExpiresAt, 0)); !errors.Is(err, ErrExpired) {
		t.Errorf("at exp: %v", err)
	}
}

// TestVerifyForeignHeaderForm: a token with a header Sign would not write
// (typ present, other key order) but a valid signature by our key still
// verifies; only the fast path is skipped.
func TestVerifyForeignHeaderForm(t *testing.T) {
	k := testKeys(t)
	ks := testKeySet(t)
	payload := string(decodeSeg(t, segments(mustSign(t, ks, accessClaims()))[1]))
	tok := signRaw(t, parseRSA(t, k.access), `{"typ":"JWT","kid":"`+k.access.ID+`","alg":"RS256"}`, payload)
	if _, err := ks.Verify(tok, UseAccess, testNow); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestRetiredKeys(t *testing.T) {
	k := testKeys(t)
	old := mustKeySet(t, testIssuer, k.access, k.id, k.refresh)
	oldAccess := mustSign(t, old, accessClaims())
	oldID := mustSign(t, old, idClaims())

	// Rotation: the old keys are retired, new ones sign.
	rotated := mustKeySet(t, testIssuer, retire(k.access), retire(k.id), retire(k.refresh), k.access2, k.id2, k.refresh2)
	for _, tc := range []struct{ tok, use string }{{oldAccess, UseAccess}, {oldID, UseID}} {
		if _, err := rotated.Verify(tc.tok, tc.use, testNow); err != nil {
			t.Errorf("token of a retired key: %v", err)
		}
	}
	newAccess := mustSign(t, rotated, accessClaims())
	newID := mustSign(t, rotated, idClaims())
	if h := string(decodeSeg(t, segments(newAccess)[0])); !strings.Contains(h, k.access2.ID) {
		t.Errorf("access token signed by %s, want the new key", h)
	}
	if h := string(decodeSeg(t, segments(newID)[0])); !strings.Contains(h, k.id2.ID) {
		t.Errorf("ID token signed by %s, want the new key", h)
	}
	// The old set does not know the new keys.
	if _, err := old.Verify(newAccess, UseAccess, testNow); !errors.Is(err, ErrSignature) {
		t.Errorf("old set, new token: %v", err)
	}
	jwks := string(rotated.JWKS())
	for _, kid := range []string{k.access.ID, k.id.ID, k.access2.ID, k.id2.ID} {
		if !strings.Contains(jwks, kid) {
			t.Errorf("JWKS lacks %s", kid)
		}
	}

	// With several active keys, the newest (last) one signs, whatever the
	// retired keys around it.
	multi := mustKeySet(t, testIssuer, k.access, k.id2, k.access2, retire(k.foreignAccess), k.id, k.refresh)
	if h := string(decodeSeg(t, segments(mustSign(t, multi, accessClaims()))[0])); !strings.Contains(h, k.access2.ID) {
		t.Errorf("multi: access signed by %s", h)
	}
	if h := string(decodeSeg(t, segments(mustSign(t, multi, idClaims()))[0])); !strings.Contains(h, k.id.ID) {
		t.Errorf("multi: id signed by %s", h)
	}
}

// TestKeySetCopiesInput: later changes to the caller's key bytes do not
// affect a built key set.
func TestKeySetCopiesInput(t *testing.T) {
	k := testKeys(t)
	ref := k.refresh
	ref.Private = append([]byte(nil), k.refresh.Private...)
	ks := mustKeySet(t, testIssuer, k.access, k.id, ref)
	tok := mustSeal(t, ks, RefreshHandle{SessionID: "s"})
	for i := range ref.Private {
		ref.Private[i] = 0
	}
	if _, err := ks.OpenRefresh(tok); err != nil {
		t.Errorf("after caller wiped its key: %v", err)
	}
	jwks := ks.JWKS()
	jwks[0] = 'X'
	if ks.JWKS()[0] != '{' {
		t.Error("JWKS returned shared memory")
	}
}

func TestConcurrentUse(t *testing.T) {
	ks := testKeySet(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				c := accessClaims()
				c.Username = strings.Repeat("u", g+i)
				tok, err := ks.Sign(c)
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := ks.Verify(tok, UseAccess, testNow); err != nil || got.Username != c.Username {
					t.Errorf("Verify: %v", err)
				}
				h := RefreshHandle{SessionID: c.Username, Gen: int64(i), PoolID: "p"}
				rt, err := ks.SealRefresh(h)
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := ks.OpenRefresh(rt); err != nil || got != h {
					t.Errorf("OpenRefresh: %v %+v", err, got)
				}
			}
		}()
	}
	wg.Wait()
}
