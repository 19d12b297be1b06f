package userpool

import (
	"context"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/token"
)

// errNoKeys means the pool has no keys: it does not exist (any more).
var errNoKeys = errors.New("pool has no keys")

// keySet returns the pool's cached key set, loading it from the store.
func (s *Service) keySet(ctx context.Context, poolID string) (*token.KeySet, error) {
	s.mu.Lock()
	ks := s.keys[poolID]
	s.mu.Unlock()
	if ks != nil {
		return ks, nil
	}
	keys, err := s.keyStore.ListKeys(ctx, poolID)
	if err != nil {
		return nil, fmt.Errorf("load keys of %s: %w", poolID, err)
	}
	if len(keys) == 0 {
		return nil, errNoKeys
	}
	tk := make([]token.Key, 0, len(keys))
	for _, k := range keys {
		tk = append(tk, token.Key{ID: k.ID, Use: k.Use, Private: k.Private, Retired: !k.RetiredAt.IsZero()})
	}
	ks, err = token.NewKeySet(s.Issuer(poolID), tk)
	if err != nil {
		return nil, fmt.Errorf("key set of %s: %w", poolID, err)
	}
	s.mu.Lock()
	s.keys[poolID] = ks
	s.mu.Unlock()
	return ks, nil
}

// forgetKeys drops a deleted pool's cached keys.
func (s *Service) forgetKeys(poolID string) {
	s.mu.Lock()
	delete(s.keys, poolID)
	s.mu.Unlock()
}

// JWKS returns the pool's public keys as a JWK set.
func (s *Service) JWKS(ctx context.Context, poolID string) ([]byte, error) {
	if _, err := s.pool(ctx, poolID); err != nil {
		return nil, err
	}
	ks, err := s.keySet(ctx, poolID)
	if err != nil {
		return nil, internal("jwks", err)
	}
	return ks.JWKS(), nil
}

// createKeys makes the pool's access, id and refresh keys.
func (s *Service) createKeys(ctx context.Context, poolID string) error {
	for _, use := range []string{token.UseAccess, token.UseID, token.UseRefresh} {
		k, err := token.NewKey(use)
		if err != nil {
			return fmt.Errorf("new %s key: %w", use, err)
		}
		if err := s.keyStore.PutKey(ctx, &store.Key{ID: k.ID, PoolID: poolID, Use: use, Private: k.Private, CreatedAt: s.now()}); err != nil {
			return fmt.Errorf("store %s key: %w", use, err)
		}
	}
	return nil
}
