// Package message delivers the one-time codes and invitations of user pools
// (sign-up confirmation, password reset, attribute verification, admin
// invitations, MFA codes) by e-mail and SMS.
//
// The domain renders each message (subject and body from the pool's
// templates) and hands it to one Sender. The implementations here:
//
//   - Outbox: the development outbox, an in-memory record of every message,
//     served as JSON and as an HTML page (see Outbox.Handler);
//   - NewSMTP: e-mail through an SMTP server (smtp:// with STARTTLS, or
//     smtps://);
//   - NewWebhook: an HTTP POST of the message as signed JSON, for either
//     channel (see VerifyWebhook for the receiving end);
//   - Queue: delivers through another Sender in the background, with retries;
//   - Router: picks a Sender by channel.
//
// No Sender here logs a message's Code, Body or Subject, nor any secret.
package message

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
)

// Channel is how a message travels.
type Channel string

// The channels.
const (
	Email Channel = "EMAIL"
	SMS   Channel = "SMS"
)

// Kind is why a message is sent.
type Kind string

// The kinds of message.
const (
	KindSignUp          Kind = "SIGN_UP"
	KindForgotPassword  Kind = "FORGOT_PASSWORD"
	KindVerifyAttribute Kind = "VERIFY_ATTRIBUTE"
	KindInvitation      Kind = "INVITATION"
	KindResend          Kind = "RESEND"
	KindMFA             Kind = "MFA"
)

// Message is one message to deliver. Its JSON form (the outbox's and the
// webhook's) uses the field names of the tags.
type Message struct {
	ID          string    `json:"id"` // unique (the sender fills a UUID when empty)
	PoolID      string    `json:"poolId"`
	Username    string    `json:"username"`
	Destination string    `json:"destination"` // e-mail address, or E.164 phone number
	Channel     Channel   `json:"channel"`
	Kind        Kind      `json:"kind"`
	Code        string    `json:"code"`    // the code or temporary password the message carries ("" when none)
	Subject     string    `json:"subject"` // e-mail only
	Body        string    `json:"body"`
	SentAt      time.Time `json:"sentAt"` // filled by the sender when zero
}

// LogValue is what log/slog shows of a message: never its code, subject,
// body or destination.
func (m Message) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", m.ID), slog.String("pool", m.PoolID),
		slog.String("kind", string(m.Kind)), slog.String("channel", string(m.Channel)))
}

// Sender delivers messages. Send never blocks past ctx (a queueing sender
// returns once queued) and never logs Code or Body.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

var (
	// ErrNoRoute means there is no sender for the message's channel.
	// IsPermanent reports true for it.
	ErrNoRoute = errors.New("message: no sender for this channel")
	// ErrQueueFull means a bounded queue is full: the message was not
	// accepted (the user can ask for it again).
	ErrQueueFull = errors.New("message: queue full")
	// ErrQueueClosed means the queue was closed: the message was not
	// accepted.
	ErrQueueClosed = errors.New("message: queue closed")
)

// Permanent wraps a delivery failure that retrying cannot fix: the
// receiver refused the message (an HTTP 4xx answer to a webhook, a 5xx
// SMTP reply) or the configuration cannot work. A Queue does not retry it.
type Permanent struct{ Err error }

func (p *Permanent) Error() string { return p.Err.Error() }
func (p *Permanent) Unwrap() error { return p.Err }

// permanent wraps err as a *Permanent.
func permanent(err error) error { return &Permanent{Err: err} }

// permanentf is permanent(fmt.Errorf(...)).
func permanentf(format string, args ...any) error { return permanent(fmt.Errorf(format, args...)) }

// IsPermanent reports whether err (or an error it wraps) is a *Permanent
// or ErrNoRoute: retrying would fail the same way.
func IsPermanent(err error) bool {
	var p *Permanent
	return errors.As(err, &p) || errors.Is(err, ErrNoRoute)
}

// fill gives m an ID and a SentAt when it has none; every sender calls it
// first, so a message keeps one ID through a Router, a Queue and a tee.
func fill(m *Message) {
	if m.ID == "" {
		m.ID = uuid.NewString()
	}
	if m.SentAt.IsZero() {
		m.SentAt = time.Now().UTC()
	}
}

// Router sends each message through the Sender of its channel.
type Router struct {
	Email Sender // e-mail messages; nil: ErrNoRoute
	SMS   Sender // SMS messages; nil: ErrNoRoute
}

// Send hands m to the sender of m.Channel, or returns ErrNoRoute when there
// is none (or the channel is unknown).
func (r Router) Send(ctx context.Context, m Message) error {
	var s Sender
	switch m.Channel {
	case Email:
		s = r.Email
	case SMS:
		s = r.SMS
	}
	if s == nil {
		return fmt.Errorf("%w (channel %q)", ErrNoRoute, m.Channel)
	}
	fill(&m)
	return s.Send(ctx, m)
}

// wire is m as it goes out in JSON: SentAt in UTC.
func wire(m Message) Message {
	m.SentAt = m.SentAt.UTC()
	return m
}
