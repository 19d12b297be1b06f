// Package sigv4 verifies AWS Signature Version 4 (AWS4-HMAC-SHA256)
// Authorization headers on incoming HTTP requests, the way an AWS JSON
// service such as Amazon Cognito User Pools ("cognito-idp") does.
//
// Only the header form of SigV4 is supported (no presigned query strings, no
// chunked/streaming payload signing, no SigV4a). A signature must cover what
// it authorizes: the host, the time and, as in every AWS JSON 1.1 call, the
// operation (X-Amz-Target); its credential scope must name the verifier's
// service and region; it is good for MaxClockSkew either side of its
// X-Amz-Date. The payload hash in the canonical request is always computed
// from the request body the caller hands in, so an unsigned-payload marker is
// never honoured, and an X-Amz-Content-Sha256 header that disagrees with the
// body is refused.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm the Verifier accepts.
const Algorithm = "AWS4-HMAC-SHA256"

// MaxClockSkew is how far the request's X-Amz-Date may lie from the
// verifier's clock, in either direction, before the request is rejected:
// AWS's five minutes, which is also how long a captured request replays.
const MaxClockSkew = 5 * time.Minute

// requiredSignedHeaders must all be listed in SignedHeaders. Without host
// and x-amz-date a signature could be replayed to another host or at another
// time; without x-amz-target, under another operation with the same body
// (AdminGetUser as AdminDisableUser).
var requiredSignedHeaders = [...]string{"host", "x-amz-date", "x-amz-target"}

// RequiredSignedHeaders returns the header names every signature must cover.
func RequiredSignedHeaders() []string { return append([]string(nil), requiredSignedHeaders[:]...) }

// requiredSignedHeaderMessages are AWS's words for a missing required
// signed header.
var requiredSignedHeaderMessages = map[string]string{
	"host":         "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
	"x-amz-date":   "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
	"x-amz-target": "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.",
}

// Error codes returned in Error.Code. They match the codes AWS JSON services
// put in the "__type" field of an error response.
const (
	// CodeMissingAuthenticationToken means the request has no
	// AWS4-HMAC-SHA256 Authorization header.
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	// CodeUnrecognizedClient means the access key id is not known.
	CodeUnrecognizedClient = "UnrecognizedClientException"
	// CodeInvalidSignature means the signature, the X-Amz-Date or the
	// payload hash is wrong.
	CodeInvalidSignature = "InvalidSignatureException"
	// CodeIncompleteSignature means the Authorization header is malformed
	// or its credential scope or signed-header list is unacceptable.
	CodeIncompleteSignature = "IncompleteSignatureException"
)

const (
	amzDateLayout   = "20060102T150405Z"
	scopeDateLayout = "20060102"
	scopeTerminator = "aws4_request"

	msgMissingToken     = "Missing Authentication Token"
	msgUnrecognized     = "The security token included in the request is invalid."
	msgSignatureInvalid = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// Error is a verification failure. Code is an AWS-style error code (one of
// the Code* constants) suitable for the "__type" of a JSON error response and
// Message is a human-readable explanation.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface as "Code: Message".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

func newError(code, msg string) *Error { return &Error{Code: code, Message: msg} }

func incomplete(format string, args ...any) *Error {
	return newError(CodeIncompleteSignature, fmt.Sprintf(format, args...))
}

// Result describes a successfully verified request.
type Result struct {
	// AccessKey is the access key id from the credential scope.
	AccessKey string
	// Region is the region named in the credential scope: always the
	// verifier's region.
	Region string
	// Time is the request's X-Amz-Date.
	Time time.Time
	// SignedHeaders is the list of header names covered by the signature,
	// as given in the Authorization header.
	SignedHeaders []string
}

// Config configures a Verifier.
type Config struct {
	// Credentials maps access key ids to secret access keys. It is copied.
	Credentials map[string]string
	// Service is the service name the credential scope must carry (for
	// Cognito User Pools, "cognito-idp").
	Service string
	// Region is the region the credential scope must carry (the server's
	// region, e.g. "us-east-1").
	Region string
	// Now supplies the current time for the clock-skew check; nil means
	// time.Now.
	Now func() time.Time
	// Logger, when set, receives every failed verification at warn level
	// with its reason and the access key id (never a secret or a
	// signature).
	Logger *slog.Logger
}

// Verifier checks SigV4-signed requests against a fixed set of credentials
// for one service in one region. It is safe for concurrent use.
type Verifier struct {
	creds   map[string]string
	service string
	region  string
	now     func() time.Time
	log     *slog.Logger
}

// New returns a Verifier for cfg. Service and Region are required, and so is
// at least one credential with a non-empty id and secret.
func New(cfg Config) (*Verifier, error) {
	if cfg.Service == "" {
		return nil, errors.New("sigv4: a service name is required")
	}
	if cfg.Region == "" {
		return nil, errors.New("sigv4: a region is required")
	}
	if len(cfg.Credentials) == 0 {
		return nil, errors.New("sigv4: at least one credential is required")
	}
	c := make(map[string]string, len(cfg.Credentials))
	for k, v := range cfg.Credentials {
		if k == "" || v == "" {
			return nil, errors.New("sigv4: a credential has an empty access key id or secret")
		}
		c[k] = v
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Verifier{creds: c, service: cfg.Service, region: cfg.Region, now: now, log: cfg.Logger}, nil
}

// Verify checks r's SigV4 Authorization header against body (the full
// request body, already read). It returns the access key id on success, or
// an *Error whose Code is one of the Code* constants.
func (v *Verifier) Verify(r *http.Request, body []byte) (accessKey string, err error) {
	res, err := v.VerifyRequest(r, body)
	if err != nil {
		return "", err
	}
	return res.AccessKey, nil
}

// VerifyRequest is like Verify but returns the full Result (access key id,
// region, signing time and signed headers). On failure the error is an
// *Error and the Result is nil; the failure is logged if the Verifier has a
// Logger.
func (v *Verifier) VerifyRequest(r *http.Request, body []byte) (*Result, error) {
	res, err := v.verify(r, body)
	if err != nil && v.log != nil {
		v.logFailure(r, err)
	}
	return res, err
}

// logFailure records a refused request: the reason, the access key id the
// request claimed, the operation and the peer. The Authorization header is
// not logged (it holds the signature), and no secret is ever at hand here.
func (v *Verifier) logFailure(r *http.Request, err error) {
	reason := err.Error()
	var e *Error
	if errors.As(err, &e) {
		reason = e.Code + ": " + e.Message
	}
	attrs := []any{"reason", reason, "access_key_id", claimedAccessKey(r)}
	if r != nil {
		attrs = append(attrs, "target", clip(r.Header.Get("X-Amz-Target")), "remote_addr", r.RemoteAddr)
	}
	v.log.Warn("admin authentication failed", attrs...)
}

// claimedAccessKey is the access key id in r's Authorization header, if one
// can be found, clipped: the part of the Credential component before its
// first slash.
func claimedAccessKey(r *http.Request) string {
	if r == nil {
		return ""
	}
	h := r.Header.Get("Authorization")
	i := strings.Index(h, "Credential=")
	if i < 0 {
		return ""
	}
	cred := h[i+len("Credential="):]
	if j := strings.IndexAny(cred, "/, \t"); j >= 0 {
		cred = cred[:j]
	}
	return clip(cred)
}

// clip bounds an untrusted value for a log line.
func clip(s string) string {
	const max = 128
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

func (v *Verifier) verify(r *http.Request, body []byte) (*Result, error) {
	if r == nil {
		return nil, newError(CodeMissingAuthenticationToken, msgMissingToken)
	}
	auth, err := parseAuthorization(r.Header)
	if err != nil {
		return nil, err
	}

	// Credential scope: AKID/YYYYMMDD/region/service/aws4_request.
	scope := strings.Split(auth.credential, "/")
	if len(scope) != 5 {
		return nil, incomplete("Credential must have exactly 5 slash-separated components: " +
			"<access key id>/<date>/<region>/<service>/aws4_request.")
	}
	akid, scopeDate, region, service, term := scope[0], scope[1], scope[2], scope[3], scope[4]
	switch {
	case akid == "":
		return nil, incomplete("Credential is missing the access key id.")
	case region == "":
		return nil, incomplete("Credential should be scoped to a valid region, not ''.")
	case term != scopeTerminator:
		return nil, incomplete("Credential should be scoped with a valid terminator: 'aws4_request', not %s.", quote(term))
	case service != v.service:
		return nil, incomplete("Credential should be scoped to correct service: '%s'.", v.service)
	case region != v.region:
		return nil, newError(CodeInvalidSignature, fmt.Sprintf(
			"Credential should be scoped to a valid region, not '%s'.", clipMessage(region)))
	}
	if !validScopeDate(scopeDate) {
		return nil, incomplete("Credential should be scoped to a valid date in YYYYMMDD format, not %s.", quote(scopeDate))
	}

	signed, err := parseSignedHeaders(auth.signedHeaders)
	if err != nil {
		return nil, err
	}

	secret, ok := v.creds[akid]
	if !ok {
		return nil, newError(CodeUnrecognizedClient, msgUnrecognized)
	}

	headers := lowerHeaders(r.Header)

	// X-Amz-Date: present, well formed, consistent with the scope, recent.
	dateVals, ok := headers["x-amz-date"]
	if !ok {
		return nil, newError(CodeInvalidSignature, "The request is missing the X-Amz-Date header.")
	}
	amzDate := canonicalValues(dateVals)
	reqTime, ok := parseAmzDate(amzDate)
	if !ok {
		return nil, newError(CodeInvalidSignature, fmt.Sprintf(
			"X-Amz-Date %s is not a valid ISO 8601 basic-format UTC timestamp (YYYYMMDD'T'HHMMSS'Z').", quote(amzDate)))
	}
	if scopeDate != amzDate[:8] {
		return nil, newError(CodeInvalidSignature, fmt.Sprintf(
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			scopeDate, amzDate[:8], amzDate))
	}
	now := v.now().UTC()
	skewMin := int(MaxClockSkew / time.Minute)
	if reqTime.Before(now.Add(-MaxClockSkew)) {
		return nil, newError(CodeInvalidSignature, fmt.Sprintf(
			"Signature expired: %s is now earlier than %s (%s - %d min.)",
			amzDate, now.Add(-MaxClockSkew).Format(amzDateLayout), now.Format(amzDateLayout), skewMin))
	}
	if reqTime.After(now.Add(MaxClockSkew)) {
		return nil, newError(CodeInvalidSignature, fmt.Sprintf(
			"Signature not yet current: %s is still later than %s (%s + %d min.)",
			amzDate, now.Add(MaxClockSkew).Format(amzDateLayout), now.Format(amzDateLayout), skewMin))
	}

	// Canonical headers, built from exactly the signed list.
	var ch strings.Builder
	for _, name := range signed {
		vals, ok := headers[name]
		if !ok {
			switch {
			case name == "host":
				vals = []string{requestHost(r)}
			case name == "content-length" && r.ContentLength > 0:
				// Client-side requests carry the length in ContentLength only.
				vals = []string{strconv.FormatInt(r.ContentLength, 10)}
			default:
				return nil, newError(CodeInvalidSignature, fmt.Sprintf(
					"Header %s is listed in SignedHeaders but is not present in the request.", quote(name)))
			}
		}
		ch.WriteString(name)
		ch.WriteByte(':')
		ch.WriteString(canonicalValues(vals))
		ch.WriteByte('\n')
	}

	// The canonical request always carries the real body's hash; a payload
	// hash header, signed or not, must agree with it.
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if vals, ok := headers["x-amz-content-sha256"]; ok {
		if canonicalValues(vals) != payloadHash {
			return nil, newError(CodeInvalidSignature,
				"The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
	}

	canonicalRequest := strings.Join([]string{
		r.Method,
		canonicalURI(r.URL),
		canonicalQuery(r.URL),
		ch.String(),
		auth.signedHeaders,
		payloadHash,
	}, "\n")

	credScope := scopeDate + "/" + region + "/" + service + "/" + scopeTerminator
	crHash := sha256.Sum256([]byte(canonicalRequest))
	stringToSign := Algorithm + "\n" + amzDate + "\n" + credScope + "\n" + hex.EncodeToString(crHash[:])

	key := hmacSHA256([]byte("AWS4"+secret), scopeDate)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, scopeTerminator)
	want := hex.EncodeToString(hmacSHA256(key, stringToSign))

	if !hmac.Equal([]byte(want), []byte(auth.signature)) {
		return nil, newError(CodeInvalidSignature, msgSignatureInvalid)
	}
	return &Result{AccessKey: akid, Region: region, Time: reqTime, SignedHeaders: signed}, nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// authHeader holds the three components of a SigV4 Authorization header.
type authHeader struct {
	credential, signedHeaders, signature string
}

// parseAuthorization extracts and syntax-checks the Authorization header.
func parseAuthorization(h http.Header) (*authHeader, error) {
	vals := h.Values("Authorization")
	if len(vals) == 0 {
		return nil, newError(CodeMissingAuthenticationToken, msgMissingToken)
	}
	if len(vals) > 1 {
		return nil, incomplete("The request contains more than one Authorization header.")
	}
	s := strings.TrimSpace(vals[0])
	alg, rest := s, ""
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		alg, rest = s[:i], s[i+1:]
	}
	if alg != Algorithm {
		return nil, newError(CodeMissingAuthenticationToken, msgMissingToken)
	}

	var a authHeader
	var seen [3]bool
	if strings.TrimSpace(rest) != "" {
		for _, part := range strings.Split(rest, ",") {
			part = strings.TrimSpace(part)
			k, val, ok := strings.Cut(part, "=")
			if !ok {
				return nil, incomplete("Authorization header component %s is not a key=value pair.", quote(part))
			}
			var idx int
			var dst *string
			switch k {
			case "Credential":
				idx, dst = 0, &a.credential
			case "SignedHeaders":
				idx, dst = 1, &a.signedHeaders
			case "Signature":
				idx, dst = 2, &a.signature
			default:
				return nil, incomplete("Authorization header contains an unknown component %s.", quote(k))
			}
			if seen[idx] {
				return nil, incomplete("Authorization header contains '%s' more than once.", k)
			}
			seen[idx] = true
			*dst = val
		}
	}

	var missing []string
	for _, c := range [...]struct {
		name    string
		present bool
	}{{"Credential", seen[0]}, {"Signature", seen[2]}, {"SignedHeaders", seen[1]}} {
		if !c.present {
			missing = append(missing, "Authorization header requires '"+c.name+"' parameter.")
		}
	}
	if len(missing) > 0 {
		return nil, incomplete("%s", strings.Join(missing, " "))
	}
	if a.credential == "" {
		return nil, incomplete("Authorization header has an empty 'Credential' parameter.")
	}
	if a.signedHeaders == "" {
		return nil, incomplete("Authorization header has an empty 'SignedHeaders' parameter.")
	}
	if a.signature == "" {
		return nil, incomplete("Authorization header has an empty 'Signature' parameter.")
	}
	return &a, nil
}

// parseSignedHeaders splits and validates the SignedHeaders list. Names must
// be non-empty lowercase header tokens without duplicates, and the list must
// cover requiredSignedHeaders.
func parseSignedHeaders(s string) ([]string, error) {
	names := strings.Split(s, ";")
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if !validHeaderName(n) {
			return nil, incomplete("SignedHeaders contains an invalid header name %s; names must be lowercase.", quote(n))
		}
		if seen[n] {
			return nil, incomplete("SignedHeaders contains %s more than once.", quote(n))
		}
		seen[n] = true
	}
	for _, req := range requiredSignedHeaders {
		if !seen[req] {
			return nil, newError(CodeIncompleteSignature, requiredSignedHeaderMessages[req])
		}
	}
	return names, nil
}

// validHeaderName reports whether n is a non-empty lowercase RFC 7230 token.
func validHeaderName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// lowerHeaders indexes h by lowercase name. Values of keys that differ only
// in case are merged (keys visited in sorted order so the result is
// deterministic).
func lowerHeaders(h http.Header) map[string][]string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string][]string, len(h))
	for _, k := range keys {
		lk := strings.ToLower(k)
		out[lk] = append(out[lk], h[k]...)
	}
	return out
}

// canonicalValues trims each value, collapses runs of spaces to one, and
// joins the values with commas.
func canonicalValues(vals []string) string {
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.TrimSpace(collapseSpaces(v)))
	}
	return b.String()
}

func collapseSpaces(s string) string {
	if !strings.Contains(s, "  ") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' && i > 0 && s[i-1] == ' ' {
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if r.URL != nil {
		return r.URL.Host
	}
	return ""
}

// canonicalURI returns the SigV4 canonical URI for a non-S3 service: the
// request's escaped path (as it appeared on the wire) URI-encoded once more,
// leaving '/' alone; "/" for an empty path.
func canonicalURI(u *url.URL) string {
	if u == nil {
		return "/"
	}
	p := u.EscapedPath()
	if u.Opaque != "" {
		// Opaque form, e.g. "//host/path": take the path after the authority.
		p = ""
		op := u.Opaque
		if i := strings.IndexByte(op, '?'); i >= 0 {
			op = op[:i]
		}
		op = strings.TrimPrefix(op, "//")
		if i := strings.IndexByte(op, '/'); i >= 0 {
			p = op[i:]
		}
	}
	if p == "" {
		return "/"
	}
	return uriEncode(p, false)
}

// canonicalQuery returns the SigV4 canonical query string: every name and
// value URI-encoded, pairs sorted by encoded name then encoded value.
// It is built from u.Query(), i.e. from the same parameters a Go handler
// will see.
func canonicalQuery(u *url.URL) string {
	if u == nil || u.RawQuery == "" {
		return ""
	}
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range u.Query() {
		ek := uriEncode(k, true)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, uriEncode(v, true)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// uriEncode percent-encodes (uppercase hex) every byte outside the RFC 3986
// unreserved set A-Z a-z 0-9 - . _ ~; '/' is kept unless encodeSlash.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xF])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// parseAmzDate parses a strict YYYYMMDD'T'HHMMSS'Z' timestamp.
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != len(amzDateLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(amzDateLayout, s)
	if err != nil || t.Format(amzDateLayout) != s {
		return time.Time{}, false
	}
	return t, true
}

func validScopeDate(s string) bool {
	if len(s) != len(scopeDateLayout) {
		return false
	}
	t, err := time.Parse(scopeDateLayout, s)
	return err == nil && t.Format(scopeDateLayout) == s
}

// clipMessage bounds an untrusted value quoted the AWS way ('value') in an
// error message: printable ASCII only, at most 64 bytes.
func clipMessage(s string) string {
	const max = 64
	out := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '\'' {
			return '?'
		}
		return r
	}, s)
	if len(out) > max {
		out = out[:max] + "..."
	}
	return out
}

// quote renders an untrusted value for an error message: Go-quoted and
// truncated so hostile input cannot bloat or break the message.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
