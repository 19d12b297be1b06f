package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Claims is the payload of a Cognito-style access or ID token.
//
// JSON encoding omits empty fields (Cognito omits jti and origin_jti when
// revocation is disabled). Extra holds everything else: user attributes of ID
// tokens on the way out, and every unknown claim on the way in.
type Claims struct {
	Sub       string // "sub"
	Iss       string // "iss"
	TokenUse  string // "token_use": UseAccess or UseID
	JTI       string // "jti"
	OriginJTI string // "origin_jti": one value per sign-in (token family)
	EventID   string // "event_id"

	// Access tokens.
	ClientID string // "client_id"
	Scope    string // "scope"
	Username string // "username"

	// ID tokens.
	Aud             string // "aud": a JSON string on the way out; a string or a one-element array on the way in
	CognitoUsername string // "cognito:username"

	DeviceKey string   // "device_key"
	Groups    []string // "cognito:groups", omitted when empty

	AuthTime  int64 // "auth_time", epoch seconds
	IssuedAt  int64 // "iat", epoch seconds
	ExpiresAt int64 // "exp", epoch seconds

	Version int // "version" (access tokens use 2); omitted when 0

	// Extra holds ID-token user attributes (email, email_verified as a bool,
	// custom:* as strings, ...), merged at the top level of the JSON object.
	// Keys that name a standard claim above are ignored when encoding, so
	// attributes can never override the standard claims.
	Extra map[string]any
}

// standardClaims lists the claim names that have a field in Claims. Extra
// entries with these names are never encoded.
var standardClaims = map[string]struct{}{
	"sub": {}, "iss": {}, "token_use": {}, "jti": {}, "origin_jti": {}, "event_id": {},
	"client_id": {}, "scope": {}, "username": {}, "aud": {}, "cognito:username": {},
	"device_key": {}, "cognito:groups": {}, "auth_time": {}, "iat": {}, "exp": {}, "version": {},
}

// MarshalJSON encodes the claims as a flat JSON object, omitting empty fields.
// Extra entries follow the standard claims in key order, so the output is
// deterministic.
func (c Claims) MarshalJSON() ([]byte, error) {
	return c.appendJSON(make([]byte, 0, 512), c.Iss)
}

// appendJSON appends the JSON object to dst with iss as the issuer. It is
// hand-written because it runs for every token minted: encoding/json's
// reflection would cost more than the rest of Sign apart from RSA.
func (c *Claims) appendJSON(dst []byte, iss string) ([]byte, error) {
	dst = append(dst, '{')
	first := true
	str := func(name, v string) {
		if v == "" {
			return
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, name)
		dst = append(dst, ':')
		dst = appendJSONString(dst, v)
	}
	num := func(name string, v int64) {
		if v == 0 {
			return
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, name)
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, v, 10)
	}

	// Roughly Cognito's own claim order.
	str("sub", c.Sub)
	if len(c.Groups) > 0 {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, `"cognito:groups":[`...)
		for i, g := range c.Groups {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, g)
		}
		dst = append(dst, ']')
	}
	str("iss", iss)
	num("version", int64(c.Version))
	str("client_id", c.ClientID)
	str("cognito:username", c.CognitoUsername)
	str("origin_jti", c.OriginJTI)
	str("aud", c.Aud)
	str("event_id", c.EventID)
	str("token_use", c.TokenUse)
	str("scope", c.Scope)
	str("device_key", c.DeviceKey)
	num("auth_time", c.AuthTime)
	num("exp", c.ExpiresAt)
	num("iat", c.IssuedAt)
	str("jti", c.JTI)
	str("username", c.Username)

	if len(c.Extra) > 0 {
		keys := make([]string, 0, len(c.Extra))
		for k := range c.Extra {
			if _, std := standardClaims[k]; !std {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSONValue(dst, c.Extra[k]); err != nil {
				// The claim name is caller data, not token content.
				return nil, fmt.Errorf("token: claim %q: %w", k, err)
			}
		}
	}
	return append(dst, '}'), nil
}

// appendJSONValue encodes an Extra value. The common attribute types are
// encoded directly; anything else goes through encoding/json.
func appendJSONValue(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendJSONString(dst, v), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Control characters, U+2028 and
// U+2029 are escaped and invalid UTF-8 becomes U+FFFD, as encoding/json does,
// so the output is always valid JSON that encoding/json decodes back to the
// same string.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

var (
	errNotObject   = errors.New("token: claims must be a JSON object")
	errInvalidJSON = errors.New("token: claims are not valid JSON")
	errWantString  = errors.New("want a string")
	errWantStrings = errors.New("want an array of strings")
	errWantInt     = errors.New("want an integer")
	errAudience    = errors.New("want a string or an array of one string")
)

// UnmarshalJSON decodes a claims object from untrusted input. It never
// panics; standard claims of the wrong JSON type are an error, and unknown
// claims land in Extra (decoded as encoding/json decodes into any). The
// receiver is reset first. A repeated claim name takes its last value.
//
// Claim names are matched exactly (encoding/json would match struct fields
// case-insensitively, letting "EXP" stand in for "exp").
func (c *Claims) UnmarshalJSON(data []byte) error {
	// encoding/json validates the whole input before calling here; repeat
	// it for direct callers. The scanner below relies on valid JSON.
	if !json.Valid(data) {
		return errInvalidJSON
	}
	return c.decode(string(data))
}

// decode parses a claims object from s, which must be valid JSON. Decoded
// strings without escapes are substrings of s, so decoding allocates little
// beyond s itself.
func (c *Claims) decode(s string) error {
	*c = Claims{}
	return forEachMember(s, func(k, v string) error {
		if err := c.setClaim(k, v); err != nil {
			// k is a claim or attribute name, not a credential.
			return fmt.Errorf("token: claim %q: %w", k, err)
		}
		return nil
	})
}

// forEachMember calls fn with the decoded name and raw value of each member
// of the JSON object s, which must be valid JSON; anything but an object is
// errNotObject. Every index is bounds-checked anyway, so a bug here yields
// an error rather than a panic.
func forEachMember(s string, fn func(name, value string) error) error {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return errNotObject
	}
	i++
	for {
		i = skipSpace(s, i)
		if i < len(s) && s[i] == ',' {
			i = skipSpace(s, i+1)
		}
		if i >= len(s) {
			return errInvalidJSON
		}
		if s[i] == '}' {
			return nil
		}
		nameEnd := skipValue(s, i)
		if nameEnd < 0 || s[i] != '"' {
			return errInvalidJSON
		}
		name, err := decodeString(s[i:nameEnd])
		if err != nil {
			return errInvalidJSON
		}
		i = skipSpace(s, nameEnd)
		if i >= len(s) || s[i] != ':' {
			return errInvalidJSON
		}
		i = skipSpace(s, i+1)
		end := skipValue(s, i)
		if end < 0 {
			return errInvalidJSON
		}
		if err := fn(name, s[i:end]); err != nil {
			return err
		}
		i = end
	}
}

// setClaim stores the raw JSON value v of claim k.
func (c *Claims) setClaim(k, v string) error {
	var err error
	switch k {
	case "sub":
		c.Sub, err = decodeString(v)
	case "iss":
		c.Iss, err = decodeString(v)
	case "token_use":
		c.TokenUse, err = decodeString(v)
	case "jti":
		c.JTI, err = decodeString(v)
	case "origin_jti":
		c.OriginJTI, err = decodeString(v)
	case "event_id":
		c.EventID, err = decodeString(v)
	case "client_id":
		c.ClientID, err = decodeString(v)
	case "scope":
		c.Scope, err = decodeString(v)
	case "username":
		c.Username, err = decodeString(v)
	case "aud":
		c.Aud, err = decodeAudience(v)
	case "cognito:username":
		c.CognitoUsername, err = decodeString(v)
	case "device_key":
		c.DeviceKey, err = decodeString(v)
	case "cognito:groups":
		c.Groups, err = decodeStrings(v)
	case "auth_time":
		c.AuthTime, err = decodeInt(v)
	case "iat":
		c.IssuedAt, err = decodeInt(v)
	case "exp":
		c.ExpiresAt, err = decodeInt(v)
	case "version":
		var n int64
		n, err = decodeInt(v)
		if err == nil && (n < math.MinInt32 || n > math.MaxInt32) {
			err = errWantInt
		}
		c.Version = int(n)
	default:
		var x any
		if x, err = decodeAny(v); err == nil {
			if c.Extra == nil {
				c.Extra = make(map[string]any)
			}
			c.Extra[k] = x
		}
	}
	return err
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at s[i], or -1.
// The input is known to be valid JSON, so the value's extent is all that is
// needed: strings end at an unescaped quote, containers at their matching
// bracket, literals at a delimiter.
func skipValue(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch s[i] {
	case '"':
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return -1
	case '{', '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				end := skipValue(s, j) // a string: no further recursion
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	default:
		j := i
		for j < len(s) {
			switch s[j] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return j
			}
			j++
		}
		return j
	}
}

// decodeString decodes a JSON string value (null means absent). Strings
// without escapes are returned as substrings, skipping encoding/json for the
// common case.
func decodeString(v string) (string, error) {
	if len(v) >= 2 && v[0] == '"' {
		inner := v[1 : len(v)-1]
		if strings.IndexByte(inner, '\\') < 0 && utf8.ValidString(inner) {
			return inner, nil
		}
		// Escapes or invalid UTF-8 (which encoding/json turns into U+FFFD).
		var out string
		if err := json.Unmarshal([]byte(v), &out); err != nil {
			return "", errWantString
		}
		return out, nil
	}
	if v == "null" {
		return "", nil
	}
	return "", errWantString
}

// decodeStrings decodes an array of strings (null means absent; an empty
// array decodes to nil so that decoding is stable across re-encoding).
func decodeStrings(v string) ([]string, error) {
	if v == "null" {
		return nil, nil
	}
	if len(v) < 2 || v[0] != '[' {
		return nil, errWantStrings
	}
	var out []string
	i := skipSpace(v, 1)
	for i < len(v) && v[i] != ']' {
		end := skipValue(v, i)
		if end < 0 || v[i] != '"' {
			return nil, errWantStrings
		}
		s, err := decodeString(v[i:end])
		if err != nil {
			return nil, errWantStrings
		}
		out = append(out, s)
		i = skipSpace(v, end)
		if i < len(v) && v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
	return out, nil
}

// decodeAudience accepts aud as a string or as an array. Cognito always
// issues a single audience; an array of more than one cannot be represented
// by Claims.Aud without silently dropping audiences, so it is rejected.
func decodeAudience(v string) (string, error) {
	if len(v) > 0 && v[0] == '[' {
		ss, err := decodeStrings(v)
		if err != nil || len(ss) > 1 {
			return "", errAudience
		}
		if len(ss) == 0 {
			return "", nil
		}
		return ss[0], nil
	}
	s, err := decodeString(v)
	if err != nil {
		return "", errAudience
	}
	return s, nil
}

// decodeInt decodes a NumericDate-style integer (null means absent). Integral
// floats such as 1.7e9 are accepted since JSON does not distinguish them.
func decodeInt(v string) (int64, error) {
	if v == "null" {
		return 0, nil
	}
	if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return 0, errWantInt
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	// The bounds are exact powers of two; values at or past them overflow int64.
	if err != nil || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, errWantInt
	}
	return int64(f), nil
}

// decodeAny decodes an unknown claim the way encoding/json decodes into
// any (numbers become float64), with the usual attribute types done inline.
func decodeAny(v string) (any, error) {
	switch {
	case v == "true":
		return true, nil
	case v == "false":
		return false, nil
	case v == "null":
		return nil, nil
	case len(v) > 0 && v[0] == '"':
		return decodeString(v)
	case len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')):
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, errors.New("number out of range")
		}
		return f, nil
	}
	var x any
	if err := json.Unmarshal([]byte(v), &x); err != nil {
		return nil, err
	}
	return x, nil
}
