package oauth

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/cognate-dev/cognate/userpool"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pages are the hosted UI's server-rendered pages: no scripts, no external
// assets (the CSS is inline), so the Content-Security-Policy can forbid
// everything else.
var pages = template.Must(template.ParseFS(templateFiles, "templates/*.html"))

// loginPage is what the sign-in page (and the password-reset pages) show.
type loginPage struct {
	ClientName         string
	Action             string // where the form posts: /<pool>/<page>?<authorization request>
	CSRF               string
	Username           string
	UsernameLabel      string // "Username", "Email", ...
	UsernameLabelLower string
	Error              string
	Notice             string
	ForgotURL          string
	LoginURL           string
}

// usernameLabel names what the pool's users sign in with.
func usernameLabel(signInWith []string) string {
	names := map[string]string{"username": "Username", "email": "Email", "phone_number": "Phone number",
		"preferred_username": "Preferred username"}
	var parts []string
	for _, w := range signInWith {
		if n, ok := names[w]; ok {
			parts = append(parts, n)
		}
	}
	switch len(parts) {
	case 0:
		return "Username"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + strings.ToLower(parts[len(parts)-1])
}

// errorPage is what the error page shows.
type errorPage struct {
	Title   string
	Message string
	Code    string
}

// pageHeaders are the security headers of every HTML page. There is no
// form-action directive on purpose: Chrome applies it to the redirects that
// follow the form's POST, and those end at the client's callback URL.
func pageHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: with no-referrer browsers name the
	// page's own form posts "Origin: null", and the sign-in form's origin
	// check must see its real origin. Other sites still get no referrer.
	hd.Set("Referrer-Policy", "same-origin")
}

// render executes a page into a buffer first, so that a template failure
// is a clean 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, name string, status int, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.Error("render page", "page", name, "err", err)
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	pageHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// showError renders the error page.
func (h *Handler) showError(w http.ResponseWriter, status int, code, message string) {
	title := "Something went wrong"
	if status < 500 {
		title = "This sign-in link is not valid"
	}
	h.render(w, "error", status, errorPage{Title: title, Message: message, Code: code})
}

// Messages the sign-in page shows.
const (
	msgFormExpired     = "Your sign-in form has expired. Please try again."
	msgMissingLogin    = "Enter your username and password."
	msgBadCredentials  = "Incorrect username or password."
	msgTooManyAttempts = "Too many attempts. Please wait a few minutes and try again."
	msgUserDisabled    = "User is disabled."
	msgNotConfirmed    = "User is not confirmed."
	msgChangePassword  = "Your password must be changed before you can sign in here. Contact your administrator."
	msgMFAUnavailable  = "This account requires multi-factor authentication. Please sign in again."
)

// pageFailure is the status and message a password-reset page shows for a
// refused step; an internal failure is returned as such.
func pageFailure(err error) (int, string, error) {
	e := userpool.AsError(err)
	switch {
	case e == nil || e.Kind == userpool.KindInternal:
		return 0, "", err
	case e.Kind == userpool.KindLimitExceeded || e.Kind == userpool.KindThrottled:
		return http.StatusTooManyRequests, msgTooManyAttempts, nil
	case lambdaFailure(e):
		return http.StatusBadRequest, e.Message, nil
	case e.Kind == userpool.KindUserNotFound:
		return http.StatusBadRequest, "We could not find that account.", nil
	case e.Kind == userpool.KindCodeMismatch:
		return http.StatusBadRequest, "The code is not right. Please check it and try again.", nil
	case e.Kind == userpool.KindCodeExpired:
		return http.StatusBadRequest, "The code has expired. Please ask for a new one.", nil
	case e.Kind == userpool.KindWeakPassword:
		return http.StatusBadRequest, e.Message, nil
	case e.Cause == userpool.CauseNoRecoveryChannel:
		return http.StatusBadRequest, "This account has no verified e-mail address or phone number to send a code to. Contact your administrator.", nil
	case e.Kind == userpool.KindInvalid:
		return http.StatusBadRequest, "Please fill in every field.", nil
	case e.Kind == userpool.KindDeliveryFailed:
		return http.StatusServiceUnavailable, "We could not send the code. Please try again later.", nil
	}
	return http.StatusBadRequest, "The password could not be reset.", nil
}

// loginFailure is the status and the message the sign-in page shows for a
// refused sign-in.
func loginFailure(e *userpool.Error) (int, string) {
	switch {
	case e.Kind == userpool.KindThrottled, e.Cause == userpool.CauseAttemptsExceeded:
		return http.StatusTooManyRequests, msgTooManyAttempts
	case lambdaFailure(e):
		return http.StatusBadRequest, e.Message
	case e.Kind == userpool.KindInvalid:
		return http.StatusBadRequest, msgMissingLogin
	case e.Cause == userpool.CauseUserDisabled:
		return http.StatusBadRequest, msgUserDisabled
	case e.Kind == userpool.KindUserNotConfirmed:
		return http.StatusBadRequest, msgNotConfirmed
	case e.Kind == userpool.KindPasswordResetRequired:
		return http.StatusBadRequest, msgChangePassword
	case e.Kind == userpool.KindUserState:
		return http.StatusBadRequest, msgMFAUnavailable
	}
	return http.StatusBadRequest, msgBadCredentials
}

// lambdaFailure reports a refusal by one of the pool's Lambda triggers: the
// page shows its message as Cognito's does ("PreAuthentication failed with
// error ...", the function's own words), not a generic one.
func lambdaFailure(e *userpool.Error) bool {
	switch e.Kind {
	case userpool.KindLambdaValidation, userpool.KindLambdaUnexpected, userpool.KindLambdaResponse:
		return true
	}
	return false
}
