package message

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a fake Sender that records what it is given.
type recorder struct {
	mu   sync.Mutex
	msgs []Message
	err  error
}

func (r *recorder) Send(_ context.Context, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	return r.err
}

func (r *recorder) sent() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.msgs...)
}

// syncBuffer is a bytes.Buffer safe for concurrent writes (a log sink).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func sample(ch Channel) Message {
	dest := "alice@example.com"
	if ch == SMS {
		dest = "+15555550100"
	}
	return Message{PoolID: "us-east-1_Pool", Username: "alice", Destination: dest, Channel: ch, Kind: KindSignUp,
		Code: "123456", Subject: "Your code", Body: "Your confirmation code is 123456"}
}

func TestRouterRoutesByChannel(t *testing.T) {
	var email, sms recorder
	r := Router{Email: &email, SMS: &sms}
	if err := r.Send(context.Background(), sample(Email)); err != nil {
		t.Fatal(err)
	}
	if err := r.Send(context.Background(), sample(SMS)); err != nil {
		t.Fatal(err)
	}
	if e, s := email.sent(), sms.sent(); len(e) != 1 || len(s) != 1 || e[0].Channel != Email || s[0].Channel != SMS {
		t.Fatalf("email %v, sms %v", e, s)
	}
	if m := email.sent()[0]; m.ID == "" || m.SentAt.IsZero() {
		t.Fatalf("ID and SentAt not filled: %+v", m)
	}
}

func TestRouterNoRoute(t *testing.T) {
	var email recorder
	r := Router{Email: &email}
	for _, ch := range []Channel{SMS, "FAX", ""} {
		err := r.Send(context.Background(), Message{Channel: ch})
		if !errors.Is(err, ErrNoRoute) || !IsPermanent(err) {
			t.Errorf("channel %q: err %v, want ErrNoRoute (permanent)", ch, err)
		}
	}
	if len(email.sent()) != 0 {
		t.Fatal("routed to e-mail")
	}
}

func TestRouterKeepsGivenIDAndTime(t *testing.T) {
	var email recorder
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := sample(Email)
	m.ID, m.SentAt = "given", at
	if err := (Router{Email: &email}).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := email.sent()[0]; got.ID != "given" || !got.SentAt.Equal(at) {
		t.Fatalf("got %q %v", got.ID, got.SentAt)
	}
}

func TestIsPermanent(t *testing.T) {
	base := errors.New("refused")
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{base, false},
		{&Permanent{Err: base}, true},
		{fmt.Errorf("wrapped: %w", &Permanent{Err: base}), true},
		{ErrNoRoute, true},
		{ErrQueueFull, false},
		{context.DeadlineExceeded, false},
	} {
		if got := IsPermanent(c.err); got != c.want {
			t.Errorf("IsPermanent(%v) = %v", c.err, got)
		}
	}
	if p := (&Permanent{Err: base}); !errors.Is(p, base) || p.Error() != "refused" {
		t.Fatal("Permanent does not wrap")
	}
}

func TestLogValueHidesContent(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "m", sample(Email))
	out := buf.String()
	for _, secret := range []string{"123456", "Your code", "alice@example.com"} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "us-east-1_Pool") || !strings.Contains(out, "SIGN_UP") {
		t.Errorf("log lacks pool or kind: %s", out)
	}
}
