package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go"
)

var bg = context.Background()

// signIn runs USER_PASSWORD_AUTH and fails the test on error.
func signIn(t *testing.T, c *cip.Client, clientID, user, pass string) *cip.InitiateAuthOutput {
	t.Helper()
	out, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pass}})
	if err != nil {
		t.Fatalf("sign in %s: %v", user, err)
	}
	if out.AuthenticationResult == nil {
		t.Fatalf("sign in %s: got challenge %s, want tokens", user, out.ChallengeName)
	}
	return out
}

func refresh(c *cip.Client, clientID, rt string) (*cip.InitiateAuthOutput, error) {
	return c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": rt}})
}

func getUser(c *cip.Client, at string) (*cip.GetUserOutput, error) {
	return c.GetUser(bg, &cip.GetUserInput{AccessToken: aws.String(at)})
}

// wantAPIError asserts err is the typed SDK error T with the given message
// (empty: any message).
func wantAPIError[T error](t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %T", *new(T))
	}
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("got %v, want %T", err, target)
	}
	var api smithy.APIError
	if errors.As(err, &api) && msg != "" && api.ErrorMessage() != msg {
		t.Fatalf("message = %q, want %q", api.ErrorMessage(), msg)
	}
}

// wantCode asserts err is an API error with the given code and message.
func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) {
		t.Fatalf("got %v, want API error %s", err, code)
	}
	if api.ErrorCode() != code || (msg != "" && api.ErrorMessage() != msg) {
		t.Fatalf("got %s %q, want %s %q", api.ErrorCode(), api.ErrorMessage(), code, msg)
	}
}

// claims decodes (without verifying) a JWT payload.
func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %d segments", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("payload: %v", err)
	}
	return m
}
