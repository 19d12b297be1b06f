package oauth

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/userpool"
)

// Cookies of the hosted UI, both scoped to Path=/<poolId>/, HttpOnly,
// SameSite=Lax, and Secure when the public URL is https.
const (
	// sessionCookie holds the web session's secret; the store keeps its hash.
	sessionCookie = "cognate-session"
	// csrfCookie holds the browser's login transaction id; the form
	// carries a token the server minted for that id and that authorization
	// request (userpool.LoginFormToken), so a cookie value an attacker
	// chooses or plants proves nothing by itself.
	csrfCookie = "cognate-csrf"
)

// authorizeKeys are the parameters of an authorization request that the
// hosted UI carries from /oauth2/authorize to /login and back.
var authorizeKeys = []string{"client_id", "redirect_uri", "response_type", "state", "scope",
	"code_challenge", "code_challenge_method", "prompt", "nonce"}

func authorizeParams(q url.Values) userpool.AuthorizeParams {
	return userpool.AuthorizeParams{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"),
		ResponseType: q.Get("response_type"), State: q.Get("state"), Scope: q.Get("scope"),
		CodeChallenge: q.Get("code_challenge"), CodeChallengeMethod: q.Get("code_challenge_method"),
		Prompt: q.Get("prompt"), Nonce: q.Get("nonce")}
}

// authorizeQuery encodes an authorization request's parameters.
func authorizeQuery(p userpool.AuthorizeParams) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"client_id": p.ClientID, "redirect_uri": p.RedirectURI,
		"response_type": p.ResponseType, "state": p.State, "scope": p.Scope, "code_challenge": p.CodeChallenge,
		"code_challenge_method": p.CodeChallengeMethod, "prompt": p.Prompt, "nonce": p.Nonce} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// checkAuthorize validates the authorization request in the query. A
// parameter given twice is refused before anything else: which
// redirect_uri would be the real one?
func (h *Handler) checkAuthorize(r *http.Request) (*userpool.AuthorizeRequest, error) {
	q := r.URL.Query()
	for _, k := range authorizeKeys {
		if len(q[k]) > 1 {
			return nil, invalidRequest("parameter " + k + " is repeated")
		}
	}
	return h.svc.CheckAuthorize(r.Context(), r.PathValue("pool"), authorizeParams(q))
}

// authorize is GET /oauth2/authorize: with a live web session it issues a
// code at once; otherwise it sends the browser to the sign-in page.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) error {
	req, err := h.checkAuthorize(r)
	if err != nil {
		return err
	}
	ws, err := h.liveWebSession(r, req)
	if err != nil {
		return err
	}
	if ws != nil {
		return h.issueCode(w, r, req, ws)
	}
	if req.Prompt == "none" {
		return &userpool.Error{Kind: userpool.KindLoginRequired, Message: "the user is not signed in",
			RedirectURI: req.RedirectURI, State: req.State}
	}
	http.Redirect(w, r, h.poolPath(r, "login")+"?"+authorizeQuery(req.AuthorizeParams).Encode(), http.StatusFound)
	return nil
}

// liveWebSession is the browser's web session, unless the request forces a
// fresh sign-in (prompt=login).
func (h *Handler) liveWebSession(r *http.Request, req *userpool.AuthorizeRequest) (*userpool.WebSession, error) {
	if req.Prompt == "login" {
		return nil, nil
	}
	return h.webSession(r)
}

// loginForm is GET /login: the sign-in page (or, with a live web session,
// straight back to the authorization endpoint).
func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) error {
	req, err := h.checkAuthorize(r)
	if err != nil {
		return err
	}
	ws, err := h.liveWebSession(r, req)
	if err != nil {
		return err
	}
	if ws != nil {
		http.Redirect(w, r, h.poolPath(r, "oauth2/authorize")+"?"+authorizeQuery(req.AuthorizeParams).Encode(), http.StatusFound)
		return nil
	}
	return h.showLogin(w, r, req, http.StatusOK, "", "")
}

// login is POST /login: check the CSRF token and the password, start a web
// session, and go back to the authorization endpoint for the code.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) error {
	req, err := h.checkAuthorize(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return invalidRequest("The sign-in form could not be read.")
	}
	username := strings.TrimSpace(r.PostForm.Get("username"))
	ok, err := h.checkLoginForm(r, req)
	if err != nil {
		return err
	}
	if !ok {
		return h.showLogin(w, r, req, http.StatusForbidden, username, msgFormExpired)
	}
	tx, _ := r.Cookie(csrfCookie) // checkLoginForm saw it
	res, err := h.svc.HostedSignIn(r.Context(), userpool.LoginInput{Request: req, Username: username,
		Password: r.PostForm.Get("password"), Tx: tx.Value})
	if err != nil {
		e := userpool.AsError(err)
		if e == nil || e.Kind == userpool.KindInternal {
			return err
		}
		status, msg := loginFailure(e)
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int((e.RetryAfter+time.Second-1)/time.Second))))
		}
		return h.showLogin(w, r, req, status, username, msg)
	}
	if res.MFA != nil {
		return h.showMFA(w, r, req, res.MFA, http.StatusOK, "")
	}
	return h.signedIn(w, r, req, res)
}

// signedIn gives the browser its new web session (ending the one it had)
// and goes back to the authorization endpoint for the code.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request, req *userpool.AuthorizeRequest, res *userpool.HostedLoginResult) error {
	cookie, ws := res.Cookie, res.Session
	if old, err := r.Cookie(sessionCookie); err == nil {
		if err := h.svc.EndWebSession(r.Context(), req.PoolID, old.Value); err != nil {
			h.log.Warn("end previous web session", "err", err)
		}
	}
	h.setCookie(w, r, sessionCookie, cookie, int(ws.ExpiresAt.Sub(ws.CreatedAt)/time.Second))
	p := req.AuthorizeParams
	p.Prompt = "" // signed in just now: prompt=login is satisfied
	http.Redirect(w, r, h.poolPath(r, "oauth2/authorize")+"?"+authorizeQuery(p).Encode(), http.StatusSeeOther)
	return nil
}

// showLogin renders the sign-in page.
func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request, req *userpool.AuthorizeRequest, status int, username, msg string) error {
	return h.showPage(w, r, req, "login", status, loginPage{Username: username, Error: msg})
}

// showPage renders one of the sign-in pages (login, forgot, confirmforgot)
// with the form token minted for the browser's login transaction (a new
// one, with its cookie, when the browser has none) and this authorization
// request. Several tabs share the transaction; each form is bound to its
// own request.
func (h *Handler) showPage(w http.ResponseWriter, r *http.Request, req *userpool.AuthorizeRequest, page string, status int, data loginPage) error {
	tx := ""
	if c, err := r.Cookie(csrfCookie); err == nil && txRE.MatchString(c.Value) {
		tx = c.Value
	}
	if tx == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return fmt.Errorf("login transaction id: %w", err)
		}
		tx = base64.RawURLEncoding.EncodeToString(b)
		h.setCookie(w, r, csrfCookie, tx, 0)
	}
	query := authorizeQuery(req.AuthorizeParams).Encode()
	token, err := h.svc.LoginFormToken(r.Context(), req.PoolID, tx, query)
	if err != nil {
		return err
	}
	action := map[string]string{"login": "login", "forgot": "forgotPassword", "confirmforgot": "confirmForgotPassword"}[page]
	data.ClientName, data.CSRF = req.ClientName, token
	data.Action = h.poolPath(r, action) + "?" + query
	data.UsernameLabel = usernameLabel(req.SignInWith)
	data.UsernameLabelLower = strings.ToLower(data.UsernameLabel)
	data.ForgotURL = h.poolPath(r, "forgotPassword") + "?" + query
	data.LoginURL = h.poolPath(r, "login") + "?" + query
	h.render(w, page, status, data)
	return nil
}

// txRE matches a login transaction id as showLogin makes them.
var txRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// checkLoginForm verifies a posted sign-in form: it comes from this
// server's own pages (the Origin header, when the browser sends one) and
// carries the token minted for the browser's login transaction and this
// authorization request.
func (h *Handler) checkLoginForm(r *http.Request, req *userpool.AuthorizeRequest) (bool, error) {
	if origin := r.Header.Get("Origin"); origin != "" && origin != issuerOrigin(h.svc.Issuer(req.PoolID)) &&
		(!viaDomain(r) || origin != requestOrigin(h.svc.Issuer(req.PoolID), r)) { // hostrouting.go
		return false, nil
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || !txRE.MatchString(c.Value) {
		return false, nil
	}
	return h.svc.CheckLoginFormToken(r.Context(), req.PoolID, c.Value, authorizeQuery(req.AuthorizeParams).Encode(),
		r.PostForm.Get("_csrf"))
}

// issuerOrigin is the scheme://host[:port] of an issuer URL: the origin a
// browser names when it posts one of the hosted UI's own forms.
func issuerOrigin(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// forgotForm is GET /forgotPassword: the page asking for the username to
// send a password-reset code to.
func (h *Handler) forgotForm(w http.ResponseWriter, r *http.Request) error {
	req, err := h.checkAuthorize(r)
	if err != nil {
		return err
	}
	return h.showPage(w, r, req, "forgot", http.StatusOK, loginPage{})
}

// forgot is POST /forgotPassword: send the code, then ask for it and the
// new password.
func (h *Handler) forgot(w http.ResponseWriter, r *http.Request) error {
	req, username, ok, err := h.readPageForm(w, r)
	if err != nil || !ok {
		return err
	}
	d, err := h.svc.HostedForgotPassword(r.Context(), req, username)
	if err != nil {
		status, msg, ferr := pageFailure(err)
		if ferr != nil {
			return ferr
		}
		return h.showPage(w, r, req, "forgot", status, loginPage{Username: username, Error: msg})
	}
	return h.showPage(w, r, req, "confirmforgot", http.StatusOK, loginPage{Username: username,
		Notice: "We sent a code to " + d.Destination + ". Enter it with your new password."})
}

// confirmForgot is POST /confirmForgotPassword: set the new password with
// the code, then back to the sign-in page.
func (h *Handler) confirmForgot(w http.ResponseWriter, r *http.Request) error {
	req, username, ok, err := h.readPageForm(w, r)
	if err != nil || !ok {
		return err
	}
	err = h.svc.HostedConfirmForgotPassword(r.Context(), req, username, strings.TrimSpace(r.PostForm.Get("code")),
		r.PostForm.Get("password"))
	if err != nil {
		status, msg, ferr := pageFailure(err)
		if ferr != nil {
			return ferr
		}
		return h.showPage(w, r, req, "confirmforgot", status, loginPage{Username: username, Error: msg})
	}
	return h.showPage(w, r, req, "login", http.StatusOK, loginPage{Username: username,
		Notice: "Your password has been reset. Sign in with your new password."})
}

// readPageForm reads and checks a posted password-reset form. When the
// form's token is not good it answers the page itself (ok false).
func (h *Handler) readPageForm(w http.ResponseWriter, r *http.Request) (req *userpool.AuthorizeRequest, username string, ok bool, err error) {
	req, err = h.checkAuthorize(r)
	if err != nil {
		return nil, "", false, err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, "", false, invalidRequest("The form could not be read.")
	}
	username = strings.TrimSpace(r.PostForm.Get("username"))
	good, err := h.checkLoginForm(r, req)
	if err != nil {
		return nil, "", false, err
	}
	if !good {
		return nil, "", false, h.showPage(w, r, req, "forgot", http.StatusForbidden, loginPage{Username: username, Error: msgFormExpired})
	}
	return req, username, true, nil
}

// logout is GET /logout: end the web session, then go to the registered
// logout_uri, or sign in again at /login with the given redirect_uri.
// Unregistered URIs get an error page, never a redirect.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for _, k := range []string{"client_id", "logout_uri", "redirect_uri", "response_type"} {
		if len(q[k]) > 1 {
			return invalidRequest("Parameter " + k + " is repeated.")
		}
	}
	pool := r.PathValue("pool")
	target, err := h.svc.CheckLogout(r.Context(), pool, userpool.LogoutParams{ClientID: q.Get("client_id"),
		LogoutURI: q.Get("logout_uri"), RedirectURI: q.Get("redirect_uri"), ResponseType: q.Get("response_type")})
	if err != nil {
		return err
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := h.svc.EndWebSession(r.Context(), pool, c.Value); err != nil {
			return err
		}
	}
	h.setCookie(w, r, sessionCookie, "", -1)
	if target == "" {
		target = h.poolPath(r, "login") + "?" + authorizeQuery(authorizeParams(q)).Encode()
	}
	http.Redirect(w, r, target, http.StatusFound)
	return nil
}

// webSession returns the request's live web session, or nil.
func (h *Handler) webSession(r *http.Request) (*userpool.WebSession, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, nil
	}
	return h.svc.GetWebSession(r.Context(), r.PathValue("pool"), c.Value)
}

// issueCode answers an authorization request of a signed-in browser with a
// code at the client's redirect URI.
func (h *Handler) issueCode(w http.ResponseWriter, r *http.Request, req *userpool.AuthorizeRequest, ws *userpool.WebSession) error {
	code, err := h.svc.IssueCode(r.Context(), req, ws)
	if err != nil {
		return err
	}
	params := url.Values{"code": {code}}
	if req.State != "" {
		params.Set("state", req.State)
	}
	http.Redirect(w, r, withQuery(req.RedirectURI, params), http.StatusFound)
	return nil
}

// withQuery adds params to a URI, keeping the query it already has.
func withQuery(uri string, params url.Values) string {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + params.Encode()
}

// poolPath is the absolute path of one of the pool's pages.
func (h *Handler) poolPath(r *http.Request, page string) string {
	if viaDomain(r) { // hostrouting.go: the browser sees no /<poolId>
		return "/" + page
	}
	return "/" + url.PathEscape(r.PathValue("pool")) + "/" + page
}

// setCookie sets a hosted-UI cookie for maxAge seconds; 0 makes a
// browser-session cookie and a negative maxAge clears the cookie.
func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	pool := r.PathValue("pool")
	path := "/" + url.PathEscape(pool) + "/"
	if viaDomain(r) { // hostrouting.go: the domain is the pool's alone
		path = "/"
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(h.svc.Issuer(pool), "https://")})
}
