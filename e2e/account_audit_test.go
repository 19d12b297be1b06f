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

// More of the account life cycle from outside: an alias another user holds
// refused before a sign-up code is spent, every kind of code kept out of
// the log, and sign-up codes delivered by the binary through SMTP.

// TestConfirmSignUpAliasExistsKeepsCode: ConfirmSignUp refuses an e-mail
// alias another user holds with AliasExistsException and leaves the code
// alone, so the client can confirm again with ForceAliasCreation, which
// moves the alias (the other user's e-mail becomes unverified).
func TestConfirmSignUpAliasExistsKeepsCode(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	p, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("alias"),
		AliasAttributes:        []types.AliasAttributeType{types.AliasAttributeTypeEmail},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(p.UserPool.Id)
	cl, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(cl.UserPoolClient.ClientId)
	const email = "shared@example.com"
	if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("first"), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String("second"), Password: aws.String(password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}}}); err != nil {
		t.Fatal(err)
	}
	code := outboxCode(t, s, poolID, email, message.KindSignUp)
	_, err = c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String("second"), ConfirmationCode: aws.String(code)})
	wantAPIError[*types.AliasExistsException](t, err, "An account with the given email already exists.")
	if _, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String("second"),
		ConfirmationCode: aws.String(code), ForceAliasCreation: true}); err != nil {
		t.Fatalf("the code must survive the refusal: %v", err)
	}
	signIn(t, c, clientID, email, password) // the alias is the second user's now
	first, err := c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("first")})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range first.UserAttributes {
		if aws.ToString(a.Name) == "email_verified" && aws.ToString(a.Value) != "false" {
			t.Fatalf("the first user's e-mail is still verified")
		}
	}
}

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

// TestAliasPoolEveryFlow: in a pool with AliasAttributes (e-mail and
// preferred_username, case-insensitive) a verified alias signs in through
// every flow — password, SRP, the hosted UI, the admin operations,
// ListUsers — an unverified one nowhere, and a verified alias is one
// user's only.
func TestAliasPoolEveryFlow(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	p, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("aliases"),
		AliasAttributes:        []types.AliasAttributeType{types.AliasAttributeTypeEmail, types.AliasAttributeTypePreferredUsername},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		UsernameConfiguration:  &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(p.UserPool.Id)
	cl, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowUserSrpAuth,
			types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		CallbackURLs: []string{callbackURL}, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid"}, AllowedOAuthFlowsUserPoolClient: true})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(cl.UserPoolClient.ClientId)
	passwordSignIn := func(name string) error {
		_, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
			AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password}})
		return err
	}

	_, err = c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String("ann@example.com"), Password: aws.String(password)})
	wantAPIError[*types.InvalidParameterException](t, err, "Username cannot be of email format, since user pool is configured for email alias.")
	if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String("Ann"), Password: aws.String(password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("ann@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	// Unverified, the address is nobody's sign-in name yet.
	wantAPIError[*types.UserNotFoundException](t, passwordSignIn("ann@example.com"), "User does not exist.")
	code := outboxCode(t, s, poolID, "ann@example.com", message.KindSignUp)
	if _, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String("ANN"), ConfirmationCode: aws.String(code)}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ann", "ANN", "ann@example.com", "Ann@Example.COM"} {
		if err := passwordSignIn(name); err != nil {
			t.Fatalf("password sign-in as %q: %v", name, err)
		}
	}
	// SRP with the alias: the challenge names the username to compute with.
	srpc, ch := srpChallenge(t, c, clientID, poolID, "ANN@example.com")
	if ch.ChallengeParameters["USER_ID_FOR_SRP"] != "ann" {
		t.Fatalf("USER_ID_FOR_SRP = %q, want the username", ch.ChallengeParameters["USER_ID_FOR_SRP"])
	}
	out, err := c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID, ChallengeName: types.ChallengeNameTypePasswordVerifier,
		Session: ch.Session, ChallengeResponses: srpAnswer(t, srpc, poolID, password, ch, time.Now())})
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("SRP by alias: %v", err)
	}
	if u := claims(t, aws.ToString(out.AuthenticationResult.AccessToken))["username"]; u != "ann" {
		t.Fatalf("the access token's username %v", u)
	}

	// Admin operations take the alias; preferred_username set by an
	// administrator signs in without verification.
	g, err := c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("ANN@example.com")})
	if err != nil || aws.ToString(g.Username) != "ann" {
		t.Fatalf("AdminGetUser by alias: %v %v", g, err)
	}
	if _, err := c.AdminUpdateUserAttributes(bg, &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("ann@example.com"),
		UserAttributes: []types.AttributeType{{Name: aws.String("preferred_username"), Value: aws.String("Annie")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminInitiateAuth(bg, &cip.AdminInitiateAuthInput{UserPoolId: &poolID, ClientId: &clientID, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "annie", "PASSWORD": password}}); err != nil {
		t.Fatalf("AdminInitiateAuth by preferred_username: %v", err)
	}
	lu, err := c.ListUsers(bg, &cip.ListUsersInput{UserPoolId: &poolID, Filter: aws.String(`email = "ann@example.com"`)})
	if err != nil || len(lu.Users) != 1 || aws.ToString(lu.Users[0].Username) != "ann" {
		t.Fatalf("ListUsers by e-mail: %v %v", lu, err)
	}

	// A verified alias is one user's: another user cannot take it.
	if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("bo"), MessageAction: types.MessageActionTypeSuppress,
		TemporaryPassword: aws.String(password)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AdminUpdateUserAttributes(bg, &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("bo"),
		UserAttributes: []types.AttributeType{{Name: aws.String("preferred_username"), Value: aws.String("ANNIE")}}})
	wantAPIError[*types.AliasExistsException](t, err, "An account with the given preferred_username already exists.")
	_, err = c.AdminUpdateUserAttributes(bg, &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("bo"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("ann@example.com")}, {Name: aws.String("email_verified"), Value: aws.String("true")}}})
	wantAPIError[*types.AliasExistsException](t, err, "An account with the given email already exists.")

	// The hosted UI signs in with the alias too.
	h := &hostedUI{t: t, s: s, pool: poolID, client: clientID, hc: newBrowser()}
	_, challenge := pkce()
	page := h.get(h.get(h.authorizeURL(challenge, map[string]string{"scope": "openid"})).location())
	action, csrf := h.loginForm(page)
	h.callback(h.get(h.submitLogin(action, csrf, "Ann@example.com", password).location()))
}

// TestCaseSensitiveUsernames: with UsernameConfiguration.CaseSensitive
// true, "Cy" and "cy" are two users, and an e-mail alias signs in only
// with its own capitalization (but any case of its domain).
func TestCaseSensitiveUsernames(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	p, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("cased"),
		AliasAttributes:       []types.AliasAttributeType{types.AliasAttributeTypeEmail},
		UsernameConfiguration: &types.UsernameConfigurationType{CaseSensitive: aws.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(p.UserPool.Id)
	cl, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(cl.UserPoolClient.ClientId)
	for _, name := range []string{"Cy", "cy"} {
		if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String(name), MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(name + "." + strings.ToLower(name) + "@example.com")}}}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := c.AdminSetUserPassword(bg, &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("Cy"), Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	signIn(t, c, clientID, "Cy", password)
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "cy", "PASSWORD": password}})
	wantAPIError[*types.NotAuthorizedException](t, err, "Incorrect username or password.") // another user, without that password
	_, err = c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("CY")})
	wantAPIError[*types.UserNotFoundException](t, err, "User does not exist.")
	if _, err := c.AdminUpdateUserAttributes(bg, &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("Cy"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	signIn(t, c, clientID, "Cy.cy@EXAMPLE.com", password)
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "CY.CY@example.com", "PASSWORD": password}})
	wantAPIError[*types.UserNotFoundException](t, err, "User does not exist.")
}

// TestPasswordResetEndsEverySession: ConfirmForgotPassword and
// AdminResetUserPassword each end every session of the user — access and
// refresh tokens of every device — as a global sign-out does.
func TestPasswordResetEndsEverySession(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID := newAmplifyPool(t, c, nil)
	const email = "reset@example.com"
	if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String(email), MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	pw := password
	if _, err := c.AdminSetUserPassword(bg, &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String(email), Password: &pw, Permanent: true}); err != nil {
		t.Fatal(err)
	}
	ended := func(how string, sessions []*types.AuthenticationResultType) {
		t.Helper()
		for i, tk := range sessions {
			_, err := getUser(c, aws.ToString(tk.AccessToken))
			wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has been revoked")
			_, err = refresh(c, clientID, aws.ToString(tk.RefreshToken))
			if err == nil {
				t.Fatalf("%s: session %d refreshes", how, i)
			}
			wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
		}
	}

	sessions := []*types.AuthenticationResultType{signIn(t, c, clientID, email, pw).AuthenticationResult, signIn(t, c, clientID, email, pw).AuthenticationResult}
	if _, err := c.ForgotPassword(bg, &cip.ForgotPasswordInput{ClientId: &clientID, Username: aws.String(email)}); err != nil {
		t.Fatal(err)
	}
	if _, err := getUser(c, aws.ToString(sessions[0].AccessToken)); err != nil {
		t.Fatalf("asking for a code ends nothing yet: %v", err)
	}
	pw = "Reset-Passw0rd!1"
	if _, err := c.ConfirmForgotPassword(bg, &cip.ConfirmForgotPasswordInput{ClientId: &clientID, Username: aws.String(email),
		ConfirmationCode: aws.String(outboxCode(t, s, poolID, email, message.KindForgotPassword)), Password: &pw}); err != nil {
		t.Fatal(err)
	}
	ended("ConfirmForgotPassword", sessions)

	sessions = []*types.AuthenticationResultType{signIn(t, c, clientID, email, pw).AuthenticationResult, signIn(t, c, clientID, email, pw).AuthenticationResult}
	if _, err := c.AdminResetUserPassword(bg, &cip.AdminResetUserPasswordInput{UserPoolId: &poolID, Username: aws.String(email)}); err != nil {
		t.Fatal(err)
	}
	ended("AdminResetUserPassword", sessions)
	_, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": pw}})
	wantAPIError[*types.PasswordResetRequiredException](t, err, "Password reset required for the user")
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
