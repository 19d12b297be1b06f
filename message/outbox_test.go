package message

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOutboxBoundedNewestFirst(t *testing.T) {
	o := NewOutbox(3)
	for i := range 5 {
		m := sample(Email)
		m.Code = fmt.Sprint(i)
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	var codes []string
	for _, m := range o.List("", "") {
		codes = append(codes, m.Code)
		if m.ID == "" || m.SentAt.IsZero() {
			t.Errorf("not filled: %+v", m)
		}
	}
	if want := []string{"4", "3", "2"}; !slices.Equal(codes, want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
}

func TestOutboxDefaultSize(t *testing.T) {
	if n := len(NewOutbox(0).buf); n != DefaultOutboxSize {
		t.Fatalf("size %d", n)
	}
}

func TestOutboxFilters(t *testing.T) {
	o := NewOutbox(10)
	send := func(pool, dest string, ch Channel) {
		m := sample(ch)
		m.PoolID, m.Destination = pool, dest
		_ = o.Send(context.Background(), m)
	}
	send("p1", "a@example.com", Email)
	send("p2", "a@example.com", Email)
	send("p1", "+15555550100", SMS)
	send("p1", "B@example.com", Email)
	for _, c := range []struct {
		pool, dest string
		want       int
	}{
		{"", "", 4}, {"p1", "", 3}, {"p2", "", 1}, {"", "a@example.com", 2}, {"p1", "a@example.com", 1},
		{"", "b@EXAMPLE.com", 1}, {"", "+15555550100", 1}, {"p3", "", 0},
	} {
		if got := len(o.List(c.pool, c.dest)); got != c.want {
			t.Errorf("List(%q, %q): %d, want %d", c.pool, c.dest, got, c.want)
		}
	}
	if o.List("p3", "") == nil {
		t.Error("an empty list is nil (JSON null)")
	}
}

func TestOutboxConcurrent(t *testing.T) {
	o := NewOutbox(50)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_ = o.Send(context.Background(), sample(Email))
				_ = o.List("us-east-1_Pool", "")
			}
		})
	}
	wg.Wait()
	if n := len(o.List("", "")); n != 50 {
		t.Fatalf("%d messages, want 50", n)
	}
}

func TestOutboxTee(t *testing.T) {
	o := NewOutbox(10)
	next := &recorder{err: ErrQueueFull}
	err := o.Tee(next).Send(context.Background(), sample(SMS))
	if err != ErrQueueFull {
		t.Fatalf("err %v: the tee must return next's answer", err)
	}
	got, inNext := o.List("", ""), next.sent()
	if len(got) != 1 || len(inNext) != 1 || got[0].ID == "" || got[0].ID != inNext[0].ID {
		t.Fatalf("outbox %v, next %v: want one message with one ID in both", got, inNext)
	}
}

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	return w
}

func TestOutboxJSON(t *testing.T) {
	o := NewOutbox(10)
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("X", 3600))
	m1 := sample(Email)
	m1.ID, m1.SentAt = "m1", at
	m2 := sample(SMS)
	m2.ID, m2.PoolID, m2.Kind, m2.Subject = "m2", "us-east-1_Other", KindForgotPassword, ""
	_ = o.Send(context.Background(), m1)
	_ = o.Send(context.Background(), m2)
	h := o.Handler()

	w := get(t, h, "/_dev/outbox")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	var raw map[string][]map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 1 || len(raw["messages"]) != 2 {
		t.Fatalf("body %s", w.Body)
	}
	first, second := raw["messages"][0], raw["messages"][1]
	var keys []string
	for k := range second {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"body", "channel", "code", "destination", "id", "kind", "poolId", "sentAt", "subject", "username"}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	if first["id"] != "m2" || first["channel"] != "SMS" || first["kind"] != "FORGOT_PASSWORD" || first["subject"] != "" {
		t.Errorf("newest %v", first)
	}
	if second["id"] != "m1" || second["code"] != "123456" || second["destination"] != "alice@example.com" ||
		second["channel"] != "EMAIL" || second["kind"] != "SIGN_UP" || second["poolId"] != "us-east-1_Pool" ||
		second["username"] != "alice" || second["body"] != m1.Body || second["subject"] != "Your code" {
		t.Errorf("oldest %v", second)
	}
	if second["sentAt"] != "2026-03-04T04:06:07Z" {
		t.Errorf("sentAt %v, want RFC 3339 UTC", second["sentAt"])
	}

	var filtered struct{ Messages []Message }
	w = get(t, h, "/_dev/outbox?poolId=us-east-1_Other&destination=%2B15555550100")
	if err := json.Unmarshal(w.Body.Bytes(), &filtered); err != nil || len(filtered.Messages) != 1 || filtered.Messages[0].ID != "m2" {
		t.Fatalf("filtered: %v %s", err, w.Body)
	}
	// An unencoded "+" arrives as a space.
	w = get(t, h, "/_dev/outbox?destination=+15555550100")
	if err := json.Unmarshal(w.Body.Bytes(), &filtered); err != nil || len(filtered.Messages) != 1 || filtered.Messages[0].ID != "m2" {
		t.Fatalf("unencoded +: %v %s", err, w.Body)
	}
	w = get(t, h, "/_dev/outbox?poolId=nope")
	if strings.TrimSpace(w.Body.String()) != `{"messages":[]}` {
		t.Fatalf("empty: %s", w.Body)
	}
	// Message unmarshals the JSON it came from.
	if filtered := (struct{ Messages []Message }{}); json.Unmarshal(get(t, h, "/_dev/outbox?poolId=us-east-1_Pool").Body.Bytes(), &filtered) != nil ||
		!filtered.Messages[0].SentAt.Equal(at) || filtered.Messages[0].Code != "123456" {
		t.Fatalf("round trip %+v", filtered)
	}
}

func TestOutboxHTML(t *testing.T) {
	o := NewOutbox(10)
	m := sample(Email)
	m.Code = "987654"
	m.Subject = `<b>hi</b>`
	m.Body = "Hello <script>alert(1)</script> & bye"
	m.Username = `"><img src=x onerror=alert(1)>`
	_ = o.Send(context.Background(), m)
	w := get(t, o.Handler(), "/_dev/outbox.html?poolId=%22%3E%3Cscript%3E")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	if !strings.Contains(w.Body.String(), "No messages yet") {
		t.Errorf("filtered page shows messages")
	}
	w = get(t, o.Handler(), "/_dev/outbox.html")
	page := w.Body.String()
	for _, want := range []string{`<meta http-equiv="refresh" content="3">`, `<div class="code">987654</div>`,
		"&lt;script&gt;alert(1)&lt;/script&gt; &amp; bye", "&lt;b&gt;hi&lt;/b&gt;", "alice@example.com", "SIGN_UP"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "<img", "<b>hi"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	csp := w.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q", csp)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("cacheable")
	}
}

func TestOutboxHandlerRoutes(t *testing.T) {
	h := NewOutbox(1).Handler()
	srv := httptest.NewServer(h)
	defer srv.Close()
	for target, want := range map[string]int{"/_dev/outbox": 200, "/_dev/outbox.html": 200, "/_dev/other": 404, "/": 404} {
		resp, err := http.Get(srv.URL + target)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", target, resp.StatusCode, want)
		}
	}
	resp, err := http.Post(srv.URL+"/_dev/outbox", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}
