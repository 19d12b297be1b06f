package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/userpool"
)

// This file is the one place where errors become OAuth 2.0 errors (RFC 6749
// §4.1.2.1 and §5.2, RFC 7009, RFC 6750, OIDC Core §3.1.2.6): every handler
// returns its error, and writeError answers it in the shape of its endpoint.

// endpoint says how an endpoint answers errors.
type endpoint int

const (
	atToken     endpoint = iota // JSON error, RFC 6749 §5.2
	atRevoke                    // JSON error; invalid_client is 401 (RFC 7009)
	atUserInfo                  // JSON error with a Bearer challenge (RFC 6750)
	atBrowser                   // authorize, login, logout: back to the client, or an error page
	atWellKnown                 // discovery and JWKS: JSON not_found
)

// OAuth error codes.
const (
	codeInvalidRequest          = "invalid_request"
	codeInvalidClient           = "invalid_client"
	codeInvalidGrant            = "invalid_grant"
	codeUnauthorizedClient      = "unauthorized_client"
	codeUnsupportedGrantType    = "unsupported_grant_type"
	codeUnsupportedResponseType = "unsupported_response_type"
	codeUnsupportedTokenType    = "unsupported_token_type"
	codeInvalidScope            = "invalid_scope"
	codeInvalidToken            = "invalid_token"
	codeInsufficientScope       = "insufficient_scope"
	codeLoginRequired           = "login_required"
	codeSlowDown                = "slow_down"
	codeServerError             = "server_error"
)

// codes maps each domain error kind to its OAuth error code.
var codes = map[userpool.Kind]string{
	userpool.KindInternal:              codeServerError,
	userpool.KindInvalid:               codeInvalidRequest,
	userpool.KindNotFound:              codeInvalidRequest, // an unknown pool; an unknown client is below
	userpool.KindUserNotFound:          codeInvalidGrant,
	userpool.KindUserExists:            codeInvalidRequest,
	userpool.KindNotAuthorized:         codeInvalidGrant,
	userpool.KindClientAuthFailed:      codeInvalidClient,
	userpool.KindWrongClient:           codeInvalidClient,
	userpool.KindNotAllowed:            codeUnauthorizedClient,
	userpool.KindFeatureDisabled:       codeInvalidRequest,
	userpool.KindTokenTypeUnsupported:  codeUnsupportedTokenType,
	userpool.KindTokenReuse:            codeInvalidGrant,
	userpool.KindConflict:              codeInvalidGrant,
	userpool.KindThrottled:             codeSlowDown,
	userpool.KindScopeNotAllowed:       codeInvalidScope,
	userpool.KindUnsupported:           codeUnsupportedGrantType, // at the token endpoint; see code
	userpool.KindLoginRequired:         codeLoginRequired,
	userpool.KindWeakPassword:          codeInvalidRequest,
	userpool.KindCodeMismatch:          codeInvalidGrant,
	userpool.KindCodeExpired:           codeInvalidGrant,
	userpool.KindUserNotConfirmed:      codeInvalidGrant,
	userpool.KindPasswordResetRequired: codeInvalidGrant,
	userpool.KindUserState:             codeInvalidGrant,
	userpool.KindLimitExceeded:         codeInvalidGrant,
	userpool.KindAliasExists:           codeInvalidRequest,
	userpool.KindDeliveryFailed:        codeServerError,
	userpool.KindLambdaValidation:      codeInvalidRequest,
	userpool.KindLambdaUnexpected:      codeServerError,
	userpool.KindLambdaResponse:        codeServerError,
}

// descriptions are the error_description of causes that carry no message
// of their own; %s is the error's subject.
var descriptions = map[userpool.Cause]string{
	userpool.CausePoolNotFound:         "User pool %s does not exist.",
	userpool.CauseAccessTokenInvalid:   "Invalid Access Token",
	userpool.CauseAccessTokenExpired:   "Access Token has expired",
	userpool.CauseAccessTokenRevoked:   "Access Token has been revoked",
	userpool.CauseAccessTokenScope:     "the access token does not have the openid scope",
	userpool.CauseRefreshTokenInvalid:  "Invalid Refresh Token.",
	userpool.CauseRefreshTokenExpired:  "Refresh Token has expired",
	userpool.CauseRefreshTokenRevoked:  "Refresh Token has been revoked",
	userpool.CauseUserDisabled:         "User is disabled.",
	userpool.CauseUserNotFound:         "User does not exist.",
	userpool.CauseClientSecret:         "client authentication failed",
	userpool.CauseSecretOnPublicClient: "the client has no secret",
}

// code is the OAuth error code of a domain error at an endpoint.
func code(e *userpool.Error, at endpoint) string {
	switch {
	case e.Kind == userpool.KindInternal:
		return codeServerError
	case at == atUserInfo && e.Cause == userpool.CauseAccessTokenScope:
		return codeInsufficientScope
	case at == atUserInfo:
		return codeInvalidToken // any refused access token
	case e.Cause == userpool.CauseClientNotFound:
		return codeInvalidClient
	case e.Kind == userpool.KindUnsupported && at == atBrowser:
		return codeUnsupportedResponseType
	}
	if c, ok := codes[e.Kind]; ok {
		return c
	}
	return codeInvalidRequest // the caller's doing, never a 5xx
}

// description is the error_description of a domain error.
func description(e *userpool.Error) string {
	if e.Message != "" {
		return e.Message
	}
	if d, ok := descriptions[e.Cause]; ok {
		if strings.Contains(d, "%s") {
			return fmt.Sprintf(d, e.Subject)
		}
		return d
	}
	if e.Violation != nil {
		return e.Violation.String()
	}
	return e.Kind.String()
}

// status is the HTTP status of an OAuth error code at an endpoint.
// invalid_client is 401 at the revocation endpoint, and at the token
// endpoint when the client used HTTP Basic (writeError upgrades it).
func status(code string, at endpoint) int {
	switch code {
	case codeInvalidClient:
		if at == atRevoke {
			return http.StatusUnauthorized
		}
	case codeInvalidToken:
		return http.StatusUnauthorized
	case codeInsufficientScope:
		return http.StatusForbidden
	case codeSlowDown:
		return http.StatusTooManyRequests
	case codeServerError:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// protocolError is a refusal of the OAuth protocol itself (a malformed
// form, a missing parameter), before any domain rule is asked.
type protocolError struct {
	code string
	desc string
}

func (e *protocolError) Error() string { return e.code + ": " + e.desc }

func invalidRequest(desc string) error { return &protocolError{codeInvalidRequest, desc} }

// viaBasic marks an error of a request whose client used HTTP Basic: an
// invalid_client then is 401 with a Basic challenge (RFC 6749 §5.2).
type viaBasic struct{ error }

func (e viaBasic) Unwrap() error { return e.error }

// errPanic stands for a panic recovered while serving a request.
var errPanic = errors.New("panic serving request")

// oauthError is an error as the wire shows it.
type oauthError struct {
	status    int
	code      string
	desc      string
	redirect  string // an authorization error to send back to the client
	state     string
	internal  bool
	domainErr *userpool.Error
}

// toOAuth maps any error at an endpoint.
func toOAuth(err error, at endpoint) oauthError {
	var pe *protocolError
	if errors.As(err, &pe) {
		return oauthError{status: status(pe.code, at), code: pe.code, desc: pe.desc}
	}
	e := userpool.AsError(err)
	if e == nil || e.Kind == userpool.KindInternal {
		return oauthError{status: http.StatusInternalServerError, code: codeServerError, desc: "Internal server error", internal: true}
	}
	c := code(e, at)
	return oauthError{status: status(c, at), code: c, desc: description(e), redirect: e.RedirectURI, state: e.State, domainErr: e}
}

// writeError is the one writer of errors, in the shape of the endpoint.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, at endpoint, err error) {
	oe := toOAuth(err, at)
	switch {
	case oe.internal && !errors.Is(err, errPanic):
		h.log.Error("oauth endpoint failed", "path", r.URL.Path, "err", err)
	case oe.domainErr != nil:
		h.log.Debug("oauth request refused", "path", r.URL.Path, "code", oe.code, "kind", oe.domainErr.Kind.String(),
			"cause", string(oe.domainErr.Cause), "reason", string(oe.domainErr.Reason))
	}
	switch at {
	case atBrowser:
		h.writePageError(w, r, oe)
		return
	case atWellKnown:
		w.Header().Set("Content-Type", "application/json")
		if oe.internal {
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": codeServerError})
			return
		}
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "not_found", "error_description": oe.desc})
		return
	}
	hd := w.Header()
	var vb viaBasic
	switch {
	case oe.code == codeInvalidClient && (errors.As(err, &vb) || oe.status == http.StatusUnauthorized):
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

// writePageError answers a failed browser request: back to the client's
// validated redirect URI with error= (RFC 6749 §4.1.2.1), or an error page
// when the redirect URI is not known to be the client's.
func (h *Handler) writePageError(w http.ResponseWriter, r *http.Request, oe oauthError) {
	if oe.redirect != "" {
		params := url.Values{"error": {oe.code}, "error_description": {oe.desc}}
		if oe.state != "" {
			params.Set("state", oe.state)
		}
		http.Redirect(w, r, withQuery(oe.redirect, params), http.StatusFound)
		return
	}
	if oe.internal {
		h.showError(w, http.StatusInternalServerError, codeServerError, "The sign-in service is unavailable. Please try again later.")
		return
	}
	h.showError(w, http.StatusBadRequest, oe.code, sentence(oe.desc))
}

// sentence ends a description with a period (descriptions often start
// with a parameter name, which keeps its case).
func sentence(s string) string {
	if s != "" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// handlerFunc is an endpoint: it writes its answer, or returns an error
// for writeError to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts an endpoint to net/http: errors go to the one writer, and a
// panic is answered in the endpoint's own error shape (the stack is logged).
func (h *Handler) handle(at endpoint, f handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.log.Error("panic serving request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				h.writeError(w, r, at, errPanic)
			}
		}()
		ctx := userpool.WithCaller(r.Context(), userpool.Caller{IP: h.clientIP.ClientIP(r), UserAgent: r.UserAgent()})
		r = r.WithContext(ctx)
		if err := f(w, r); err != nil {
			h.writeError(w, r, at, err)
		}
	}
}
