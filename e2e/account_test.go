package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/message"
)

// The account life cycle through real clients: the hosted UI's pages, the
// AWS CLI's admin operations, and a phone-number pool whose codes go out
// through the signed message webhook.

// newAmplifyPool creates a pool as Amplify does (e-mail as the username,
// verified automatically, recovery by verified e-mail, case-insensitive)
// with a public client allowing password, SRP and refresh sign-in.
func newAmplifyPool(t *testing.T, c *cip.Client, oauth *types.UserPoolClientType) (poolID, clientID string) {
	t.Helper()
	p, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("amplify"),
		UsernameAttributes:     []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		UsernameConfiguration:  &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
		AccountRecoverySetting: &types.AccountRecoverySettingType{RecoveryMechanisms: []types.RecoveryOptionType{
			{Name: types.RecoveryOptionNameTypeVerifiedEmail, Priority: aws.Int32(1)}}}})
	if err != nil {
		t.Fatal(err)
	}
	in := &cip.CreateUserPoolClientInput{UserPoolId: p.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}}
	if oauth != nil {
		in.CallbackURLs, in.AllowedOAuthFlows, in.AllowedOAuthScopes = oauth.CallbackURLs, oauth.AllowedOAuthFlows, oauth.AllowedOAuthScopes
		in.AllowedOAuthFlowsUserPoolClient = true
	}
	cl, err := c.CreateUserPoolClient(bg, in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(p.UserPool.Id), aws.ToString(cl.UserPoolClient.ClientId)
}

// outboxCode is the newest code of kind the server sent to dest.
func outboxCode(t *testing.T, s *testserver.Server, poolID, dest string, kind message.Kind) string {
	t.Helper()
	for _, m := range s.Outbox.List(poolID, dest) {
		if m.Kind == kind {
			return m.Code
		}
	}
	t.Fatalf("no %s message to %s in the outbox", kind, dest)
	return ""
}

// TestHostedUIEmailSignInAndPasswordReset: the sign-in page of an e-mail
// pool asks for the e-mail, accepts it in any case, and its "Forgot your
// password?" link resets the password with a code.
func TestHostedUIEmailSignInAndPasswordReset(t *testing.T) {
	s := testserver.Start(t)
	poolID, clientID := newAmplifyPool(t, s.Admin, &types.UserPoolClientType{CallbackURLs: []string{callbackURL},
		AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode}, AllowedOAuthScopes: []string{"openid", "email"}})
	h := &hostedUI{t: t, s: s, pool: poolID, client: clientID, hc: newBrowser()}
	if _, err := s.Admin.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("Ria@Example.com"),
		MessageAction: types.MessageActionTypeSuppress, UserAttributes: []types.AttributeType{
			{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Admin.AdminSetUserPassword(bg, &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("ria@example.com"),
		Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	_, challenge := pkce()
	authorize := h.authorizeURL(challenge, map[string]string{"scope": "openid email"})
	r := h.get(authorize)
	page := h.get(r.location())
	if !strings.Contains(page.body, `<label for="username">Email</label>`) || !strings.Contains(page.body, "Forgot your password?") {
		t.Fatalf("the sign-in page of an e-mail pool: %q", page.body)
	}
	action, csrf := h.loginForm(page)
	h.callback(h.get(h.submitLogin(action, csrf, "RIA@example.com", password).location()))

	// Forgot the password: the link, the code, the new password.
	h = &hostedUI{t: t, s: s, pool: poolID, client: clientID, hc: newBrowser()} // signed out
	r = h.get(authorize)
	loginPage := h.get(r.location())
	forgot := regexpFind(t, `<a href="([^"]*forgotPassword[^"]*)">Forgot your password\?</a>`, loginPage.body)
	form := h.get(forgot)
	fAction, fCSRF := formOf(t, form.body)
	r = h.postForm(fAction, url.Values{"username": {"ria@example.com"}, "_csrf": {fCSRF}}, "", "")
	if r.status != http.StatusOK || !strings.Contains(r.body, "We sent a code to R***@E***") {
		t.Fatalf("sending the code: %d %q", r.status, r.body)
	}
	cAction, cCSRF := formOf(t, r.body)
	code := outboxCode(t, s, poolID, "Ria@Example.com", message.KindForgotPassword)
	r = h.postForm(cAction, url.Values{"username": {"ria@example.com"}, "code": {"000000"}, "password": {"New-Passw0rd!"}, "_csrf": {cCSRF}}, "", "")
	if code != "000000" && (r.status != http.StatusBadRequest || !strings.Contains(r.body, "The code is not right")) {
		t.Fatalf("a wrong code: %d %q", r.status, r.body)
	}
	r = h.postForm(cAction, url.Values{"username": {"ria@example.com"}, "code": {code}, "password": {"New-Passw0rd!"}, "_csrf": {cCSRF}}, "", "")
	if r.status != http.StatusOK || !strings.Contains(r.body, "Your password has been reset") {
		t.Fatalf("the right code: %d %q", r.status, r.body)
	}
	action, csrf = h.loginForm(r)
	if r := h.submitLogin(action, csrf, "ria@example.com", password); r.status != http.StatusBadRequest {
		t.Fatalf("the old password after the reset: %d", r.status)
	}
	h.callback(h.get(h.submitLogin(action, csrf, "ria@example.com", "New-Passw0rd!").location()))
}

func regexpFind(t *testing.T, pattern, s string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%s not found in %q", pattern, s)
	}
	return html.UnescapeString(m[1])
}

// formOf returns the action and token of a page's form.
func formOf(t *testing.T, body string) (action, csrf string) {
	t.Helper()
	a, c := actionRE.FindStringSubmatch(body), csrfRE.FindStringSubmatch(body)
	if a == nil || c == nil {
		t.Fatalf("no form in %q", body)
	}
	return html.UnescapeString(a[1]), c[1]
}

// awsCLI runs the AWS CLI against url and returns its standard output.
func awsCLI(t *testing.T, url string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", append([]string{"cognito-idp", "--endpoint-url", url, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("aws %s: %v: %s", strings.Join(args[:1], " "), err, errOut.String())
	}
	return out.String(), nil
}

// TestAccountAdminWithAWSCLI drives the administrator's side of the account
// life cycle with the AWS CLI: create by e-mail, update and delete
// attributes, reset the password, and the user's confirm-forgot-password.
func TestAccountAdminWithAWSCLI(t *testing.T) {
	t.Parallel() // see requireAWSCLI
	requireAWSCLI(t)
	s := testserver.Start(t)
	poolID, clientID := newAmplifyPool(t, s.Admin, nil)
	run := func(args ...string) map[string]any {
		t.Helper()
		out, err := awsCLI(t, s.URL, args...)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if strings.TrimSpace(out) != "" {
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("aws %s: %v in %q", args[0], err, out)
			}
		}
		return v
	}
	created := run("admin-create-user", "--user-pool-id", poolID, "--username", "Sam@Example.com", "--message-action", "SUPPRESS",
		"--user-attributes", "Name=email_verified,Value=true", "Name=name,Value=Sam")
	sub := created["User"].(map[string]any)["Username"].(string)
	run("admin-set-user-password", "--user-pool-id", poolID, "--username", "sam@example.com", "--password", password, "--permanent")
	run("admin-update-user-attributes", "--user-pool-id", poolID, "--username", "sam@example.com",
		"--user-attributes", "Name=family_name,Value=Smith")
	got := run("admin-get-user", "--user-pool-id", poolID, "--username", "SAM@example.com")
	attrs := map[string]string{}
	for _, a := range got["UserAttributes"].([]any) {
		m := a.(map[string]any)
		attrs[m["Name"].(string)] = m["Value"].(string)
	}
	if got["Username"] != sub || attrs["email"] != "Sam@Example.com" || attrs["family_name"] != "Smith" || attrs["name"] != "Sam" {
		t.Fatalf("admin-get-user: %v", got)
	}
	run("admin-delete-user-attributes", "--user-pool-id", poolID, "--username", "sam@example.com", "--user-attribute-names", "name")
	if _, err := awsCLI(t, s.URL, "admin-update-user-attributes", "--user-pool-id", poolID, "--username", "sam@example.com",
		"--user-attributes", "Name=phone_number,Value=0400000000"); err == nil || !strings.Contains(err.Error(), "InvalidParameterException") {
		t.Fatalf("a phone number that is not E.164: %v", err)
	}
	run("admin-reset-user-password", "--user-pool-id", poolID, "--username", "sam@example.com")
	if _, err := awsCLI(t, s.URL, "initiate-auth", "--client-id", clientID, "--auth-flow", "USER_PASSWORD_AUTH",
		"--auth-parameters", "USERNAME=sam@example.com,PASSWORD="+password); err == nil || !strings.Contains(err.Error(), "PasswordResetRequiredException") {
		t.Fatalf("sign-in after admin-reset-user-password: %v", err)
	}
	code := outboxCode(t, s, poolID, "Sam@Example.com", message.KindForgotPassword)
	run("confirm-forgot-password", "--client-id", clientID, "--username", "sam@example.com", "--confirmation-code", code,
		"--password", "Reset-Passw0rd!")
	out := run("initiate-auth", "--client-id", clientID, "--auth-flow", "USER_PASSWORD_AUTH",
		"--auth-parameters", "USERNAME=Sam@Example.com,PASSWORD=Reset-Passw0rd!")
	if out["AuthenticationResult"] == nil {
		t.Fatalf("sign-in with the new password: %v", out)
	}
}

// webhookSink is a real HTTP server receiving signed message webhooks.
type webhookSink struct {
	mu       sync.Mutex
	messages []message.Message
	bad      int
}

func (w *webhookSink) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, err := message.VerifyWebhook("hook-secret", r, time.Minute)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.bad++
		http.Error(rw, "bad signature", http.StatusUnauthorized)
		return
	}
	var m message.Message
	if err := json.Unmarshal(body, &m); err != nil {
		w.bad++
		http.Error(rw, "bad body", http.StatusBadRequest)
		return
	}
	w.messages = append(w.messages, m)
}

// code waits for the newest message of kind to dest.
func (w *webhookSink) code(t *testing.T, dest string, kind message.Kind) message.Message {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		w.mu.Lock()
		for i := len(w.messages) - 1; i >= 0; i-- {
			if m := w.messages[i]; m.Destination == dest && m.Kind == kind {
				w.mu.Unlock()
				return m
			}
		}
		w.mu.Unlock()
	}
	t.Fatalf("no %s webhook for %s", kind, dest)
	return message.Message{}
}

// TestPhonePoolThroughWebhook: a pool that signs users in by phone number,
// its codes delivered as SMS through the signed webhook of the real binary.
func TestPhonePoolThroughWebhook(t *testing.T) {
	sink := &webhookSink{}
	hook := httptest.NewServer(sink)
	defer hook.Close()
	p := startBinary(t, t.TempDir(), "--message-webhook", hook.URL, "--message-webhook-secret", "hook-secret")
	c := testserver.NewClient(p.url)
	pool, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("phones"),
		UsernameAttributes:     []types.UsernameAttributeType{types.UsernameAttributeTypePhoneNumber},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypePhoneNumber},
		AccountRecoverySetting: &types.AccountRecoverySettingType{RecoveryMechanisms: []types.RecoveryOptionType{
			{Name: types.RecoveryOptionNameTypeVerifiedPhoneNumber, Priority: aws.Int32(1)}}}})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(cl.UserPoolClient.ClientId)
	const phone = "+15555550123"
	up, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String(phone), Password: aws.String(password)})
	if err != nil {
		t.Fatal(err)
	}
	if d := up.CodeDeliveryDetails; d == nil || d.DeliveryMedium != types.DeliveryMediumTypeSms || aws.ToString(d.Destination) != "+*******0123" {
		t.Fatalf("CodeDeliveryDetails = %+v", up.CodeDeliveryDetails)
	}
	m := sink.code(t, phone, message.KindSignUp)
	if m.Channel != message.SMS || !strings.Contains(m.Body, m.Code) || m.PoolID != aws.ToString(pool.UserPool.Id) {
		t.Fatalf("the SMS webhook: %+v", m)
	}
	if _, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String(phone), ConfirmationCode: aws.String(m.Code)}); err != nil {
		t.Fatal(err)
	}
	signIn(t, c, clientID, phone, password)
	if _, err := c.ForgotPassword(bg, &cip.ForgotPasswordInput{ClientId: &clientID, Username: aws.String(phone)}); err != nil {
		t.Fatal(err)
	}
	reset := sink.code(t, phone, message.KindForgotPassword)
	if _, err := c.ConfirmForgotPassword(bg, &cip.ConfirmForgotPasswordInput{ClientId: &clientID, Username: aws.String(phone),
		ConfirmationCode: aws.String(reset.Code), Password: aws.String("Phone-Passw0rd!")}); err != nil {
		t.Fatal(err)
	}
	signIn(t, c, clientID, phone, "Phone-Passw0rd!")
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if sink.bad != 0 {
		t.Fatalf("%d webhook calls failed verification", sink.bad)
	}
}
