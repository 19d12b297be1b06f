package e2e

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

var mfaSecretRE = regexp.MustCompile(`id="secret-code">([A-Z2-7]+)<`)

// mfaForm is the hosted UI's MFA page as a test posts it.
type mfaForm struct {
	action string
	fields url.Values
}

// mfaPage reads the MFA page of r: its action and hidden fields.
func (h *hostedUI) mfaPage(r response, status int, want string) mfaForm {
	h.t.Helper()
	if r.status != status || !strings.Contains(r.body, want) {
		h.t.Fatalf("want the MFA page (%d, %q), got %d %q", status, want, r.status, r.body)
	}
	a := actionRE.FindStringSubmatch(r.body)
	if a == nil || !strings.Contains(a[1], "/mfa?") {
		h.t.Fatalf("MFA page without its form: %s", r.body)
	}
	f := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)"`).FindAllStringSubmatch(r.body, -1) {
		f.Add(m[1], html.UnescapeString(m[2]))
	}
	return mfaForm{action: html.UnescapeString(a[1]), fields: f}
}

// answer posts the MFA form with a code (or, for the factor choice, an
// answer).
func (h *hostedUI) answer(f mfaForm, key, value string) response {
	h.t.Helper()
	form := url.Values{}
	for k, v := range f.fields {
		form[k] = v
	}
	form.Set(key, value)
	return h.postForm(f.action, form, "", "")
}

// signedInAfterMFA follows a passed MFA step to the callback and exchanges
// the code for the user's tokens.
func (h *hostedUI) signedInAfterMFA(r response, verifier, user string) tokens {
	h.t.Helper()
	if r.status != http.StatusSeeOther || !strings.Contains(r.location(), "/oauth2/authorize?") {
		h.t.Fatalf("MFA passed: want 303 to authorize, got %d %q %q", r.status, r.location(), r.body)
	}
	tk := h.exchange(h.callback(h.get(r.location())), verifier)
	if got := claims(h.t, tk.AccessToken)["username"]; got != user {
		h.t.Fatalf("tokens of %v, want %s", got, user)
	}
	return tk
}

// hostedMFAServer is a server on a settable clock with a hosted-UI client.
func hostedMFAServer(t *testing.T) (*testserver.Server, *testserver.Clock, *hostedUI) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC))
	s := testserver.StartWith(t, testserver.Options{Now: clock.Now})
	return s, clock, newHostedUI(t, s)
}

// TestHostedUIMFAEmail: after the password, the hosted UI asks for the
// code sent by e-mail (the destination masked); a wrong code shows the page
// again with an error, the right one signs in like the password-only path.
// The step is bound to the browser and the form's CSRF token, the API
// cannot answer it, and wrong codes end it after the API's limit.
func TestHostedUIMFAEmail(t *testing.T) {
	s, clock, h := hostedMFAServer(t)
	setMFA(t, s.Admin, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(h.pool), MfaConfiguration: types.UserPoolMfaTypeOptional,
		EmailMfaConfiguration: &types.EmailMfaConfigType{}})
	srvUser(t, s.Admin, h.pool, "alice")
	if _, err := s.Admin.AdminSetUserMFAPreference(bg, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(h.pool),
		Username: aws.String("alice"), EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	lastCode := func() string {
		t.Helper()
		ms := s.Outbox.List(h.pool, "alice@example.com")
		if len(ms) == 0 {
			t.Fatal("no code sent")
		}
		return ms[0].Code
	}
	start := func(h *hostedUI) (mfaForm, string) {
		t.Helper()
		verifier, challenge := pkce()
		action, csrf := h.openLogin(h.authorizeURL(challenge, nil))
		f := h.mfaPage(h.submitLogin(action, csrf, "alice", password), http.StatusOK, "We sent a code to a***@e***")
		return f, verifier
	}

	t.Run("wrong then right code", func(t *testing.T) {
		h := h.with(t)
		h.hc = newBrowser()
		f, verifier := start(h)
		if r := h.answer(f, "code", "000000"); !strings.Contains(r.body, "The code is not right.") || r.status != http.StatusBadRequest {
			t.Fatalf("wrong code: %d %q", r.status, r.body)
		}
		tk := h.signedInAfterMFA(h.answer(f, "code", lastCode()), verifier, "alice")
		if tk.IDToken == "" {
			t.Fatal("no ID token")
		}
		// Single use: the passed step cannot be answered again.
		if r := h.answer(f, "code", lastCode()); r.status != http.StatusBadRequest || !strings.Contains(r.body, "Your sign-in has expired.") {
			t.Fatalf("a passed step again: %d %q", r.status, r.body)
		}
	})

	t.Run("CSRF and binding", func(t *testing.T) {
		h := h.with(t)
		h.hc = newBrowser()
		f, _ := start(h)
		bad := mfaForm{action: f.action, fields: url.Values{}}
		for k, v := range f.fields {
			bad.fields[k] = v
		}
		tok := f.fields.Get("_csrf")
		forged := "A"
		if tok[20] == 'A' {
			forged = "B"
		}
		bad.fields.Set("_csrf", tok[:20]+forged+tok[21:]) // a byte of the MAC
		if r := h.answer(bad, "code", lastCode()); r.status != http.StatusForbidden || !strings.Contains(r.body, "expired") {
			t.Fatalf("a forged CSRF token: %d %q", r.status, r.body)
		}
		// Another browser, with its own valid form, cannot answer this
		// browser's step.
		other := h.with(t)
		other.hc = newBrowser()
		_, challenge := pkce()
		oaction, ocsrf := other.openLogin(other.authorizeURL(challenge, nil))
		theft := mfaForm{action: strings.Replace(oaction, "/login?", "/mfa?", 1),
			fields: url.Values{"_csrf": {ocsrf}, "challenge": {"EMAIL_OTP"}, "session": f.fields["session"]}}
		if r := other.answer(theft, "code", lastCode()); r.status != http.StatusBadRequest || !strings.Contains(r.body, "Your sign-in has expired.") {
			t.Fatalf("another browser: %d %q", r.status, r.body)
		}
	})

	t.Run("the API cannot answer it", func(t *testing.T) {
		h := h.with(t)
		h.hc = newBrowser()
		f, _ := start(h)
		_, err := respond(s.Admin, h.client, types.ChallengeNameTypeEmailOtp, f.fields.Get("session"),
			map[string]string{"USERNAME": "alice", "EMAIL_OTP_CODE": lastCode()})
		if err == nil {
			t.Fatal("RespondToAuthChallenge answered a hosted-UI step")
		}
	})

	t.Run("attempts are limited", func(t *testing.T) {
		h := h.with(t)
		h.hc = newBrowser()
		f, _ := start(h)
		for i := 0; i < 5; i++ {
			clock.Advance(time.Second)
			if r := h.answer(f, "code", "000000"); r.status != http.StatusBadRequest && r.status != http.StatusTooManyRequests {
				t.Fatalf("wrong code %d: %d %q", i, r.status, r.body)
			}
		}
		clock.Advance(15 * time.Minute) // past any throttle
		if r := h.answer(f, "code", lastCode()); r.status != http.StatusBadRequest || !strings.Contains(r.body, "Your sign-in has expired.") {
			t.Fatalf("after the attempts: %d %q", r.status, r.body)
		}
	})

	t.Run("it expires", func(t *testing.T) {
		h := h.with(t)
		h.hc = newBrowser()
		f, _ := start(h)
		clock.Advance(3*time.Minute + time.Second) // the client's AuthSessionValidity
		if r := h.answer(f, "code", lastCode()); r.status != http.StatusBadRequest || !strings.Contains(r.body, "Your sign-in has expired.") {
			t.Fatalf("an expired step: %d %q", r.status, r.body)
		}
	})
}

// TestHostedUIMFATOTPAndSetup: a user with a software token answers with
// its code; with MFA ON, a user without a factor sets one up in the page
// (the key is shown; a QR code of the otpauth URI) and is signed in.
func TestHostedUIMFATOTPAndSetup(t *testing.T) {
	s, clock, h := hostedMFAServer(t)
	setMFA(t, s.Admin, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(h.pool), MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
	srvUser(t, s.Admin, h.pool, "bob")
	at := aws.ToString(signIn(t, s.Admin, h.client, "bob", password).AuthenticationResult.AccessToken)
	secret := associateTOTP(t, s.Admin, at, stepOf(clock.Now()))

	clock.Advance(30 * time.Second)
	verifier, challenge := pkce()
	action, csrf := h.openLogin(h.authorizeURL(challenge, nil))
	f := h.mfaPage(h.submitLogin(action, csrf, "bob", password), http.StatusOK, "Enter the code from your authenticator app")
	if r := h.answer(f, "code", totpAt(t, secret, stepOf(clock.Now())-5)); r.status != http.StatusBadRequest || !strings.Contains(r.body, "The code is not right.") {
		t.Fatalf("wrong TOTP: %d %q", r.status, r.body)
	}
	h.signedInAfterMFA(h.answer(f, "code", totpAt(t, secret, stepOf(clock.Now()))), verifier, "bob")

	// MFA ON, a user without a factor: set up in the page.
	setMFA(t, s.Admin, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(h.pool), MfaConfiguration: types.UserPoolMfaTypeOn,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
	srvUser(t, s.Admin, h.pool, "carol")
	h.hc = newBrowser()
	verifier, challenge = pkce()
	action, csrf = h.openLogin(h.authorizeURL(challenge, nil))
	r := h.submitLogin(action, csrf, "carol", password)
	f = h.mfaPage(r, http.StatusOK, "Set up an authenticator app")
	m := mfaSecretRE.FindStringSubmatch(r.body)
	if m == nil || f.fields.Get("secret") != m[1] || !strings.Contains(r.body, `href="otpauth://totp/`) ||
		!strings.Contains(r.body, `<img src="data:image/png;base64,`) {
		t.Fatalf("setup page without the key or its otpauth link: %s", r.body)
	}
	if r := h.answer(f, "code", "123"); r.status != http.StatusBadRequest || !strings.Contains(r.body, m[1]) {
		t.Fatalf("a malformed setup code: %d %q", r.status, r.body)
	}
	h.signedInAfterMFA(h.answer(f, "code", totpAt(t, m[1], stepOf(clock.Now()))), verifier, "carol")

	// Carol now has a software token: the next sign-in asks for its code.
	clock.Advance(30 * time.Second)
	h.hc = newBrowser()
	verifier, challenge = pkce()
	action, csrf = h.openLogin(h.authorizeURL(challenge, nil))
	f = h.mfaPage(h.submitLogin(action, csrf, "carol", password), http.StatusOK, "Enter the code from your authenticator app")
	h.signedInAfterMFA(h.answer(f, "code", totpAt(t, m[1], stepOf(clock.Now()))), verifier, "carol")
}

// TestHostedUIMFASelect: a user with several factors and none preferred
// chooses one in the page.
func TestHostedUIMFASelect(t *testing.T) {
	s, clock, h := hostedMFAServer(t)
	setMFA(t, s.Admin, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(h.pool), MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}, EmailMfaConfiguration: &types.EmailMfaConfigType{}})
	srvUser(t, s.Admin, h.pool, "dora")
	at := aws.ToString(signIn(t, s.Admin, h.client, "dora", password).AuthenticationResult.AccessToken)
	associateTOTP(t, s.Admin, at, stepOf(clock.Now()))
	if _, err := s.Admin.AdminSetUserMFAPreference(bg, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(h.pool),
		Username: aws.String("dora"), EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true},
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	verifier, challenge := pkce()
	action, csrf := h.openLogin(h.authorizeURL(challenge, nil))
	f := h.mfaPage(h.submitLogin(action, csrf, "dora", password), http.StatusOK, "Choose how to verify")
	f = h.mfaPage(h.answer(f, "answer", "EMAIL_OTP"), http.StatusOK, "We sent a code to d***@e***")
	code := s.Outbox.List(h.pool, "dora@example.com")[0].Code
	h.signedInAfterMFA(h.answer(f, "code", code), verifier, "dora")
}
