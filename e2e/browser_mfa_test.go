package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// TestBrowserHostedUIMFA drives the hosted UI's MFA step in Chromium: a
// user with a software token enters a wrong code (the page says so), then
// the code of the time step, and the app gets a code that exchanges for
// the user's tokens; a user with e-mail MFA enters the code from the dev
// outbox; with MFA ON, a user without a factor reads the key from the page,
// sets up the software token, and is signed in.
func TestBrowserHostedUIMFA(t *testing.T) {
	ctx := newChrome(t)
	clock := testserver.NewClock(time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC))
	s := testserver.StartWith(t, testserver.Options{Now: clock.Now})
	a := newApp(t)
	callback := a.URL + "/callback"
	pool, client, _ := s.NewPool(t, testserver.WithOAuth(testserver.OAuthSettings{CallbackURLs: []string{callback}}))
	h := &hostedUI{t: t, s: s, pool: pool, client: client, hc: newBrowser()}
	setMFA(t, s.Admin, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(pool), MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}, EmailMfaConfiguration: &types.EmailMfaConfigType{}})
	srvUser(t, s.Admin, pool, "bob")
	at := aws.ToString(signIn(t, s.Admin, client, "bob", password).AuthenticationResult.AccessToken)
	secret := associateTOTP(t, s.Admin, at, stepOf(clock.Now()))
	clock.Advance(30 * time.Second)

	// signInAs opens a fresh sign-in (prompt=login) and submits the password.
	signInAs := func(user string) string {
		t.Helper()
		verifier, challenge := pkce()
		authorize := s.URL + "/" + pool + "/oauth2/authorize?" + url.Values{"client_id": {client}, "redirect_uri": {callback},
			"response_type": {"code"}, "state": {"mfa-state"}, "scope": {fullScope}, "code_challenge": {challenge},
			"code_challenge_method": {"S256"}, "prompt": {"login"}}.Encode()
		step(t, ctx, "sign in as "+user,
			chromedp.Navigate(authorize),
			chromedp.WaitVisible(chromedp.ID("username")),
			chromedp.SendKeys(chromedp.ID("username"), user),
			chromedp.SendKeys(chromedp.ID("password"), password),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.ID("code")),
		)
		return verifier
	}
	// enterCode submits a code that must sign the user in.
	enterCode := func(user, code, verifier string) {
		t.Helper()
		step(t, ctx, "enter the code of "+user,
			chromedp.SendKeys(chromedp.ID("code"), code),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.ID("callback")),
		)
		cb := a.lastCallback(t)
		if cb.Get("state") != "mfa-state" || cb.Get("code") == "" {
			t.Fatalf("callback %v: want a code and the state", cb)
		}
		tk := h.exchangeAt(callback, cb.Get("code"), verifier)
		if u, err := getUser(s.Admin, tk.AccessToken); err != nil || *u.Username != user {
			t.Fatalf("GetUser with the browser's tokens: %v", err)
		}
	}

	// Software token: a wrong code first.
	verifier := signInAs("bob")
	if text := run(t, ctx, "MFA page", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(text, "Enter the code from your authenticator app") {
		t.Fatalf("MFA page says %q", text)
	}
	step(t, ctx, "wrong code",
		chromedp.SendKeys(chromedp.ID("code"), totpAt(t, secret, stepOf(clock.Now())-10)),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#form-error")),
	)
	if msg := run(t, ctx, "error text", chromedp.Text(chromedp.CSS("#form-error"))); !strings.Contains(msg, "The code is not right.") {
		t.Fatalf("error region says %q", msg)
	}
	enterCode("bob", totpAt(t, secret, stepOf(clock.Now())), verifier)

	// E-mail code, from the dev outbox.
	srvUser(t, s.Admin, pool, "alice")
	if _, err := s.Admin.AdminSetUserMFAPreference(bg, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(pool),
		Username: aws.String("alice"), EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	verifier = signInAs("alice")
	if text := run(t, ctx, "MFA page", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(text, "We sent a code to a***@e***") {
		t.Fatalf("MFA page says %q", text)
	}
	enterCode("alice", s.Outbox.List(pool, "alice@example.com")[0].Code, verifier)

	// MFA ON, no factor yet: set up a software token in the page.
	setMFA(t, s.Admin, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(pool), MfaConfiguration: types.UserPoolMfaTypeOn,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
	srvUser(t, s.Admin, pool, "carol")
	verifier = signInAs("carol")
	key := strings.TrimSpace(run(t, ctx, "the key", chromedp.Text(chromedp.ID("secret-code"))))
	if !base32Key(key) {
		t.Fatalf("setup page shows the key %q", key)
	}
	if n := run(t, ctx, "QR code", chromedp.Evaluate[int](`document.querySelectorAll('img[src^="data:image/png"]').length`)); n != 1 {
		t.Fatalf("setup page has %d QR images", n)
	}
	enterCode("carol", totpAt(t, key, stepOf(clock.Now())), verifier)
}

// base32Key reports whether k looks like a software-token secret.
func base32Key(k string) bool {
	if len(k) < 16 {
		return false
	}
	for _, r := range k {
		if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}
