package verify

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// jwksCache holds the issuer's RS256 keys by kid. A kid it does not know
// makes it fetch the JWKS again, at most once per interval.
type jwksCache struct {
	url      string
	client   *http.Client
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger

	mu        sync.RWMutex
	keys      map[string]*rsa.PublicKey
	fetchMu   sync.Mutex // one fetch at a time
	lastFetch time.Time  // under fetchMu
}

func newJWKSCache(issuer string, c Config) *jwksCache {
	return &jwksCache{url: issuer + "/.well-known/jwks.json", client: c.HTTPClient, interval: c.JWKSRefetchInterval,
		now: c.Now, log: c.Logger}
}

// key returns the key of kid, fetching the JWKS when kid is unknown and the
// last fetch is older than the interval.
func (j *jwksCache) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	j.mu.RLock()
	k, ok := j.keys[kid]
	j.mu.RUnlock()
	if ok {
		return k, nil
	}
	j.fetchMu.Lock()
	defer j.fetchMu.Unlock()
	// Another caller may have fetched while this one waited.
	j.mu.RLock()
	k, ok = j.keys[kid]
	loaded := j.keys != nil
	j.mu.RUnlock()
	if ok {
		return k, nil
	}
	// Rate limit: an unknown kid refetches at most once per interval; a
	// JWKS that never loaded is retried at most once a second.
	wait := j.interval
	if !loaded {
		wait = time.Second
	}
	if !j.lastFetch.IsZero() && j.now().Sub(j.lastFetch) < wait {
		if !loaded {
			return nil, fmt.Errorf("%w: the last fetch failed", ErrUnavailable)
		}
		return nil, errUnknownKid
	}
	if err := j.fetch(ctx); err != nil {
		if !loaded {
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		j.log.Warn("verify: refreshing the JWKS failed", "url", j.url, "err", err)
		return nil, errUnknownKid
	}
	j.mu.RLock()
	k, ok = j.keys[kid]
	j.mu.RUnlock()
	if !ok {
		return nil, errUnknownKid
	}
	return k, nil
}

// fetch reads the JWKS (caller holds fetchMu). A failed fetch still counts
// for the rate limit once keys are loaded, so a down issuer is not hammered.
func (j *jwksCache) fetch(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	j.lastFetch = j.now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return fmt.Errorf("JWKS request: %w", err)
	}
	resp, err := j.client.Do(req)
	if err != nil {
		return fmt.Errorf("GET JWKS: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read JWKS: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET JWKS: %s", resp.Status)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return err
	}
	j.mu.Lock()
	j.keys = keys
	j.mu.Unlock()
	j.log.Debug("verify: JWKS loaded", "url", j.url, "keys", len(keys))
	return nil
}

// parseJWKS keeps the RSA signing keys of a JWKS; others are skipped.
func parseJWKS(body []byte) (map[string]*rsa.PublicKey, error) {
	var set struct {
		Keys []struct {
			Kty, Kid, Alg, Use, N, E string
		} `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("JWKS is not JSON: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" || (k.Alg != "" && k.Alg != "RS256") || (k.Use != "" && k.Use != "sig") {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			return nil, fmt.Errorf("JWKS key %q: bad n or e", k.Kid)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 || pub.E < 3 {
			return nil, fmt.Errorf("JWKS key %q: weak RSA key", k.Kid)
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS has no RS256 keys")
	}
	return keys, nil
}
