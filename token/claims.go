package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
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

// errNotObject is returned by UnmarshalJSON for JSON that is not an object.
var errNotObject = errors.New("token: claims must be a JSON object")

// UnmarshalJSON decodes a claims object from untrusted input. It never
// panics; standard claims of the wrong JSON type are an error, and unknown
// claims land in Extra. The receiver is reset first.
//
// Claim names are matched exactly (encoding/json would match struct fields
// case-insensitively, letting "EXP" stand in for "exp").
func (c *Claims) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	if m == nil { // the literal null
		return errNotObject
	}
	*c = Claims{}
	for k, v := range m {
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
				err = errors.New("out of range")
			}
			c.Version = int(n)
		default:
			var x any
			if err = json.Unmarshal(v, &x); err == nil {
				if c.Extra == nil {
					c.Extra = make(map[string]any)
				}
				c.Extra[k] = x
			}
		}
		if err != nil {
			// k is a fixed claim name here or an attribute name; either way
			// not a credential.
			return fmt.Errorf("token: claim %q: %w", k, err)
		}
	}
	return nil
}

var (
	errWantString  = errors.New("want a string")
	errWantStrings = errors.New("want an array of strings")
	errWantInt     = errors.New("want an integer")
	errAudience    = errors.New("want a string or an array of one string")
	jsonNull       = []byte("null")
)

// decodeString decodes a JSON string (null means absent). Strings without
// escapes are sliced directly, skipping encoding/json for the common case.
func decodeString(v json.RawMessage) (string, error) {
	if len(v) >= 2 && v[0] == '"' {
		inner := v[1 : len(v)-1]
		// The whole object was already validated by json.Unmarshal, so a
		// string without backslashes is exactly its bytes, if valid UTF-8.
		if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			return string(inner), nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", errWantString
		}
		return s, nil
	}
	if bytes.Equal(v, jsonNull) {
		return "", nil
	}
	return "", errWantString
}

// decodeStrings decodes an array of strings (null means absent; an empty
// array decodes to nil so that decoding is stable across re-encoding).
func decodeStrings(v json.RawMessage) ([]string, error) {
	var ss []string
	if err := json.Unmarshal(v, &ss); err != nil {
		return nil, errWantStrings
	}
	if len(ss) == 0 {
		return nil, nil
	}
	return ss, nil
}

// decodeAudience accepts aud as a string or as an array. Cognito always
// issues a single audience; an array of more than one cannot be represented
// by Claims.Aud without silently dropping audiences, so it is rejected.
func decodeAudience(v json.RawMessage) (string, error) {
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
func decodeInt(v json.RawMessage) (int64, error) {
	if bytes.Equal(v, jsonNull) {
		return 0, nil
	}
	if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return 0, errWantInt
	}
	if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(string(v), 64)
	// The bounds are exact powers of two; values at or past them overflow int64.
	if err != nil || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, errWantInt
	}
	return int64(f), nil
}
