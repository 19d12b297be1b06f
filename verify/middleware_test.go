package verify

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMiddleware(t *testing.T) {
	e := newEnv(t)
	tok := e.signIn(t)
	v := e.newVerifier(t, Config{Feed: FeedOff})
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := ClaimsFrom(r.Context())
		if !ok {
			t.Error("no claims in the context")
			return
		}
		io.WriteString(w, "hello "+c.Username)
	})
	mux := http.NewServeMux()
	mux.Handle("/open", v.Middleware(hello))
	mux.Handle("/admin", v.Middleware(hello, RequireScopes("aws.cognito.signin.user.admin")))
	mux.Handle("/write", v.Middleware(hello, RequireScopes("api/write"), Realm("orders")))
	mux.Handle("/staff", v.Middleware(hello, RequireGroups("staff", "admins")))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	call := func(path, auth string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(body)
	}
	cases := []struct {
		path, auth string
		status     int
		challenge  string
		body       string
	}{
		{"/open", "Bearer " + tok.access, 200, "", "hello alice"},
		{"/open", "bearer " + tok.access, 200, "", "hello alice"},
		{"/admin", "Bearer " + tok.access, 200, "", "hello alice"},
		{"/open", "", 401, `Bearer realm="api"`, ""},
		{"/open", "Basic YTpi", 401, `Bearer realm="api"`, ""},
		{"/open", "Bearer ", 401, `Bearer realm="api"`, ""},
		{"/open", "Bearer " + tok.access + "x", 401,
			`Bearer realm="api", error="invalid_token", error_description="the token's signature is invalid"`, ""},
		{"/open", "Bearer " + tok.id, 401,
			`Bearer realm="api", error="invalid_token", error_description="wrong kind of token"`, ""},
		{"/open", "Bearer garbage", 401,
			`Bearer realm="api", error="invalid_token", error_description="the token is malformed"`, ""},
		{"/write", "Bearer " + tok.access, 403,
			`Bearer realm="orders", error="insufficient_scope", error_description="the token lacks a required scope or group", scope="api/write"`, ""},
		{"/staff", "Bearer " + tok.access, 403,
			`Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope or group"`, ""},
	}
	for _, tc := range cases {
		status, challenge, body := call(tc.path, tc.auth)
		if status != tc.status || challenge != tc.challenge || (tc.body != "" && body != tc.body) {
			t.Errorf("%s with %.20q: %d %q %q; want %d %q %q", tc.path, tc.auth, status, challenge, body,
				tc.status, tc.challenge, tc.body)
		}
		if strings.Contains(body, tok.access) || strings.Contains(challenge, tok.access) {
			t.Errorf("%s: the answer echoes the token", tc.path)
		}
	}
}
