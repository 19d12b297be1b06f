package token

import "encoding/base64"

// b64 is the only base64 flavour tokens use: base64url without padding.
var b64 = base64.RawURLEncoding

// b64Values maps a base64url character to its value, 0xff for anything
// else.
var b64Values = func() (t [256]byte) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range t {
		t[i] = 0xff
	}
	for i := range len(alphabet) {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// appendB64 decodes the unpadded base64url string s and appends the bytes to
// dst. It accepts only the canonical spelling: no padding, no line breaks
// (which encoding/base64 silently skips even in strict mode), no other
// characters, and zero unused bits in the last character. That gives every
// token exactly one accepted string form. It works on a string so callers
// need not copy token segments into byte slices first.
func appendB64(dst []byte, s string) ([]byte, bool) {
	if len(s)%4 == 1 {
		return dst, false
	}
	i := 0
	for ; i+4 <= len(s); i += 4 {
		a, b, c, d := b64Values[s[i]], b64Values[s[i+1]], b64Values[s[i+2]], b64Values[s[i+3]]
		if a|b|c|d == 0xff {
			return dst, false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
	}
	switch len(s) - i {
	case 2:
		a, b := b64Values[s[i]], b64Values[s[i+1]]
		if a|b == 0xff || b&0x0f != 0 {
			return dst, false
		}
		dst = append(dst, a<<2|b>>4)
	case 3:
		a, b, c := b64Values[s[i]], b64Values[s[i+1]], b64Values[s[i+2]]
		if a|b|c == 0xff || c&0x03 != 0 {
			return dst, false
		}
		v := uint32(a)<<12 | uint32(b)<<6 | uint32(c)
		dst = append(dst, byte(v>>10), byte(v>>2))
	}
	return dst, true
}

// decodeB64Exact decodes s into dst and reports whether it was valid and
// filled dst exactly.
func decodeB64Exact(dst []byte, s string) bool {
	if len(s) != b64.EncodedLen(len(dst)) {
		return false
	}
	out, ok := appendB64(dst[:0], s)
	return ok && len(out) == len(dst)
}
