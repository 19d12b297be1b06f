package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/message"
)

func openForTest(t *testing.T, cfg Config) (*Server, error) {
	t.Helper()
	cfg.DataDir = t.TempDir()
	cfg.PublicURL = "http://127.0.0.1:9229"
	cfg.Logger = slog.New(slog.DiscardHandler)
	s, err := Open(context.Background(), cfg)
	if err == nil {
		t.Cleanup(func() { _ = s.Close() })
	}
	return s, err
}

func status(t *testing.T, h http.Handler, target string) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	body, _ := io.ReadAll(w.Body)
	return w.Code, string(body)
}

func TestDevOutboxServedInDevMode(t *testing.T) {
	outbox := message.NewOutbox(10)
	s, err := openForTest(t, Config{DevOutbox: outbox, Sender: outbox})
	if err != nil {
		t.Fatal(err)
	}
	_ = outbox.Send(context.Background(), message.Message{PoolID: "us-east-1_P", Destination: "a@example.com",
		Channel: message.Email, Kind: message.KindSignUp, Code: "424242", Body: "code 424242"})
	code, body := status(t, s.Handler(), "/_dev/outbox?poolId=us-east-1_P")
	var got struct{ Messages []message.Message }
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil || len(got.Messages) != 1 || got.Messages[0].Code != "424242" {
		t.Fatalf("%d %s", code, body)
	}
	if code, body := status(t, s.Handler(), "/_dev/outbox.html"); code != 200 || !strings.Contains(body, "424242") {
		t.Fatalf("html: %d %s", code, body)
	}
}

func TestDevOutboxAbsentByDefault(t *testing.T) {
	s, err := openForTest(t, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/_dev/outbox", "/_dev/outbox.html"} {
		if code, _ := status(t, s.Handler(), target); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", target, code)
		}
	}
}

func TestDevOutboxRefusedOutsideDevMode(t *testing.T) {
	_, err := openForTest(t, Config{DevOutbox: message.NewOutbox(1), AdminCredentials: map[string]string{"AKID": "secret"}})
	if err == nil || !strings.Contains(err.Error(), "dev mode") {
		t.Fatalf("err %v", err)
	}
}
