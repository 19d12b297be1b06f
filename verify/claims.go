package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Claims are the verified claims of a token. Treat them as read-only: the
// slices and Raw are shared with the Verifier's cache.
type Claims struct {
	Sub      string // sub: the user's id
	Username string // username (access) or cognito:username (ID)
	ClientID string // client_id (access) or aud (ID)
	TokenUse string // "access" or "id"
	Issuer   string // iss
	Scopes   []string
	Groups   []string // cognito:groups
	// OriginJTI is the token family (one per sign-in); EventID the sign-in
	// event (Cognate: the same value); JTI the token's own id.
	OriginJTI, EventID, JTI string
	ExpiresAt               time.Time
	IssuedAt, NotBefore     time.Time // zero when absent
	AuthTime                time.Time // zero when absent
	// Raw holds every claim as decoded (numbers as json.Number).
	Raw map[string]any
}

// Family returns the token family id: origin_jti, else event_id.
func (c *Claims) Family() string {
	if c.OriginJTI != "" {
		return c.OriginJTI
	}
	return c.EventID
}

// HasScope reports whether the token carries scope s.
func (c *Claims) HasScope(s string) bool { return slices.Contains(c.Scopes, s) }

// InGroup reports whether the user is in group g.
func (c *Claims) InGroup(g string) bool { return slices.Contains(c.Groups, g) }

type claimsKey struct{}

// ClaimsFrom returns the claims Middleware stored in ctx.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok
}

// WithClaims returns ctx carrying c, as Middleware does.
func WithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// claimsFromMap reads the standard claims of m, refusing wrong JSON types.
func claimsFromMap(m map[string]any) (*Claims, error) {
	c := &Claims{Raw: m}
	var err error
	str := func(name string) string {
		v, ok := m[name]
		if !ok || err != nil {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			err = fmt.Errorf("%w: claim %q is not a string", ErrMalformed, name)
		}
		return s
	}
	num := func(name string, required bool) time.Time {
		v, ok := m[name]
		if !ok || err != nil {
			if !ok && required {
				err = fmt.Errorf("%w: no %q claim", ErrMalformed, name)
			}
			return time.Time{}
		}
		n, ok := v.(json.Number)
		if !ok {
			err = fmt.Errorf("%w: claim %q is not a number", ErrMalformed, name)
			return time.Time{}
		}
		f, ferr := n.Float64()
		if ferr != nil || math.IsInf(f, 0) || f < 0 || f > 1<<40 {
			err = fmt.Errorf("%w: claim %q is not a time", ErrMalformed, name)
			return time.Time{}
		}
		return time.Unix(int64(f), 0)
	}
	c.Sub = str("sub")
	c.Issuer = str("iss")
	c.TokenUse = str("token_use")
	c.OriginJTI = str("origin_jti")
	c.EventID = str("event_id")
	c.JTI = str("jti")
	c.ExpiresAt = num("exp", true)
	c.IssuedAt = num("iat", false)
	c.NotBefore = num("nbf", false)
	c.AuthTime = num("auth_time", false)
	switch c.TokenUse {
	case "access":
		c.ClientID = str("client_id")
		c.Username = str("username")
		if s := str("scope"); s != "" {
			c.Scopes = strings.Fields(s)
		}
	case "id":
		c.Username = str("cognito:username")
		c.ClientID, err = audience(m, err)
	}
	if err != nil {
		return nil, err
	}
	if g, ok := m["cognito:groups"]; ok {
		list, ok := g.([]any)
		if !ok {
			return nil, fmt.Errorf("%w: claim %q is not an array", ErrMalformed, "cognito:groups")
		}
		for _, v := range list {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%w: claim %q holds a non-string", ErrMalformed, "cognito:groups")
			}
			c.Groups = append(c.Groups, s)
		}
	}
	return c, nil
}

// audience reads aud: a string or an array of exactly one string.
func audience(m map[string]any, err error) (string, error) {
	if err != nil {
		return "", err
	}
	switch v := m["aud"].(type) {
	case string:
		return v, nil
	case []any:
		if len(v) == 1 {
			if s, ok := v[0].(string); ok {
				return s, nil
			}
		}
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("%w: claim %q is not one string", ErrMalformed, "aud")
}
