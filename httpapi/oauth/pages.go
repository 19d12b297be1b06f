package oauth

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"

	"github.com/cognate-dev/cognate/userpool"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pages are the hosted UI's server-rendered pages: no scripts, no external
// assets (the CSS is inline), so the Content-Security-Policy can forbid
// everything else.
var pages = template.Must(template.ParseFS(templateFiles, "templates/*.html"))

// loginPage is what the sign-in page shows.
type loginPage struct {
	ClientName string
	Action     string // where the form posts: /<pool>/login?<authorization request>
	CSRF       string
	Username   string
	Error      string
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
)

// loginFailure is the status and the message the sign-in page shows for a
// refused sign-in.
func loginFailure(e *userpool.Error) (int, string) {
	switch {
	case e.Kind == userpool.KindThrottled, e.Cause == userpool.CauseAttemptsExceeded:
		return http.StatusTooManyRequests, msgTooManyAttempts
	case e.Kind == userpool.KindInvalid:
		return http.StatusBadRequest, msgMissingLogin
	case e.Cause == userpool.CauseUserDisabled:
		return http.StatusBadRequest, msgUserDisabled
	case e.Kind == userpool.KindUserNotConfirmed:
		return http.StatusBadRequest, msgNotConfirmed
	case e.Kind == userpool.KindPasswordResetRequired:
		return http.StatusBadRequest, msgChangePassword
	}
	return http.StatusBadRequest, msgBadCredentials
}
