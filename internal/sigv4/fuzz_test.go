package sigv4_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/sigv4"
)

// FuzzVerify feeds arbitrary Authorization headers, X-Amz-Date values and
// bodies to the verifier. It must never panic, must only fail with an
// *Error carrying one of the documented codes, and must never accept a body
// or date other than the ones that were actually signed.
func FuzzVerify(f *testing.F) {
	orig := signed(f, reqOpts{body: testBody})
	validAuth := orig.Header.Get("Authorization")
	validDate := orig.Header.Get("X-Amz-Date")

	f.Add(validAuth, validDate, []byte(testBody))
	f.Add(validAuth, validDate, []byte(testBody+" "))
	f.Add(validAuth, "20261123T123046Z", []byte(testBody))
	f.Add(strings.Replace(validAuth, ", ", ",", -1), validDate, []byte(testBody))
	f.Add("", validDate, []byte(nil))
	f.Add("AWS4-HMAC-SHA256", validDate, []byte{})
	f.Add("AWS4-HMAC-SHA256 ", "", []byte{0})
	f.Add("AWS4-HMAC-SHA256 Credential=", "x", []byte("{}"))
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=;;, Signature=", validDate, []byte("{}"))
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/cognito-idp/aws4_request,SignedHeaders=host;x-amz-date,Signature=00",
		validDate, []byte("{}"))
	f.Add("AWS4-HMAC-SHA256 =,=,=", "99999999T999999Z", []byte("\xff\xfe"))
	f.Add("AWS4-HMAC-SHA256\tCredential=\x00/\x00/\x00/\x00/\x00", "\n", []byte("a"))
	f.Add("Bearer x", validDate, []byte("a"))

	knownCodes := map[string]bool{
		sigv4.CodeMissingAuthenticationToken: true,
		sigv4.CodeUnrecognizedClient:         true,
		sigv4.CodeInvalidSignature:           true,
		sigv4.CodeIncompleteSignature:        true,
	}
	v := newVerifier(signTime)

	f.Fuzz(func(t *testing.T, auth, amzDate string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "https://cognito-idp.us-east-1.amazonaws.com/", bytes.NewReader(body))
		r.Header = orig.Header.Clone()
		// Assign directly so no header sanitising hides hostile values.
		r.Header["Authorization"] = []string{auth}
		r.Header["X-Amz-Date"] = []string{amzDate}
		r.ContentLength = int64(len(testBody))

		ak, err := v.Verify(r, body)
		if err == nil {
			if ak != testAKID {
				t.Fatalf("accepted with access key %q", ak)
			}
			if !bytes.Equal(body, []byte(testBody)) || amzDate != validDate {
				t.Fatalf("accepted a request that was not signed: date %q body %q", amzDate, body)
			}
			return
		}
		if ak != "" {
			t.Fatalf("access key %q returned with error %v", ak, err)
		}
		var e *sigv4.Error
		if !errors.As(err, &e) {
			t.Fatalf("error %T is not *sigv4.Error: %v", err, err)
		}
		if !knownCodes[e.Code] || e.Message == "" {
			t.Fatalf("unexpected error %+v", e)
		}
	})
}
