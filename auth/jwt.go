package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// claims are the JWT claims the SDK reads. Tokens are decoded, never verified:
// the client trusts the server it just talked to over TLS, as Amplify does, and
// uses the claims only to decide what to do next (expiry, revocation support).
type claims struct {
	Sub             string  `json:"sub"`
	Username        string  `json:"username"`
	CognitoUsername string  `json:"cognito:username"`
	OriginJTI       string  `json:"origin_jti"`
	ClientID        string  `json:"client_id"`
	TokenUse        string  `json:"token_use"`
	Exp             float64 `json:"exp"`
	Iat             float64 `json:"iat"`
	DeviceKey       string  `json:"device_key"` // devices.go
}

func (c claims) expiry() time.Time {
	if c.Exp <= 0 {
		return time.Time{}
	}
	sec := int64(c.Exp)
	return time.Unix(sec, int64((c.Exp-float64(sec))*1e9))
}

// name is the user name carried by the token: "username" in access tokens,
// "cognito:username" in ID tokens.
func (c claims) name() string {
	if c.Username != "" {
		return c.Username
	}
	return c.CognitoUsername
}

var errMalformedJWT = errors.New("auth: malformed JWT")

// decodeClaims decodes the payload of a compact JWS without verifying it. The
// error never contains the token.
func decodeClaims(token string) (claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return claims{}, errMalformedJWT
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return claims{}, errMalformedJWT
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return claims{}, errMalformedJWT
	}
	return c, nil
}
