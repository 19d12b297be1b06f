package token

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"
)

const testIssuer = "http://localhost:9229/us-east-1_TestPool1"

// fixtureKeys holds two generations of each use, plus keys of another pool.
type fixtureKeys struct {
	access, access2, id, id2, refresh, refresh2 Key
	foreignAccess, foreignID, foreignRefresh    Key
}

// RSA generation is slow (more so under -race), so every test shares one set
// of keys generated on first use.
var (
	fixtureOnce sync.Once
	fixtureErr  error
	fixture     fixtureKeys
)

func testKeys(tb testing.TB) *fixtureKeys {
	tb.Helper()
	fixtureOnce.Do(func() {
		gen := func(dst *Key, use string) {
			if fixtureErr != nil {
				return
			}
			*dst, fixtureErr = NewKey(use)
		}
		gen(&fixture.access, UseAccess)
		gen(&fixture.access2, UseAccess)
		gen(&fixture.id, UseID)
		gen(&fixture.id2, UseID)
		gen(&fixture.refresh, UseRefresh)
		gen(&fixture.refresh2, UseRefresh)
		gen(&fixture.foreignAccess, UseAccess)
		gen(&fixture.foreignID, UseID)
		gen(&fixture.foreignRefresh, UseRefresh)
	})
	if fixtureErr != nil {
		tb.Fatalf("generating keys: %v", fixtureErr)
	}
	return &fixture
}

// testKeySet is the usual pool: one active key of each use.
func testKeySet(tb testing.TB) *KeySet {
	tb.Helper()
	k := testKeys(tb)
	return mustKeySet(tb, testIssuer, k.access, k.id, k.refresh)
}

func mustKeySet(tb testing.TB, issuer string, keys ...Key) *KeySet {
	tb.Helper()
	ks, err := NewKeySet(issuer, keys)
	if err != nil {
		tb.Fatalf("NewKeySet: %v", err)
	}
	return ks
}

func retire(k Key) Key {
	k.Retired = true
	return k
}

// testNow is a fixed clock; tokens in tests are valid around it.
var testNow = time.Unix(1_750_000_000, 0)

func accessClaims() *Claims {
	return &Claims{
		Sub:       "5f3c1f7e-1d2a-4b8e-9a51-0e0f0a0b0c0d",
		TokenUse:  UseAccess,
		JTI:       "0b7d9d2e-0000-4000-8000-000000000001",
		OriginJTI: "0b7d9d2e-0000-4000-8000-000000000002",
		EventID:   "0b7d9d2e-0000-4000-8000-000000000003",
		ClientID:  "3n4b5urk1ft4fl3mg5e62d9ado",
		Scope:     "aws.cognito.signin.user.admin",
		Username:  "alice",
		Groups:    []string{"admins", "users"},
		AuthTime:  testNow.Unix() - 60,
		IssuedAt:  testNow.Unix() - 60,
		ExpiresAt: testNow.Unix() + 3600,
		Version:   2,
	}
}

func idClaims() *Claims {
	return &Claims{
		Sub:             "5f3c1f7e-1d2a-4b8e-9a51-0e0f0a0b0c0d",
		TokenUse:        UseID,
		JTI:             "0b7d9d2e-0000-4000-8000-000000000004",
		OriginJTI:       "0b7d9d2e-0000-4000-8000-000000000002",
		EventID:         "0b7d9d2e-0000-4000-8000-000000000003",
		Aud:             "3n4b5urk1ft4fl3mg5e62d9ado",
		CognitoUsername: "alice",
		AuthTime:        testNow.Unix() - 60,
		IssuedAt:        testNow.Unix() - 60,
		ExpiresAt:       testNow.Unix() + 3600,
		Extra: map[string]any{
			"email":          "alice@example.com",
			"email_verified": true,
			"custom:tier":    "gold",
		},
	}
}

func mustSign(tb testing.TB, ks *KeySet, c *Claims) string {
	tb.Helper()
	tok, err := ks.Sign(c)
	if err != nil {
		tb.Fatalf("Sign: %v", err)
	}
	return tok
}

func parseRSA(tb testing.TB, k Key) *rsa.PrivateKey {
	tb.Helper()
	p, err := x509.ParsePKCS8PrivateKey(k.Private)
	if err != nil {
		tb.Fatal(err)
	}
	return p.(*rsa.PrivateKey)
}

var rawB64 = base64.RawURLEncoding

// signRaw builds a JWS from arbitrary header and payload JSON with priv,
// bypassing Sign, to forge the tokens Verify must reject.
func signRaw(tb testing.TB, priv *rsa.PrivateKey, header, payload string) string {
	tb.Helper()
	in := rawB64.EncodeToString([]byte(header)) + "." + rawB64.EncodeToString([]byte(payload))
	d := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, d[:])
	if err != nil {
		tb.Fatal(err)
	}
	return in + "." + rawB64.EncodeToString(sig)
}

func segments(tok string) []string { return strings.Split(tok, ".") }

func decodeSeg(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := rawB64.DecodeString(s)
	if err != nil {
		tb.Fatalf("decoding segment: %v", err)
	}
	return b
}

// flipChar replaces the character at i with another base64url character that
// changes the decoded bits at that position.
func flipChar(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
