package userpool

// The hosted UI's sign-in form is bound to its login transaction: the
// token in the form is a MAC, under a pool secret, of a random transaction
// id (kept in an HttpOnly cookie), the exact authorization request the form
// signs in for, and an expiry. A cookie an attacker manages to plant is
// worthless without a token only the server can mint for it, and a token
// obtained for the attacker's own authorization request cannot complete
// the victim's.

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// LoginFormLifetime is how long a sign-in form stays valid.
const LoginFormLifetime = 30 * time.Minute

// LoginFormToken mints the form token for a login transaction tx and the
// authorization request (its canonical query).
func (s *Service) LoginFormToken(ctx context.Context, poolID, tx, request string) (string, error) {
	exp := s.now().Add(LoginFormLifetime).Unix()
	mac, err := s.loginFormMAC(ctx, poolID, tx, request, exp)
	if err != nil {
		return "", err
	}
	b := binary.BigEndian.AppendUint64(nil, uint64(exp))
	return base64.RawURLEncoding.EncodeToString(append(b, mac...)), nil
}

// CheckLoginFormToken reports whether token was minted for tx and request
// by this pool and has not expired.
func (s *Service) CheckLoginFormToken(ctx context.Context, poolID, tx, request, token string) (bool, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 8+32 || tx == "" {
		return false, nil
	}
	exp := int64(binary.BigEndian.Uint64(raw[:8]))
	if s.now().Unix() >= exp {
		return false, nil
	}
	want, err := s.loginFormMAC(ctx, poolID, tx, request, exp)
	if err != nil {
		return false, err
	}
	return hmac.Equal(want, raw[8:]), nil
}

func (s *Service) loginFormMAC(ctx context.Context, poolID, tx, request string, exp int64) ([]byte, error) {
	if _, err := s.pool(ctx, poolID); err != nil {
		return nil, err
	}
	ks, err := s.keySet(ctx, poolID)
	if err != nil {
		return nil, internal("login form", err)
	}
	return ks.MAC("login-form", []byte(poolID), []byte(tx), []byte(request), binary.BigEndian.AppendUint64(nil, uint64(exp))), nil
}
