package message

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testSecret = "whsec-test-0123456789"

// hookReceiver is a webhook receiver that verifies each request and
// answers status.
type hookReceiver struct {
	status int

	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
	errs   []error
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := VerifyWebhook(testSecret, r, 5*time.Minute)
	h.mu.Lock()
	h.bodies, h.heads, h.errs = append(h.bodies, body), append(h.heads, r.Header.Clone()), append(h.errs, err)
	h.mu.Unlock()
	if err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	w.WriteHeader(h.status)
}

// got returns what the receiver was sent.
func (h *hookReceiver) got() ([][]byte, []http.Header, []error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.bodies), slices.Clone(h.heads), slices.Clone(h.errs)
}

func TestWebhookDelivers(t *testing.T) {
	rcv := &hookReceiver{status: http.StatusNoContent}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	s := NewWebhook(WebhookConfig{URL: srv.URL + "/hook", Secret: testSecret})
	at := time.Date(2026, 7, 8, 9, 10, 11, 0, time.FixedZone("Y", -7200))
	email, sms := sample(Email), sample(SMS)
	email.ID, email.SentAt = "e1", at
	for _, m := range []Message{email, sms} {
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	bodies, heads, errs := rcv.got()
	if len(bodies) != 2 {
		t.Fatalf("%d requests", len(bodies))
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	h := heads[0]
	if h.Get("Content-Type") != "application/json" || !strings.HasPrefix(h.Get(WebhookSignatureHeader), "sha256=") {
		t.Fatalf("headers %v", h)
	}
	if ts, err := strconv.ParseInt(h.Get(WebhookTimestampHeader), 10, 64); err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Minute {
		t.Fatalf("timestamp %q", h.Get(WebhookTimestampHeader))
	}
	var obj map[string]any
	if err := json.Unmarshal(bodies[0], &obj); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"body", "channel", "code", "destination", "id", "kind", "poolId", "sentAt", "subject", "username"}; !slices.Equal(keys, want) {
		t.Fatalf("keys %v", keys)
	}
	if obj["id"] != "e1" || obj["channel"] != "EMAIL" || obj["kind"] != "SIGN_UP" || obj["code"] != "123456" ||
		obj["sentAt"] != "2026-07-08T11:10:11Z" || obj["destination"] != "alice@example.com" {
		t.Fatalf("object %v", obj)
	}
	var m Message
	if err := json.Unmarshal(bodies[1], &m); err != nil || m.Channel != SMS || m.Destination != "+15555550100" || m.ID == "" || m.SentAt.IsZero() {
		t.Fatalf("SMS %+v %v", m, err)
	}
}

func TestWebhookAnswers(t *testing.T) {
	for _, c := range []struct {
		status    int
		ok        bool
		permanent bool
	}{
		{200, true, false}, {202, true, false},
		{400, false, true}, {401, false, true}, {404, false, true}, {422, false, true},
		{408, false, false}, {429, false, false}, {500, false, false}, {503, false, false},
		{302, false, true}, // not followed: a redirected POST may lose its body
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c.status == 302 {
				http.Redirect(w, r, "/elsewhere", http.StatusFound)
				return
			}
			w.WriteHeader(c.status)
			_, _ = io.WriteString(w, "answer body")
		}))
		err := NewWebhook(WebhookConfig{URL: srv.URL + "/hook?token=tok-SECRET", Secret: testSecret}).
			Send(context.Background(), sample(Email))
		srv.Close()
		if (err == nil) != c.ok || IsPermanent(err) != c.permanent {
			t.Errorf("%d: err %v, permanent %v", c.status, err, IsPermanent(err))
		}
		if err != nil {
			for _, leak := range []string{"tok-SECRET", "123456", testSecret} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("%d: error shows %q: %v", c.status, leak, err)
				}
			}
			if !strings.Contains(err.Error(), strconv.Itoa(c.status)) {
				t.Errorf("%d: error lacks the status: %v", c.status, err)
			}
		}
	}
}

func TestWebhookNetworkFailureIsRetryable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	err = NewWebhook(WebhookConfig{URL: "http://" + addr + "/hook?token=tok-SECRET", Secret: testSecret}).
		Send(context.Background(), sample(SMS))
	if err == nil || IsPermanent(err) || strings.Contains(err.Error(), "tok-SECRET") {
		t.Fatalf("err %v", err)
	}
	if err := NewWebhook(WebhookConfig{URL: "::bad", Secret: testSecret}).Send(context.Background(), sample(SMS)); !IsPermanent(err) {
		t.Fatalf("bad URL: %v", err)
	}
}

func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	err := NewWebhook(WebhookConfig{URL: srv.URL, Secret: testSecret, Timeout: 100 * time.Millisecond}).
		Send(context.Background(), sample(Email))
	if !errors.Is(err, context.DeadlineExceeded) || IsPermanent(err) || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := NewWebhook(WebhookConfig{URL: srv.URL, Secret: testSecret}).Send(ctx, sample(Email)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestWebhookUsesGivenClient(t *testing.T) {
	rcv := &hookReceiver{status: 200}
	srv := httptest.NewTLSServer(rcv)
	defer srv.Close()
	if err := NewWebhook(WebhookConfig{URL: srv.URL, Secret: testSecret, Client: srv.Client()}).Send(context.Background(), sample(Email)); err != nil {
		t.Fatal(err)
	}
	if bodies, _, _ := rcv.got(); len(bodies) != 1 {
		t.Fatal("not delivered")
	}
}

// signed builds a request as the webhook sender does.
func signed(secret string, ts int64, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
	r.Header.Set(WebhookTimestampHeader, strconv.FormatInt(ts, 10))
	r.Header.Set(WebhookSignatureHeader, SignWebhook(secret, ts, body))
	return r
}

func TestVerifyWebhook(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"x","code":"123456"}`)
	good := func() *http.Request { return signed(testSecret, now.Unix(), body) }

	if got, err := verifyWebhook(testSecret, good(), 5*time.Minute, now); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("good: %q %v", got, err)
	}
	// The documented construction, by hand: HMAC-SHA256(secret, timestamp + "." + body), hex.
	mac := hmac.New(sha256.New, []byte("k"))
	mac.Write([]byte("42.b"))
	if sig, want := SignWebhook("k", 42, []byte("b")), "sha256="+hex.EncodeToString(mac.Sum(nil)); sig != want {
		t.Fatalf("signature %s, want %s", sig, want)
	}

	tampered := good()
	tampered.Body = io.NopCloser(strings.NewReader(`{"id":"x","code":"000000"}`))
	stale := signed(testSecret, now.Add(-6*time.Minute).Unix(), body)
	future := signed(testSecret, now.Add(6*time.Minute).Unix(), body)
	otherSecret := signed("another secret", now.Unix(), body)
	noTS := good()
	noTS.Header.Del(WebhookTimestampHeader)
	badTS := good()
	badTS.Header.Set(WebhookTimestampHeader, "yesterday")
	noSig := good()
	noSig.Header.Del(WebhookSignatureHeader)
	wrongScheme := good()
	wrongScheme.Header.Set(WebhookSignatureHeader, strings.Replace(wrongScheme.Header.Get(WebhookSignatureHeader), "sha256=", "sha1=", 1))
	shortSig := good()
	shortSig.Header.Set(WebhookSignatureHeader, "sha256=abcd")
	movedTS := good() // the signature covers the timestamp
	movedTS.Header.Set(WebhookTimestampHeader, strconv.FormatInt(now.Unix()+1, 10))
	big := bytes.Repeat([]byte("a"), maxWebhookBody+1)
	tooBig := signed(testSecret, now.Unix(), big)

	for name, r := range map[string]*http.Request{
		"tampered body": tampered, "stale": stale, "future": future, "other secret": otherSecret,
		"no timestamp": noTS, "bad timestamp": badTS, "no signature": noSig, "sha1": wrongScheme,
		"short signature": shortSig, "moved timestamp": movedTS, "too big": tooBig,
	} {
		if got, err := verifyWebhook(testSecret, r, 5*time.Minute, now); err == nil {
			t.Errorf("%s: accepted %q", name, got)
		}
	}
	if _, err := verifyWebhook("", signed("", now.Unix(), body), 0, now); err == nil {
		t.Error("empty secret accepted")
	}
	// maxAge 0: no age check.
	if _, err := verifyWebhook(testSecret, signed(testSecret, now.Add(-time.Hour).Unix(), body), 0, now); err != nil {
		t.Errorf("maxAge 0: %v", err)
	}
	// The exported function uses the real clock.
	if _, err := VerifyWebhook(testSecret, signed(testSecret, time.Now().Unix(), body), time.Minute); err != nil {
		t.Errorf("VerifyWebhook: %v", err)
	}
}
