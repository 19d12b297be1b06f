package token

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
)

// Key uses. Access and ID tokens are signed with different keys, as Cognito
// does, so that a verifier can tell them apart by kid alone.
const (
	// UseAccess marks an RSA key that signs access tokens.
	UseAccess = "access"
	// UseID marks an RSA key that signs ID tokens.
	UseID = "id"
	// UseRefresh marks an AES-256 key that seals refresh tokens.
	UseRefresh = "refresh"
)

// RSABits is the size of the RSA keys NewKey generates (Cognito's size).
const RSABits = 2048

// refreshKeyLen is the length of a refresh (AES-256) key.
const refreshKeyLen = 32

// Key is the stored key material of a pool.
type Key struct {
	ID      string // kid
	Use     string // UseAccess, UseID or UseRefresh
	Private []byte // PKCS#8 DER of an RSA-2048 key for access/id; 32 raw bytes (AES-256) for refresh
	Retired bool   // retired keys still verify/open (and are listed in JWKS) but never sign/seal
}

// NewKey generates a fresh key for use: an RSA-2048 key (PKCS#8 DER) for
// UseAccess and UseID, 32 random bytes for UseRefresh. The kid is the
// unpadded base64url encoding of 32 random bytes, so it is URL-safe and needs
// no escaping anywhere.
func NewKey(use string) (Key, error) {
	var id [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return Key{}, fmt.Errorf("token: generating kid: %w", err)
	}
	k := Key{ID: base64.RawURLEncoding.EncodeToString(id[:]), Use: use}
	switch use {
	case UseAccess, UseID:
		priv, err := rsa.GenerateKey(rand.Reader, RSABits)
		if err != nil {
			return Key{}, fmt.Errorf("token: generating RSA key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return Key{}, fmt.Errorf("token: encoding RSA key: %w", err)
		}
		k.Private = der
	case UseRefresh:
		k.Private = make([]byte, refreshKeyLen)
		if _, err := rand.Read(k.Private); err != nil {
			return Key{}, fmt.Errorf("token: generating refresh key: %w", err)
		}
	default:
		return Key{}, fmt.Errorf("token: unknown key use %q", use)
	}
	return k, nil
}
