package srp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"
)

// Signature computes the PASSWORD_CLAIM_SIGNATURE:
// base64(HMAC-SHA256(key, poolName || userIDForSRP || secretBlock ||
// timestamp)), where secretBlock is the raw (base64-decoded) SECRET_BLOCK and
// timestamp is the TIMESTAMP string exactly as sent.
func Signature(key []byte, poolName, userIDForSRP string, secretBlock []byte, timestamp string) string {
	return base64.StdEncoding.EncodeToString(signatureBytes(key, poolName, userIDForSRP, secretBlock, timestamp))
}

// signatureBytes returns the raw HMAC behind [Signature].
func signatureBytes(key []byte, poolName, userIDForSRP string, secretBlock []byte, timestamp string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(poolName))
	m.Write([]byte(userIDForSRP))
	m.Write(secretBlock)
	m.Write([]byte(timestamp))
	return m.Sum(nil)
}

// VerifySignature reports whether signature is the base64 PASSWORD_CLAIM_SIGNATURE
// that [Signature] computes for these inputs. The comparison is constant time
// (hmac.Equal on the decoded bytes); malformed base64 yields false.
func VerifySignature(key []byte, poolName, userIDForSRP string, secretBlock []byte, timestamp, signature string) bool {
	got, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return false
	}
	return hmac.Equal(got, signatureBytes(key, poolName, userIDForSRP, secretBlock, timestamp))
}

// timestampLayout is the Java Date.toString form that the clients send, with
// the day of month not padded.
const timestampLayout = "Mon Jan 2 15:04:05 UTC 2006"

// timestampLayoutSpace accepts a space-padded day of month ("Nov  3").
const timestampLayoutSpace = "Mon Jan _2 15:04:05 UTC 2006"

// FormatTimestamp formats t in UTC like the clients' TIMESTAMP, e.g.
// "Mon Nov 3 08:10:29 UTC 2026": English day and month abbreviations, day of
// month not padded, 24-hour zero-padded time.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format(timestampLayout)
}

// ParseTimestamp parses a TIMESTAMP as formatted by [FormatTimestamp]. It
// also accepts a zero-padded ("03") or space-padded (" 3") day of month. The
// day-of-week name must be a valid abbreviation but, as with Java's lenient
// date parsing, it is not checked against the date. The result is in UTC.
func ParseTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(timestampLayout, s)
	if err != nil {
		t2, err2 := time.Parse(timestampLayoutSpace, s)
		if err2 != nil {
			return time.Time{}, fmt.Errorf("srp: invalid timestamp %.80q", s)
		}
		t = t2
	}
	return t.UTC(), nil
}
