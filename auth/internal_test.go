package auth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

func jwtWith(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(payload)) + "." + enc([]byte("sig"))
}

func TestDecodeClaims(t *testing.T) {
	c, err := decodeClaims(jwtWith(`{"sub":"s","username":"u","origin_jti":"o","exp":1700000000.5}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Sub != "s" || c.name() != "u" || c.OriginJTI != "o" || !c.expiry().Equal(time.Unix(1700000000, 5e8)) {
		t.Fatalf("claims = %+v", c)
	}
	if c, _ := decodeClaims(jwtWith(`{"cognito:username":"idname"}`)); c.name() != "idname" {
		t.Fatal("ID token user name")
	}
	for _, bad := range []string{"", "a.b", "a.!!!.c", jwtWith("not json"), "a.b.c.d.e"} {
		if _, err := decodeClaims(bad); err == nil {
			t.Errorf("decodeClaims(%q) succeeded", bad)
		}
	}
}

func TestRevocationEnabledGate(t *testing.T) {
	if !revocationEnabled(jwtWith(`{"origin_jti":"abc"}`)) {
		t.Fatal("origin_jti present")
	}
	if revocationEnabled(jwtWith(`{"jti":"abc"}`)) || revocationEnabled("garbage") {
		t.Fatal("no origin_jti")
	}
}

func TestDefinitiveRefreshErrors(t *testing.T) {
	for code, want := range map[string]bool{
		"NotAuthorizedException": true, "UserNotFoundException": true, "RefreshTokenReuseException": true,
		"TooManyRequestsException": false, "InternalErrorException": false,
	} {
		if got := definitive(&ServiceError{Code: code}); got != want {
			t.Errorf("%s: %v", code, got)
		}
	}
	if definitive(&NetworkError{}) {
		t.Error("network error is not definitive")
	}
}

// A connection lost while the answer is read (a 200 whose body cannot be
// read, the connection reset, EOF before any answer) is a network error: it
// never ends the session.
func TestLostConnectionIsNetworkError(t *testing.T) {
	for _, cause := range []error{
		&smithy.OperationError{ServiceID: "Cognito Identity Provider", OperationName: "GetTokensFromRefreshToken",
			Err: &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w",
				&net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed})}},
		&smithy.OperationError{Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}},
		&smithy.OperationError{Err: io.ErrUnexpectedEOF},
		&smithy.OperationError{Err: io.EOF},
	} {
		err := classify("GetTokensFromRefreshToken", cause)
		var ne *NetworkError
		if !errors.As(err, &ne) || definitive(err) {
			t.Errorf("%v: classified as %T (definitive %v), want a *NetworkError that is not definitive", cause, err, definitive(err))
		}
	}
}
