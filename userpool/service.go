// Package userpool is Cognate's domain: user pools, app clients, users,
// sign-in flows, token families (sessions), sign-out and revocation rules. It
// knows no HTTP and no SQL: wire packages call it, and it calls a store.Store
// and package token.
package userpool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/token"
)

// Options configure a Service.
type Options struct {
	Store     store.Store
	PublicURL string // issuer base, e.g. http://127.0.0.1:9229 (no trailing slash)
	Region    string // used in new pool ids and ARNs; default us-east-1
	Now       func() time.Time
	Logger    *slog.Logger
	// DevMode exposes confirmation codes to the operator (logs and
	// AdminGetUser) since no e-mail or SMS is sent.
	DevMode bool
	Hash    HashParams
}

// Service implements the user-pool operations.
type Service struct {
	st      store.Store
	issuer  string
	region  string
	now     func() time.Time
	log     *slog.Logger
	devMode bool
	hash    HashParams

	mu   sync.Mutex
	keys map[string]*token.KeySet // per pool, built once (RSA parsing is slow)

	verified verifiedCache // access tokens whose signature verified

	hosted hostedUIState // hosted-UI sign-in throttling (hostedui.go); its zero value is ready
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	return &Service{st: o.Store, issuer: strings.TrimRight(o.PublicURL, "/"), region: o.Region, now: o.Now,
		log: o.Logger, devMode: o.DevMode, hash: o.Hash, keys: map[string]*token.KeySet{},
		verified: verifiedCache{max: verifiedCacheSize}}
}

// Region is the region pool ids are made in.
func (s *Service) Region() string { return s.region }

// Issuer returns the token issuer of a pool.
func (s *Service) Issuer(poolID string) string { return s.issuer + "/" + poolID }

// poolFromIssuer extracts the pool id from an issuer this server minted.
func (s *Service) poolFromIssuer(iss string) (string, bool) {
	prefix := s.issuer + "/"
	if !strings.HasPrefix(iss, prefix) {
		return "", false
	}
	id := iss[len(prefix):]
	if id == "" || strings.ContainsAny(id, "/?#") {
		return "", false
	}
	return id, true
}

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
	keys, err := s.st.ListKeys(ctx, poolID)
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

// JWKS returns the pool's public keys as a JWK set.
func (s *Service) JWKS(ctx context.Context, poolID string) ([]byte, error) {
	if _, err := s.pool(ctx, poolID); err != nil {
		return nil, err
	}
	ks, err := s.keySet(ctx, poolID)
	if err != nil {
		return nil, err
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
		if err := s.st.PutKey(ctx, &store.Key{ID: k.ID, PoolID: poolID, Use: use, Private: k.Private, CreatedAt: s.now()}); err != nil {
			return fmt.Errorf("store %s key: %w", use, err)
		}
	}
	return nil
}

// internal wraps an unexpected failure; the wire layer answers 500 for it.
func internal(op string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
