package message

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	netsmtp "net/smtp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message a test SMTP server accepted.
type received struct {
	from string
	to   []string
	data []byte
	user string // authenticated as
	tls  bool
}

// smtpBackend records what its sessions accept.
type smtpBackend struct {
	user, pass string // required credentials ("" = no auth required)
	rcptErr    error  // answer to RCPT TO

	mu   sync.Mutex
	msgs []received
}

func (b *smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{b: b, c: c}, nil
}

func (b *smtpBackend) got() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

type smtpSession struct {
	b   *smtpBackend
	c   *smtp.Conn
	cur received
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if s.b.user == "" || user != s.b.user || pass != s.b.pass {
			return smtp.ErrAuthFailed
		}
		s.cur.user = user
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.user != "" && s.cur.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.b.rcptErr != nil {
		return s.b.rcptErr
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := s.cur
	m.data = data
	_, m.tls = s.c.TLSConnectionState()
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, m)
	s.b.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.cur = received{user: s.cur.user} }
func (s *smtpSession) Logout() error { return nil }

type tlsMode int

const (
	plainOnly tlsMode = iota
	startTLS
	implicitTLS
)

// testCert makes a self-signed certificate for 127.0.0.1 and localhost, and
// a pool that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cognate test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// startSMTP runs a real SMTP server (github.com/emersion/go-smtp) on a
// loopback port until the test ends; it returns its address and the pool
// trusting its certificate.
func startSMTP(t *testing.T, be *smtpBackend, mode tlsMode) (string, *x509.CertPool) {
	t.Helper()
	cert, pool := testCert(t)
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	var ln net.Listener
	var err error
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	switch mode {
	case plainOnly:
		s.AllowInsecureAuth = true // loopback: the client may still refuse
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case startTLS:
		s.TLSConfig = tlsCfg
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case implicitTLS:
		s.TLSConfig = tlsCfg
		ln, err = tls.Listen("tcp", "127.0.0.1:0", tlsCfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return ln.Addr().String(), pool
}

func newSMTP(t *testing.T, cfg SMTPConfig) Sender {
	t.Helper()
	if cfg.From == "" {
		cfg.From = "Cognate <no-reply@cognate.test>"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	s, err := NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// parsed is a received message taken apart.
type parsed struct {
	header  mail.Header
	subject string
	body    string
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("bare LF in message:\n%q", data)
	}
	for _, line := range strings.Split(string(data), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line longer than 78: %q", line)
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Fatalf("transfer encoding %q", m.Header.Get("Content-Transfer-Encoding"))
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	return parsed{header: m.Header, subject: subject, body: string(body)}
}

func TestSMTPPlainDelivers(t *testing.T) {
	be := &smtpBackend{}
	addr, _ := startSMTP(t, be, plainOnly)
	s := newSMTP(t, SMTPConfig{URL: "smtp://" + addr})
	m := sample(Email)
	m.ID = "0b0e5d1c-6f1c-4d36-9b3c-1f2a3b4c5d6e"
	m.SentAt = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	m.Destination = "Alice.Example@example.com"
	m.Subject = "Vérifiez votre adresse — code à usage unique pour votre compte, valable vingt-quatre heures"
	m.Body = "Bonjour,\n\nVotre code : 123456\n.\n..leading dots\nFrom the start of a line\n" +
		strings.Repeat("a very long line of text ", 10) + "\nfin é ü 日本"
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := be.got()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	r := got[0]
	if r.from != "no-reply@cognate.test" || len(r.to) != 1 || r.to[0] != "Alice.Example@example.com" || r.tls || r.user != "" {
		t.Fatalf("envelope %+v", r)
	}
	p := parse(t, r.data)
	if p.subject != m.Subject {
		t.Errorf("subject %q", p.subject)
	}
	if want := strings.ReplaceAll(m.Body, "\n", "\r\n") + "\r\n"; p.body != want {
		t.Errorf("body\n%q, want\n%q", p.body, want)
	}
	h := p.header
	if from, err := mail.ParseAddress(h.Get("From")); err != nil || from.Address != "no-reply@cognate.test" || from.Name != "Cognate" {
		t.Errorf("From %q", h.Get("From"))
	}
	if to, err := mail.ParseAddress(h.Get("To")); err != nil || to.Address != "Alice.Example@example.com" {
		t.Errorf("To %q", h.Get("To"))
	}
	if d, err := h.Date(); err != nil || !d.Equal(m.SentAt) {
		t.Errorf("Date %q", h.Get("Date"))
	}
	if id := h.Get("Message-ID"); id != "<"+m.ID+"@cognate.test>" {
		t.Errorf("Message-ID %q", id)
	}
	if h.Get("MIME-Version") != "1.0" || h.Get("Content-Type") != "text/plain; charset=UTF-8" {
		t.Errorf("MIME headers %v", h)
	}
}

func TestSMTPAuthOverLoopbackWithoutTLS(t *testing.T) {
	be := &smtpBackend{user: "mailer", pass: "p@ss:w/rd"}
	addr, _ := startSMTP(t, be, plainOnly)
	s := newSMTP(t, SMTPConfig{URL: "smtp://mailer:p%40ss%3Aw%2Frd@" + addr})
	if err := s.Send(context.Background(), sample(Email)); err != nil {
		t.Fatal(err)
	}
	if got := be.got(); len(got) != 1 || got[0].user != "mailer" {
		t.Fatalf("%+v", got)
	}
}

func TestSMTPStartTLS(t *testing.T) {
	for _, url := range []string{"smtp://mailer:secret@%s", "smtp://mailer:secret@%s?starttls=required"} {
		be := &smtpBackend{user: "mailer", pass: "secret"}
		addr, pool := startSMTP(t, be, startTLS)
		s := newSMTP(t, SMTPConfig{URL: strings.Replace(url, "%s", addr, 1), TLSConfig: &tls.Config{RootCAs: pool}})
		if err := s.Send(context.Background(), sample(Email)); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		got := be.got()
		if len(got) != 1 || !got[0].tls || got[0].user != "mailer" || got[0].to[0] != "alice@example.com" {
			t.Fatalf("%s: %+v", url, got)
		}
		if p := parse(t, got[0].data); p.subject != "Your code" || !strings.Contains(p.body, "123456") {
			t.Fatalf("%+v", p)
		}
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	be := &smtpBackend{user: "mailer", pass: "secret"}
	addr, pool := startSMTP(t, be, implicitTLS)
	s := newSMTP(t, SMTPConfig{URL: "smtps://mailer:secret@" + addr, TLSConfig: &tls.Config{RootCAs: pool}})
	if err := s.Send(context.Background(), sample(Email)); err != nil {
		t.Fatal(err)
	}
	got := be.got()
	if len(got) != 1 || !got[0].tls || got[0].user != "mailer" || len(got[0].to) != 1 || got[0].to[0] != "alice@example.com" {
		t.Fatalf("%+v", got)
	}
	if p := parse(t, got[0].data); p.subject != "Your code" || p.body != "Your confirmation code is 123456\r\n" {
		t.Fatalf("%+v", p)
	}
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	be := &smtpBackend{}
	addr, _ := startSMTP(t, be, implicitTLS)
	err := newSMTP(t, SMTPConfig{URL: "smtps://" + addr}).Send(context.Background(), sample(Email))
	if err == nil || !IsPermanent(err) {
		t.Fatalf("err %v, want a permanent certificate error", err)
	}
	if len(be.got()) != 0 {
		t.Fatal("delivered")
	}
}

func TestSMTPStartTLSRequiredButNotOffered(t *testing.T) {
	be := &smtpBackend{}
	addr, _ := startSMTP(t, be, plainOnly)
	err := newSMTP(t, SMTPConfig{URL: "smtp://" + addr + "?starttls=required"}).Send(context.Background(), sample(Email))
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err %v", err)
	}
	if len(be.got()) != 0 {
		t.Fatal("delivered in clear text")
	}
}

func TestSMTPWrongPassword(t *testing.T) {
	be := &smtpBackend{user: "mailer", pass: "secret"}
	addr, pool := startSMTP(t, be, startTLS)
	err := newSMTP(t, SMTPConfig{URL: "smtp://mailer:wrong-pass@" + addr, TLSConfig: &tls.Config{RootCAs: pool}}).
		Send(context.Background(), sample(Email))
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "535") {
		t.Fatalf("err %v, want permanent 535", err)
	}
	if strings.Contains(err.Error(), "wrong-pass") {
		t.Fatal("error shows the password")
	}
	if len(be.got()) != 0 {
		t.Fatal("delivered")
	}
}

func TestSMTPServerRefuses(t *testing.T) {
	for _, c := range []struct {
		err       *smtp.SMTPError
		permanent bool
	}{
		{&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}, true},
		{&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}, false},
	} {
		be := &smtpBackend{rcptErr: c.err}
		addr, _ := startSMTP(t, be, plainOnly)
		err := newSMTP(t, SMTPConfig{URL: "smtp://" + addr}).Send(context.Background(), sample(Email))
		if err == nil || IsPermanent(err) != c.permanent {
			t.Errorf("%d: err %v, permanent %v", c.err.Code, err, IsPermanent(err))
		}
		if len(be.got()) != 0 {
			t.Errorf("%d: delivered", c.err.Code)
		}
	}
}

func TestSMTPServerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	err = newSMTP(t, SMTPConfig{URL: "smtp://" + addr}).Send(context.Background(), sample(Email))
	if err == nil || IsPermanent(err) {
		t.Fatalf("err %v, want a retryable error", err)
	}
}

func TestSMTPSilentServerHonoursContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accepts, never greets
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	s := newSMTP(t, SMTPConfig{URL: "smtp://" + ln.Addr().String()})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, sample(Email))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	// The configured timeout bounds it too.
	s = newSMTP(t, SMTPConfig{URL: "smtp://" + ln.Addr().String(), Timeout: 100 * time.Millisecond})
	if err := s.Send(context.Background(), sample(Email)); err == nil || IsPermanent(err) {
		t.Fatalf("err %v", err)
	}
}

func TestSMTPRefusesSMSAndBadDestinations(t *testing.T) {
	s := newSMTP(t, SMTPConfig{URL: "smtp://127.0.0.1:1"})
	if err := s.Send(context.Background(), sample(SMS)); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("SMS: %v", err)
	}
	m := sample(Email)
	m.Destination = "alice@example.com\r\nRCPT TO:<mallory@example.com>"
	if err := s.Send(context.Background(), m); !IsPermanent(err) {
		t.Fatalf("bad destination: %v", err)
	}
}

func TestNewSMTPValidates(t *testing.T) {
	for _, c := range []struct{ url, from, want string }{
		{"", "a@b.c", "empty"},
		{"http://host", "a@b.c", "scheme"},
		{"smtp://user:hunter2@host:bad", "a@b.c", "port"},
		{"smtp://:hunter2@host", "a@b.c", "without a user"},
		{"smtp://user:hunter2@", "a@b.c", "no host"},
		{"smtp://user:hunter2@host/path", "a@b.c", "no path"},
		{"smtp://user:hunter2@host?starttls=maybe", "a@b.c", "starttls"},
		{"smtps://user:hunter2@host?starttls=required", "a@b.c", "smtps"},
		{"smtp://user:hunter2@host?foo=1", "a@b.c", "unknown parameter"},
		{"smtp://user:hunter2@host", "", "From"},
		{"smtp://user:hunter2@host", "not an address", "From"},
		{"smtp://user:hunter2@host%zz", "a@b.c", "SMTP URL"},
	} {
		_, err := NewSMTP(SMTPConfig{URL: c.url, From: c.from})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want %q", c.url, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: the error shows the password: %v", c.url, err)
		}
	}
	for _, ok := range []string{"smtp://host", "smtp://u:p@host:587", "smtp://host:25/?starttls=required", "smtps://u@[::1]:465"} {
		if _, err := NewSMTP(SMTPConfig{URL: ok, From: "a@b.c"}); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

func TestPlainAuthRefusesClearTextOffLoopback(t *testing.T) {
	off := &plainAuth{user: "u", pass: "p"}
	if _, _, err := off.Start(&netsmtp.ServerInfo{Name: "mail.example.com", Auth: []string{"PLAIN"}}); !errors.Is(err, errPlainInClear) {
		t.Fatalf("clear text off loopback: %v", err)
	}
	mech, resp, err := off.Start(&netsmtp.ServerInfo{Name: "mail.example.com", TLS: true, Auth: []string{"LOGIN", "PLAIN"}})
	if err != nil || mech != "PLAIN" || string(resp) != "\x00u\x00p" {
		t.Fatalf("over TLS: %q %q %v", mech, resp, err)
	}
	on := &plainAuth{user: "u", pass: "p", loopback: true}
	if _, _, err := on.Start(&netsmtp.ServerInfo{Name: "127.0.0.1", Auth: []string{"PLAIN"}}); err != nil {
		t.Fatalf("loopback: %v", err)
	}
	if _, _, err := on.Start(&netsmtp.ServerInfo{Name: "127.0.0.1", Auth: []string{"CRAM-MD5"}}); !errors.Is(err, errNoPlain) {
		t.Fatalf("no PLAIN offered: %v", err)
	}
}

func TestEncodeSubject(t *testing.T) {
	dec := new(mime.WordDecoder)
	for _, s := range []string{
		"Your code", "Vérifiez", strings.Repeat("日本語のテキスト", 20), "a =?utf-8?q?trick?= b", strings.Repeat("x", 1000),
	} {
		enc := encodeSubject(s)
		for _, line := range strings.Split(enc, "\r\n") {
			if len(line) > 998 || (s != "Your code" && len(line) > 78) {
				t.Errorf("%q: line of %d", s, len(line))
			}
		}
		got, err := dec.DecodeHeader(strings.ReplaceAll(enc, "\r\n", ""))
		if err != nil || got != s {
			t.Errorf("%q: encoded %q decodes to %q (%v)", s, enc, got, err)
		}
	}
	if enc := encodeSubject("a\r\nBcc: mallory@example.com"); strings.ContainsAny(enc, "\r\n") {
		t.Fatalf("header injection: %q", enc)
	}
}
