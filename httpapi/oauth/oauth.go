// Package oauth serves the hosted-UI and OAuth2/OIDC endpoints of a pool,
// under /<poolId>/...: discovery and JWKS, /oauth2/authorize, the /login
// page, /logout, /oauth2/token, /oauth2/revoke and /oauth2/userInfo. The
// rules live in package userpool; this package decodes, calls them and
// encodes. Every endpoint returns its errors to one writer (errors.go),
// which maps domain errors to RFC 6749 codes in one table.
package oauth

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/cognate-dev/cognate/internal/clientip"
	"github.com/cognate-dev/cognate/userpool"
)

// Handler serves the per-pool OAuth/OIDC endpoints.
type Handler struct {
	svc      *userpool.Service
	log      *slog.Logger
	clientIP *clientip.Resolver
}

// New returns a Handler.
func New(svc *userpool.Service, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{svc: svc, log: log}
}

// WithClientIP makes the handler tell client addresses with r (forwarding
// headers believed only from trusted proxies) instead of the TCP peer.
func (h *Handler) WithClientIP(r *clientip.Resolver) *Handler {
	h.clientIP = r
	return h
}

// Mount registers the routes on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /{pool}/.well-known/jwks.json", h.handle(atWellKnown, h.jwks))
	mux.HandleFunc("GET /{pool}/.well-known/openid-configuration", h.handle(atWellKnown, h.discovery))
	mux.HandleFunc("GET /{pool}/oauth2/authorize", h.handle(atBrowser, h.authorize))
	mux.HandleFunc("GET /{pool}/login", h.handle(atBrowser, h.loginForm))
	mux.HandleFunc("POST /{pool}/login", h.handle(atBrowser, h.login))
	mux.HandleFunc("POST /{pool}/mfa", h.handle(atBrowser, h.mfa))
	mux.HandleFunc("GET /{pool}/forgotPassword", h.handle(atBrowser, h.forgotForm))
	mux.HandleFunc("POST /{pool}/forgotPassword", h.handle(atBrowser, h.forgot))
	mux.HandleFunc("POST /{pool}/confirmForgotPassword", h.handle(atBrowser, h.confirmForgot))
	mux.HandleFunc("GET /{pool}/logout", h.handle(atBrowser, h.logout))
	mux.HandleFunc("POST /{pool}/oauth2/token", h.handle(atToken, h.token))
	mux.HandleFunc("POST /{pool}/oauth2/revoke", h.handle(atRevoke, h.revoke))
	for _, p := range []string{"/{pool}/oauth2/userInfo", "/{pool}/oauth2/userinfo"} {
		mux.HandleFunc("GET "+p, h.handle(atUserInfo, h.userInfo))
		mux.HandleFunc("POST "+p, h.handle(atUserInfo, h.userInfo))
		mux.HandleFunc("OPTIONS "+p, h.preflight)
	}
	mux.HandleFunc("OPTIONS /{pool}/oauth2/token", h.preflight)
	mux.HandleFunc("OPTIONS /{pool}/oauth2/revoke", h.preflight)
}

func (h *Handler) jwks(w http.ResponseWriter, r *http.Request) error {
	body, err := h.svc.JWKS(r.Context(), r.PathValue("pool"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(body)
	return nil
}

func (h *Handler) discovery(w http.ResponseWriter, r *http.Request) error {
	poolID := r.PathValue("pool")
	if _, err := h.svc.DescribeUserPool(r.Context(), poolID); err != nil {
		return err
	}
	iss := h.svc.Issuer(poolID)
	// The members Cognito's document has, and no others (encoding/json
	// sorts them, as Cognito's are): scopes_supported lists the OIDC scopes
	// only, neither aws.cognito.signin.user.admin nor resource servers'
	// scopes; Cognito lists no grant types or PKCE methods. Cognito's
	// response_types_supported adds "token", the implicit grant, which
	// Cognate does not serve.
	doc := map[string]any{
		"issuer":                                iss,
		"jwks_uri":                              iss + "/.well-known/jwks.json",
		"authorization_endpoint":                iss + "/oauth2/authorize",
		"token_endpoint":                        iss + "/oauth2/token",
		"userinfo_endpoint":                     iss + "/oauth2/userInfo",
		"revocation_endpoint":                   iss + "/oauth2/revoke",
		"end_session_endpoint":                  iss + "/logout",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "phone", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(doc)
}
