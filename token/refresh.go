package token

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// Refresh tokens
//
// A refresh token is five base64url segments, shaped like Cognito's compact
// JWE so that client-side heuristics (segment count, header) behave:
//
//	header . ek . iv . ciphertext . tag
//
//	header      exactly {"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}, Cognito's
//	ek          256 random bytes (the size of an RSA-2048 wrapped key)
//	iv          12 random bytes
//	ciphertext  AES-256-GCM of the encoded RefreshHandle
//	tag         the 16-byte GCM tag
//
// Nothing is RSA-encrypted (refresh throughput matters). Instead ek is a
// per-token salt: the content key is HMAC-SHA256(refresh key, label || ek),
// and GCM runs under that key with the header segment's ASCII as additional
// data (as JWE does). Consequences:
//   - changing any segment fails authentication: the header is compared
//     exactly and is the AAD, a changed ek yields another content key, and
//     iv, ciphertext and tag are GCM's own inputs;
//   - each token has its own key, so random 96-bit IVs never approach GCM's
//     per-key invocation limit however many tokens a pool mints;
//   - without the pool's refresh key nobody can mint or alter a handle.
//
// The plaintext is: version byte (1), uvarint length + SessionID, zig-zag
// varint Gen, uvarint length + PoolID.

const (
	refreshEKLen  = 256
	refreshIVLen  = 12
	refreshTagLen = 16

	// MaxRefreshField bounds SessionID and PoolID in a refresh handle.
	MaxRefreshField = 512

	refreshVersion = 1
	// maxRefreshPlain is the largest plaintext SealRefresh can produce.
	maxRefreshPlain = 1 + 2*(binary.MaxVarintLen64+MaxRefreshField) + binary.MaxVarintLen64
)

// refreshHeaderJSON is Cognito's refresh-token JWE header, byte for byte.
const refreshHeaderJSON = `{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}`

// refreshKDFLabel separates the content-key derivation from any other use of
// the refresh key.
const refreshKDFLabel = "cognate refresh token v1\x00"

var (
	refreshHeader = b64.EncodeToString([]byte(refreshHeaderJSON))
	refreshAAD    = []byte(refreshHeader)

	refreshEKB64Len  = b64.EncodedLen(refreshEKLen)
	refreshIVB64Len  = b64.EncodedLen(refreshIVLen)
	refreshTagB64Len = b64.EncodedLen(refreshTagLen)
	maxRefreshCTB64  = b64.EncodedLen(maxRefreshPlain)

	// maxRefreshTokenLen is the longest string OpenRefresh will look at.
	maxRefreshTokenLen = len(refreshHeader) + refreshEKB64Len + refreshIVB64Len +
		maxRefreshCTB64 + refreshTagB64Len + 4
)

// RefreshHandle is what a refresh token carries: the server-side session it
// refers to, the generation (rotation counter) and the pool.
type RefreshHandle struct {
	SessionID string // server-side session (token family) the token belongs to
	Gen       int64  // rotation generation within the session
	PoolID    string // user pool that issued it, re-checked by the caller
}

// refreshKey is a pool refresh key. HMAC states keyed with it are pooled
// because keying HMAC costs two SHA-256 blocks per token otherwise.
type refreshKey struct {
	macs sync.Pool // of hash.Hash, HMAC-SHA256 keyed with the refresh key
}

func newRefreshKey(k Key) (*refreshKey, error) {
	if len(k.Private) != refreshKeyLen {
		return nil, fmt.Errorf("token: refresh key %q must be %d bytes", k.ID, refreshKeyLen)
	}
	secret := append([]byte(nil), k.Private...) // the caller's slice may change
	rk := &refreshKey{}
	rk.macs.New = func() any { return hmac.New(sha256.New, secret) }
	return rk, nil
}

// aead returns AES-256-GCM under the content key derived from ek.
func (rk *refreshKey) aead(ek []byte) cipher.AEAD {
	mac := rk.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write([]byte(refreshKDFLabel))
	mac.Write(ek)
	var cek [sha256.Size]byte
	mac.Sum(cek[:0])
	rk.macs.Put(mac)
	block, err := aes.NewCipher(cek[:])
	if err != nil {
		panic("token: AES-256 with a 32-byte key failed: " + err.Error()) // cannot happen
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic("token: GCM setup failed: " + err.Error()) // cannot happen
	}
	return g
}

// SealRefresh encrypts h into an opaque refresh token with the pool's current
// refresh key. See the package's refresh-token layout above.
func (ks *KeySet) SealRefresh(h RefreshHandle) (string, error) {
	if len(h.SessionID) > MaxRefreshField || len(h.PoolID) > MaxRefreshField {
		return "", fmt.Errorf("token: refresh handle fields exceed %d bytes", MaxRefreshField)
	}
	var ptBuf [maxRefreshPlain]byte
	pt := append(ptBuf[:0], refreshVersion)
	pt = binary.AppendUvarint(pt, uint64(len(h.SessionID)))
	pt = append(pt, h.SessionID...)
	pt = binary.AppendVarint(pt, h.Gen)
	pt = binary.AppendUvarint(pt, uint64(len(h.PoolID)))
	pt = append(pt, h.PoolID...)

	var rnd [refreshEKLen + refreshIVLen]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", fmt.Errorf("token: reading random bytes: %w", err)
	}
	ek, iv := rnd[:refreshEKLen], rnd[refreshEKLen:]
	var sealed [maxRefreshPlain + refreshTagLen]byte
	ct := ks.sealRefresh.aead(ek).Seal(sealed[:0], iv, pt, refreshAAD)
	body, tag := ct[:len(pt)], ct[len(pt):]

	out := make([]byte, 0, len(refreshHeader)+refreshEKB64Len+refreshIVB64Len+
		b64.EncodedLen(len(body))+refreshTagB64Len+4)
	out = append(out, refreshHeader...)
	out = append(out, '.')
	out = b64.AppendEncode(out, ek)
	out = append(out, '.')
	out = b64.AppendEncode(out, iv)
	out = append(out, '.')
	out = b64.AppendEncode(out, body)
	out = append(out, '.')
	out = b64.AppendEncode(out, tag)
	return string(out), nil
}

// OpenRefresh authenticates and decrypts a refresh token, trying the current
// refresh key and then the retired ones. Anything that is not a token sealed
// by one of this key set's refresh keys, byte for byte, is ErrMalformed.
func (ks *KeySet) OpenRefresh(tok string) (RefreshHandle, error) {
	if len(tok) > maxRefreshTokenLen {
		return RefreshHandle{}, errRefreshShape
	}
	var seg [5]string
	rest := tok
	for i := range 4 {
		dot := strings.IndexByte(rest, '.')
		if dot < 0 {
			return RefreshHandle{}, errRefreshShape
		}
		seg[i], rest = rest[:dot], rest[dot+1:]
	}
	seg[4] = rest
	if seg[0] != refreshHeader || len(seg[1]) != refreshEKB64Len ||
		len(seg[2]) != refreshIVB64Len || len(seg[4]) != refreshTagB64Len ||
		len(seg[3]) == 0 || len(seg[3]) > maxRefreshCTB64 || strings.IndexByte(rest, '.') >= 0 {
		return RefreshHandle{}, errRefreshShape
	}

	var ek [refreshEKLen]byte
	var iv [refreshIVLen]byte
	var ctBuf [maxRefreshPlain + refreshTagLen]byte
	if !decodeB64Exact(ek[:], seg[1]) || !decodeB64Exact(iv[:], seg[2]) {
		return RefreshHandle{}, errRefreshShape
	}
	sealed, ok := appendB64(ctBuf[:0], seg[3])
	if !ok {
		return RefreshHandle{}, errRefreshShape
	}
	n := len(sealed)
	sealed = sealed[:n+refreshTagLen]
	if !decodeB64Exact(sealed[n:], seg[4]) {
		return RefreshHandle{}, errRefreshShape
	}

	// A separate output buffer: GCM wipes its output on failure, which must
	// not destroy the ciphertext before the next key is tried.
	var ptBuf [maxRefreshPlain]byte
	for _, rk := range ks.openRefresh {
		pt, err := rk.aead(ek[:]).Open(ptBuf[:0], iv[:], sealed, refreshAAD)
		if err != nil {
			continue
		}
		h, ok := decodeRefreshHandle(pt)
		if !ok {
			return RefreshHandle{}, errRefreshHandle
		}
		return h, nil
	}
	return RefreshHandle{}, errRefreshAuth
}

// decodeRefreshHandle parses an authenticated plaintext. It only ever sees
// bytes SealRefresh produced, but stays strict anyway.
func decodeRefreshHandle(pt []byte) (RefreshHandle, bool) {
	if len(pt) == 0 || pt[0] != refreshVersion {
		return RefreshHandle{}, false
	}
	pt = pt[1:]
	str := func() (string, bool) {
		l, n := binary.Uvarint(pt)
		if n <= 0 || l > MaxRefreshField || l > uint64(len(pt)-n) {
			return "", false
		}
		s := string(pt[n : n+int(l)])
		pt = pt[n+int(l):]
		return s, true
	}
	var h RefreshHandle
	var ok bool
	if h.SessionID, ok = str(); !ok {
		return RefreshHandle{}, false
	}
	gen, n := binary.Varint(pt)
	if n <= 0 {
		return RefreshHandle{}, false
	}
	h.Gen, pt = gen, pt[n:]
	if h.PoolID, ok = str(); !ok || len(pt) != 0 {
		return RefreshHandle{}, false
	}
	return h, true
}

// macLabelPrefix separates MACs from the refresh-token key derivation,
// which uses the same key.
const macLabelPrefix = "cognate mac v1\x00"

// MAC is HMAC-SHA256 under the pool's current refresh key of label and
// parts (each length-prefixed, so that no two inputs collide): a pool
// secret for values the server must recompute but nobody else may forge,
// such as the salt it shows for an unknown user or a login form's token.
// Every server of the pool computes the same MAC.
func (ks *KeySet) MAC(label string, parts ...[]byte) []byte {
	mac := ks.sealRefresh.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write([]byte(macLabelPrefix))
	writeField(mac, []byte(label))
	for _, p := range parts {
		writeField(mac, p)
	}
	out := mac.Sum(nil)
	ks.sealRefresh.macs.Put(mac)
	return out
}

func writeField(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}
