package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// onHost sends the browser's requests to the server with the Host header
// host, as a browser that resolved the pool's domain to the server would.
func (h *hostedUI) onHost(host, method, path string, form url.Values, origin string) response {
	h.t.Helper()
	var req *http.Request
	if form != nil {
		req, _ = http.NewRequest(method, h.s.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req, _ = http.NewRequest(method, h.s.URL+path, nil)
	}
	req.Host = host
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return h.do(req)
}

// TestHostedUIOnCustomDomain: a browser signs in through the hosted UI
// reached by the pool's custom domain (Host header, with a port): every
// page, form and redirect stays on the domain's paths (no /<poolId>), the
// session cookie is the domain's, and the authorization code's access token
// carries the custom scope granted at the authorize endpoint.
func TestHostedUIOnCustomDomain(t *testing.T) {
	s := testserver.Start(t)
	h := newHostedUI(t, s, testserver.WithOAuth(testserver.OAuthSettings{CallbackURLs: []string{callbackURL},
		LogoutURLs: []string{signOutURL}, Scopes: []string{"openid", "email", "api/read"}}))
	s.NewUser(t, h.pool, "alice", "Passw0rd!Passw0rd")
	if _, err := s.Admin.CreateUserPoolDomain(bg, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(h.pool),
		Domain: aws.String("auth.example.test"), CustomDomainConfig: &types.CustomDomainConfigType{CertificateArn: aws.String(certArn)}}); err != nil {
		t.Fatalf("CreateUserPoolDomain: %v", err)
	}
	const host = "auth.example.test:8443"
	origin := "http://" + host

	verifier, challenge := pkce()
	q := url.Values{"client_id": {h.client}, "redirect_uri": {callbackURL}, "response_type": {"code"}, "state": {"st-123"},
		"scope": {"openid api/read"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	r := h.onHost(host, http.MethodGet, "/oauth2/authorize?"+q.Encode(), nil, "")
	if r.status != http.StatusFound || !strings.HasPrefix(r.location(), "/login?") {
		t.Fatalf("authorize on the domain: %d Location %q, want 302 to /login", r.status, r.location())
	}
	action, csrf := h.loginForm(h.onHost(host, http.MethodGet, r.location(), nil, ""))
	if !strings.HasPrefix(action, "/login?") {
		t.Fatalf("form action %q, want the domain's /login", action)
	}
	form := url.Values{"username": {"alice"}, "password": {"Passw0rd!Passw0rd"}, "_csrf": {csrf}}
	if r := h.onHost(host, http.MethodPost, action, form, "https://evil.example"); r.status == http.StatusSeeOther {
		t.Fatalf("a form posted from another origin signed in")
	}
	r = h.onHost(host, http.MethodPost, action, form, origin)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/oauth2/authorize?") {
		t.Fatalf("POST /login on the domain: %d Location %q body %q", r.status, r.location(), r.body)
	}
	if ck := r.header.Get("Set-Cookie"); !strings.Contains(ck, "Path=/;") && !strings.HasSuffix(ck, "Path=/") {
		t.Errorf("session cookie on the domain %q, want Path=/", ck)
	}
	code := h.callback(h.onHost(host, http.MethodGet, r.location(), nil, ""))
	tr := h.onHost(host, http.MethodPost, "/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {h.client},
		"code": {code}, "redirect_uri": {callbackURL}, "code_verifier": {verifier}}, "")
	if tr.status != http.StatusOK {
		t.Fatalf("token endpoint on the domain: %d %s", tr.status, tr.body)
	}
	tk := tokenOf(t, tr.body)
	if got := claims(t, tk.AccessToken)["scope"]; got != "openid api/read" {
		t.Errorf("access token scope %q, want the custom scope granted", got)
	}
	// The same pool still answers under /<poolId>/, and another host is not the pool's.
	if r := h.get(h.url("/.well-known/openid-configuration")); r.status != http.StatusOK {
		t.Errorf("discovery under the pool's path: %d", r.status)
	}
	if r := h.onHost("auth.other.test", http.MethodGet, "/login", nil, ""); r.status != http.StatusNotFound {
		t.Errorf("/login on an unknown host: %d, want 404", r.status)
	}
	// Once the domain is deleted, it serves nothing.
	if _, err := s.Admin.DeleteUserPoolDomain(bg, &cip.DeleteUserPoolDomainInput{UserPoolId: aws.String(h.pool), Domain: aws.String("auth.example.test")}); err != nil {
		t.Fatal(err)
	}
	if r := h.onHost(host, http.MethodGet, "/.well-known/jwks.json", nil, ""); r.status != http.StatusNotFound {
		t.Errorf("JWKS on a deleted domain: %d, want 404", r.status)
	}
}

func tokenOf(t *testing.T, body string) tokens {
	t.Helper()
	var tk tokens
	if err := json.Unmarshal([]byte(body), &tk); err != nil || tk.AccessToken == "" {
		t.Fatalf("token response %q", body)
	}
	return tk
}
