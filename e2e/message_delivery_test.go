package e2e

import (
	"encoding/json"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/emersion/go-smtp"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/message"
)

// Messages from the binary: every kind of code kept out of the log, the
// dev outbox's JSON, sign-up codes mailed through SMTP, and a failing
// webhook retried without holding the API up.

// TestCodesNeverLogged: codes and temporary passwords of every kind of
// message reach the outbox, never the server's log, even at debug level.
func TestCodesNeverLogged(t *testing.T) {
	srv := startBinary(t, t.TempDir(), "--log-level", "debug")
	c := testserver.NewClient(srv.url)
	poolID, clientID := newAmplifyPool(t, c, nil)
	const email = "quiet@example.com"
	if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String(email), Password: aws.String(password)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ResendConfirmationCode(bg, &cip.ResendConfirmationCodeInput{ClientId: &clientID, Username: aws.String(email)}); err != nil {
		t.Fatal(err)
	}
	code := devOutbox(t, srv.url, poolID, email)[0].Code
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	_, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String(email), ConfirmationCode: aws.String(wrong)})
	wantAPIError[*types.CodeMismatchException](t, err, "") // a refusal, logged at debug level
	if _, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String(email), ConfirmationCode: aws.String(code)}); err != nil {
		t.Fatal(err)
	}
	at := signIn(t, c, clientID, email, password).AuthenticationResult.AccessToken
	if _, err := c.GetUserAttributeVerificationCode(bg, &cip.GetUserAttributeVerificationCodeInput{AccessToken: at, AttributeName: aws.String("email")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ForgotPassword(bg, &cip.ForgotPasswordInput{ClientId: &clientID, Username: aws.String(email)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("invited@example.com"),
		DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail}}); err != nil {
		t.Fatal(err)
	}
	msgs := append(devOutbox(t, srv.url, poolID, email), devOutbox(t, srv.url, poolID, "invited@example.com")...)
	kinds := map[message.Kind]bool{}
	for _, m := range msgs {
		kinds[m.Kind] = true
		if m.Code == "" {
			t.Fatalf("a %s message without its code", m.Kind)
		}
	}
	for _, k := range []message.Kind{message.KindSignUp, message.KindResend, message.KindVerifyAttribute, message.KindForgotPassword, message.KindInvitation} {
		if !kinds[k] {
			t.Fatalf("no %s message in the outbox: %v", k, kinds)
		}
	}
	logs := srv.log()
	if !strings.Contains(logs, "level=DEBUG") && !strings.Contains(logs, `"level":"DEBUG"`) {
		t.Fatalf("the server does not log at debug level:\n%s", logs)
	}
	for _, m := range msgs {
		if strings.Contains(logs, m.Code) {
			t.Errorf("the %s code is in the log", m.Kind)
		}
	}
}

// smtpInbox is an SMTP server for the test: it keeps every message with
// its envelope recipients.
type smtpInbox struct {
	mu   sync.Mutex
	mail []inboxMail
}

type inboxMail struct {
	to  []string
	msg *mail.Message
	raw string
}

func (b *smtpInbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &inboxSession{b: b}, nil }

func (b *smtpInbox) received() []inboxMail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]inboxMail(nil), b.mail...)
}

type inboxSession struct {
	b  *smtpInbox
	to []string
}

func (s *inboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *inboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *inboxSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return err
	}
	s.b.mu.Lock()
	s.b.mail = append(s.b.mail, inboxMail{to: s.to, msg: m, raw: string(raw)})
	s.b.mu.Unlock()
	return nil
}
func (s *inboxSession) Reset()        { s.to = nil }
func (s *inboxSession) Logout() error { return nil }

// TestSignUpCodeBySMTP: the binary with --smtp-url mails the sign-up code
// to the address given, with the pool's subject and message, from
// --smtp-from; the code in the mail confirms the user.
func TestSignUpCodeBySMTP(t *testing.T) {
	inbox := &smtpInbox{}
	ms := smtp.NewServer(inbox)
	ms.Domain = "localhost"
	ms.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ms.Serve(ln) }()
	t.Cleanup(func() { _ = ms.Close() })

	srv := startBinary(t, t.TempDir(), "--smtp-url", "smtp://"+ln.Addr().String(), "--smtp-from", "Cognate <no-reply@cognate.test>")
	c := testserver.NewClient(srv.url)
	p, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("mail"),
		UsernameAttributes:     []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		VerificationMessageTemplate: &types.VerificationMessageTemplateType{EmailSubject: aws.String("Welcome aboard"),
			EmailMessage: aws.String("Your sign-up code: {####}")}})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: p.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(cl.UserPoolClient.ClientId)
	const email = "mailed@example.com"
	if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String(email), Password: aws.String(password)}); err != nil {
		t.Fatal(err)
	}
	var got []inboxMail
	for deadline := time.Now().Add(10 * time.Second); len(got) == 0; got = inbox.received() {
		if time.Now().After(deadline) {
			t.Fatalf("no mail arrived\n%s", srv.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	m := got[0]
	if len(got) != 1 || len(m.to) != 1 || m.to[0] != email {
		t.Fatalf("%d mails, recipients %v", len(got), m.to)
	}
	if s := m.msg.Header.Get("Subject"); s != "Welcome aboard" {
		t.Fatalf("Subject %q", s)
	}
	if f := m.msg.Header.Get("From"); !strings.Contains(f, "no-reply@cognate.test") {
		t.Fatalf("From %q", f)
	}
	if to := m.msg.Header.Get("To"); !strings.Contains(to, email) {
		t.Fatalf("To %q", to)
	}
	body, err := io.ReadAll(m.msg.Body)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.TrimSpace(string(body))
	code, ok := strings.CutPrefix(text, "Your sign-up code: ")
	if !ok || len(code) != 6 {
		t.Fatalf("body %q", text)
	}
	if _, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String(email), ConfirmationCode: aws.String(code)}); err != nil {
		t.Fatal(err)
	}
	signIn(t, c, clientID, email, password)
	if strings.Contains(srv.log(), code) {
		t.Error("the mailed code is in the log")
	}
}

// devOutbox reads GET /_dev/outbox for a pool and destination, checking
// each message has exactly the fields the outbox documents.
func devOutbox(t *testing.T, base, poolID, dest string) []message.Message {
	t.Helper()
	q := url.Values{"poolId": {poolID}, "destination": {dest}}
	resp, err := http.Get(base + "/_dev/outbox?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /_dev/outbox: %s", resp.Status)
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var shape struct {
		Messages []map[string]any `json:"messages"`
	}
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatal(err)
	}
	want := []string{"body", "channel", "code", "destination", "id", "kind", "poolId", "sentAt", "subject", "username"}
	for _, m := range shape.Messages {
		if got := slices.Sorted(maps.Keys(m)); !slices.Equal(got, want) {
			t.Fatalf("outbox message fields %v, want %v", got, want)
		}
	}
	var out struct {
		Messages []message.Message `json:"messages"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	for i, m := range out.Messages {
		if m.Destination != dest || m.PoolID != poolID {
			t.Fatalf("the filter let through %+v", m)
		}
		if i > 0 && m.SentAt.After(out.Messages[i-1].SentAt) {
			t.Fatalf("not newest first: %v after %v", m.SentAt, out.Messages[i-1].SentAt)
		}
	}
	return out.Messages
}

// flakyHook fails its first calls (the first one slowly) before handing
// the rest to a webhookSink.
type flakyHook struct {
	sink  *webhookSink
	mu    sync.Mutex
	calls int
}

func (f *flakyHook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.mu.Unlock()
	switch n {
	case 1:
		time.Sleep(2 * time.Second)
		http.Error(rw, "overloaded", http.StatusServiceUnavailable)
	case 2:
		http.Error(rw, "still overloaded", http.StatusServiceUnavailable)
	default:
		f.sink.ServeHTTP(rw, r)
	}
}

// TestWebhookRetriesWithoutBlocking: a slow, failing webhook does not hold
// SignUp up; the message is retried until the webhook takes it, and its
// code confirms the user.
func TestWebhookRetriesWithoutBlocking(t *testing.T) {
	hook := &flakyHook{sink: &webhookSink{}}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	p := startBinary(t, t.TempDir(), "--message-webhook", hs.URL, "--message-webhook-secret", "hook-secret")
	c := testserver.NewClient(p.url)
	poolID, clientID := newAmplifyPool(t, c, nil)
	const email = "patient@example.com"
	start := time.Now()
	if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String(email), Password: aws.String(password)}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("SignUp waited %s for the webhook", d)
	}
	var m message.Message
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		hook.sink.mu.Lock()
		if len(hook.sink.messages) > 0 {
			m = hook.sink.messages[0]
		}
		hook.sink.mu.Unlock()
		if m.Code != "" || time.Now().After(deadline) {
			break
		}
	}
	hook.mu.Lock()
	calls := hook.calls
	hook.mu.Unlock()
	if m.Code == "" || calls != 3 {
		t.Fatalf("after %d webhook calls: %+v\n%s", calls, m, p.log())
	}
	if m.Kind != message.KindSignUp || m.Destination != email || m.PoolID != poolID || m.Channel != message.Email {
		t.Fatalf("the webhook got %+v", m)
	}
	if _, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String(email), ConfirmationCode: aws.String(m.Code)}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.log(), m.Code) {
		t.Error("the code is in the log")
	}
}
