package awsjson

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPanicAnsweredInCognitoShape: a panic in an operation is answered as
// Cognito answers an internal failure, never a dropped connection.
func TestPanicAnsweredInCognitoShape(t *testing.T) {
	h := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h.ops[TargetPrefix+"Boom"] = operation{call: func(context.Context, *Handler, []byte) (any, error) { panic("boom") }}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", TargetPrefix+"Boom")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusInternalServerError || w.Header().Get("x-amzn-ErrorType") != "InternalErrorException:" {
		t.Fatalf("status %d, x-amzn-ErrorType %q", w.Code, w.Header().Get("x-amzn-ErrorType"))
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["__type"] != "InternalErrorException" ||
		body["message"] != "Internal server error" {
		t.Fatalf("body %q (%v)", w.Body.String(), err)
	}
	if w.Header().Get("x-amzn-RequestId") == "" {
		t.Error("no request id")
	}
}
