package sigv4_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cognate-dev/cognate/internal/sigv4"
)

const (
	testAKID    = "AKIDEXAMPLE"
	testSecret  = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testService = "cognito-idp"
	testRegion  = "us-east-1"
	testTarget  = "AWSCognitoIdentityProviderService.AdminCreateUser"
	testBody    = `{"UserPoolId":"us-east-1_abc","Username":"alice"}`
)

// signTime is the fixed signing time used by most tests.
var signTime = time.Date(2026, 11, 23, 12, 30, 45, 0, time.UTC)

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newVerifier(now time.Time) *sigv4.Verifier {
	v, err := sigv4.New(sigv4.Config{Credentials: map[string]string{
		testAKID:  testSecret,
		"AKOTHER": "other-secret",
	}, Service: testService, Region: testRegion, Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	return v
}

func mustVerifier(t testing.TB, cfg sigv4.Config) *sigv4.Verifier {
	t.Helper()
	v, err := sigv4.New(cfg)
	if err != nil {
		t.Fatalf("sigv4.New: %v", err)
	}
	return v
}

type reqOpts struct {
	method  string
	url     string
	body    string
	akid    string
	secret  string
	service string
	region  string
	at      time.Time
	mutate  func(r *http.Request) // applied before signing
}

// signed builds a Cognito-style request and signs it with the AWS SDK's
// independent SigV4 implementation.
func signed(t testing.TB, o reqOpts) *http.Request {
	t.Helper()
	if o.method == "" {
		o.method = http.MethodPost
	}
	if o.url == "" {
		o.url = "https://cognito-idp.us-east-1.amazonaws.com/"
	}
	if o.akid == "" {
		o.akid = testAKID
	}
	if o.secret == "" {
		o.secret = testSecret
	}
	if o.service == "" {
		o.service = testService
	}
	if o.region == "" {
		o.region = testRegion
	}
	if o.at.IsZero() {
		o.at = signTime
	}
	r := httptest.NewRequest(o.method, o.url, strings.NewReader(o.body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", testTarget)
	if o.mutate != nil {
		o.mutate(r)
	}
	err := v4.NewSigner().SignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: o.akid, SecretAccessKey: o.secret},
		r, hashHex([]byte(o.body)), o.service, o.region, o.at)
	if err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
	return r
}

func wantCode(t *testing.T, err error, code string) *sigv4.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("Verify succeeded, want %s", code)
	}
	var e *sigv4.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not *sigv4.Error", err, err)
	}
	if e.Code != code {
		t.Fatalf("code = %s (%s), want %s", e.Code, e.Message, code)
	}
	if e.Message == "" {
		t.Fatalf("empty message for %s", code)
	}
	return e
}

func TestVerifyAccepts(t *testing.T) {
	tests := []struct {
		name string
		o    reqOpts
	}{
		{name: "basic", o: reqOpts{body: testBody}},
		{name: "empty body", o: reqOpts{}},
		{name: "other key", o: reqOpts{body: testBody, akid: "AKOTHER", secret: "other-secret"}},
		{name: "query string", o: reqOpts{body: testBody,
			url: "https://example.test/?b=2&a=1&a=0&sp=x%20y&plus=a+b&enc=%2F%3D%26&empty=&novalue&%C3%A9=%E2%82%AC&tilde=~"}},
		{name: "path needing encoding", o: reqOpts{body: testBody,
			url: "https://example.test/some%20dir/a+b/$x@y:z/caf%C3%A9/%2Fslash/"}},
		{name: "path without trailing slash", o: reqOpts{body: testBody, url: "https://example.test/a/b"}},
		{name: "GET", o: reqOpts{method: http.MethodGet, url: "https://example.test/x?y=1"}},
		{name: "host with port", o: reqOpts{body: testBody, url: "http://127.0.0.1:9229/"}},
		{name: "repeated spaces", o: reqOpts{body: testBody, mutate: func(r *http.Request) {
			r.Header.Set("X-Custom", "  a   b  c    d  ")
			r.Header.Set("X-Amz-Target", "  "+testTarget+"   ")
		}}},
		{name: "multi-valued header", o: reqOpts{body: testBody, mutate: func(r *http.Request) {
			r.Header.Add("X-Multi", "one")
			r.Header.Add("X-Multi", "  two   too ")
			r.Header.Add("X-Multi", "three")
		}}},
		{name: "signed content sha256", o: reqOpts{body: testBody, mutate: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte(testBody)))
		}}},
		{name: "session token header", o: reqOpts{body: testBody, mutate: func(r *http.Request) {
			r.Header.Set("X-Amz-Security-Token", "tok")
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := signed(t, tc.o)
			res, err := newVerifier(signTime).VerifyRequest(r, []byte(tc.o.body))
			if err != nil {
				t.Fatalf("VerifyRequest: %v\nAuthorization: %s", err, r.Header.Get("Authorization"))
			}
			wantAK := testAKID
			if tc.o.akid != "" {
				wantAK = tc.o.akid
			}
			wantRegion := testRegion
			if tc.o.region != "" {
				wantRegion = tc.o.region
			}
			if res.AccessKey != wantAK || res.Region != wantRegion || !res.Time.Equal(signTime) {
				t.Fatalf("result = %+v", res)
			}
			ak, err := newVerifier(signTime).Verify(r, []byte(tc.o.body))
			if err != nil || ak != wantAK {
				t.Fatalf("Verify = %q, %v", ak, err)
			}
		})
	}
}

func TestVerifyClockSkewBoundary(t *testing.T) {
	r := signed(t, reqOpts{body: testBody})
	for _, d := range []time.Duration{-5 * time.Minute, 0, 5 * time.Minute} {
		if _, err := newVerifier(signTime.Add(d)).Verify(r, []byte(testBody)); err != nil {
			t.Errorf("now = sign time %+v: %v", d, err)
		}
	}
}

func TestVerifyUnsignedHeaderChangeIgnored(t *testing.T) {
	r := signed(t, reqOpts{body: testBody, mutate: func(r *http.Request) {
		r.Header.Set("User-Agent", "aws-sdk-go-v2/1.0")
	}})
	if strings.Contains(r.Header.Get("Authorization"), "user-agent") {
		t.Fatal("SDK unexpectedly signed user-agent")
	}
	r.Header.Set("User-Agent", "something else")
	r.Header.Set("X-Amzn-Trace-Id", "added later")
	if _, err := newVerifier(signTime).Verify(r, []byte(testBody)); err != nil {
		t.Fatalf("changing unsigned headers must not matter: %v", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	type tc struct {
		name    string
		o       reqOpts
		now     time.Time // default signTime
		body    *string   // default o.body
		tamper  func(r *http.Request)
		code    string
		message string // substring
	}
	str := func(s string) *string { return &s }
	setAuth := func(v string) func(r *http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", v) }
	}
	editAuth := func(old, new string) func(r *http.Request) {
		return func(r *http.Request) {
			a := r.Header.Get("Authorization")
			if !strings.Contains(a, old) {
				panic("test bug: " + old + " not in " + a)
			}
			r.Header.Set("Authorization", strings.Replace(a, old, new, 1))
		}
	}
	const (
		missing    = sigv4.CodeMissingAuthenticationToken
		unknown    = sigv4.CodeUnrecognizedClient
		invalid    = sigv4.CodeInvalidSignature
		incomplete = sigv4.CodeIncompleteSignature
	)
	sigMismatch := "does not match the signature you provided"
	tests := []tc{
		{name: "wrong secret", o: reqOpts{body: testBody, secret: "nope"}, code: invalid, message: sigMismatch},
		{name: "unknown key", o: reqOpts{body: testBody, akid: "AKUNKNOWN"}, code: unknown,
			message: "The security token included in the request is invalid."},
		{name: "modified body", o: reqOpts{body: testBody}, body: str(`{"UserPoolId":"us-east-1_abc","Username":"mallory"}`),
			code: invalid, message: sigMismatch},
		{name: "body dropped", o: reqOpts{body: testBody}, body: str(""), code: invalid},
		{name: "modified content-type", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, code: invalid},
		{name: "modified x-amz-target", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) {
				r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.AdminDeleteUser")
			}, code: invalid, message: sigMismatch},
		{name: "extra value on signed header", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) { r.Header.Add("X-Amz-Target", "x") }, code: invalid},
		{name: "signed header removed", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) { r.Header.Del("X-Amz-Target") }, code: invalid, message: "x-amz-target"},
		{name: "replayed to another host", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) { r.Host = "evil.example" }, code: invalid},
		{name: "method changed", o: reqOpts{body: testBody}, tamper: func(r *http.Request) { r.Method = http.MethodPut }, code: invalid},
		{name: "path changed", o: reqOpts{body: testBody}, tamper: func(r *http.Request) { r.URL.Path = "/other" }, code: invalid},
		{name: "query added", o: reqOpts{body: testBody}, tamper: func(r *http.Request) { r.URL.RawQuery = "a=1" }, code: invalid},
		{name: "query value changed", o: reqOpts{body: testBody, url: "https://example.test/?a=1"},
			tamper: func(r *http.Request) { r.URL.RawQuery = "a=2" }, code: invalid},
		{name: "stale date", o: reqOpts{body: testBody}, now: signTime.Add(6 * time.Minute), code: invalid,
			message: "Signature expired: 20261123T123045Z is now earlier than 20261123T123145Z (20261123T123645Z - 5 min.)"},
		{name: "stale by a second", o: reqOpts{body: testBody}, now: signTime.Add(5*time.Minute + time.Second), code: invalid,
			message: "Signature expired: "},
		{name: "future date", o: reqOpts{body: testBody}, now: signTime.Add(-6 * time.Minute), code: invalid,
			message: "Signature not yet current: 20261123T123045Z is still later than 20261123T122945Z (20261123T122445Z + 5 min.)"},
		{name: "other region", o: reqOpts{body: testBody, region: "eu-west-3"}, code: invalid,
			message: "Credential should be scoped to a valid region, not 'eu-west-3'."},
		{name: "hostile region", o: reqOpts{body: testBody, region: "a'b\x01" + strings.Repeat("r", 100)}, code: invalid,
			message: "Credential should be scoped to a valid region, not 'a?b?" + strings.Repeat("r", 60) + "...'."},
		{name: "unsigned content sha256 mismatch", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte("something else"))) },
			code:   invalid, message: "The provided 'x-amz-content-sha256' header does not match what was computed."},
		{name: "unsigned content sha256 marker", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") }, code: invalid},
		{name: "x-amz-date changed", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20261123T123046Z") }, code: invalid, message: sigMismatch},
		{name: "x-amz-date other day than scope", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20261124T000000Z") },
			now:    time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), code: invalid, message: "Date in Credential scope does not match"},
		{name: "x-amz-date unparseable", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Date", "Mon, 23 Nov 2026 12:30:45 GMT") }, code: invalid,
			message: "X-Amz-Date"},
		{name: "x-amz-date invalid calendar date", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20261131T123045Z") }, code: invalid},
		{name: "x-amz-date missing", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) { r.Header.Del("X-Amz-Date") }, code: invalid, message: "X-Amz-Date"},
		{name: "x-amz-date twice", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) { r.Header.Add("X-Amz-Date", r.Header.Get("X-Amz-Date")) }, code: invalid},
		{name: "content sha256 mismatch", o: reqOpts{body: testBody, mutate: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte("something else")))
		}}, code: invalid, message: "x-amz-content-sha256"},
		{name: "unsigned payload marker", o: reqOpts{body: testBody, mutate: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		}}, code: invalid},
		{name: "wrong service", o: reqOpts{body: testBody, service: "dynamodb"}, code: incomplete,
			message: "Credential should be scoped to correct service: 'cognito-idp'."},

		{name: "missing authorization", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) { r.Header.Del("Authorization") }, code: missing, message: "Missing Authentication Token"},
		{name: "empty authorization", o: reqOpts{body: testBody}, tamper: setAuth(""), code: missing},
		{name: "bearer token", o: reqOpts{body: testBody}, tamper: setAuth("Bearer eyJhbGciOi"), code: missing},
		{name: "basic auth", o: reqOpts{body: testBody}, tamper: setAuth("Basic dXNlcjpwYXNz"), code: missing},
		{name: "sigv2-ish", o: reqOpts{body: testBody}, tamper: editAuth("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"), code: missing},
		{name: "lowercase algorithm", o: reqOpts{body: testBody}, tamper: editAuth("AWS4-HMAC-SHA256", "aws4-hmac-sha256"), code: missing},
		{name: "sigv4a", o: reqOpts{body: testBody}, tamper: editAuth("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"), code: missing},

		{name: "algorithm only", o: reqOpts{body: testBody}, tamper: setAuth("AWS4-HMAC-SHA256"), code: incomplete,
			message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."},
		{name: "algorithm and spaces", o: reqOpts{body: testBody}, tamper: setAuth("AWS4-HMAC-SHA256    "), code: incomplete},
		{name: "no signature", o: reqOpts{body: testBody}, tamper: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
		}, code: incomplete, message: "requires 'Signature' parameter"},
		{name: "empty signature", o: reqOpts{body: testBody}, tamper: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, "Signature=")+len("Signature=")])
		}, code: incomplete},
		{name: "truncated signature", o: reqOpts{body: testBody}, tamper: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-1])
		}, code: invalid},
		{name: "uppercase signature hex", o: reqOpts{body: testBody}, tamper: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			i := strings.Index(a, "Signature=") + len("Signature=")
			r.Header.Set("Authorization", a[:i]+strings.ToUpper(a[i:]))
		}, code: invalid},
		{name: "no credential", o: reqOpts{body: testBody}, tamper: editAuth("Credential=", "Credentials="), code: incomplete},
		{name: "duplicate component", o: reqOpts{body: testBody}, tamper: editAuth(", Signature=", ", Credential=x, Signature="),
			code: incomplete, message: "more than once"},
		{name: "component without equals", o: reqOpts{body: testBody}, tamper: editAuth(", Signature=", ", junk, Signature="), code: incomplete},
		{name: "trailing comma", o: reqOpts{body: testBody}, tamper: func(r *http.Request) {
			r.Header.Set("Authorization", r.Header.Get("Authorization")+",")
		}, code: incomplete},
		{name: "credential too few parts", o: reqOpts{body: testBody}, tamper: editAuth("/us-east-1/", "/"), code: incomplete},
		{name: "credential too many parts", o: reqOpts{body: testBody}, tamper: editAuth("/us-east-1/", "/us-east-1/x/"), code: incomplete},
		{name: "credential empty key", o: reqOpts{body: testBody}, tamper: editAuth("Credential="+testAKID, "Credential="), code: incomplete},
		{name: "credential bad terminator", o: reqOpts{body: testBody}, tamper: editAuth("aws4_request", "aws4_requesT"), code: incomplete},
		{name: "credential empty region", o: reqOpts{body: testBody}, tamper: editAuth("/us-east-1/", "//"), code: incomplete},
		{name: "credential bad date", o: reqOpts{body: testBody}, tamper: editAuth("/20261123/", "/2026112/"), code: incomplete},
		{name: "credential scope date differs", o: reqOpts{body: testBody}, tamper: editAuth("/20261123/", "/20261122/"),
			code: invalid, message: "'20261122' != '20261123'"},
		{name: "region changed", o: reqOpts{body: testBody}, tamper: editAuth("/us-east-1/", "/us-west-2/"), code: invalid},
		{name: "signed headers without host", o: reqOpts{body: testBody}, tamper: editAuth("host;", ""), code: incomplete,
			message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "signed headers without x-amz-date", o: reqOpts{body: testBody}, tamper: editAuth(";x-amz-date", ""),
			code: incomplete, message: "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "signed headers uppercase", o: reqOpts{body: testBody}, tamper: editAuth("host;", "Host;"), code: incomplete},
		{name: "signed headers duplicate", o: reqOpts{body: testBody}, tamper: editAuth("host;", "host;host;"), code: incomplete},
		{name: "signed headers empty name", o: reqOpts{body: testBody}, tamper: editAuth("host;", "host;;"), code: incomplete},
		{name: "signed headers with newline", o: reqOpts{body: testBody}, tamper: editAuth("host;", "host\nx;"), code: incomplete},
		{name: "signed headers without x-amz-target", o: reqOpts{body: testBody}, tamper: editAuth(";x-amz-target", ""),
			code: incomplete, message: "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "x-amz-target not signed", o: reqOpts{body: testBody, mutate: func(r *http.Request) { r.Header.Del("X-Amz-Target") }},
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Target", testTarget) }, code: incomplete,
			message: "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "signed header dropped from list", o: reqOpts{body: testBody}, tamper: editAuth(";content-type", ""), code: invalid},
		{name: "multiple authorization headers", o: reqOpts{body: testBody},
			tamper: func(r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) }, code: incomplete},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := signed(t, tc.o)
			if tc.tamper != nil {
				tc.tamper(r)
			}
			body := tc.o.body
			if tc.body != nil {
				body = *tc.body
			}
			now := tc.now
			if now.IsZero() {
				now = signTime
			}
			ak, err := newVerifier(now).Verify(r, []byte(body))
			if ak != "" {
				t.Errorf("access key %q returned with error", ak)
			}
			e := wantCode(t, err, tc.code)
			if tc.message != "" && !strings.Contains(e.Message, tc.message) {
				t.Errorf("message %q does not contain %q", e.Message, tc.message)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	_, err := newVerifier(signTime).Verify(r, nil)
	if got, want := err.Error(), "MissingAuthenticationTokenException: Missing Authentication Token"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if _, err := newVerifier(signTime).Verify(nil, nil); err == nil {
		t.Fatal("nil request accepted")
	}
}

func TestInvalidSignatureMessage(t *testing.T) {
	r := signed(t, reqOpts{body: testBody, secret: "wrong"})
	_, err := newVerifier(signTime).Verify(r, []byte(testBody))
	e := wantCode(t, err, sigv4.CodeInvalidSignature)
	const want = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	if e.Message != want {
		t.Fatalf("message = %q", e.Message)
	}
}

func TestNewCopiesCredentialsAndDefaultsClock(t *testing.T) {
	creds := map[string]string{testAKID: testSecret}
	v := mustVerifier(t, sigv4.Config{Credentials: creds, Service: testService, Region: testRegion})
	delete(creds, testAKID)
	now := time.Now().UTC().Truncate(time.Second)
	r := signed(t, reqOpts{body: testBody, at: now})
	if _, err := v.Verify(r, []byte(testBody)); err != nil {
		t.Fatalf("Verify with default clock: %v", err)
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	creds := map[string]string{testAKID: testSecret}
	for name, cfg := range map[string]sigv4.Config{
		"no service":     {Credentials: creds, Region: testRegion},
		"no region":      {Credentials: creds, Service: testService},
		"no credentials": {Service: testService, Region: testRegion},
		"empty secret":   {Credentials: map[string]string{testAKID: ""}, Service: testService, Region: testRegion},
		"empty key id":   {Credentials: map[string]string{"": testSecret}, Service: testService, Region: testRegion},
	} {
		if v, err := sigv4.New(cfg); err == nil || v != nil {
			t.Errorf("%s: New = %v, %v; want an error", name, v, err)
		}
	}
}

// TestFailureLogged: a refused request is logged at warn level with the
// reason and the claimed access key id; the secret and the signature are not
// in the log, and an accepted request logs nothing.
func TestFailureLogged(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v := mustVerifier(t, sigv4.Config{Credentials: map[string]string{testAKID: testSecret}, Service: testService,
		Region: testRegion, Now: func() time.Time { return signTime }, Logger: log})

	if _, err := v.Verify(signed(t, reqOpts{body: testBody}), []byte(testBody)); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("an accepted request was logged: %s", buf.String())
	}

	r := signed(t, reqOpts{body: testBody, secret: "wrong-secret"})
	r.RemoteAddr = "192.0.2.7:4242"
	if _, err := v.Verify(r, []byte(testBody)); err == nil {
		t.Fatal("wrong secret accepted")
	}
	line := buf.String()
	auth := r.Header.Get("Authorization")
	sig := auth[strings.Index(auth, "Signature=")+len("Signature="):]
	for _, want := range []string{"level=WARN", `msg="admin authentication failed"`, "access_key_id=" + testAKID,
		"InvalidSignatureException", "target=" + testTarget, "remote_addr=192.0.2.7:4242"} {
		if !strings.Contains(line, want) {
			t.Errorf("log lacks %q: %s", want, line)
		}
	}
	for _, secret := range []string{testSecret, "wrong-secret", sig} {
		if strings.Contains(line, secret) {
			t.Errorf("log contains %q: %s", secret, line)
		}
	}

	buf.Reset()
	r = signed(t, reqOpts{body: testBody, region: "eu-west-1"})
	if _, err := v.Verify(r, []byte(testBody)); err == nil {
		t.Fatal("wrong region accepted")
	}
	if !strings.Contains(buf.String(), "not 'eu-west-1'") || !strings.Contains(buf.String(), "access_key_id="+testAKID) {
		t.Errorf("wrong region log: %s", buf.String())
	}

	buf.Reset()
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(testBody))
	if _, err := v.Verify(r, []byte(testBody)); err == nil {
		t.Fatal("unsigned request accepted")
	}
	if !strings.Contains(buf.String(), "MissingAuthenticationTokenException") {
		t.Errorf("unsigned request log: %s", buf.String())
	}
}

func v4SignNow(r *http.Request, body string) error {
	return v4.NewSigner().SignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret},
		r, hashHex([]byte(body)), testService, testRegion, time.Now())
}
