package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/spf13/pflag"

	"github.com/cognate-dev/cognate/internal/server"
	"github.com/cognate-dev/cognate/message"
)

// logBuffer is a log sink safe for concurrent writes.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// applyMessages parses args as serve's message flags, with env as the
// environment, and applies them to a fresh configuration.
func applyMessages(t *testing.T, dev bool, env map[string]string, args ...string) (*server.Config, *messageFlags, *logBuffer, error) {
	t.Helper()
	f := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	m := addMessageFlags(f)
	m.getenv = func(k string) string { return env[k] }
	if err := f.Parse(args); err != nil {
		t.Fatal(err)
	}
	buf := &logBuffer{}
	cfg := &server.Config{PublicURL: "http://127.0.0.1:9229", Logger: slog.New(slog.NewTextHandler(buf, nil))}
	err := m.apply(cfg, dev)
	t.Cleanup(func() { m.drain(cfg.Logger, 5*time.Second) })
	return cfg, m, buf, err
}

func msg(ch message.Channel, code string) message.Message {
	dest := "alice@example.com"
	if ch == message.SMS {
		dest = "+15555550100"
	}
	return message.Message{PoolID: "us-east-1_P", Username: "alice", Destination: dest, Channel: ch,
		Kind: message.KindSignUp, Code: code, Subject: "Your code", Body: "Your code is " + code}
}

// hook is a webhook receiver that checks signatures with secret.
type hook struct {
	secret string
	mu     sync.Mutex
	got    []message.Message
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := message.VerifyWebhook(h.secret, r, time.Minute)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var m message.Message
	if err := json.Unmarshal(body, &m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.got = append(h.got, m)
	h.mu.Unlock()
}

func (h *hook) messages() []message.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]message.Message(nil), h.got...)
}

// mailbox is a real SMTP server (go-smtp) that records recipients.
type mailbox struct {
	mu  sync.Mutex
	rcp []string
}

func (b *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{b: b}, nil }

func (b *mailbox) recipients() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.rcp...)
}

type mailSession struct {
	b  *mailbox
	to []string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	_, _ = io.Copy(io.Discard, r)
	s.b.mu.Lock()
	s.b.rcp = append(s.b.rcp, s.to...)
	s.b.mu.Unlock()
	return nil
}
func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }

func startMailbox(t *testing.T) (*mailbox, string) {
	t.Helper()
	b := &mailbox{}
	s := smtp.NewServer(b)
	s.Domain = "localhost"
	s.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return b, ln.Addr().String()
}

// eventually waits up to 10s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestMessagesDevModeOutboxOnly(t *testing.T) {
	cfg, m, logs, err := applyMessages(t, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DevOutbox == nil || cfg.Sender == nil || len(m.queues) != 0 {
		t.Fatalf("outbox %v, sender %v, queues %d", cfg.DevOutbox, cfg.Sender, len(m.queues))
	}
	for _, ch := range []message.Channel{message.Email, message.SMS} {
		if err := cfg.Sender.Send(context.Background(), msg(ch, "111111")); err != nil {
			t.Fatalf("%s: %v", ch, err)
		}
	}
	if got := cfg.DevOutbox.List("us-east-1_P", ""); len(got) != 2 {
		t.Fatalf("outbox holds %d", len(got))
	}
	if !strings.Contains(logs.String(), "/_dev/outbox.html") {
		t.Errorf("the outbox's address is not logged:\n%s", logs)
	}
	if strings.Contains(logs.String(), "111111") {
		t.Error("a code was logged")
	}
}

func TestMessagesDevOutboxSize(t *testing.T) {
	cfg, _, _, err := applyMessages(t, true, nil, "--dev-outbox-size=2")
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"1", "2", "3"} {
		_ = cfg.Sender.Send(context.Background(), msg(message.SMS, code))
	}
	if got := cfg.DevOutbox.List("", ""); len(got) != 2 || got[0].Code != "3" {
		t.Fatalf("%+v", got)
	}
	if _, _, _, err := applyMessages(t, true, nil, "--dev-outbox-size=0"); err == nil {
		t.Fatal("size 0 accepted")
	}
}

func TestMessagesProductionWithoutRoutes(t *testing.T) {
	cfg, _, logs, err := applyMessages(t, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sender != nil || cfg.DevOutbox != nil {
		t.Fatalf("sender %v, outbox %v: want none outside dev mode", cfg.Sender, cfg.DevOutbox)
	}
	if !strings.Contains(logs.String(), "cannot be delivered") {
		t.Errorf("no warning:\n%s", logs)
	}
}

func TestMessagesWebhookCarriesBothChannels(t *testing.T) {
	h := &hook{secret: "env-secret"}
	srv := httptest.NewServer(h)
	defer srv.Close()
	cfg, m, _, err := applyMessages(t, false, map[string]string{"COGNATE_MESSAGE_WEBHOOK_SECRET": "env-secret"},
		"--message-webhook", srv.URL+"/hook")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DevOutbox != nil || len(m.queues) != 1 {
		t.Fatalf("outbox %v, %d queues", cfg.DevOutbox, len(m.queues))
	}
	for _, ch := range []message.Channel{message.Email, message.SMS} {
		if err := cfg.Sender.Send(context.Background(), msg(ch, "222222")); err != nil {
			t.Fatal(err)
		}
	}
	m.drain(cfg.Logger, 10*time.Second)
	got := h.messages()
	if len(got) != 2 || got[0].Code != "222222" {
		t.Fatalf("webhook got %+v", got)
	}
}

func TestMessagesSMTPForEmailWebhookForSMSAndDevTee(t *testing.T) {
	box, addr := startMailbox(t)
	h := &hook{secret: "flag-secret"}
	srv := httptest.NewServer(h)
	defer srv.Close()
	cfg, m, logs, err := applyMessages(t, true, map[string]string{"COGNATE_SMTP_URL": "smtp://" + addr},
		"--smtp-from", "Cognate <no-reply@cognate.test>", "--message-webhook", srv.URL, "--message-webhook-secret", "flag-secret")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DevOutbox == nil || len(m.queues) != 2 {
		t.Fatalf("outbox %v, %d queues", cfg.DevOutbox, len(m.queues))
	}
	if err := cfg.Sender.Send(context.Background(), msg(message.Email, "333333")); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Sender.Send(context.Background(), msg(message.SMS, "444444")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the e-mail", func() bool { return len(box.recipients()) == 1 })
	eventually(t, "the SMS", func() bool { return len(h.messages()) == 1 })
	if r := box.recipients(); r[0] != "alice@example.com" {
		t.Fatalf("recipient %v", r)
	}
	sms := h.messages()[0]
	if sms.Channel != message.SMS || sms.Code != "444444" {
		t.Fatalf("webhook got %+v", sms)
	}
	// The dev outbox recorded both, with the IDs the real senders saw.
	out := cfg.DevOutbox.List("", "")
	if len(out) != 2 || out[0].ID != sms.ID || out[1].Channel != message.Email {
		t.Fatalf("outbox %+v", out)
	}
	if !strings.Contains(logs.String(), "--message-webhook-secret shows the secret") {
		t.Errorf("no process-list warning:\n%s", logs)
	}
	if strings.Contains(logs.String(), "flag-secret") {
		t.Error("the secret was logged")
	}
}

func TestMessagesSMTPOnlyHasNoSMSRoute(t *testing.T) {
	_, addr := startMailbox(t)
	cfg, _, logs, err := applyMessages(t, false, nil, "--smtp-url", "smtp://mailer:pw-on-cmdline@"+addr, "--smtp-from", "a@b.c")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Sender.Send(context.Background(), msg(message.SMS, "1")); !errors.Is(err, message.ErrNoRoute) {
		t.Fatalf("SMS without a webhook: %v", err)
	}
	if l := logs.String(); !strings.Contains(l, "process list") || strings.Contains(l, "pw-on-cmdline") {
		t.Errorf("logs:\n%s", l)
	}
}

func TestMessagesValidation(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--smtp-url", "smtp://u:hunter2@host:bad", "--smtp-from", "a@b.c"}, "--smtp-url"},
		{map[string]string{"COGNATE_SMTP_URL": "ftp://u:hunter2@host"}, []string{"--smtp-from", "a@b.c"}, "$COGNATE_SMTP_URL"},
		{nil, []string{"--smtp-url", "smtp://u:hunter2@host"}, "--smtp-from is required"},
		{nil, []string{"--smtp-url", "smtp://host", "--smtp-from", "nope"}, "From"},
		{nil, []string{"--smtp-from", "a@b.c"}, "--smtp-from needs --smtp-url"},
		{nil, []string{"--message-webhook", "http://127.0.0.1:1/hook"}, "secret"},
		{nil, []string{"--message-webhook", "ftp://host/hook", "--message-webhook-secret", "s"}, "http"},
		{nil, []string{"--message-webhook", "/relative", "--message-webhook-secret", "s"}, "http"},
		{nil, []string{"--message-webhook-secret", "s"}, "needs --message-webhook"},
	} {
		for _, dev := range []bool{true, false} {
			cfg, m, _, err := applyMessages(t, dev, c.env, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v (dev %v): err %v, want %q", c.args, dev, err, c.want)
				continue
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%v: the error shows the password: %v", c.args, err)
			}
			if cfg.Sender != nil || cfg.DevOutbox != nil || len(m.queues) != 0 {
				t.Errorf("%v: configured despite the error", c.args)
			}
		}
	}
}

func TestMessagesPlainHTTPWebhookWarns(t *testing.T) {
	_, _, logs, err := applyMessages(t, false, map[string]string{"COGNATE_MESSAGE_WEBHOOK_SECRET": "s"},
		"--message-webhook", "http://hooks.example.com/cognate")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "clear text") {
		t.Errorf("no warning:\n%s", logs)
	}
}

func TestMessagesHelpHidesEnvironment(t *testing.T) {
	t.Setenv("COGNATE_SMTP_URL", "smtp://u:env-password@host")
	t.Setenv("COGNATE_MESSAGE_WEBHOOK_SECRET", "env-webhook-secret")
	usage := serveCmd().Flags().FlagUsages()
	for _, want := range []string{"--smtp-url", "--smtp-from", "--message-webhook ", "--message-webhook-secret",
		"--dev-outbox-size", "COGNATE_SMTP_URL", "COGNATE_MESSAGE_WEBHOOK_SECRET", "(default 1000)"} {
		if !strings.Contains(usage, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	for _, secret := range []string{"env-password", "env-webhook-secret"} {
		if strings.Contains(usage, secret) {
			t.Errorf("--help shows %q", secret)
		}
	}
}
