package userpool

import (
	"sync"

	"github.com/cognate-dev/cognate/token"
)

// verifiedCache remembers access tokens whose signature already verified, so
// a client that presents the same token again (every API call of its hour)
// skips the RSA verification. Only the signature check is cached: expiry is
// checked on every hit and the token family's live state (revocation, global
// sign-out) is always read from the store.
type verifiedCache struct {
	mu  sync.RWMutex
	m   map[string]verifiedToken
	max int
}

type verifiedToken struct {
	poolID string
	claims *token.Claims // shared: read only
}

// verifiedCacheSize bounds the cache; ~1 KiB per token.
const verifiedCacheSize = 20_000

func (c *verifiedCache) get(raw string) (verifiedToken, bool) {
	c.mu.RLock()
	v, ok := c.m[raw]
	c.mu.RUnlock()
	return v, ok
}

func (c *verifiedCache) put(raw string, v verifiedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]verifiedToken)
	}
	if len(c.m) >= c.max {
		// Drop about a tenth, in map order (effectively random): cheap, and
		// an evicted token only costs one more verification.
		n := c.max / 10
		for k := range c.m {
			if n == 0 {
				break
			}
			delete(c.m, k)
			n--
		}
	}
	c.m[raw] = v
}

// clear forgets everything (a pool was deleted).
func (c *verifiedCache) clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}
