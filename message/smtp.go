package message

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// DefaultSMTPTimeout bounds one SMTP delivery when SMTPConfig.Timeout is zero.
const DefaultSMTPTimeout = 30 * time.Second

// SMTPConfig configures NewSMTP.
type SMTPConfig struct {
	// URL names the server:
	//
	//   - smtp://[user:password@]host[:port] (port 25 by default): STARTTLS
	//     when the server offers it; add ?starttls=required to refuse a
	//     server that does not;
	//   - smtps://[user:password@]host[:port] (port 465 by default):
	//     implicit TLS.
	//
	// With a user, Send authenticates with AUTH PLAIN, which it refuses
	// over an unencrypted connection to a host that is not loopback.
	// User and password are percent-decoded.
	URL string
	// From is the sender, an RFC 5322 address ("Name <addr@example.com>"
	// or "addr@example.com"); required.
	From string
	// Timeout bounds one delivery (connection included); default
	// DefaultSMTPTimeout.
	Timeout time.Duration
	// TLSConfig is the TLS configuration (tests: RootCAs); ServerName
	// defaults to the URL's host.
	TLSConfig *tls.Config
}

// smtpSender sends e-mail through one SMTP server, one connection a message.
type smtpSender struct {
	addr        string // host:port
	host        string
	implicitTLS bool // smtps
	requireTLS  bool // smtp ?starttls=required
	user, pass  string
	from        *mail.Address
	fromDomain  string
	timeout     time.Duration
	tlsConfig   *tls.Config
	hello       string
}

// NewSMTP returns a Sender of e-mail through the SMTP server cfg.URL names
// (an SMS message is ErrNoRoute). It checks the configuration but does
// not connect: each Send opens its own connection. Errors never show the
// URL's password.
//
// A message goes out as text/plain UTF-8, quoted-printable, with From, To,
// Subject (RFC 2047-encoded when not ASCII), Date, Message-ID and
// MIME-Version headers. A 5xx reply, a refused authentication or a missing
// STARTTLS that the URL requires is a *Permanent error; a 4xx reply or a
// network failure is not.
func NewSMTP(cfg SMTPConfig) (Sender, error) {
	s, err := parseSMTPURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.From) == "" {
		return nil, errors.New("message: SMTP: a From address is required")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("message: SMTP: From %q: %w", cfg.From, err)
	}
	s.from = from
	s.fromDomain = from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	s.timeout = cfg.Timeout
	if s.timeout <= 0 {
		s.timeout = DefaultSMTPTimeout
	}
	if cfg.TLSConfig != nil {
		s.tlsConfig = cfg.TLSConfig.Clone()
	} else {
		s.tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if s.tlsConfig.ServerName == "" {
		s.tlsConfig.ServerName = s.host
	}
	s.hello = "localhost"
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
		s.hello = h
	}
	return s, nil
}

// parseSMTPURL reads an smtp:// or smtps:// URL. Its errors never quote
// the URL, which may hold a password.
func parseSMTPURL(raw string) (*smtpSender, error) {
	if raw == "" {
		return nil, errors.New("message: SMTP URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL itself
		}
		return nil, fmt.Errorf("message: SMTP URL: %v", err)
	}
	s := &smtpSender{}
	port := ""
	switch u.Scheme {
	case "smtp":
		port = "25"
	case "smtps":
		port = "465"
		s.implicitTLS = true
	default:
		return nil, fmt.Errorf("message: SMTP URL: scheme %q: want smtp:// or smtps://", u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, errors.New("message: SMTP URL: want smtp[s]://[user:password@]host[:port][?starttls=required], with no path")
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("message: SMTP URL: no host")
	}
	if p := u.Port(); p != "" {
		port = p
	}
	s.addr = net.JoinHostPort(s.host, port)
	for k, v := range u.Query() {
		switch {
		case k == "starttls" && !s.implicitTLS && len(v) == 1 && v[0] == "required":
			s.requireTLS = true
		case k == "starttls" && !s.implicitTLS:
			return nil, errors.New("message: SMTP URL: starttls: the only value is \"required\"")
		case k == "starttls":
			return nil, errors.New("message: SMTP URL: starttls applies to smtp://; smtps:// is always TLS")
		default:
			return nil, fmt.Errorf("message: SMTP URL: unknown parameter %q", k)
		}
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		if s.user == "" {
			return nil, errors.New("message: SMTP URL: a password without a user")
		}
	}
	return s, nil
}

// Send delivers m by e-mail to m.Destination, within ctx and the
// configured timeout.
func (s *smtpSender) Send(ctx context.Context, m Message) error {
	if m.Channel != Email {
		return fmt.Errorf("%w: SMTP carries e-mail only (channel %q)", ErrNoRoute, m.Channel)
	}
	fill(&m)
	to, err := mail.ParseAddress(m.Destination)
	if err != nil {
		return permanentf("message: SMTP: the destination is not an e-mail address: %v", err)
	}
	msg := s.compose(m, to.Address)
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return s.deliver(ctx, to.Address, msg)
}

// errPlainInClear refuses to send a password in clear text.
var errPlainInClear = errors.New("refusing AUTH PLAIN over an unencrypted connection to a host that is not loopback " +
	"(use smtps://, or a server that offers STARTTLS)")

// deliver runs one SMTP transaction.
func (s *smtpSender) deliver(ctx context.Context, to string, msg []byte) (err error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return s.fail(ctx, "connect", err)
	}
	defer raw.Close()
	deadline, _ := ctx.Deadline() // always set: Send adds the timeout
	_ = raw.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	loopback := false
	if a, ok := raw.RemoteAddr().(*net.TCPAddr); ok {
		loopback = a.IP.IsLoopback()
	}

	conn := raw
	if s.implicitTLS {
		tc := tls.Client(raw, s.tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return s.fail(ctx, "TLS handshake", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return s.fail(ctx, "greeting", err)
	}
	defer c.Close()
	if err := c.Hello(s.hello); err != nil {
		return s.fail(ctx, "EHLO", err)
	}
	if !s.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig); err != nil {
				return s.fail(ctx, "STARTTLS", err)
			}
		} else if s.requireTLS {
			return permanentf("message: SMTP %s: the server does not offer STARTTLS, which the URL requires", s.addr)
		}
	}
	if s.user != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			if _, isTLS := c.TLSConnectionState(); !isTLS && !loopback {
				return permanentf("message: SMTP %s: %v", s.addr, errPlainInClear)
			}
			return permanentf("message: SMTP %s: the server offers no authentication (AUTH) on this connection", s.addr)
		}
		if err := c.Auth(&plainAuth{user: s.user, pass: s.pass, loopback: loopback}); err != nil {
			return s.fail(ctx, "AUTH", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return s.fail(ctx, "MAIL FROM", err)
	}
	if err := c.Rcpt(to); err != nil {
		return s.fail(ctx, "RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return s.fail(ctx, "DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return s.fail(ctx, "DATA", err)
	}
	if err := w.Close(); err != nil { // the server's answer to the message
		return s.fail(ctx, "DATA", err)
	}
	_ = c.Quit() // the message is accepted; QUIT's answer does not matter
	return nil
}

// fail describes a failed step: permanent for a 5xx reply, a refused
// authentication setup or an untrusted certificate; ctx's error when ctx
// ended the step.
func (s *smtpSender) fail(ctx context.Context, step string, err error) error {
	cerr := ctx.Err()
	if dl, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(dl) {
		cerr = context.DeadlineExceeded // the connection's deadline fired first
	}
	if cerr != nil {
		return fmt.Errorf("message: SMTP %s: %s: %w (%v)", s.addr, step, cerr, err)
	}
	err = fmt.Errorf("message: SMTP %s: %s: %w", s.addr, step, err)
	var te *textproto.Error
	var ce *tls.CertificateVerificationError
	var pe *Permanent
	switch {
	case errors.As(err, &pe):
		return err
	case errors.As(err, &te) && te.Code >= 500:
		return permanent(err)
	case errors.As(err, &ce), errors.Is(err, errPlainInClear), errors.Is(err, errNoPlain):
		return permanent(err)
	}
	return err
}

var errNoPlain = errors.New("the server does not offer AUTH PLAIN")

// plainAuth is AUTH PLAIN (RFC 4616) that refuses an unencrypted
// connection unless the server's address is loopback.
type plainAuth struct {
	user, pass string
	loopback   bool
}

func (a *plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.loopback {
		return "", nil, errPlainInClear
	}
	if !slices.Contains(server.Auth, "PLAIN") {
		return "", nil, fmt.Errorf("%w (it offers %s)", errNoPlain, strings.Join(server.Auth, ", "))
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected challenge after AUTH PLAIN")
	}
	return nil, nil
}

// compose renders m as an RFC 5322 message with CRLF line endings (the
// SMTP client dot-stuffs it).
func (s *smtpSender) compose(m Message, to string) []byte {
	id := m.ID
	if !safeMessageID(id) {
		id = uuid.NewString()
	}
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("From", s.from.String())
	header("To", (&mail.Address{Address: to}).String())
	header("Subject", encodeSubject(m.Subject))
	header("Date", m.SentAt.Format(time.RFC1123Z))
	header("Message-ID", "<"+id+"@"+s.fromDomain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b) // text mode: line breaks become CRLF
	_, _ = qp.Write([]byte(m.Body))
	_ = qp.Close()
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// safeMessageID reports whether id can be the left part of a Message-ID.
func safeMessageID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._", r)) {
			return false
		}
	}
	return true
}

// encodeSubject makes a Subject header value: line breaks become spaces,
// and a subject that is not short, plain printable ASCII is RFC 2047
// encoded (Q encoding, UTF-8), in words that keep each folded line within
// 78 columns.
func encodeSubject(subject string) string {
	subject = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(subject, string(utf8.RuneError)))
	plain := len(subject) <= maxWord && !strings.Contains(subject, "=?")
	for i := 0; i < len(subject) && plain; i++ {
		plain = subject[i] >= ' ' && subject[i] <= '~'
	}
	if plain {
		return subject
	}
	return strings.Join(encodeWords(subject), "\r\n ")
}

// maxWord is the longest encoded word: "Subject: " and a word fit in 78
// columns.
const maxWord = 66

// encodeWords Q-encodes s (valid UTF-8) in words of at most maxWord
// bytes, never splitting a character.
func encodeWords(s string) []string {
	const prefix, suffix = "=?UTF-8?q?", "?="
	var words []string
	var cur strings.Builder
	for _, r := range s {
		var enc string
		switch {
		case r == ' ':
			enc = "_"
		case r < utf8.RuneSelf && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("!*+-/", r)):
			enc = string(r)
		default:
			var b [utf8.UTFMax]byte
			for _, c := range b[:utf8.EncodeRune(b[:], r)] {
				enc += fmt.Sprintf("=%02X", c)
			}
		}
		if cur.Len() > 0 && len(prefix)+cur.Len()+len(enc)+len(suffix) > maxWord {
			words = append(words, prefix+cur.String()+suffix)
			cur.Reset()
		}
		cur.WriteString(enc)
	}
	return append(words, prefix+cur.String()+suffix)
}
