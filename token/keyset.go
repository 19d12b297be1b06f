// Package token mints and verifies Cognito-style JWTs (RS256 access and ID
// tokens), serves their JWKS, and seals opaque refresh tokens.
//
// A KeySet is built once per pool from its stored keys and is safe for
// concurrent use; all parsing and precomputation happens in NewKeySet so that
// Sign, Verify, SealRefresh and OpenRefresh do no key handling at all.
//
// Every token this package accepts is in canonical form (strict unpadded
// base64url, no embedded line breaks), so a given token has exactly one
// accepted spelling: callers may hash token strings for deny-lists without
// worrying about alternative encodings of the same token.
package token

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"strings"
	"sync"
	"time"
)

// maxSigLen is the largest RSA signature Verify decodes (RSA-4096).
const maxSigLen = 512

// MaxTokenSize bounds the length of a JWT that Verify will look at (and that
// Sign will produce), so hostile input cannot make it hash megabytes.
const MaxTokenSize = 128 << 10

// KeySet holds a pool's parsed keys. Build it with NewKeySet, once per pool.
type KeySet struct {
	issuer string

	signAccess *signingKey // newest non-retired access key
	signID     *signingKey // newest non-retired ID key

	// byKid maps every access and ID kid (retired ones too) to its key.
	byKid map[string]*signingKey
	// byHeader maps the exact base64url header segment Sign emits for each
	// kid to its key, so Verify of our own tokens skips header decoding.
	byHeader map[string]*signingKey

	sealRefresh *refreshKey   // newest non-retired refresh key
	openRefresh []*refreshKey // seal key first, then the others (newest first)

	jwks []byte
}

// signingKey is a parsed RSA key with its precomputed JWS header.
type signingKey struct {
	kid       string
	use       string
	priv      *rsa.PrivateKey
	pub       *rsa.PublicKey
	sigLen    int    // signature length in bytes (modulus size)
	sigB64Len int    // its encoded length, to reject odd lengths before decoding
	header    string // base64url of {"alg":"RS256","kid":...}
}

// NewKeySet parses keys once (RSA parsing is slow; a KeySet is built once
// per pool and cached by the caller). It needs at least one non-retired key
// of each use; keys are taken to be in age order, oldest first, and the last
// non-retired key of each use is the one that signs or seals. Kids must be
// unique.
func NewKeySet(issuer string, keys []Key) (*KeySet, error) {
	if issuer == "" {
		return nil, errors.New("token: empty issuer")
	}
	ks := &KeySet{
		issuer:   issuer,
		byKid:    make(map[string]*signingKey),
		byHeader: make(map[string]*signingKey),
	}
	seen := make(map[string]bool, len(keys))
	var jwksKeys []*signingKey
	var refresh []*refreshKey
	for _, k := range keys {
		if k.ID == "" {
			return nil, errors.New("token: key with empty kid")
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("token: duplicate kid %q", k.ID)
		}
		seen[k.ID] = true
		switch k.Use {
		case UseAccess, UseID:
			sk, err := parseSigningKey(k)
			if err != nil {
				return nil, err
			}
			ks.byKid[sk.kid] = sk
			ks.byHeader[sk.header] = sk
			jwksKeys = append(jwksKeys, sk)
			if !k.Retired {
				if k.Use == UseAccess {
					ks.signAccess = sk
				} else {
					ks.signID = sk
				}
			}
		case UseRefresh:
			rk, err := newRefreshKey(k)
			if err != nil {
				return nil, err
			}
			refresh = append(refresh, rk)
			if !k.Retired {
				ks.sealRefresh = rk
			}
		default:
			return nil, fmt.Errorf("token: key %q has unknown use %q", k.ID, k.Use)
		}
	}
	switch {
	case ks.signAccess == nil:
		return nil, errors.New("token: no active access-token key")
	case ks.signID == nil:
		return nil, errors.New("token: no active ID-token key")
	case ks.sealRefresh == nil:
		return nil, errors.New("token: no active refresh-token key")
	}
	// Most refresh tokens in flight were sealed by the current key, then by
	// the most recently retired ones: try them in that order.
	ks.openRefresh = append(ks.openRefresh, ks.sealRefresh)
	for i := len(refresh) - 1; i >= 0; i-- {
		if refresh[i] != ks.sealRefresh {
			ks.openRefresh = append(ks.openRefresh, refresh[i])
		}
	}
	ks.jwks = buildJWKS(jwksKeys)
	return ks, nil
}

func parseSigningKey(k Key) (*signingKey, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(k.Private)
	if err != nil {
		return nil, fmt.Errorf("token: key %q: %w", k.ID, err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("token: key %q is not an RSA key", k.ID)
	}
	if bits := priv.N.BitLen(); bits < RSABits || bits > maxSigLen*8 {
		return nil, fmt.Errorf("token: key %q: RSA key of %d bits (want %d to %d)", k.ID, bits, RSABits, maxSigLen*8)
	}
	// x509 already precomputes; this is a no-op then, but makes the CRT
	// speed-up explicit rather than an accident of the parser.
	priv.Precompute()
	hdr := append([]byte(`{"alg":"RS256","kid":`), appendJSONString(nil, k.ID)...)
	hdr = append(hdr, '}')
	sigLen := priv.PublicKey.Size()
	return &signingKey{
		kid:       k.ID,
		use:       k.Use,
		priv:      priv,
		pub:       &priv.PublicKey,
		sigLen:    sigLen,
		sigB64Len: b64.EncodedLen(sigLen),
		header:    b64.EncodeToString(hdr),
	}, nil
}

// buildJWKS renders the public keys in the field order Cognito serves.
func buildJWKS(keys []*signingKey) []byte {
	out := []byte(`{"keys":[`)
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"alg":"RS256","e":"`...)
		out = b64.AppendEncode(out, big.NewInt(int64(k.pub.E)).Bytes())
		out = append(out, `","kid":`...)
		out = appendJSONString(out, k.kid)
		out = append(out, `,"kty":"RSA","n":"`...)
		out = b64.AppendEncode(out, k.pub.N.Bytes())
		out = append(out, `","use":"sig"}`...)
	}
	return append(out, "]}"...)
}

// Issuer returns the issuer (iss) of every token of this key set.
func (ks *KeySet) Issuer() string { return ks.issuer }

// JWKS returns the JSON Web Key Set of every access and ID key, retired ones
// included, as served at <issuer>/.well-known/jwks.json. It is rendered once
// in NewKeySet; each call returns a fresh copy the caller may keep.
func (ks *KeySet) JWKS() []byte { return append([]byte(nil), ks.jwks...) }

// Sign mints a JWT for c, signed with the current access or ID key as chosen
// by c.TokenUse. An empty c.Iss means the key set's issuer; any other issuer
// is refused because Verify would reject the token. The header is
// {"alg":"RS256","kid":...} (Cognito sends no "typ").
func (ks *KeySet) Sign(c *Claims) (string, error) {
	if c == nil {
		return "", errors.New("token: nil claims")
	}
	var sk *signingKey
	switch c.TokenUse {
	case UseAccess:
		sk = ks.signAccess
	case UseID:
		sk = ks.signID
	default:
		return "", fmt.Errorf("%w: cannot sign token_use %q", ErrWrongUse, c.TokenUse)
	}
	if c.Iss != "" && c.Iss != ks.issuer {
		return "", fmt.Errorf("%w: claims carry another issuer", ErrIssuer)
	}
	payload, err := c.appendJSON(make([]byte, 0, 1024), ks.issuer)
	if err != nil {
		return "", err
	}
	// One buffer holds the whole token: header.payload is hashed in place,
	// then the signature is appended.
	n := len(sk.header) + 1 + b64.EncodedLen(len(payload)) + 1 + sk.sigB64Len
	if n > MaxTokenSize {
		return "", fmt.Errorf("token: claims too large (%d bytes encoded)", n)
	}
	buf := make([]byte, 0, n)
	buf = append(buf, sk.header...)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, payload)
	digest := sha256.Sum256(buf)
	sig, err := rsa.SignPKCS1v15(nil, sk.priv, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("token: signing: %w", err)
	}
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sig)
	return string(buf), nil
}

// Verify checks a compact JWS from hostile input and returns its claims.
// In order: shape and size; header (alg must be RS256, kid must be one of ours,
// of either use); the RSA signature; the key's use against wantUse (an ID
// token where an access token is wanted is ErrWrongUse); iss; token_use;
// and exp > now, so ErrExpired means the token was otherwise valid.
// Errors wrap ErrMalformed, ErrSignature, ErrWrongUse, ErrIssuer or
// ErrExpired and never contain any part of raw.
func (ks *KeySet) Verify(raw string, wantUse string, now time.Time) (*Claims, error) {
	if wantUse != UseAccess && wantUse != UseID {
		return nil, errWantUse
	}
	if len(raw) > MaxTokenSize {
		return nil, errTooLarge
	}
	dot1 := strings.IndexByte(raw, '.')
	if dot1 < 0 {
		return nil, errSegments
	}
	dot2 := strings.IndexByte(raw[dot1+1:], '.')
	if dot2 < 0 {
		return nil, errSegments
	}
	dot2 += dot1 + 1
	sigSeg := raw[dot2+1:]
	if strings.IndexByte(sigSeg, '.') >= 0 {
		return nil, errSegments
	}

	sk := ks.byHeader[raw[:dot1]]
	if sk == nil {
		var err error
		if sk, err = ks.parseHeader(raw[:dot1]); err != nil {
			return nil, err
		}
	}

	// Decode into a stack buffer; a wrong length is rejected before decoding.
	var sigBuf [maxSigLen]byte
	if len(sigSeg) != sk.sigB64Len || !decodeB64Exact(sigBuf[:sk.sigLen], sigSeg) {
		return nil, errSigEncoding
	}
	digest := sha256String(raw[:dot2])
	if rsa.VerifyPKCS1v15(sk.pub, crypto.SHA256, digest[:], sigBuf[:sk.sigLen]) != nil {
		return nil, errSigVerify
	}

	// Authentic from here on: the payload is something we signed.
	if sk.use != wantUse {
		return nil, errKeyUse
	}
	// Small payloads (all real ones) decode on the stack; the claims then
	// share a single string copy of it.
	var payloadBuf [4096]byte
	payload, ok := appendB64(payloadBuf[:0], raw[dot1+1:dot2])
	if !ok {
		return nil, errPayloadB64
	}
	c := new(Claims)
	if !json.Valid(payload) || c.decode(string(payload)) != nil {
		return nil, errClaimsJSON
	}
	if c.Iss != ks.issuer {
		return nil, errIssuerClaim
	}
	if c.TokenUse != wantUse {
		return nil, errTokenUse
	}
	if c.ExpiresAt <= now.Unix() {
		return nil, errExpiredClaim
	}
	return c, nil
}

// parseHeader is the slow path for a header that is not byte-for-byte one
// that Sign emits. Only a token signed elsewhere with one of our private keys
// could pass it, but it classifies garbage, alg confusion and unknown kids.
func (ks *KeySet) parseHeader(seg string) (*signingKey, error) {
	raw, ok := appendB64(nil, seg)
	if !ok {
		return nil, errHeaderB64
	}
	if !json.Valid(raw) {
		return nil, errHeaderJSON
	}
	// Names are matched exactly: a struct would let "ALG" stand for alg.
	var alg, kid string
	var hasAlg, hasKid, hasCrit bool
	err := forEachMember(string(raw), func(name, value string) error {
		var err error
		switch name {
		case "alg":
			alg, err = decodeString(value)
			hasAlg = err == nil
		case "kid":
			kid, err = decodeString(value)
			hasKid = err == nil
		case "crit":
			hasCrit = true
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, errHeaderJSON
	case hasCrit:
		return nil, errHeaderCrit
	case !hasAlg || alg != "RS256":
		return nil, errAlg
	case !hasKid:
		return nil, errKid
	}
	sk := ks.byKid[kid]
	if sk == nil {
		return nil, errKid
	}
	return sk, nil
}

// sha256State is a pooled hash with its scratch space: both would escape
// to the heap through the hash.Hash interface if declared per call.
type sha256State struct {
	h     hash.Hash
	chunk [512]byte
	sum   [sha256.Size]byte
}

var sha256Pool = sync.Pool{New: func() any { return &sha256State{h: sha256.New()} }}

// sha256String hashes s without first copying all of it into a []byte:
// the conversion would allocate a token-sized buffer per Verify.
func sha256String(s string) [sha256.Size]byte {
	st := sha256Pool.Get().(*sha256State)
	st.h.Reset()
	for len(s) > 0 {
		n := copy(st.chunk[:], s)
		st.h.Write(st.chunk[:n])
		s = s[n:]
	}
	sum := [sha256.Size]byte(st.h.Sum(st.sum[:0]))
	sha256Pool.Put(st)
	return sum
}
