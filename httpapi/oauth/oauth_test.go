package oauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/httpapi/oauth"
	"github.com/cognate-dev/cognate/store/sqlite"
	"github.com/cognate-dev/cognate/userpool"
)

const (
	callback = "https://app.example.com/callback"
	verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXkdBjftJeZ4CVP"
)

type fixture struct {
	h                          http.Handler
	pool, client, secretClient string
	secret                     string
	challenge                  string
}

// newFixture serves the OAuth endpoints of a service whose public URL is
// https, over a real SQLite store, with a confirmed user "u".
func newFixture(t testing.TB) *fixture {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "oauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := userpool.New(userpool.Options{Store: st, PublicURL: "https://auth.example.com", Logger: log, DevMode: true,
		Hash: userpool.HashParams{Time: 1, Memory: 64, Threads: 1}})
	ctx := context.Background()
	p, err := svc.CreateUserPool(ctx, "oauth", userpool.PoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := userpool.ClientConfig{CallbackURLs: []string{callback}, LogoutURLs: []string{"https://app.example.com/bye"},
		AllowedOAuthFlows: []string{"code"}, AllowedOAuthScopes: []string{"openid", "email", "aws.cognito.signin.user.admin"},
		AllowedOAuthFlowsUserPoolClient: true}
	c, err := svc.CreateUserPoolClient(ctx, userpool.ClientInput{PoolID: p.ID, Name: "web app", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	cfg.AllowedOAuthFlows = []string{"code", "client_credentials"}
	cfg.AllowedOAuthScopes = append(cfg.AllowedOAuthScopes, "api/read")
	if _, err := svc.CreateResourceServer(ctx, userpool.ResourceServer{PoolID: p.ID, Identifier: "api", Name: "api",
		Scopes: []userpool.ResourceServerScope{{ScopeName: "read", ScopeDescription: "Read"}}}); err != nil {
		t.Fatal(err)
	}
	sc, err := svc.CreateUserPoolClient(ctx, userpool.ClientInput{PoolID: p.ID, Name: "server", GenerateSecret: true, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: p.ID, Username: "u", MessageAction: "SUPPRESS"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.AdminSetUserPassword(ctx, p.ID, "u", "Passw0rd!", true); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	oauth.New(svc, log).Mount(mux)
	sum := sha256.Sum256([]byte(verifier))
	return &fixture{h: mux, pool: p.ID, client: c.ID, secretClient: sc.ID, secret: sc.Secret,
		challenge: base64.RawURLEncoding.EncodeToString(sum[:])}
}

func (f *fixture) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// TestCookiesOverHTTPS: with an https public URL the hosted UI's cookies
// are Secure, HttpOnly, SameSite=Lax and scoped to the pool's path.
func TestCookiesOverHTTPS(t *testing.T) {
	f := newFixture(t)
	q := url.Values{"client_id": {f.client}, "redirect_uri": {callback}, "response_type": {"code"},
		"code_challenge": {f.challenge}, "code_challenge_method": {"S256"}, "state": {"s"}}
	login := "/" + f.pool + "/login?" + q.Encode()
	w := f.serve(httptest.NewRequest(http.MethodGet, login, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET login: %d", w.Code)
	}
	csrfCookie := w.Result().Cookies()[0]
	m := csrfRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatal("no CSRF token on the page")
	}
	form := url.Values{"username": {"u"}, "password": {"Passw0rd!"}, "_csrf": {m[1]}}
	r := httptest.NewRequest(http.MethodPost, login, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(csrfCookie)
	w = f.serve(r)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("POST login: %d %s", w.Code, w.Body)
	}
	for _, c := range append(w.Result().Cookies(), csrfCookie) {
		if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/"+f.pool+"/" {
			t.Errorf("cookie %s: %+v, want Secure, HttpOnly, SameSite=Lax, Path=/<pool>/", c.Name, c)
		}
	}
	session := w.Result().Cookies()[0]
	if session.MaxAge != 3600 {
		t.Errorf("session cookie Max-Age = %d, want 3600", session.MaxAge)
	}

	// The session cookie gets a code at the callback.
	r = httptest.NewRequest(http.MethodGet, w.Header().Get("Location"), nil)
	r.AddCookie(session)
	w = f.serve(r)
	loc, _ := url.Parse(w.Header().Get("Location"))
	if w.Code != http.StatusFound || !strings.HasPrefix(loc.String(), callback+"?") || loc.Query().Get("code") == "" {
		t.Fatalf("authorize with the session: %d %q", w.Code, loc)
	}
}

// FuzzEndpoints: no query or body makes an OAuth endpoint answer 5xx or
// panic, and token-style endpoints always answer JSON errors.
func FuzzEndpoints(f *testing.F) {
	fx := newFixture(f)
	for _, seed := range []string{
		"client_id=" + fx.client + "&redirect_uri=" + url.QueryEscape(callback) + "&response_type=code&code_challenge=" + fx.challenge + "&code_challenge_method=S256",
		"grant_type=authorization_code&client_id=" + fx.client + "&code=x&redirect_uri=" + url.QueryEscape(callback) + "&code_verifier=" + verifier,
		"grant_type=refresh_token&client_id=" + fx.client + "&refresh_token=a.b.c.d.e",
		"grant_type=client_credentials&client_id=" + fx.secretClient + "&client_secret=" + fx.secret + "&scope=api%2Fread",
		"token=abc&client_id=" + fx.client,
		"client_id=" + fx.client + "&logout_uri=https%3A%2F%2Fapp.example.com%2Fbye",
		"client_id=" + fx.client + "&client_id=x&%zz",
		"username=u&password=Passw0rd%21&_csrf=x",
		"challenge=SOFTWARE_TOKEN_MFA&session=abc&code=123456&_csrf=x",
		"challenge=SELECT_MFA_TYPE&session=abc&answer=EMAIL_OTP&choices=EMAIL_OTP&choices=SMS_MFA&_csrf=x",
		"challenge=MFA_SETUP&session=abc&secret=JBSWY3DPEHPK3PXP&account=a&issuer=i&code=1&_csrf=x",
		"username=u&code=123456&password=Passw0rd%21&_csrf=x",
		"",
	} {
		f.Add(seed, seed)
	}
	paths := []struct{ method, path string }{
		{"GET", "/oauth2/authorize"}, {"GET", "/login"}, {"POST", "/login"}, {"GET", "/logout"},
		{"POST", "/oauth2/token"}, {"POST", "/oauth2/revoke"}, {"GET", "/oauth2/userInfo"},
		// The hosted UI's MFA step and password reset: HTML pages, as /login.
		{"POST", "/mfa"}, {"GET", "/forgotPassword"}, {"POST", "/forgotPassword"}, {"POST", "/confirmForgotPassword"},
	}
	pages := map[string]bool{"/login": true, "/mfa": true, "/forgotPassword": true, "/confirmForgotPassword": true}
	f.Fuzz(func(t *testing.T, query, body string) {
		for _, p := range paths {
			r := httptest.NewRequest(p.method, "/"+fx.pool+p.path, strings.NewReader(body))
			r.URL.RawQuery = query
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if strings.HasPrefix(body, "Bearer ") {
				r.Header.Set("Authorization", body)
			}
			w := fx.serve(r)
			if w.Code >= 500 {
				t.Fatalf("%s %s?%q body %q: %d %s", p.method, p.path, query, body, w.Code, w.Body)
			}
			if w.Code >= 400 && p.method == "POST" && !pages[p.path] && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("%s %s: error %d is not JSON", p.method, p.path, w.Code)
			}
		}
	})
}
