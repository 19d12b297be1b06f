package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/verify"
)

const proxyTestPassword = "Passw0rd!"

// recorder is an upstream that remembers the headers of what reached it.
type recorder struct {
	mu   sync.Mutex
	seen []http.Header
}

func (u *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.seen = append(u.seen, r.Header.Clone())
	u.mu.Unlock()
	io.WriteString(w, "upstream "+r.URL.Path)
}

func (u *recorder) requests() []http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]http.Header(nil), u.seen...)
}

type proxyEnv struct {
	srv          *testserver.Server
	pool, client string
	access       string
	issuer       string
}

func newProxyEnv(t testing.TB) proxyEnv {
	t.Helper()
	s := testserver.Start(t)
	pool, client, _ := s.NewPool(t)
	s.NewUser(t, pool, "alice", proxyTestPassword)
	out, err := s.Admin.InitiateAuth(context.Background(), &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH",
		ClientId: aws.String(client), AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": proxyTestPassword}})
	if err != nil {
		t.Fatal(err)
	}
	return proxyEnv{srv: s, pool: pool, client: client, access: aws.ToString(out.AuthenticationResult.AccessToken),
		issuer: s.URL + "/" + pool}
}

func (e proxyEnv) verifier(t testing.TB) *verify.Verifier {
	t.Helper()
	v, err := verify.New(verify.Config{Issuer: e.issuer, ClientIDs: []string{e.client},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

func TestProxyPassesClaimsAndStripsSpoofedHeaders(t *testing.T) {
	e := newProxyEnv(t)
	up := &recorder{}
	upstream := httptest.NewServer(up)
	defer upstream.Close()
	target, _ := url.Parse(upstream.URL)
	mux := http.NewServeMux()
	mux.Handle("/", proxyHandler(e.verifier(t), target, slog.New(slog.DiscardHandler)))
	mux.Handle("/admin/", proxyHandler(e.verifier(t), target, slog.New(slog.DiscardHandler), verify.RequireScopes("api/admin")))
	front := httptest.NewServer(mux)
	defer front.Close()

	send := func(path, auth string, extra map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", front.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		for k, v := range extra {
			req.Header[k] = []string{v} // as sent, not canonicalized
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	spoof := map[string]string{"X-Cognate-Sub": "someone-else", "x-cognate-username": "root",
		"X-COGNATE-GROUPS": "admins", "X-Cognate-Admin": "true", "Connection": "X-Cognate-Scope", "X-Cognate-Scope": "api/admin"}

	// Refused requests never reach the upstream, spoofed headers or not.
	for _, auth := range []string{"", "Bearer not-a-token", "Bearer " + e.access + "x", "Basic YWxpY2U6cHc="} {
		if code, _ := send("/orders", auth, spoof); code != http.StatusUnauthorized {
			t.Fatalf("%.20q: %d, want 401", auth, code)
		}
	}
	if code, _ := send("/admin/x", "Bearer "+e.access, spoof); code != http.StatusForbidden {
		t.Fatalf("a missing scope: %d, want 403", code)
	}
	if n := len(up.requests()); n != 0 {
		t.Fatalf("%d refused requests reached the upstream", n)
	}

	code, body := send("/orders", "Bearer "+e.access, spoof)
	if code != 200 || body != "upstream /orders" {
		t.Fatalf("a valid token: %d %q", code, body)
	}
	seen := up.requests()
	if len(seen) != 1 {
		t.Fatalf("%d requests upstream, want 1", len(seen))
	}
	h := seen[0]
	if h.Get("X-Cognate-Username") != "alice" || h.Get("X-Cognate-Client-Id") != e.client || h.Get("X-Cognate-Sub") == "" ||
		h.Get("X-Cognate-Sub") == "someone-else" || h.Get("X-Cognate-Token-Use") != "access" ||
		h.Get("X-Cognate-Scope") != "aws.cognito.signin.user.admin" || h.Get("X-Cognate-Groups") != "" {
		t.Fatalf("claim headers upstream: %v", h)
	}
	for name, values := range h {
		if !strings.HasPrefix(strings.ToLower(name), "x-cognate-") {
			continue
		}
		for _, v := range values {
			if v == "root" || v == "someone-else" || v == "admins" || v == "true" || v == "api/admin" {
				t.Errorf("a spoofed header reached the upstream: %s: %s", name, v)
			}
		}
		if len(values) != 1 {
			t.Errorf("%s has %d values upstream: %v", name, len(values), values)
		}
	}
	if _, ok := h["X-Cognate-Admin"]; ok {
		t.Error("a client's X-Cognate-Admin reached the upstream")
	}

	// Signed out everywhere: the revocation feed carries it to the proxy,
	// and the token no longer reaches the upstream.
	if _, err := e.srv.Admin.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String(e.access)}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		code, _ := send("/orders", "Bearer "+e.access, nil)
		if code == http.StatusUnauthorized {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("a second after the sign-out the proxy still answers %d", code)
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := len(up.requests())
	for range 3 {
		send("/orders", "Bearer "+e.access, nil)
	}
	if n := len(up.requests()); n != before {
		t.Fatalf("a revoked token reached the upstream %d times", n-before)
	}
}

func TestProxyCommand(t *testing.T) {
	e := newProxyEnv(t)
	up := &recorder{}
	upstream := httptest.NewServer(up)
	defer upstream.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := rootCmd()
	cmd.SetArgs([]string{"proxy", "--listen", addr, "--upstream", upstream.URL, "--issuer", e.issuer,
		"--client-id", e.client, "--require-scope", "aws.cognito.signin.user.admin", "--log-level", "error"})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("proxy: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the proxy did not stop")
		}
	}()
	var resp *http.Response
	for i := 0; ; i++ {
		req, _ := http.NewRequest("GET", "http://"+addr+"/hello", nil)
		req.Header.Set("Authorization", "Bearer "+e.access)
		req.Header.Set("X-Cognate-Username", "root")
		if resp, err = http.DefaultClient.Do(req); err == nil {
			break
		}
		if i > 100 {
			t.Fatalf("the proxy does not answer: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "upstream /hello" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	if got := up.requests()[0].Values("X-Cognate-Username"); len(got) != 1 || got[0] != "alice" {
		t.Fatalf("X-Cognate-Username upstream = %q", got)
	}
}
