package oauth

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPanicAnsweredInEndpointShape: a panic is answered in the endpoint's
// own error shape — RFC 6749 JSON at the token endpoint, a Bearer challenge
// at userInfo, the error page in the browser.
func TestPanicAnsweredInEndpointShape(t *testing.T) {
	h := New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	boom := func(http.ResponseWriter, *http.Request) error { panic("boom") }
	serve := func(at endpoint) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.handle(at, boom)(w, httptest.NewRequest(http.MethodPost, "/us-east-1_x/oauth2/token", nil))
		return w
	}
	for _, at := range []endpoint{atToken, atRevoke, atUserInfo} {
		w := serve(at)
		var body map[string]string
		if w.Code != http.StatusInternalServerError || json.Unmarshal(w.Body.Bytes(), &body) != nil || body["error"] != "server_error" {
			t.Errorf("endpoint %d: %d %q", at, w.Code, w.Body.String())
		}
	}
	w := serve(atBrowser)
	if w.Code != http.StatusInternalServerError || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") ||
		!strings.Contains(w.Body.String(), "server_error") {
		t.Errorf("browser endpoint: %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
}
