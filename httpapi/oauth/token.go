package oauth

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/cognate-dev/cognate/userpool"
)

// maxFormBytes bounds the body of the form endpoints.
const maxFormBytes = 64 << 10

// cors lets browser apps (Amplify, oidc-client) call the token, revocation
// and userInfo endpoints from their own origin. No cookies are involved at
// these endpoints, so any origin may read the answers.
func cors(w http.ResponseWriter) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
}

// preflight answers a CORS preflight of the token, revocation and userInfo
// endpoints.
func (h *Handler) preflight(w http.ResponseWriter, _ *http.Request) {
	cors(w)
	hd := w.Header()
	hd.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Amz-User-Agent")
	hd.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// parseForm reads an application/x-www-form-urlencoded body into
// r.PostForm. A parameter given twice is an invalid_request (RFC 6749 §3.2).
func parseForm(w http.ResponseWriter, r *http.Request) error {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/x-www-form-urlencoded" {
		return invalidRequest("the body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return invalidRequest("malformed form body")
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return invalidRequest("parameter " + k + " is repeated")
		}
	}
	return nil
}

// clientAuth returns the client credentials of a token or revocation
// request: HTTP Basic (client_secret_basic) or form client_id and
// client_secret (client_secret_post), never both; basic reports the former.
//
// A client id is required (RFC 6749 §3.2.1: these endpoints authenticate
// every client, and identify a public one by its id). An error of a request
// that used Basic is wrapped in viaBasic.
func clientAuth(r *http.Request) (clientID, secret string, err error) {
	return clientAuthAfter(r, nil)
}

// clientAuthAfter is clientAuth with a check of the request's own
// parameters between reading the credentials and requiring a client id.
func clientAuthAfter(r *http.Request, check func() error) (clientID, secret string, err error) {
	id, secret, basic, err := clientCredentials(r)
	if err == nil && check != nil {
		err = check()
	}
	if err == nil && id == "" {
		err = &protocolError{codeInvalidClient, "client authentication is required (client_id)"}
	}
	if err != nil && basic {
		err = viaBasic{err}
	}
	return id, secret, err
}

// clientCredentials reads the credentials; basic reports HTTP Basic.
func clientCredentials(r *http.Request) (clientID, secret string, basic bool, err error) {
	id, pw, ok := r.BasicAuth()
	formID, formSecret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if !ok {
		if r.Header.Get("Authorization") != "" && !strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "bearer ") {
			return "", "", true, &protocolError{codeInvalidClient, "malformed Authorization header"}
		}
		return formID, formSecret, false, nil
	}
	// RFC 6749 §2.3.1 form-encodes both before Basic; Cognito's ids and
	// secrets never contain '%', so only decode what is visibly encoded
	// (a '+' is literal: secrets may hold '+', never a space).
	id, pw = unescapeBasic(id), unescapeBasic(pw)
	if formSecret != "" {
		return "", "", true, invalidRequest("use one client authentication method, not both")
	}
	if formID != "" && formID != id {
		return "", "", true, &protocolError{codeInvalidClient, "client_id does not match the Authorization header"}
	}
	return id, pw, true, nil
}

func unescapeBasic(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// token is POST /oauth2/token.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) error {
	cors(w)
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, secret, err := clientAuth(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	res, err := h.svc.OAuthToken(r.Context(), r.PathValue("pool"), userpool.TokenRequest{
		GrantType: f.Get("grant_type"), Code: f.Get("code"), RedirectURI: f.Get("redirect_uri"),
		CodeVerifier: f.Get("code_verifier"), RefreshToken: f.Get("refresh_token"), Scope: f.Get("scope"),
		ClientID: id, ClientSecret: secret})
	if err != nil {
		return basicAware(r, err)
	}
	body := map[string]any{"access_token": res.AccessToken, "token_type": res.TokenType, "expires_in": res.ExpiresIn}
	if res.IDToken != "" {
		body["id_token"] = res.IDToken
	}
	if res.RefreshToken != "" {
		body["refresh_token"] = res.RefreshToken
	}
	writeJSON(w, body)
	return nil
}

// basicAware marks err as a failure of a request that used HTTP Basic.
func basicAware(r *http.Request, err error) error {
	if _, _, ok := r.BasicAuth(); ok {
		return viaBasic{err}
	}
	return err
}

// revoke is POST /oauth2/revoke (RFC 7009).
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) error {
	cors(w)
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, secret, err := clientAuthAfter(r, func() error {
		if r.PostForm.Get("token") == "" {
			return invalidRequest("token is required")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := h.svc.OAuthRevoke(r.Context(), r.PathValue("pool"), r.PostForm.Get("token"), id, secret); err != nil {
		return basicAware(r, err)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	return nil
}

// userInfo is GET (or POST) /oauth2/userInfo with a Bearer access token.
func (h *Handler) userInfo(w http.ResponseWriter, r *http.Request) error {
	cors(w)
	raw, ok := bearer(r)
	if !ok {
		return &protocolError{codeInvalidToken, "an access token is required in the Authorization header"}
	}
	claims, err := h.svc.UserInfo(r.Context(), r.PathValue("pool"), raw)
	if err != nil {
		return err
	}
	writeJSON(w, claims)
	return nil
}

// bearer extracts the RFC 6750 Bearer token of the Authorization header.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func writeJSON(w http.ResponseWriter, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json;charset=UTF-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	_, _ = w.Write(b)
}
