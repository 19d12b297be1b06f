package token

import (
	"crypto/rsa"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestJWKSShape checks the exact members Cognito serves for each key.
func TestJWKSShape(t *testing.T) {
	k := testKeys(t)
	ks := mustKeySet(t, testIssuer, retire(k.access), k.id, k.access2, k.refresh)
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(ks.JWKS(), &doc); err != nil {
		t.Fatalf("JWKS is not JSON: %v\n%s", err, ks.JWKS())
	}
	wantKids := []string{k.access.ID, k.id.ID, k.access2.ID}
	if len(doc.Keys) != len(wantKids) {
		t.Fatalf("%d keys, want %d (refresh keys must not appear)", len(doc.Keys), len(wantKids))
	}
	for i, jk := range doc.Keys {
		if jk["kid"] != wantKids[i] {
			t.Errorf("key %d: kid %s, want %s", i, jk["kid"], wantKids[i])
		}
		if len(jk) != 6 || jk["alg"] != "RS256" || jk["e"] != "AQAB" || jk["kty"] != "RSA" || jk["use"] != "sig" || len(jk["n"]) != 342 {
			t.Errorf("key %d: %v", i, jk)
		}
	}
}

// TestJWKSIndependentVerifier verifies our tokens with go-jose and nothing
// but the published JWKS, as a relying party would.
func TestJWKSIndependentVerifier(t *testing.T) {
	k := testKeys(t)
	old := mustKeySet(t, testIssuer, k.access, k.id, k.refresh)
	oldTok := mustSign(t, old, accessClaims())
	ks := mustKeySet(t, testIssuer, retire(k.access), k.id, k.access2, k.refresh)

	var set jose.JSONWebKeySet
	if err := json.Unmarshal(ks.JWKS(), &set); err != nil {
		t.Fatalf("go-jose cannot parse the JWKS: %v", err)
	}
	for _, jk := range set.Keys {
		if !jk.Valid() || !jk.IsPublic() || jk.Algorithm != "RS256" || jk.Use != "sig" {
			t.Errorf("key %s: valid=%v public=%v alg=%s use=%s", jk.KeyID, jk.Valid(), jk.IsPublic(), jk.Algorithm, jk.Use)
		}
		if pub, ok := jk.Key.(*rsa.PublicKey); !ok || pub.N.BitLen() != 2048 {
			t.Errorf("key %s: not an RSA-2048 public key", jk.KeyID)
		}
	}

	for _, tc := range []struct {
		name string
		tok  string
		kid  string
	}{
		{"access", mustSign(t, ks, accessClaims()), k.access2.ID},
		{"id", mustSign(t, ks, idClaims()), k.id.ID},
		{"access by retired key", oldTok, k.access.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Low level: the JWS layer.
			jws, err := jose.ParseSignedCompact(tc.tok, []jose.SignatureAlgorithm{jose.RS256})
			if err != nil {
				t.Fatalf("jose.ParseSignedCompact: %v", err)
			}
			if len(jws.Signatures) != 1 {
				t.Fatalf("%d signatures", len(jws.Signatures))
			}
			h := jws.Signatures[0].Header
			if h.KeyID != tc.kid || h.Algorithm != "RS256" || len(h.ExtraHeaders) != 0 {
				t.Errorf("header: kid=%s alg=%s extra=%v", h.KeyID, h.Algorithm, h.ExtraHeaders)
			}
			keys := set.Key(h.KeyID)
			if len(keys) != 1 {
				t.Fatalf("JWKS has %d keys for kid %s", len(keys), h.KeyID)
			}
			payload, err := jws.Verify(keys[0])
			if err != nil {
				t.Fatalf("go-jose rejects our signature: %v", err)
			}
			var c Claims
			if err := json.Unmarshal(payload, &c); err != nil {
				t.Fatal(err)
			}

			// High level: jwt with the whole key set.
			parsed, err := jwt.ParseSigned(tc.tok, []jose.SignatureAlgorithm{jose.RS256})
			if err != nil {
				t.Fatalf("jwt.ParseSigned: %v", err)
			}
			var std jwt.Claims
			var all map[string]any
			if err := parsed.Claims(set, &std, &all); err != nil {
				t.Fatalf("jwt Claims with JWKS: %v", err)
			}
			if err := std.ValidateWithLeeway(jwt.Expected{Issuer: testIssuer, Time: testNow}, 0); err != nil {
				t.Errorf("standard claims: %v", err)
			}
			if all["token_use"] != c.TokenUse || std.Subject != c.Sub || std.Expiry.Time().Unix() != c.ExpiresAt {
				t.Errorf("claims disagree: %v vs %+v", all, c)
			}
			if tc.name == "id" {
				if !reflect.DeepEqual([]string(std.Audience), []string{idClaims().Aud}) {
					t.Errorf("aud = %v", std.Audience)
				}
				if err := std.ValidateWithLeeway(jwt.Expected{AnyAudience: jwt.Audience{idClaims().Aud}, Time: testNow}, 0); err != nil {
					t.Errorf("aud: %v", err)
				}
			}
			// go-jose still accepts a token at exactly exp; we do not (RFC 7519
			// requires now < exp). One second later both reject it.
			if err := std.ValidateWithLeeway(jwt.Expected{Time: time.Unix(c.ExpiresAt+1, 0)}, 0); err == nil {
				t.Error("go-jose accepts the token after its exp")
			}
		})
	}

	// And the other way round: a token go-jose rejects under our JWKS is one
	// we reject too.
	foreign := mustSign(t, mustKeySet(t, testIssuer, k.foreignAccess, k.foreignID, k.foreignRefresh), accessClaims())
	if parsed, err := jwt.ParseSigned(foreign, []jose.SignatureAlgorithm{jose.RS256}); err == nil {
		var all map[string]any
		if parsed.Claims(set, &all) == nil {
			t.Error("go-jose accepted a foreign token under our JWKS")
		}
	}
}
