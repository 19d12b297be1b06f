package sigv4_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/internal/sigv4"
)

// TestSDKClientThroughHTTPServer sends AdminGetUser from the real
// cognitoidentityprovider client over a real HTTP connection and verifies it
// server-side.
func TestSDKClientThroughHTTPServer(t *testing.T) {
	v := mustVerifier(t, sigv4.Config{Credentials: map[string]string{testAKID: testSecret}, Service: testService,
		Region: "eu-central-1"})

	var mu sync.Mutex
	var seenAuth, seenRegion string
	var seenSigned []string
	var seenHeaders http.Header

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		res, verr := v.VerifyRequest(r, body)
		mu.Lock()
		seenAuth = r.Header.Get("Authorization")
		seenHeaders = r.Header.Clone()
		if res != nil {
			seenSigned, seenRegion = res.SignedHeaders, res.Region
		}
		mu.Unlock()

		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if verr != nil {
			var e *sigv4.Error
			if !errors.As(verr, &e) {
				t.Errorf("non-*Error from verifier: %v", verr)
			}
			w.Header().Set("X-Amzn-ErrorType", e.Code)
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
			return
		}
		if got := r.Header.Get("X-Amz-Target"); got != "AWSCognitoIdentityProviderService.AdminGetUser" {
			t.Errorf("X-Amz-Target = %q", got)
		}
		_, _ = io.WriteString(w, "{}")
	}))
	defer srv.Close()

	call := func(secret string) error {
		client := cip.New(cip.Options{
			Region:           "eu-central-1",
			BaseEndpoint:     aws.String(srv.URL),
			Credentials:      staticCredentials(testAKID, secret),
			RetryMaxAttempts: 1,
		})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := client.AdminGetUser(ctx, &cip.AdminGetUserInput{
			UserPoolId: aws.String("eu-central-1_pool"),
			Username:   aws.String("alice"),
		})
		return err
	}

	if err := call(testSecret); err != nil {
		t.Fatalf("AdminGetUser with the right secret: %v", err)
	}
	mu.Lock()
	t.Logf("SDK Authorization: %s", seenAuth)
	t.Logf("SDK request headers: %v", seenHeaders)
	for _, h := range append(sigv4.RequiredSignedHeaders(), "content-type", "content-length") {
		if !contains(seenSigned, h) {
			t.Errorf("expected the SDK to sign %q; signed = %v", h, seenSigned)
		}
	}
	if seenRegion != "eu-central-1" {
		t.Errorf("region = %q", seenRegion)
	}
	mu.Unlock()

	err := call("not-the-secret")
	if err == nil {
		t.Fatal("AdminGetUser with the wrong secret succeeded")
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %T is not a smithy.APIError: %v", err, err)
	}
	if apiErr.ErrorCode() != sigv4.CodeInvalidSignature {
		t.Fatalf("ErrorCode() = %q (%v)", apiErr.ErrorCode(), err)
	}
	if !strings.Contains(apiErr.ErrorMessage(), "does not match the signature") {
		t.Fatalf("ErrorMessage() = %q", apiErr.ErrorMessage())
	}
}

// staticCredentials is a fixed credentials provider. (The
// github.com/aws/aws-sdk-go-v2/credentials module, whose
// NewStaticCredentialsProvider does the same, is not a dependency of this
// module, so the aws package's provider func is used instead.)
func staticCredentials(akid, secret string) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, Source: "test"}, nil
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestSignedRequestsOverTheWire signs requests client-side with the SDK
// signer and sends them over a real connection, so the verifier sees the
// path, query and headers exactly as Go's HTTP server parses them.
func TestSignedRequestsOverTheWire(t *testing.T) {
	v := mustVerifier(t, sigv4.Config{Credentials: map[string]string{testAKID: testSecret}, Service: testService,
		Region: testRegion})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := v.Verify(r, body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "{}")
	}))
	defer srv.Close()

	tests := []struct {
		name, path, body string
		header           http.Header
		tamperBody       bool
		wantOK           bool
	}{
		{name: "root", path: "/", body: testBody, wantOK: true},
		{name: "encoded path and query", path: "/a%20b/c+d/caf%C3%A9/%2F/x?z=1&a=%20sp&a=+plus&b=%2F&empty=", body: testBody, wantOK: true},
		{name: "repeated spaces and multi values", path: "/", body: testBody, wantOK: true,
			header: http.Header{"X-Custom": {"a    b  c"}, "X-Multi": {"1", "  2  ", "3"}}},
		{name: "empty body", path: "/", wantOK: true},
		{name: "body replaced in flight", path: "/", body: testBody, tamperBody: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			req, err := http.NewRequest(http.MethodPost, srv.URL+tc.path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", testTarget)
			for k, vs := range tc.header {
				req.Header[k] = vs
			}
			if err := v4SignNow(req, body); err != nil {
				t.Fatal(err)
			}
			if tc.tamperBody {
				other := strings.Replace(body, "alice", "bobby", 1)
				req.Body = io.NopCloser(strings.NewReader(other))
				req.GetBody = nil
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if ok := resp.StatusCode == http.StatusOK; ok != tc.wantOK {
				t.Fatalf("status %d (%s), want ok=%v", resp.StatusCode, msg, tc.wantOK)
			}
		})
	}
}
