package feed

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestHandlerErrorsAndPanicsGoToTheOneWriter: a handler's returned error
// and its panic are both answered by writeError, in the feed's own error
// shape (__type and message, x-amzn-ErrorType), never by net/http's bare
// connection reset; http.ErrAbortHandler still aborts.
func TestHandlerErrorsAndPanicsGoToTheOneWriter(t *testing.T) {
	h := &Handler{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	serve := func(f func(http.ResponseWriter, *http.Request) error) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.handle(f)(w, httptest.NewRequest(http.MethodGet, "/us-east-1_x/revocations/snapshot", nil))
		return w
	}
	check := func(what string, w *httptest.ResponseRecorder, status int, code string) {
		t.Helper()
		var body map[string]string
		if w.Code != status || json.Unmarshal(w.Body.Bytes(), &body) != nil || body["__type"] != code ||
			body["message"] == "" || w.Header().Get("x-amzn-ErrorType") != code+":" {
			t.Errorf("%s: %d %q %q", what, w.Code, w.Header().Get("x-amzn-ErrorType"), w.Body.String())
		}
	}
	check("panic", serve(func(http.ResponseWriter, *http.Request) error { panic("boom") }),
		http.StatusInternalServerError, "InternalErrorException")
	check("returned error", serve(func(http.ResponseWriter, *http.Request) error { return invalid("bad") }),
		http.StatusBadRequest, "InvalidParameterException")
	check("returned 503", serve(func(http.ResponseWriter, *http.Request) error { return errUnavailable }),
		http.StatusServiceUnavailable, "ServiceUnavailableException")
	if w := serve(func(w http.ResponseWriter, _ *http.Request) error { w.WriteHeader(http.StatusNoContent); return nil }); w.Code != http.StatusNoContent {
		t.Errorf("a handler's own answer: %d", w.Code)
	}
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("ErrAbortHandler: recovered %v, want it re-panicked", v)
		}
	}()
	serve(func(http.ResponseWriter, *http.Request) error { panic(http.ErrAbortHandler) })
	t.Error("ErrAbortHandler was swallowed")
}
