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

// An armed auto sign-in's password is dropped as soon as it can no longer be
// used: when its window passes, when a ConfirmSignUp is another user's, when
// it is taken, and at Close. One still waiting for its ConfirmSignUp is not
// taken.
func TestAutoSignInForgetsThePassword(t *testing.T) {
	c, err := New(Config{Region: "us-east-1", UserPoolID: "us-east-1_abc", ClientID: "client", Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	armed := func() *autoSignIn {
		a := &autoSignIn{username: "u@example.com", password: "Secret-Passw0rd!"}
		c.armAutoSignIn(a)
		return a
	}
	current := func() *autoSignIn {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.auto
	}

	a := armed()
	if c.takeAutoSignIn() != nil || current() != a || a.password == "" {
		t.Fatal("an auto sign-in waiting for ConfirmSignUp was taken or dropped")
	}
	c.expireAutoSignIn(a) // what its timer does after AutoSignInWindow
	if current() != nil || a.password != "" {
		t.Fatal("an expired auto sign-in kept its password")
	}

	a = armed()
	if c.confirmAutoSignIn("other@example.com") || current() != nil || a.password != "" {
		t.Fatal("a ConfirmSignUp of another user kept the auto sign-in")
	}

	a = armed()
	if !c.confirmAutoSignIn("u@example.com") {
		t.Fatal("the user's ConfirmSignUp did not complete the auto sign-in")
	}
	c.expireAutoSignIn(&autoSignIn{}) // a stale timer changes nothing
	got := c.takeAutoSignIn()
	if got == nil || got.password != "Secret-Passw0rd!" || got.username != "u@example.com" || current() != nil || a.password != "" {
		t.Fatalf("take: %+v, left %+v", got, current())
	}
	if c.takeAutoSignIn() != nil {
		t.Fatal("an auto sign-in ran twice")
	}

	a = armed()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if current() != nil || a.password != "" {
		t.Fatal("Close kept the auto sign-in's password")
	}
}
