package auth

import (
	"encoding/base64"
	"testing"
	"time"
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
