package verify

import (
	"crypto/sha256"
	"hash"
	"sync"
	"time"
)

// maxCached bounds the verified-signature cache (an entry holds the
// decoded claims, about a kilobyte); when full, expired entries go, and if
// that is not enough, half of the others, picked at random.
const maxCached = 50_000

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
		for key := range c.m { // map iteration order is random
			if len(c.m) < maxCached/2 {
				break
			}
			delete(c.m, key)
		}
	}
	c.m[k] = cl
}

// reset empties the cache.
func (c *sigCache) reset() {
	c.mu.Lock()
	c.m = map[[sha256.Size]byte]*Claims{}
	c.mu.Unlock()
}

// hasher is a pooled SHA-256 with a chunk buffer, so that hashing a token
// does not copy all of it into a new []byte.
type hasher struct {
	h     hash.Hash
	chunk [512]byte
}

var hasherPool = sync.Pool{New: func() any { return &hasher{h: sha256.New()} }}

// tokenKey is the cache key of a token: its SHA-256.
func tokenKey(s string) (k [sha256.Size]byte) {
	st := hasherPool.Get().(*hasher)
	st.h.Reset()
	for len(s) > 0 {
		n := copy(st.chunk[:], s)
		st.h.Write(st.chunk[:n])
		s = s[n:]
	}
	st.h.Sum(k[:0])
	hasherPool.Put(st)
	return k
}
