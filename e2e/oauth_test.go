package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

const (
	callbackURL = "http://localhost:3000/callback"
	signOutURL  = "http://localhost:3000/signed-out"
	fullScope   = "openid email profile aws.cognito.signin.user.admin"
)

// hostedUI drives a pool's hosted UI like a browser: a cookie jar, and
// redirects inspected one by one instead of followed.
type hostedUI struct {
	t                    *testing.T
	s                    *testserver.Server
	pool, client, secret string
	hc                   *http.Client
}

func newHostedUI(t *testing.T, s *testserver.Server, opts ...testserver.PoolOption) *hostedUI {
	t.Helper()
	opts = append([]testserver.PoolOption{testserver.WithOAuth(testserver.OAuthSettings{
		CallbackURLs: []string{callbackURL, "http://localhost:3000/other?keep=1"},
		LogoutURLs:   []string{signOutURL}})}, opts...)
	pool, client, secret := s.NewPool(t, opts...)
	return &hostedUI{t: t, s: s, pool: pool, client: client, secret: secret, hc: newBrowser()}
}

// newBrowser is an HTTP client with a cookie jar that does not follow redirects.
func newBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (h *hostedUI) url(path string) string { return h.s.URL + "/" + h.pool + path }

type response struct {
	status int
	header http.Header
	body   string
}

func (r response) location() string { return r.header.Get("Location") }

func (h *hostedUI) do(req *http.Request) response {
	h.t.Helper()
	res, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (h *hostedUI) get(rawURL string) response {
	h.t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = h.s.URL + rawURL
	}
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	return h.do(req)
}

func (h *hostedUI) postForm(rawURL string, form url.Values, basicUser, basicPass string) response {
	h.t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = h.s.URL + rawURL
	}
	req, _ := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(basicUser, basicPass)
	}
	return h.do(req)
}

// pkce returns a fresh code verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeURL is an authorization request; extra overrides or (with "")
// removes parameters.
func (h *hostedUI) authorizeURL(challenge string, extra map[string]string) string {
	q := url.Values{"client_id": {h.client}, "redirect_uri": {callbackURL}, "response_type": {"code"},
		"state": {"st-123"}, "scope": {fullScope}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	for k, v := range extra {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return h.url("/oauth2/authorize?" + q.Encode())
}

var (
	csrfRE   = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
)

// loginForm checks that r is the sign-in page and returns its form's
// action URL and CSRF token.
func (h *hostedUI) loginForm(r response) (action, csrf string) {
	h.t.Helper()
	if r.status != http.StatusOK || !strings.Contains(r.body, `<form method="post"`) {
		h.t.Fatalf("want the sign-in page, got %d %q", r.status, r.body)
	}
	a, c := actionRE.FindStringSubmatch(r.body), csrfRE.FindStringSubmatch(r.body)
	if a == nil || c == nil {
		h.t.Fatalf("sign-in page without form action or CSRF token: %s", r.body)
	}
	return html.UnescapeString(a[1]), c[1]
}

// openLogin runs an authorization request that must end at the sign-in page.
func (h *hostedUI) openLogin(authorize string) (action, csrf string) {
	h.t.Helper()
	r := h.get(authorize)
	if r.status != http.StatusFound || !strings.HasPrefix(r.location(), "/"+h.pool+"/login?") {
		h.t.Fatalf("authorize without a session: %d Location %q, want 302 to the login page", r.status, r.location())
	}
	return h.loginForm(h.get(r.location()))
}

func (h *hostedUI) submitLogin(action, csrf, user, pass string) response {
	h.t.Helper()
	return h.postForm(action, url.Values{"username": {user}, "password": {pass}, "_csrf": {csrf}}, "", "")
}

// callback checks that r redirects to the callback URL with a code and the
// state, and returns the code.
func (h *hostedUI) callback(r response) string {
	h.t.Helper()
	if r.status != http.StatusFound || !strings.HasPrefix(r.location(), callbackURL+"?") {
		h.t.Fatalf("want a redirect to the callback, got %d Location %q body %q", r.status, r.location(), r.body)
	}
	u, _ := url.Parse(r.location())
	if u.Query().Get("state") != "st-123" || u.Query().Get("code") == "" {
		h.t.Fatalf("callback %q: want a code and state=st-123", r.location())
	}
	return u.Query().Get("code")
}

// with returns h reporting to t (a subtest).
func (h *hostedUI) with(t *testing.T) *hostedUI {
	c := *h
	c.t = t
	return &c
}

// signIn runs the whole browser flow, with prompt=login so that it asks
// for the password even when the browser is signed in already, and returns
// a code and its verifier.
func (h *hostedUI) signIn(user, pass string, extra map[string]string) (code, verifier string) {
	h.t.Helper()
	verifier, challenge := pkce()
	withPrompt := map[string]string{"prompt": "login"}
	for k, v := range extra {
		withPrompt[k] = v
	}
	action, csrf := h.openLogin(h.authorizeURL(challenge, withPrompt))
	r := h.submitLogin(action, csrf, user, pass)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/"+h.pool+"/oauth2/authorize?") {
		h.t.Fatalf("POST login: %d Location %q, want 303 to authorize; body %q", r.status, r.location(), r.body)
	}
	if !strings.Contains(r.header.Get("Set-Cookie"), "HttpOnly") || !strings.Contains(r.header.Get("Set-Cookie"), "SameSite=Lax") ||
		!strings.Contains(r.header.Get("Set-Cookie"), "Path=/"+h.pool+"/") {
		h.t.Fatalf("session cookie %q: want HttpOnly, SameSite=Lax, Path=/<pool>/", r.header.Get("Set-Cookie"))
	}
	return h.callback(h.get(r.location())), verifier
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Error        string `json:"error"`
}

func (h *hostedUI) tokenCall(form url.Values, basicUser, basicPass string) (response, tokens) {
	h.t.Helper()
	r := h.postForm(h.url("/oauth2/token"), form, basicUser, basicPass)
	var tk tokens
	if err := json.Unmarshal([]byte(r.body), &tk); err != nil {
		h.t.Fatalf("token endpoint: %d %q is not JSON", r.status, r.body)
	}
	return r, tk
}

func (h *hostedUI) exchange(code, verifier string) tokens {
	h.t.Helper()
	return h.exchangeAt(callbackURL, code, verifier)
}

func (h *hostedUI) exchangeAt(redirectURI, code, verifier string) tokens {
	h.t.Helper()
	r, tk := h.tokenCall(url.Values{"grant_type": {"authorization_code"}, "client_id": {h.client}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier}}, "", "")
	if r.status != http.StatusOK || tk.AccessToken == "" {
		h.t.Fatalf("code exchange: %d %s", r.status, r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		h.t.Errorf("token response Cache-Control = %q, want no-store", r.header.Get("Cache-Control"))
	}
	return tk
}

func wantOAuthError(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal([]byte(r.body), &e)
	if r.status != status || e.Error != code {
		t.Errorf("%s: got %d %q, want %d error=%s", what, r.status, r.body, status, code)
	}
}

// TestHostedUICodeFlow is the whole authorization code flow with PKCE: the
// tokens are a real token family, usable at the user-pool APIs and
// refreshable; a second authorization rides on the web session.
func TestHostedUICodeFlow(t *testing.T) {
	s := testserver.Start(t)
	h := newHostedUI(t, s)
	s.NewUser(t, h.pool, "alice", password)

	code, verifier := h.signIn("alice", password, nil)
	tk := h.exchange(code, verifier)
	if tk.TokenType != "Bearer" || tk.ExpiresIn != 3600 || tk.IDToken == "" || tk.RefreshToken == "" {
		t.Fatalf("tokens = %+v", tk)
	}
	ac, ic := claims(t, tk.AccessToken), claims(t, tk.IDToken)
	if ac["token_use"] != "access" || ac["client_id"] != h.client || ac["scope"] != fullScope || ac["origin_jti"] == nil ||
		ac["username"] != "alice" || ac["iss"] != s.URL+"/"+h.pool {
		t.Fatalf("access token claims %v", ac)
	}
	if ic["token_use"] != "id" || ic["aud"] != h.client || ic["email"] != "alice@example.com" || ic["origin_jti"] != ac["origin_jti"] {
		t.Fatalf("ID token claims %v", ic)
	}
	u, err := getUser(s.Admin, tk.AccessToken)
	if err != nil || aws.ToString(u.Username) != "alice" {
		t.Fatalf("GetUser with a hosted-UI access token: %v %v", u, err)
	}

	// Refresh at the token endpoint: same family, no new refresh token without rotation.
	r, rt := h.tokenCall(url.Values{"grant_type": {"refresh_token"}, "client_id": {h.client}, "refresh_token": {tk.RefreshToken}}, "", "")
	if r.status != http.StatusOK || rt.RefreshToken != "" || rt.IDToken == "" || claims(t, rt.AccessToken)["origin_jti"] != ac["origin_jti"] {
		t.Fatalf("refresh grant: %d %s", r.status, r.body)
	}
	// And through the API, like any other family.
	if _, err := refresh(s.Admin, h.client, tk.RefreshToken); err != nil {
		t.Fatalf("REFRESH_TOKEN_AUTH with a hosted-UI refresh token: %v", err)
	}

	// Codes are single use, and a replayed code revokes the family its first
	// redemption started (RFC 6749 4.1.2): the code may have been stolen.
	r, _ = h.tokenCall(url.Values{"grant_type": {"authorization_code"}, "client_id": {h.client}, "code": {code},
		"redirect_uri": {callbackURL}, "code_verifier": {verifier}}, "", "")
	wantOAuthError(t, "code reuse", r, http.StatusBadRequest, "invalid_grant")
	_, err = refresh(s.Admin, h.client, tk.RefreshToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
	_, err = getUser(s.Admin, tk.AccessToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")

	// Signed in already: the next authorization gets a code at once, even
	// for another registered callback (whose own query is kept).
	_, challenge := pkce()
	r = h.get(h.authorizeURL(challenge, map[string]string{"redirect_uri": "http://localhost:3000/other?keep=1"}))
	if r.status != http.StatusFound || !strings.HasPrefix(r.location(), "http://localhost:3000/other?keep=1&code=") {
		t.Fatalf("authorize with a web session: %d %q", r.status, r.location())
	}
	// prompt=login asks for the password again.
	r = h.get(h.authorizeURL(challenge, map[string]string{"prompt": "login"}))
	if r.status != http.StatusFound || !strings.Contains(r.location(), "/login?") {
		t.Fatalf("authorize with prompt=login: %d %q", r.status, r.location())
	}
	h.loginForm(h.get(r.location()))
}

// TestHostedUIScopes: the scopes granted are the ones requested (all the
// allowed ones when none are); no openid, no ID token; no admin scope, no
// user-pool APIs.
func TestHostedUIScopes(t *testing.T) {
	s := testserver.Start(t)
	h := newHostedUI(t, s)
	s.NewUser(t, h.pool, "alice", password)

	code, verifier := h.signIn("alice", password, map[string]string{"scope": "aws.cognito.signin.user.admin"})
	tk := h.exchange(code, verifier)
	if tk.IDToken != "" || claims(t, tk.AccessToken)["scope"] != "aws.cognito.signin.user.admin" {
		t.Fatalf("without openid: id_token %v, scope %v", tk.IDToken != "", claims(t, tk.AccessToken)["scope"])
	}
	if _, rt := h.tokenCall(url.Values{"grant_type": {"refresh_token"}, "client_id": {h.client}, "refresh_token": {tk.RefreshToken}}, "", ""); rt.IDToken != "" || rt.AccessToken == "" {
		t.Fatalf("refresh without openid: %+v", rt)
	}

	code, verifier = h.signIn("alice", password, map[string]string{"scope": "openid email"})
	tk = h.exchange(code, verifier)
	if tk.IDToken == "" || claims(t, tk.AccessToken)["scope"] != "openid email" {
		t.Fatalf("openid email: %+v", tk)
	}
	_, err := getUser(s.Admin, tk.AccessToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Access Token does not have required scopes")

	code, verifier = h.signIn("alice", password, map[string]string{"scope": ""})
	if sc := claims(t, h.exchange(code, verifier).AccessToken)["scope"]; sc != strings.Join(testserver.DefaultOAuthScopes, " ") {
		t.Fatalf("no scope requested: granted %v, want every allowed scope", sc)
	}
}

// TestAuthorizeErrors: before the redirect URI is validated, an error page;
// after, a redirect with error= and the state.
func TestAuthorizeErrors(t *testing.T) {
	s := testserver.Start(t)
	h := newHostedUI(t, s)
	noOAuth := newHostedUI(t, s, testserver.WithOAuth(testserver.OAuthSettings{CallbackURLs: []string{callbackURL}, Disabled: true}))
	secretClient := newHostedUI(t, s, testserver.WithSecret())
	_, challenge := pkce()

	for _, tc := range []struct {
		name  string
		h     *hostedUI
		extra map[string]string
		page  bool   // an error page, no redirect
		code  string // the error= of the redirect
	}{
		{"unknown client", h, map[string]string{"client_id": "nosuchclient0000000000000"}, true, ""},
		{"missing client", h, map[string]string{"client_id": ""}, true, ""},
		{"unregistered redirect_uri", h, map[string]string{"redirect_uri": "https://evil.example/cb"}, true, ""},
		{"redirect_uri prefix", h, map[string]string{"redirect_uri": callbackURL + "/x"}, true, ""},
		{"missing redirect_uri", h, map[string]string{"redirect_uri": ""}, true, ""},
		{"missing response_type", h, map[string]string{"response_type": ""}, false, "invalid_request"},
		{"implicit", h, map[string]string{"response_type": "token"}, false, "unsupported_response_type"},
		{"client without OAuth", noOAuth, nil, false, "unauthorized_client"},
		{"scope not allowed", h, map[string]string{"scope": "openid phone"}, false, "invalid_scope"},
		{"email without openid", h, map[string]string{"scope": "email"}, false, "invalid_scope"},
		{"public client without PKCE", h, map[string]string{"code_challenge": "", "code_challenge_method": ""}, false, "invalid_request"},
		{"plain PKCE", h, map[string]string{"code_challenge_method": "plain"}, false, "invalid_request"},
		{"malformed challenge", h, map[string]string{"code_challenge": "short"}, false, "invalid_request"},
		{"prompt=none without a session", h, map[string]string{"prompt": "none"}, false, "login_required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := tc.h.with(t)
			r := x.get(x.authorizeURL(challenge, tc.extra))
			if tc.page {
				if r.status != http.StatusBadRequest || r.location() != "" || !strings.Contains(r.body, "<h1") ||
					!strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
					t.Fatalf("got %d Location %q, want a 400 error page", r.status, r.location())
				}
				return
			}
			u, err := url.Parse(r.location())
			if r.status != http.StatusFound || err != nil || !strings.HasPrefix(r.location(), callbackURL+"?") ||
				u.Query().Get("error") != tc.code || u.Query().Get("state") != "st-123" || u.Query().Get("code") != "" {
				t.Fatalf("got %d Location %q, want a redirect with error=%s", r.status, r.location(), tc.code)
			}
		})
	}
	// A confidential client may skip PKCE.
	r := secretClient.get(secretClient.authorizeURL("", map[string]string{"code_challenge_method": ""}))
	if r.status != http.StatusFound || !strings.Contains(r.location(), "/login?") {
		t.Fatalf("confidential client without PKCE: %d %q", r.status, r.location())
	}
	// Repeated parameters are refused with a page.
	r = h.get(h.authorizeURL(challenge, nil) + "&redirect_uri=" + url.QueryEscape("https://evil.example/"))
	if r.status != http.StatusBadRequest || r.location() != "" {
		t.Fatalf("repeated redirect_uri: %d %q", r.status, r.location())
	}
	// An unknown pool.
	r = h.get(s.URL + "/us-east-1_Nope12345/oauth2/authorize?client_id=" + h.client)
	if r.status != http.StatusBadRequest || r.location() != "" {
		t.Fatalf("unknown pool: %d %q", r.status, r.location())
	}
}

// TestLoginPage: the page itself, its errors and its CSRF protection.
func TestLoginPage(t *testing.T) {
	s := testserver.Start(t)
	h := newHostedUI(t, s)
	s.NewUser(t, h.pool, "alice", password)
	_, challenge := pkce()
	page := h.get(h.url("/login?" + strings.SplitN(h.authorizeURL(challenge, nil), "?", 2)[1]))
	action, csrf := h.loginForm(page)
	for _, want := range []string{`<meta name="viewport"`, `<label for="username">`, `<label for="password">`,
		`autocomplete="username"`, `autocomplete="current-password"`, `aria-live="assertive"`, "test-client", "<style>"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://"} {
		if strings.Contains(strings.SplitN(page.body, "<form", 2)[0], bad) {
			t.Errorf("login page head has %q: no external assets or scripts", bad)
		}
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}

	r := h.submitLogin(action, csrf, "alice", "wrong-password")
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "Incorrect username or password.") || !strings.Contains(r.body, `aria-invalid="true"`) {
		t.Fatalf("wrong password: %d %q", r.status, r.body)
	}
	r = h.submitLogin(action, csrf, "nobody", "wrong-password")
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "Incorrect username or password.") {
		t.Fatalf("unknown user: %d %q", r.status, r.body)
	}
	r = h.submitLogin(action, "forged-token", "alice", password)
	if r.status != http.StatusForbidden || r.location() != "" || !strings.Contains(r.body, "expired") {
		t.Fatalf("bad CSRF token: %d %q", r.status, r.body)
	}
	// A browser without the CSRF cookie (a cross-site POST) is refused too.
	other := &hostedUI{t: t, s: s, pool: h.pool, client: h.client, hc: newBrowser()}
	if r := other.submitLogin(action, csrf, "alice", password); r.status != http.StatusForbidden {
		t.Fatalf("POST without the CSRF cookie: %d", r.status)
	}
	// A disabled user learns it only with the right password.
	s.NewUser(t, h.pool, "bob", password)
	if _, err := s.Admin.AdminDisableUser(bg, &cip.AdminDisableUserInput{UserPoolId: &h.pool, Username: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	if r := h.submitLogin(action, csrf, "bob", password); r.status != http.StatusBadRequest || !strings.Contains(r.body, "User is disabled.") {
		t.Fatalf("disabled user: %d %q", r.status, r.body)
	}
	if r := h.submitLogin(action, csrf, "alice", password); r.status != http.StatusSeeOther {
		t.Fatalf("right password after failures: %d %q", r.status, r.body)
	}
}

// TestLoginRateLimit: 5 failures per user and 20 per address within 5
// minutes; then even the right password gets 429 until the window passes.
func TestLoginRateLimit(t *testing.T) {
	clk := testserver.NewClock(time.Now())
	s := testserver.StartWith(t, testserver.Options{Now: clk.Now})
	h := newHostedUI(t, s)
	s.NewUser(t, h.pool, "alice", password)
	_, challenge := pkce()
	action, csrf := h.openLogin(h.authorizeURL(challenge, nil))
	for i := range 5 {
		if r := h.submitLogin(action, csrf, "alice", "wrong"); r.status != http.StatusBadRequest {
			t.Fatalf("failure %d: %d", i+1, r.status)
		}
	}
	r := h.submitLogin(action, csrf, "alice", password)
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many attempts") || r.header.Get("Retry-After") == "" {
		t.Fatalf("6th attempt: %d %q, want 429 Too many attempts", r.status, r.body)
	}
	clk.Advance(5*time.Minute + time.Second)
	if r := h.submitLogin(action, csrf, "alice", password); r.status != http.StatusSeeOther {
		t.Fatalf("after the window: %d %q", r.status, r.body)
	}

	// Per address: 20 failures over several users, then a 5th user is refused.
	clk.Advance(10 * time.Minute)
	for i := range 20 {
		if r := h.submitLogin(action, csrf, fmt.Sprintf("user%d", i/5), "wrong"); r.status != http.StatusBadRequest {
			t.Fatalf("address failure %d: %d", i+1, r.status)
		}
	}
	if r := h.submitLogin(action, csrf, "alice", password); r.status != http.StatusTooManyRequests {
		t.Fatalf("after 20 failures from one address: %d, want 429", r.status)
	}
}

// TestTokenEndpointErrors covers the token endpoint's error answers and
// client authentication.
func TestTokenEndpointErrors(t *testing.T) {
	clk := testserver.NewClock(time.Now())
	s := testserver.StartWith(t, testserver.Options{Now: clk.Now})
	h := newHostedUI(t, s)
	conf := newHostedUI(t, s, testserver.WithSecret())
	s.NewUser(t, h.pool, "alice", password)
	s.NewUser(t, conf.pool, "alice", password)

	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	code, verifier := h.signIn("alice", password, nil)
	for _, tc := range []struct {
		name   string
		form   url.Values
		user   string // HTTP Basic
		pass   string
		status int
		err    string
	}{
		{"no grant_type", form("client_id", h.client), "", "", 400, "invalid_request"},
		{"unknown grant_type", form("client_id", h.client, "grant_type", "password"), "", "", 400, "unsupported_grant_type"},
		{"no client", form("grant_type", "authorization_code", "code", code), "", "", 400, "invalid_client"},
		{"unknown client", form("grant_type", "authorization_code", "client_id", "nosuchclient0000000000000"), "", "", 400, "invalid_client"},
		{"unknown client, Basic", form("grant_type", "authorization_code"), "nosuchclient0000000000000", "x", 401, "invalid_client"},
		{"wrong secret, Basic", form("grant_type", "authorization_code"), conf.client, "wrong", 401, "invalid_client"},
		{"no secret for a confidential client", form("grant_type", "authorization_code", "client_id", conf.client), "", "", 400, "invalid_client"},
		{"client of another pool", form("grant_type", "authorization_code", "client_id", conf.client, "client_secret", conf.secret), "", "", 400, "invalid_client"},
		{"missing code", form("grant_type", "authorization_code", "client_id", h.client, "redirect_uri", callbackURL), "", "", 400, "invalid_request"},
		{"unknown code", form("grant_type", "authorization_code", "client_id", h.client, "code", "nope", "redirect_uri", callbackURL, "code_verifier", verifier), "", "", 400, "invalid_grant"},
		{"missing refresh token", form("grant_type", "refresh_token", "client_id", h.client), "", "", 400, "invalid_request"},
		{"bad refresh token", form("grant_type", "refresh_token", "client_id", h.client, "refresh_token", "garbage"), "", "", 400, "invalid_grant"},
		{"client_credentials on a public client", form("grant_type", "client_credentials", "client_id", h.client), "", "", 400, "unauthorized_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			r := h.postForm(h.url("/oauth2/token"), tc.form, tc.user, tc.pass)
			wantOAuthError(t, tc.name, r, tc.status, tc.err)
			if tc.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without a Basic challenge: %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}

	// Code exchange failures all burn the code (invalid_grant).
	for _, tc := range []struct {
		name string
		mut  func(v url.Values)
	}{
		{"wrong verifier", func(v url.Values) { v.Set("code_verifier", strings.Repeat("a", 43)) }},
		{"missing verifier", func(v url.Values) { v.Del("code_verifier") }},
		{"wrong redirect_uri", func(v url.Values) { v.Set("redirect_uri", "http://localhost:3000/other?keep=1") }},
		{"expired", func(url.Values) { clk.Advance(5*time.Minute + time.Second) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := h.with(t)
			code, verifier := h.signIn("alice", password, nil)
			v := form("grant_type", "authorization_code", "client_id", h.client, "code", code, "redirect_uri", callbackURL, "code_verifier", verifier)
			tc.mut(v)
			r, _ := h.tokenCall(v, "", "")
			if r.status != 400 || !strings.Contains(r.body, "invalid_") {
				t.Fatalf("got %d %s", r.status, r.body)
			}
			v = form("grant_type", "authorization_code", "client_id", h.client, "code", code, "redirect_uri", callbackURL, "code_verifier", verifier)
			r, _ = h.tokenCall(v, "", "")
			wantOAuthError(t, "the code after a failed exchange", r, 400, "invalid_grant")
		})
	}

	// A confidential client authenticates with Basic or the form.
	code, _ = conf.signIn("alice", password, map[string]string{"code_challenge": "", "code_challenge_method": ""})
	r, tk := conf.tokenCall(form("grant_type", "authorization_code", "code", code, "redirect_uri", callbackURL), conf.client, conf.secret)
	if r.status != 200 || tk.AccessToken == "" {
		t.Fatalf("confidential code exchange with Basic: %d %s", r.status, r.body)
	}
	r, tk = conf.tokenCall(form("grant_type", "refresh_token", "refresh_token", tk.RefreshToken, "client_id", conf.client, "client_secret", conf.secret), "", "")
	if r.status != 200 || tk.AccessToken == "" {
		t.Fatalf("confidential refresh with form credentials: %d %s", r.status, r.body)
	}
	// Not JSON, not a form.
	req, _ := http.NewRequest(http.MethodPost, h.url("/oauth2/token"), strings.NewReader(`{"grant_type":"refresh_token"}`))
	req.Header.Set("Content-Type", "application/json")
	wantOAuthError(t, "JSON body", h.do(req), 400, "invalid_request")
}

// TestTokenRotation: with rotation on, the refresh grant returns a new
// refresh token, and reusing the old one (no grace period) kills the family.
func TestTokenRotation(t *testing.T) {
	s := testserver.Start(t)
	h := newHostedUI(t, s, testserver.WithRotation(0))
	s.NewUser(t, h.pool, "alice", password)
	tk := h.exchange(h.signIn("alice", password, nil))
	r, rt := h.tokenCall(url.Values{"grant_type": {"refresh_token"}, "client_id": {h.client}, "refresh_token": {tk.RefreshToken}}, "", "")
	if r.status != 200 || rt.RefreshToken == "" || rt.RefreshToken == tk.RefreshToken {
		t.Fatalf("rotating refresh: %d %s", r.status, r.body)
	}
	r, _ = h.tokenCall(url.Values{"grant_type": {"refresh_token"}, "client_id": {h.client}, "refresh_token": {tk.RefreshToken}}, "", "")
	wantOAuthError(t, "reuse of a rotated refresh token", r, 400, "invalid_grant")
	r, _ = h.tokenCall(url.Values{"grant_type": {"refresh_token"}, "client_id": {h.client}, "refresh_token": {rt.RefreshToken}}, "", "")
	wantOAuthError(t, "the family after reuse", r, 400, "invalid_grant")
}

// TestClientCredentials: a confidential client with the flow gets an access
// token for its custom scopes, and nothing else.
func TestClientCredentials(t *testing.T) {
	s := testserver.Start(t)
	h := newHostedUI(t, s, testserver.WithSecret(), testserver.WithOAuth(testserver.OAuthSettings{
		Flows: []string{"client_credentials"}, Scopes: []string{"api/read", "api/write"}}))
	r, tk := h.tokenCall(url.Values{"grant_type": {"client_credentials"}, "scope": {"api/read"}}, h.client, h.secret)
	if r.status != 200 || tk.IDToken != "" || tk.RefreshToken != "" || tk.ExpiresIn != 3600 {
		t.Fatalf("client_credentials: %d %s", r.status, r.body)
	}
	c := claims(t, tk.AccessToken)
	if c["sub"] != h.client || c["client_id"] != h.client || c["scope"] != "api/read" || c["token_use"] != "access" || c["username"] != nil {
		t.Fatalf("client_credentials claims %v", c)
	}
	_, tk = h.tokenCall(url.Values{"grant_type": {"client_credentials"}}, h.client, h.secret)
	if sc := claims(t, tk.AccessToken)["scope"]; sc != "api/read api/write" {
		t.Fatalf("no scope requested: %v", sc)
	}
	r, _ = h.tokenCall(url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}}, h.client, h.secret)
	wantOAuthError(t, "a user scope", r, 400, "invalid_scope")
	r, _ = h.tokenCall(url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {callbackURL}}, h.client, h.secret)
	wantOAuthError(t, "code grant on a client_credentials client", r, 400, "unauthorized_client")
}

// TestOAuthRevoke covers every row of the revocation endpoint's table.
func TestOAuthRevoke(t *testing.T) {
	s := testserver.Start(t)
	h := newHostedUI(t, s)
	conf := newHostedUI(t, s, testserver.WithSecret())
	off := newHostedUI(t, s, testserver.WithoutRevocation())
	for _, x := range []*hostedUI{h, conf, off} {
		s.NewUser(t, x.pool, "alice", password)
	}
	revoke := func(x *hostedUI, form url.Values, user, pass string) response {
		return x.postForm(x.url("/oauth2/revoke"), form, user, pass)
	}
	tk := h.exchange(h.signIn("alice", password, nil))
	other := h.exchange(h.signIn("alice", password, nil))

	wantOAuthError(t, "missing token", revoke(h, url.Values{"client_id": {h.client}}, "", ""), 400, "invalid_request")
	wantOAuthError(t, "access token", revoke(h, url.Values{"client_id": {h.client}, "token": {tk.AccessToken}}, "", ""), 400, "unsupported_token_type")
	wantOAuthError(t, "ID token", revoke(h, url.Values{"client_id": {h.client}, "token": {tk.IDToken}}, "", ""), 400, "unsupported_token_type")
	wantOAuthError(t, "no client", revoke(h, url.Values{"token": {tk.RefreshToken}}, "", ""), 401, "invalid_client")
	wantOAuthError(t, "unknown client", revoke(h, url.Values{"client_id": {"nosuchclient0000000000000"}, "token": {tk.RefreshToken}}, "", ""), 401, "invalid_client")
	wantOAuthError(t, "client of another pool", revoke(h, url.Values{"client_id": {conf.client}, "token": {tk.RefreshToken}}, "", ""), 401, "invalid_client")
	r := revoke(conf, url.Values{"token": {tk.RefreshToken}}, conf.client, "wrong-secret")
	wantOAuthError(t, "wrong secret (Basic)", r, 401, "invalid_client")
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("401 without a Basic challenge: %q", r.header.Get("WWW-Authenticate"))
	}
	// A token of another client of the same pool.
	p2 := s.Admin
	c2, err := p2.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &h.pool, ClientName: aws.String("second")})
	if err != nil {
		t.Fatal(err)
	}
	wantOAuthError(t, "a token of another client", revoke(h, url.Values{"client_id": {aws.ToString(c2.UserPoolClient.ClientId)}, "token": {tk.RefreshToken}}, "", ""), 401, "invalid_client")
	offTk := off.exchange(off.signIn("alice", password, nil))
	wantOAuthError(t, "revocation disabled", revoke(off, url.Values{"client_id": {off.client}, "token": {offTk.RefreshToken}}, "", ""), 400, "invalid_request")

	for name, tok := range map[string]string{"unknown token": "not-a-token", "foreign JWE-shaped token": "a.b.c.d.e"} {
		if r := revoke(h, url.Values{"client_id": {h.client}, "token": {tok}}, "", ""); r.status != 200 || r.body != "" {
			t.Errorf("%s: %d %q, want 200 empty", name, r.status, r.body)
		}
	}
	if r := revoke(h, url.Values{"client_id": {h.client}, "token": {tk.RefreshToken}}, "", ""); r.status != 200 || r.body != "" {
		t.Fatalf("revoke: %d %q", r.status, r.body)
	}
	if r := revoke(h, url.Values{"client_id": {h.client}, "token": {tk.RefreshToken}}, "", ""); r.status != 200 {
		t.Fatalf("revoke again: %d %q, want 200 (idempotent)", r.status, r.body)
	}
	r, _ = h.tokenCall(url.Values{"grant_type": {"refresh_token"}, "client_id": {h.client}, "refresh_token": {tk.RefreshToken}}, "", "")
	wantOAuthError(t, "refresh after revoke", r, 400, "invalid_grant")
	_, err = getUser(s.Admin, tk.AccessToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
	if _, err := getUser(s.Admin, other.AccessToken); err != nil {
		t.Fatalf("another family after revoke: %v", err)
	}

	// A confidential client revokes with Basic.
	ctk := conf.exchangeBasic(conf.signIn("alice", password, map[string]string{"code_challenge": "", "code_challenge_method": ""}))
	if r := revoke(conf, url.Values{"token": {ctk.RefreshToken}}, conf.client, conf.secret); r.status != 200 {
		t.Fatalf("confidential revoke with Basic: %d %q", r.status, r.body)
	}
	_, err = getUser(s.Admin, ctk.AccessToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
}

func (h *hostedUI) exchangeBasic(code, _ string) tokens {
	h.t.Helper()
	r, tk := h.tokenCall(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callbackURL}}, h.client, h.secret)
	if r.status != 200 {
		h.t.Fatalf("code exchange with Basic: %d %s", r.status, r.body)
	}
	return tk
}

// TestLogout covers both forms of /logout and the refusal of unregistered URIs.
func TestLogout(t *testing.T) {
	s := testserver.Start(t)
	h := newHostedUI(t, s)
	s.NewUser(t, h.pool, "alice", password)
	tk := h.exchange(h.signIn("alice", password, nil))
	_, challenge := pkce()

	for name, q := range map[string]url.Values{
		"unregistered logout_uri":   {"client_id": {h.client}, "logout_uri": {"https://evil.example/"}},
		"logout_uri prefix":         {"client_id": {h.client}, "logout_uri": {signOutURL + "/x"}},
		"unregistered redirect_uri": {"client_id": {h.client}, "redirect_uri": {"https://evil.example/"}, "response_type": {"code"}},
		"unknown client":            {"client_id": {"nosuchclient0000000000000"}, "logout_uri": {signOutURL}},
		"no URI":                    {"client_id": {h.client}},
	} {
		r := h.get(h.url("/logout?" + q.Encode()))
		if r.status != http.StatusBadRequest || r.location() != "" || !strings.Contains(r.body, "<h1") {
			t.Errorf("%s: %d Location %q, want a 400 error page", name, r.status, r.location())
		}
	}
	// The refused logouts did not end the session.
	if r := h.get(h.authorizeURL(challenge, nil)); !strings.HasPrefix(r.location(), callbackURL) {
		t.Fatalf("session after refused logouts: %d %q", r.status, r.location())
	}

	r := h.get(h.url("/logout?" + url.Values{"client_id": {h.client}, "logout_uri": {signOutURL}}.Encode()))
	if r.status != http.StatusFound || r.location() != signOutURL {
		t.Fatalf("logout: %d %q, want 302 to %s", r.status, r.location(), signOutURL)
	}
	if sc := r.header.Get("Set-Cookie"); !strings.Contains(sc, "Max-Age=0") {
		t.Errorf("logout does not clear the cookie: %q", sc)
	}
	h.openLogin(h.authorizeURL(challenge, nil))
	// /logout leaves the tokens alone (Cognito's semantics).
	if _, err := getUser(s.Admin, tk.AccessToken); err != nil {
		t.Fatalf("tokens after /logout: %v", err)
	}

	// The sign-in-again form: back to /login with the parameters.
	h.signIn("alice", password, nil)
	q := url.Values{"client_id": {h.client}, "redirect_uri": {callbackURL}, "response_type": {"code"}, "state": {"st-123"},
		"scope": {"openid"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	r = h.get(h.url("/logout?" + q.Encode()))
	if r.status != http.StatusFound || !strings.HasPrefix(r.location(), "/"+h.pool+"/login?") {
		t.Fatalf("logout with redirect_uri: %d %q", r.status, r.location())
	}
	u, _ := url.Parse(r.location())
	for k := range q {
		if u.Query().Get(k) != q.Get(k) {
			t.Errorf("login URL after logout: %s = %q, want %q", k, u.Query().Get(k), q.Get(k))
		}
	}
	action, csrf := h.loginForm(h.get(r.location()))
	h.callback(h.get(h.submitLogin(action, csrf, "alice", password).location()))
}

// TestGlobalSignOutEndsWebSession: Cognito leaves the hosted UI's cookie
// alive after a global sign-out; we do not.
func TestGlobalSignOutEndsWebSession(t *testing.T) {
	s := testserver.Start(t)
	h := newHostedUI(t, s)
	s.NewUser(t, h.pool, "alice", password)
	_, challenge := pkce()

	tk := h.exchange(h.signIn("alice", password, nil))
	if r := h.get(h.authorizeURL(challenge, nil)); !strings.HasPrefix(r.location(), callbackURL) {
		t.Fatalf("signed in: %d %q", r.status, r.location())
	}
	if _, err := s.Admin.GlobalSignOut(bg, &cip.GlobalSignOutInput{AccessToken: &tk.AccessToken}); err != nil {
		t.Fatal(err)
	}
	h.openLogin(h.authorizeURL(challenge, nil))
	_, err := getUser(s.Admin, tk.AccessToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")

	// The same with AdminUserGlobalSignOut; and a code issued before it dies too.
	code, verifier := h.signIn("alice", password, nil)
	if _, err := s.Admin.AdminUserGlobalSignOut(bg, &cip.AdminUserGlobalSignOutInput{UserPoolId: &h.pool, Username: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	h.openLogin(h.authorizeURL(challenge, nil))
	r, _ := h.tokenCall(url.Values{"grant_type": {"authorization_code"}, "client_id": {h.client}, "code": {code},
		"redirect_uri": {callbackURL}, "code_verifier": {verifier}}, "", "")
	wantOAuthError(t, "a code issued before a global sign-out", r, 400, "invalid_grant")
}

// TestUserInfo: OIDC claims for a live access token with openid; 401
// invalid_token for revoked, expired or invalid ones.
func TestUserInfo(t *testing.T) {
	clk := testserver.NewClock(time.Now())
	s := testserver.StartWith(t, testserver.Options{Now: clk.Now})
	h := newHostedUI(t, s)
	s.NewUser(t, h.pool, "alice", password)
	userInfo := func(auth string) response {
		req, _ := http.NewRequest(http.MethodGet, h.url("/oauth2/userInfo"), nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return h.do(req)
	}
	wantInvalidToken := func(what string, r response) {
		t.Helper()
		wantOAuthError(t, what, r, 401, "invalid_token")
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), `Bearer error="invalid_token"`) {
			t.Errorf("%s: WWW-Authenticate = %q", what, r.header.Get("WWW-Authenticate"))
		}
	}

	tk := h.exchange(h.signIn("alice", password, nil))
	r := userInfo("Bearer " + tk.AccessToken)
	var info map[string]any
	if err := json.Unmarshal([]byte(r.body), &info); r.status != 200 || err != nil {
		t.Fatalf("userInfo: %d %s", r.status, r.body)
	}
	if info["sub"] != claims(t, tk.AccessToken)["sub"] || info["username"] != "alice" || info["email"] != "alice@example.com" {
		t.Fatalf("userInfo = %v", info)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("userInfo without CORS: %v", r.header)
	}

	wantInvalidToken("no token", userInfo(""))
	wantInvalidToken("garbage", userInfo("Bearer garbage"))
	wantInvalidToken("ID token", userInfo("Bearer "+tk.IDToken))
	api := signIn(t, s.Admin, h.client, "alice", password)
	r = userInfo("Bearer " + aws.ToString(api.AuthenticationResult.AccessToken))
	if r.status != 403 || !strings.Contains(r.header.Get("WWW-Authenticate"), "insufficient_scope") {
		t.Errorf("API token without openid: %d %q %q", r.status, r.header.Get("WWW-Authenticate"), r.body)
	}

	revoked := h.exchange(h.signIn("alice", password, nil))
	if r := h.postForm(h.url("/oauth2/revoke"), url.Values{"client_id": {h.client}, "token": {revoked.RefreshToken}}, "", ""); r.status != 200 {
		t.Fatal(r.body)
	}
	wantInvalidToken("revoked", userInfo("Bearer "+revoked.AccessToken))
	if r := userInfo("Bearer " + tk.AccessToken); r.status != 200 {
		t.Fatalf("another family after a revoke: %d", r.status)
	}
	clk.Advance(time.Hour + time.Second)
	wantInvalidToken("expired", userInfo("Bearer "+tk.AccessToken))
}

// TestDiscoveryEndpointsServed: every endpoint the discovery document
// advertises is served.
func TestDiscoveryEndpointsServed(t *testing.T) {
	s := testserver.Start(t)
	h := newHostedUI(t, s)
	r := h.get(h.url("/.well-known/openid-configuration"))
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatal(err)
	}
	for key, method := range map[string]string{"authorization_endpoint": "GET", "token_endpoint": "POST",
		"userinfo_endpoint": "GET", "revocation_endpoint": "POST", "end_session_endpoint": "GET"} {
		u, _ := doc[key].(string)
		if !strings.HasPrefix(u, s.URL+"/"+h.pool+"/") {
			t.Errorf("%s = %q", key, u)
			continue
		}
		req, _ := http.NewRequest(method, u, nil)
		if r := h.do(req); r.status == http.StatusNotFound || r.status == http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d", method, u, r.status)
		}
	}
}

// TestHostedUINonceAndAuthTime: the ID token echoes the request's nonce (OIDC
// clients check it) and carries auth_time from the password entry, not from
// the code exchange; a refreshed ID token keeps auth_time.
func TestHostedUINonceAndAuthTime(t *testing.T) {
	clock := testserver.NewClock(time.Now().Truncate(time.Second))
	s := testserver.StartWith(t, testserver.Options{Now: clock.Now})
	h := newHostedUI(t, s)
	s.NewUser(t, h.pool, "alice", password)

	loginAt := clock.Now().Unix()
	code, verifier := h.signIn("alice", password, map[string]string{"nonce": "n-0S6_WzA2Mj"})
	clock.Advance(90 * time.Second) // the app exchanges the code later
	tk := h.exchange(code, verifier)
	ic := claims(t, tk.IDToken)
	if ic["nonce"] != "n-0S6_WzA2Mj" {
		t.Fatalf("ID token nonce = %v, want the request's", ic["nonce"])
	}
	if ic["auth_time"] != float64(loginAt) || ic["iat"] == float64(loginAt) {
		t.Fatalf("auth_time = %v, iat = %v: want auth_time at the login (%d), iat at the exchange", ic["auth_time"], ic["iat"], loginAt)
	}
	if ac := claims(t, tk.AccessToken); ac["auth_time"] != float64(loginAt) {
		t.Fatalf("access token auth_time = %v, want %d", ac["auth_time"], loginAt)
	}
	_, ref := h.tokenCall(url.Values{"grant_type": {"refresh_token"}, "client_id": {h.client}, "refresh_token": {tk.RefreshToken}}, "", "")
	if rc := claims(t, ref.IDToken); rc["auth_time"] != float64(loginAt) || rc["nonce"] != nil {
		t.Fatalf("refreshed ID token: auth_time %v nonce %v; want the login's auth_time and no nonce", rc["auth_time"], rc["nonce"])
	}

	// Without a nonce there is none in the token; an oversized one is refused.
	code, verifier = h.signIn("alice", password, nil)
	if ic := claims(t, h.exchange(code, verifier).IDToken); ic["nonce"] != nil {
		t.Fatalf("nonce %v without one in the request", ic["nonce"])
	}
	_, challenge := pkce()
	r := h.get(h.authorizeURL(challenge, map[string]string{"nonce": strings.Repeat("n", 513)}))
	if r.status != http.StatusFound || !strings.Contains(r.location(), "error=invalid_request") {
		t.Fatalf("oversized nonce: %d %q", r.status, r.location())
	}
}
