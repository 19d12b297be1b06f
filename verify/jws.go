package verify

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// MaxTokenSize bounds the tokens Verify looks at; larger ones are ErrMalformed.
const MaxTokenSize = 16 << 10

// jws is a compact JWS split into its parts, not yet verified.
type jws struct {
	signingInput string // header.payload
	header       string
	payload      string
	signature    string
}

var (
	errTooLarge   = fmt.Errorf("%w: token too large", ErrMalformed)
	errSegments   = fmt.Errorf("%w: not three base64url segments", ErrMalformed)
	errHeader     = fmt.Errorf("%w: header is not a base64url JSON object", ErrMalformed)
	errCrit       = fmt.Errorf("%w: critical header parameters are not supported", ErrMalformed)
	errPayload    = fmt.Errorf("%w: claims are not a base64url JSON object", ErrMalformed)
	errAlg        = fmt.Errorf("%w: algorithm is not RS256", ErrSignature)
	errNoKid      = fmt.Errorf("%w: no kid", ErrSignature)
	errUnknownKid = fmt.Errorf("%w: unknown kid", ErrSignature)
	errSigB64     = fmt.Errorf("%w: signature is not base64url", ErrSignature)
	errSigVerify  = fmt.Errorf("%w: signature does not verify", ErrSignature)
)

// splitJWS splits a compact JWS without decoding it.
func splitJWS(raw string) (jws, error) {
	if len(raw) > MaxTokenSize {
		return jws{}, errTooLarge
	}
	h, rest, ok := strings.Cut(raw, ".")
	if !ok {
		return jws{}, errSegments
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(s, '.') >= 0 || h == "" || p == "" || s == "" {
		return jws{}, errSegments
	}
	return jws{signingInput: raw[:len(h)+1+len(p)], header: h, payload: p, signature: s}, nil
}

// parseHeader decodes the header and returns its kid once alg is RS256.
// Member names are matched exactly ("ALG" is not alg).
func parseHeader(seg string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return "", errHeader
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return "", errHeader
	}
	if _, ok := m["crit"]; ok {
		return "", errCrit
	}
	var alg, kid string
	if raw, ok := m["alg"]; !ok || json.Unmarshal(raw, &alg) != nil || alg != "RS256" {
		return "", errAlg
	}
	if raw, ok := m["kid"]; !ok || json.Unmarshal(raw, &kid) != nil || kid == "" {
		return "", errNoKid
	}
	return kid, nil
}

// verifyRS256 checks the RSASSA-PKCS1-v1_5 SHA-256 signature of t with pub.
func verifyRS256(t jws, pub *rsa.PublicKey) error {
	sig, err := base64.RawURLEncoding.DecodeString(t.signature)
	if err != nil || len(sig) != pub.Size() {
		return errSigB64
	}
	digest := sha256.Sum256([]byte(t.signingInput))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) != nil {
		return errSigVerify
	}
	return nil
}

// decodePayload decodes the claims object of an authentic token; numbers
// stay json.Number so that large values keep their precision.
func decodePayload(seg string) (map[string]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, errPayload
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil || d.More() {
		return nil, errPayload
	}
	return m, nil
}
