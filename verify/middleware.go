package verify

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// routeRules are a route's requirements, set by MiddlewareOptions.
type routeRules struct {
	scopes []string
	groups []string
	realm  string
}

// MiddlewareOption sets a requirement of Middleware.
type MiddlewareOption func(*routeRules)

// RequireScopes requires every one of scopes in the token's scope claim
// (ID tokens carry none).
func RequireScopes(scopes ...string) MiddlewareOption {
	return func(r *routeRules) { r.scopes = append(r.scopes, scopes...) }
}

// RequireGroups requires the user to be in at least one of groups
// (cognito:groups).
func RequireGroups(groups ...string) MiddlewareOption {
	return func(r *routeRules) { r.groups = append(r.groups, groups...) }
}

// Realm sets the realm of the WWW-Authenticate challenge; default "api".
func Realm(realm string) MiddlewareOption { return func(r *routeRules) { r.realm = realm } }

// Middleware lets a request through to next only with a valid bearer token
// (Authorization: Bearer ...) that meets the options' requirements; next
// finds the claims with ClaimsFrom. Refusals follow RFC 6750: 401 with
// WWW-Authenticate: Bearer realm="api" when there is no token, 401 with
// error="invalid_token" when the token is refused, 403 with
// error="insufficient_scope" when a scope or group is missing, and 503 when
// the verifier cannot decide (ErrStale, ErrUnavailable). Tokens are never
// logged or echoed.
func (v *Verifier) Middleware(next http.Handler, opts ...MiddlewareOption) http.Handler {
	rules := routeRules{realm: "api"}
	for _, o := range opts {
		o(&rules)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		if !ok {
			challenge(w, rules.realm, http.StatusUnauthorized, "", "")
			return
		}
		c, err := v.Verify(r.Context(), token)
		if err == nil {
			err = rules.check(c)
		}
		if err != nil {
			status, code, desc := describe(err)
			if status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "1")
				http.Error(w, desc, status)
				return
			}
			if code == "insufficient_scope" && len(rules.scopes) > 0 {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%s, error="insufficient_scope", error_description=%s, scope=%s`,
					quote(rules.realm), quote(desc), quote(strings.Join(rules.scopes, " "))))
				http.Error(w, desc, status)
				return
			}
			challenge(w, rules.realm, status, code, desc)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithClaims(r.Context(), c)))
	})
}

// check applies the route's scope and group requirements.
func (r routeRules) check(c *Claims) error {
	for _, s := range r.scopes {
		if !c.HasScope(s) {
			return fmt.Errorf("%w: scope %s required", ErrScope, s)
		}
	}
	if len(r.groups) > 0 && !slices.ContainsFunc(r.groups, c.InGroup) {
		return fmt.Errorf("%w: membership of one of the groups %s required", ErrScope, strings.Join(r.groups, ", "))
	}
	return nil
}

// bearer extracts the token of an Authorization: Bearer header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// describe maps a Verify or rule error to a status, an RFC 6750 error code
// and a fixed description (never token content).
func describe(err error) (status int, code, desc string) {
	switch {
	case errors.Is(err, ErrScope):
		return http.StatusForbidden, "insufficient_scope", "the token lacks a required scope or group"
	case errors.Is(err, ErrStale), errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable, "", "cannot verify tokens right now"
	case errors.Is(err, ErrExpired):
		return http.StatusUnauthorized, "invalid_token", "the token has expired"
	case errors.Is(err, ErrRevoked):
		return http.StatusUnauthorized, "invalid_token", "the token has been revoked"
	case errors.Is(err, ErrNotYetValid):
		return http.StatusUnauthorized, "invalid_token", "the token is not valid yet"
	case errors.Is(err, ErrIssuer):
		return http.StatusUnauthorized, "invalid_token", "the token was issued by another issuer"
	case errors.Is(err, ErrTokenUse):
		return http.StatusUnauthorized, "invalid_token", "wrong kind of token"
	case errors.Is(err, ErrClient):
		return http.StatusUnauthorized, "invalid_token", "the token was issued to another client"
	case errors.Is(err, ErrSignature):
		return http.StatusUnauthorized, "invalid_token", "the token's signature is invalid"
	}
	return http.StatusUnauthorized, "invalid_token", "the token is malformed"
}

// challenge writes an RFC 6750 refusal.
func challenge(w http.ResponseWriter, realm string, status int, code, desc string) {
	h := "Bearer realm=" + quote(realm)
	if code != "" {
		h += ", error=" + quote(code) + ", error_description=" + quote(desc)
	}
	w.Header().Set("WWW-Authenticate", h)
	if desc == "" {
		desc = "a bearer token is required"
	}
	http.Error(w, desc, status)
}

// quote makes an RFC 7230 quoted-string of s.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
