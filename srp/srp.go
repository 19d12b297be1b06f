package srp

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
)

// nHex is the 3072-bit MODP prime of RFC 5054 / RFC 3526 (group 15).
const nHex = "" +
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
	"29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
	"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D" +
	"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
	"83655D23DCA3AD961C62F356208552BB9ED529077096966D" +
	"670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9" +
	"DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
	"15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64" +
	"ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B" +
	"F12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
	"BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31" +
	"43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"

// infoBits is the HKDF info string of Cognito's key derivation.
const infoBits = "Caldera Derived Key"

// keyLen is the length of the derived session key in bytes.
const keyLen = 16

// SaltLen is the length in bytes of the salts made by [NewSalt].
const SaltLen = 16

// secretExponentBytes is the number of random bytes in the secret exponents
// a and b. 512 bits is well above the 2x-security-level guidance for
// short exponents in a safe-prime group (RFC 3526 suggests 260-380 bits for
// the 3072-bit group) and keeps the modular exponentiations cheap.
const secretExponentBytes = 64

// maxHexLen bounds the length of hex-encoded public values (SRP_A, SRP_B,
// SALT) accepted from the peer, so that oversized inputs cannot make the
// arithmetic expensive. Honest values are at most 770 digits long.
const maxHexLen = 1024

var (
	groupN = mustHex(nHex)
	groupG = big.NewInt(2)
	// groupK is k = H(padHex(N) || padHex(g)).
	groupK = hashInts(groupN, groupG)
)

// Errors returned when a peer's values are unusable. They are returned
// wrapped or as is; test with errors.Is.
var (
	// ErrInvalidA reports an SRP_A that is not a hex number or is 0 mod N.
	ErrInvalidA = errors.New("srp: invalid SRP_A")
	// ErrInvalidB reports an SRP_B that is not a hex number or is 0 mod N.
	ErrInvalidB = errors.New("srp: invalid SRP_B")
	// ErrInvalidSalt reports a SALT that is not a hex number.
	ErrInvalidSalt = errors.New("srp: invalid SALT")
	// ErrZeroU reports that the scrambling parameter u = H(A, B) is zero.
	ErrZeroU = errors.New("srp: scrambling parameter u is zero")
)

func mustHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("srp: bad constant")
	}
	return n
}

// padBytes returns the bytes that padHex(n) decodes to: the big-endian
// magnitude of the non-negative n, at least one byte, with a 0x00 byte
// prepended when the top bit is set.
func padBytes(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		return append([]byte{0}, b...)
	}
	return b
}

// padHex is the hex form of padBytes: lowercase, even length, with "00"
// prepended when the first nibble is 8 or more.
func padHex(n *big.Int) string {
	return hex.EncodeToString(padBytes(n))
}

// hashInts returns H(padHex(n0) || padHex(n1) || ...) as an integer.
func hashInts(ns ...*big.Int) *big.Int {
	h := sha256.New()
	for _, n := range ns {
		h.Write(padBytes(n))
	}
	return new(big.Int).SetBytes(h.Sum(nil))
}

// parseHex parses a non-negative hex number as sent by a peer: one or more
// hex digits of either case, no sign, no prefix, at most maxHexLen digits.
func parseHex(s string) (*big.Int, bool) {
	if len(s) == 0 || len(s) > maxHexLen {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return nil, false
		}
	}
	return new(big.Int).SetString(s, 16)
}

// PoolName returns the part of a pool id after "_" (e.g. "us-east-1_AbC" ->
// "AbC"), the poolName that enters x and the password claim signature. Like
// the JavaScript clients (poolId.split("_")[1]) it stops at a second
// underscore, if any. A pool id without an underscore is returned unchanged.
func PoolName(poolID string) string {
	_, after, found := strings.Cut(poolID, "_")
	if !found {
		return poolID
	}
	name, _, _ := strings.Cut(after, "_")
	return name
}

// NewSalt returns SaltLen (16) random bytes (Cognito-like). Send it to clients
// as [SaltHex].
func NewSalt() ([]byte, error) {
	salt := make([]byte, SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	return salt, nil
}

// SaltHex returns the SALT challenge parameter for a raw salt: padHex of the
// salt read as a big-endian integer (leading zero bytes dropped, "00"
// prepended when the first nibble is 8 or more). This is the form for which
// every known client hashes the same bytes as [Verifier].
func SaltHex(salt []byte) string {
	return padHex(new(big.Int).SetBytes(salt))
}

// computeX returns x = H(padHex(salt) || hex(SHA-256(poolName ||
// userIDForSRP || ":" || password))).
func computeX(poolName, userIDForSRP, password string, salt *big.Int) *big.Int {
	inner := sha256.New()
	inner.Write([]byte(poolName))
	inner.Write([]byte(userIDForSRP))
	inner.Write([]byte{':'})
	inner.Write([]byte(password))
	// The hex digest decodes back to the raw digest bytes.
	outer := sha256.New()
	outer.Write(padBytes(salt))
	outer.Write(inner.Sum(nil))
	return new(big.Int).SetBytes(outer.Sum(nil))
}

// Verifier computes v = g^x mod N for the user, with x = H(padHex(salt) ||
// hex(SHA256(poolName || userIDForSRP || ":" || password))), where salt is
// the raw salt read as a big-endian integer (see [SaltHex]). poolName is
// [PoolName] of the pool id; userIDForSRP is the value the server will send
// as USER_ID_FOR_SRP.
func Verifier(poolName, userIDForSRP, password string, salt []byte) *big.Int {
	x := computeX(poolName, userIDForSRP, password, new(big.Int).SetBytes(salt))
	return new(big.Int).Exp(groupG, x, groupN)
}

// DecoyVerifier derives, without a modular exponentiation, a value in
// [2, N) that a server can use in place of a verifier for a user that does
// not exist: the same seed gives the same value, and the server's work with
// it costs what it costs with a real verifier, so neither the answer nor
// its timing tells an unknown user from a known one. Nobody can sign in
// with it: the password it would stand for is unknowable.
func DecoyVerifier(seed []byte) *big.Int {
	var buf []byte
	for i := byte(0); len(buf) < len(groupN.Bytes())+16; i++ {
		h := sha256.New()
		h.Write([]byte("cognate srp decoy verifier"))
		h.Write([]byte{i})
		h.Write(seed)
		buf = h.Sum(buf)
	}
	v := new(big.Int).SetBytes(buf)
	v.Mod(v, new(big.Int).Sub(groupN, big.NewInt(2)))
	return v.Add(v, big.NewInt(2))
}

// randomExponent returns a random non-zero secret exponent.
func randomExponent() (*big.Int, error) {
	buf := make([]byte, secretExponentBytes)
	for {
		if _, err := rand.Read(buf); err != nil {
			return nil, err
		}
		e := new(big.Int).SetBytes(buf)
		e.Mod(e, groupN)
		if e.Sign() != 0 {
			return e, nil
		}
	}
}

// computeU returns u = H(padHex(A) || padHex(B)), or ErrZeroU.
func computeU(a, b *big.Int) (*big.Int, error) {
	u := hashInts(a, b)
	if u.Sign() == 0 {
		return nil, ErrZeroU
	}
	return u, nil
}

// deriveKey returns the first 16 bytes of HKDF-SHA256(ikm = padHex(S),
// salt = padHex(u), info = "Caldera Derived Key").
func deriveKey(s, u *big.Int) []byte {
	key, err := hkdf.Key(sha256.New, padBytes(s), padBytes(u), infoBits, keyLen)
	if err != nil {
		// Only possible for lengths HKDF cannot produce; 16 is always fine.
		panic("srp: hkdf: " + err.Error())
	}
	return key
}
