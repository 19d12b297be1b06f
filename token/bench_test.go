package token

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
)

func BenchmarkSignAccess(b *testing.B) {
	ks := testKeySet(b)
	c := accessClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ks.Sign(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignID(b *testing.B) {
	ks := testKeySet(b)
	c := idClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ks.Sign(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyAccess(b *testing.B) {
	ks := testKeySet(b)
	tok := mustSign(b, ks, accessClaims())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ks.Verify(tok, UseAccess, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyID(b *testing.B) {
	ks := testKeySet(b)
	tok := mustSign(b, ks, idClaims())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ks.Verify(tok, UseID, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyBadSignature: the cost of rejecting a forged token.
func BenchmarkVerifyBadSignature(b *testing.B) {
	ks := testKeySet(b)
	tok := []byte(mustSign(b, ks, accessClaims()))
	tok[len(tok)-10] ^= 1
	bad := string(tok)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ks.Verify(bad, UseAccess, testNow); err == nil {
			b.Fatal("accepted")
		}
	}
}

func BenchmarkSealRefresh(b *testing.B) {
	ks := testKeySet(b)
	h := RefreshHandle{SessionID: "8c6f2a1e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", Gen: 3, PoolID: "us-east-1_TestPool1"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ks.SealRefresh(h); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenRefresh(b *testing.B) {
	ks := testKeySet(b)
	tok := mustSeal(b, ks, RefreshHandle{SessionID: "8c6f2a1e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", Gen: 3, PoolID: "us-east-1_TestPool1"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ks.OpenRefresh(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenRefreshRetired: a token of a retired key costs one failed
// trial with the current key first.
func BenchmarkOpenRefreshRetired(b *testing.B) {
	k := testKeys(b)
	tok := mustSeal(b, testKeySet(b), RefreshHandle{SessionID: "8c6f2a1e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", Gen: 3, PoolID: "us-east-1_TestPool1"})
	ks := mustKeySet(b, testIssuer, k.access, k.id, retire(k.refresh), k.refresh2)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ks.OpenRefresh(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRSASignRaw is the floor for Sign: one PKCS#1 v1.5 signature of a
// SHA-256 digest, nothing else.
func BenchmarkRSASignRaw(b *testing.B) {
	priv := parseRSA(b, testKeys(b).access)
	priv.Precompute()
	digest := sha256.Sum256([]byte("benchmark"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRSAVerifyRaw is the floor for Verify.
func BenchmarkRSAVerifyRaw(b *testing.B) {
	priv := parseRSA(b, testKeys(b).access)
	digest := sha256.Sum256([]byte("benchmark"))
	sig, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	pub := &priv.PublicKey
	b.ReportAllocs()
	for b.Loop() {
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}
