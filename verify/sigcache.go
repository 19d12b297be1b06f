package verify

import (
	"crypto/sha256"
	"sync"
	"time"
)

// maxCached bounds the verified-signature cache; when full, expired entries
// go, and if that is not enough the cache starts over.
const maxCached = 100_000

// sigCache maps the SHA-256 of a token whose signature and claims checked
// out to its claims, until the token expires. Only hashes are kept, never
// tokens.
type sigCache struct {
	mu sync.RWMutex
	m  map[[sha256.Size]byte]*Claims
}

func newSigCache() *sigCache { return &sigCache{m: map[[sha256.Size]byte]*Claims{}} }

func (c *sigCache) get(k [sha256.Size]byte) *Claims {
	c.mu.RLock()
	cl := c.m[k]
	c.mu.RUnlock()
	return cl
}

func (c *sigCache) put(k [sha256.Size]byte, cl *Claims, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCached {
		for key, v := range c.m {
			if !v.ExpiresAt.After(now) {
				delete(c.m, key)
			}
		}
		if len(c.m) >= maxCached {
			c.m = map[[sha256.Size]byte]*Claims{}
		}
	}
	c.m[k] = cl
}
