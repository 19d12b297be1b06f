package oauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/cognate-dev/cognate/userpool"
)

// endpoint says which endpoint an error answers: the same domain error means
// different OAuth errors at different endpoints (a refused refresh token is
// invalid_grant at the token endpoint, a refused access token invalid_token
// at userInfo).
type endpoint int

const (
	atToken endpoint = iota
	atRevoke
	atUserInfo
)

// oauthError is an error as the wire shows it.
type oauthError struct {
	status int
	code   string
	desc   string
}

// toOAuth is the one place where domain errors become OAuth errors: both
// the OAuth-specific *userpool.OAuthError and the Cognito-named
// *userpool.Error of the shared paths (RevokeToken, refresh). Anything else
// is a server_error, to be logged.
func toOAuth(err error, at endpoint) (oauthError, bool) {
	var oe *userpool.OAuthError
	if errors.As(err, &oe) {
		return oauthError{status: oauthStatus(oe.Code, at), code: oe.Code, desc: oe.Description}, true
	}
	var e *userpool.Error
	if !errors.As(err, &e) {
		return oauthError{status: http.StatusInternalServerError, code: userpool.OAuthServerError, desc: "Internal server error"}, false
	}
	code := ""
	switch e.Code {
	case userpool.CodeInvalidParameter, userpool.CodeUnsupportedOperation:
		// Missing parameters; token revocation disabled for the client.
		code = userpool.OAuthInvalidRequest
	case userpool.CodeResourceNotFound, userpool.CodeUnauthorized:
		// Unknown client; wrong secret, or a token of another client.
		code = userpool.OAuthInvalidClient
	case userpool.CodeUnsupportedTokenType:
		code = userpool.OAuthUnsupportedTokenType
	case userpool.CodeNotAuthorized, userpool.CodeUserNotFound, userpool.CodeRefreshTokenReuse,
		userpool.CodeConcurrentModification:
		code = userpool.OAuthInvalidGrant
		if at == atUserInfo {
			code = userpool.OAuthInvalidToken
		}
	case userpool.CodeTooManyRequests:
		return oauthError{status: http.StatusTooManyRequests, code: "slow_down", desc: e.Message}, true
	case userpool.CodeInternalError:
		return oauthError{status: http.StatusInternalServerError, code: userpool.OAuthServerError, desc: "Internal server error"}, false
	default:
		// Any other domain error is the caller's doing: never a 5xx.
		code = userpool.OAuthInvalidRequest
	}
	return oauthError{status: oauthStatus(code, at), code: code, desc: e.Message}, true
}

// oauthStatus is the HTTP status of an OAuth error code at an endpoint.
// invalid_client is 401 at the revocation endpoint and 400 at the token
// endpoint unless the client used HTTP Basic (the caller upgrades it).
func oauthStatus(code string, at endpoint) int {
	switch code {
	case userpool.OAuthInvalidClient:
		if at == atRevoke {
			return http.StatusUnauthorized
		}
	case userpool.OAuthInvalidToken:
		return http.StatusUnauthorized
	case userpool.OAuthInsufficientScope:
		return http.StatusForbidden
	case userpool.OAuthServerError:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// writeOAuthError answers a token, revocation or userInfo request with an
// RFC 6749 §5.2 JSON error. basic says the client authenticated with HTTP
// Basic: an invalid_client then is 401 with a WWW-Authenticate challenge.
func (h *Handler) writeOAuthError(w http.ResponseWriter, r *http.Request, err error, at endpoint, basic bool) {
	oe, known := toOAuth(err, at)
	if !known {
		h.log.Error("oauth endpoint failed", "path", r.URL.Path, "err", err)
	}
	hd := w.Header()
	switch {
	case oe.code == userpool.OAuthInvalidClient && (basic || oe.status == http.StatusUnauthorized):
		oe.status = http.StatusUnauthorized
		hd.Set("WWW-Authenticate", `Basic realm="`+r.PathValue("pool")+`"`)
	case at == atUserInfo && (oe.status == http.StatusUnauthorized || oe.status == http.StatusForbidden || oe.status == http.StatusBadRequest):
		hd.Set("WWW-Authenticate", `Bearer error="`+oe.code+`", error_description=`+strconv.Quote(oe.desc))
	}
	hd.Set("Content-Type", "application/json;charset=UTF-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	w.WriteHeader(oe.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": oe.code, "error_description": oe.desc})
}
