package userpool

import (
	"context"
	"encoding/base64"
)

// GetSigningCertificate returns the pool's signing certificate as Cognito
// does: a self-signed X.509 certificate over the pool's signing key,
// base64 DER without PEM armour, the same from every replica.
func (s *Service) GetSigningCertificate(ctx context.Context, poolID string) (string, error) {
	p, err := s.pool(ctx, poolID)
	if err != nil {
		return "", err
	}
	ks, err := s.keySet(ctx, poolID)
	if err != nil {
		return "", internal("signing certificate", err)
	}
	der, err := ks.SigningCertificate(poolID, p.CreationDate)
	if err != nil {
		return "", internal("signing certificate", err)
	}
	return base64.StdEncoding.EncodeToString(der), nil
}
