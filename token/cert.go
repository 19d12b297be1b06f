package token

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// SigningCertificate returns a self-signed X.509 certificate (DER) over
// the key that signs ID tokens, naming cn, valid for ten years from
// notBefore. Its serial number is derived from the key id and RSA
// PKCS #1 v1.5 signatures are deterministic, so every replica returns the
// same certificate for the same key.
func (ks *KeySet) SigningCertificate(cn string, notBefore time.Time) ([]byte, error) {
	sk := ks.signID
	if sk == nil {
		return nil, errors.New("token: no ID-token key")
	}
	sum := sha256.Sum256([]byte(sk.kid))
	serial := new(big.Int).SetBytes(sum[:16])
	notBefore = notBefore.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		Issuer:                pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notBefore.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, sk.pub, sk.priv)
	if err != nil {
		return nil, fmt.Errorf("token: signing certificate: %w", err)
	}
	return der, nil
}
