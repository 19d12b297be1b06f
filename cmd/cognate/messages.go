package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/cognate-dev/cognate/internal/server"
	"github.com/cognate-dev/cognate/message"
)

// messageFlags are the serve flags that say how codes and invitations are
// delivered: SMTP for e-mail, a signed webhook for SMS (and for e-mail
// without SMTP), and in dev mode the outbox at /_dev/outbox(.html).
type messageFlags struct {
	smtpURL, smtpFrom      string
	webhook, webhookSecret string
	outboxSize             int

	getenv func(string) string // os.Getenv; tests replace it
	queues []*message.Queue    // drained by drain
}

// The delivery queues' settings: a message is tried 5 times over about
// half a minute (2s, 4s, 8s, 16s between tries).
var messageQueueConfig = message.QueueConfig{Size: 1000, Workers: 2, Attempts: 5, Backoff: 2 * time.Second}

func addMessageFlags(f *pflag.FlagSet) *messageFlags {
	m := &messageFlags{getenv: os.Getenv}
	// The environment is read when the command runs, not shown as the
	// flag's default: the URL may hold a password.
	f.StringVar(&m.smtpURL, "smtp-url", "",
		"send e-mail through this SMTP server: smtp://[user:password@]host[:port] (STARTTLS when offered; "+
			"?starttls=required to insist) or smtps://... (implicit TLS) (default: env COGNATE_SMTP_URL)")
	f.StringVar(&m.smtpFrom, "smtp-from", "", `the e-mails' From address, e.g. "Example <no-reply@example.com>" (required with --smtp-url)`)
	f.StringVar(&m.webhook, "message-webhook", "",
		"POST each SMS (and each e-mail when there is no --smtp-url) as signed JSON to this http(s) URL")
	f.StringVar(&m.webhookSecret, "message-webhook-secret", "",
		"the HMAC-SHA256 key that signs the webhook's requests (default: env COGNATE_MESSAGE_WEBHOOK_SECRET). "+
			"Shows the secret in the process list: prefer the environment")
	f.IntVar(&m.outboxSize, "dev-outbox-size", message.DefaultOutboxSize,
		"dev mode: how many messages the outbox at /_dev/outbox keeps (the oldest are dropped)")
	return m
}

// apply builds the server's message sender: e-mail through a queue to
// SMTP when --smtp-url is set, else to the webhook when
// --message-webhook is set; SMS through a queue to the webhook. In dev
// mode the outbox records every message as well (and is the only route of
// a channel without one) and is served; outside dev mode a channel
// without a route cannot be delivered.
func (m *messageFlags) apply(cfg *server.Config, dev bool) error {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if m.outboxSize < 1 {
		return fmt.Errorf("--dev-outbox-size must be at least 1, not %d", m.outboxSize)
	}

	smtpURL, smtpFlag, smtpSource := m.smtpURL, m.smtpURL != "", "--smtp-url"
	if !smtpFlag {
		smtpURL, smtpSource = m.getenv("COGNATE_SMTP_URL"), "$COGNATE_SMTP_URL"
	}
	var smtpSender message.Sender
	if smtpURL != "" {
		if m.smtpFrom == "" {
			return fmt.Errorf("--smtp-from is required with %s", smtpSource)
		}
		s, err := message.NewSMTP(message.SMTPConfig{URL: smtpURL, From: m.smtpFrom})
		if err != nil {
			return fmt.Errorf("%s: %w", smtpSource, err)
		}
		smtpSender = s
		if u, err := url.Parse(smtpURL); err == nil && smtpFlag {
			if _, hasPassword := u.User.Password(); hasPassword {
				log.Warn("--smtp-url shows the SMTP password in the process list; prefer $COGNATE_SMTP_URL")
			}
		}
	} else if m.smtpFrom != "" {
		return errors.New("--smtp-from needs --smtp-url (or $COGNATE_SMTP_URL)")
	}

	secret, secretFlag := m.webhookSecret, m.webhookSecret != ""
	if !secretFlag {
		secret = m.getenv("COGNATE_MESSAGE_WEBHOOK_SECRET")
	}
	var hookSender message.Sender
	if m.webhook != "" {
		u, err := url.Parse(m.webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("--message-webhook: want an http:// or https:// URL")
		}
		if secret == "" {
			return errors.New("--message-webhook needs a secret to sign with: $COGNATE_MESSAGE_WEBHOOK_SECRET or --message-webhook-secret")
		}
		if secretFlag {
			log.Warn("--message-webhook-secret shows the secret in the process list; prefer $COGNATE_MESSAGE_WEBHOOK_SECRET")
		}
		if u.Scheme == "http" && !isLoopback(u.Hostname()) {
			log.Warn("--message-webhook is http:// to a host that is not loopback: codes travel in clear text", "host", u.Host)
		}
		hookSender = message.NewWebhook(message.WebhookConfig{URL: m.webhook, Secret: secret})
	} else if secretFlag {
		return errors.New("--message-webhook-secret needs --message-webhook")
	}

	var email, sms message.Sender
	emailVia, smsVia := "nothing", "nothing"
	if smtpSender != nil {
		email, emailVia = m.queue(smtpSender, log), "smtp"
	}
	if hookSender != nil {
		hook := m.queue(hookSender, log)
		sms, smsVia = hook, "webhook"
		if email == nil {
			email, emailVia = hook, "webhook"
		}
	}
	cfg.Sender, cfg.DevOutbox = nil, nil
	if dev {
		outbox := message.NewOutbox(m.outboxSize)
		email, emailVia = teeOr(outbox, email), emailVia+" + dev outbox"
		sms, smsVia = teeOr(outbox, sms), smsVia+" + dev outbox"
		cfg.DevOutbox = outbox
		log.Info("dev outbox: every code and invitation is shown at "+cfg.PublicURL+"/_dev/outbox.html", "json", cfg.PublicURL+"/_dev/outbox")
	}
	if email != nil || sms != nil {
		cfg.Sender = message.Router{Email: email, SMS: sms}
	}
	log.Info("message delivery", "email", emailVia, "sms", smsVia)
	if !dev && email == nil && sms == nil {
		log.Warn("no --smtp-url or --message-webhook: codes and invitations cannot be delivered")
	}
	return nil
}

// queue starts a delivery queue in front of s (drained by drain).
func (m *messageFlags) queue(s message.Sender, log *slog.Logger) *message.Queue {
	c := messageQueueConfig
	c.Logger = log
	q := message.NewQueue(s, c)
	m.queues = append(m.queues, q)
	return q
}

// teeOr is next with every message also recorded in outbox, or outbox
// alone when next is nil.
func teeOr(outbox *message.Outbox, next message.Sender) message.Sender {
	if next == nil {
		return outbox
	}
	return outbox.Tee(next)
}

// drain delivers what the queues still hold, for at most timeout, once
// the server has stopped.
func (m *messageFlags) drain(log *slog.Logger, timeout time.Duration) {
	if len(m.queues) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, q := range m.queues {
		if err := q.Close(ctx); err != nil {
			log.Warn("message queue not drained before shutdown; undelivered messages are lost", "err", err)
		}
	}
	m.queues = nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
