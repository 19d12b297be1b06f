package userpool

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	// Defence in depth: the set is cached for the life of the process, so
	// a set without an active key of each use (as a reader could once see
	// while a replica was still storing a new pool's keys one by one) would
	// break every token of the missing use until a restart. The store
	// creates a pool with its keys atomically; never cache less anyway.
	if use := missingKeyUse(keys); use != "" {
		return nil, fmt.Errorf("key set of %s: no active %s key", poolID, use)
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

// keyUses are the uses of a pool's keys: it has an active key of each.
var keyUses = []string{token.UseAccess, token.UseID, token.UseRefresh}

// missingKeyUse returns a use of keyUses that no active key of keys has, or
// "" when none is missing.
func missingKeyUse(keys []*store.Key) string {
	for _, use := range keyUses {
		found := false
		for _, k := range keys {
			if k.Use == use && k.RetiredAt.IsZero() {
				found = true
				break
			}
		}
		if !found {
			return use
		}
	}
	return ""
}

// newKeys makes a new pool's access, id and refresh keys, created at now;
// CreateUserPool stores them with the pool.
func newKeys(poolID string, now time.Time) ([]*store.Key, error) {
	keys := make([]*store.Key, 0, len(keyUses))
	for _, use := range keyUses {
		k, err := token.NewKey(use)
		if err != nil {
			return nil, fmt.Errorf("new %s key: %w", use, err)
		}
		keys = append(keys, &store.Key{ID: k.ID, PoolID: poolID, Use: use, Private: k.Private, CreatedAt: now})
	}
	return keys, nil
}
