package oauth

// Host-based routing: the hosted UI and the OAuth 2.0/OIDC endpoints of a
// pool answer on the pool's domains (a prefix domain
// <prefix>.auth.<region>.amazoncognito.com or a custom domain, named by the
// Host header, with or without a port) as they do under /<poolId>/.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

type viaDomainKey struct{}

// viaDomain reports whether r reached the handler through a pool's domain
// (its path then has no /<poolId> prefix in the browser's eyes).
func viaDomain(r *http.Request) bool {
	v, _ := r.Context().Value(viaDomainKey{}).(bool)
	return v
}

// hostedPaths are the paths a pool's domain serves (as /<poolId>/<path>).
var hostedPaths = []string{"/login", "/logout", "/mfa", "/forgotPassword", "/confirmForgotPassword"}

func isHostedPath(p string) bool {
	for _, hp := range hostedPaths {
		if p == hp {
			return true
		}
	}
	return strings.HasPrefix(p, "/oauth2/") || strings.HasPrefix(p, "/.well-known/")
}

// HostRouting wraps next (the server's mux): a request for one of the
// hosted paths whose Host is a pool's domain is served as the same request
// under /<poolId>/. Any other request goes to next unchanged.
func (h *Handler) HostRouting(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isHostedPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		poolID, ok, err := h.svc.PoolForHost(r.Context(), r.Host)
		if err != nil {
			h.log.Error("host routing", "host", r.Host, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		r2 := r.Clone(context.WithValue(r.Context(), viaDomainKey{}, true))
		r2.URL.Path = "/" + poolID + r.URL.Path
		r2.URL.RawPath = ""
		next.ServeHTTP(w, r2)
	})
}

// requestOrigin is the origin a browser names when it posts a form of the
// page it got from r's host: the scheme is taken from the issuer (TLS is
// ended in front of this server, as at the public URL).
func requestOrigin(issuer string, r *http.Request) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + r.Host
}
