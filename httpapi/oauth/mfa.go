package oauth

// The hosted UI's MFA step: the page that asks for the code after a
// correct password (or for the factor to use, or sets up a software
// token), and its POST /<pool>/mfa. The form carries the challenge's id
// and the same CSRF token as the sign-in form (the browser's login
// transaction and this authorization request); the challenge itself is
// bound to the transaction on the server (userpool.HostedRespondMFA).

import (
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/userpool"
)

// Messages of the MFA page.
const (
	msgMFAWrongCode = "The code is not right. Please check it and try again."
	msgMFAExpired   = "Your sign-in has expired. Please sign in again."
)

// mfaPage is what the MFA page shows.
type mfaPage struct {
	ClientName  string
	Action      string
	CSRF        string
	LoginURL    string
	Error       string
	Challenge   string
	Session     string
	Destination string
	Choices     []mfaChoice
	// MFA_SETUP
	SecretCode string
	Account    string
	Issuer     string
	SetupURI   template.URL // otpauth://, built here from the fields above
	QR         template.URL // data:image/png of SetupURI, when it could be made
}

// mfaChoice is a factor the user can choose.
type mfaChoice struct{ Value, Label string }

var mfaLabels = map[string]string{userpool.ChallengeSoftwareTokenMFA: "Authenticator app",
	userpool.ChallengeSMSMFA: "Text message (SMS)", userpool.ChallengeEmailOTP: "Email"}

// base32RE matches a software-token secret as AssociateSoftwareToken
// makes them.
var base32RE = regexp.MustCompile(`^[A-Z2-7]{16,128}$`)

// showMFA renders the MFA page of a step.
func (h *Handler) showMFA(w http.ResponseWriter, r *http.Request, req *userpool.AuthorizeRequest, step *userpool.HostedMFA, status int, msg string) error {
	tx, err := r.Cookie(csrfCookie)
	if err != nil {
		return h.showLogin(w, r, req, http.StatusForbidden, "", msgFormExpired)
	}
	query := authorizeQuery(req.AuthorizeParams).Encode()
	token, err := h.svc.LoginFormToken(r.Context(), req.PoolID, tx.Value, query)
	if err != nil {
		return err
	}
	data := mfaPage{ClientName: req.ClientName, Action: h.poolPath(r, "mfa") + "?" + query, CSRF: token,
		LoginURL: h.poolPath(r, "login") + "?" + query, Error: msg, Challenge: step.Challenge, Session: step.Session,
		Destination: step.Destination}
	for _, c := range step.Choices {
		if l, ok := mfaLabels[c]; ok {
			data.Choices = append(data.Choices, mfaChoice{Value: c, Label: l})
		}
	}
	if step.Challenge == userpool.ChallengeMFASetup && base32RE.MatchString(step.SecretCode) {
		data.SecretCode, data.Account, data.Issuer = step.SecretCode, step.Account, step.Issuer
		uri := userpool.TOTPURI(step.Issuer, step.Account, step.SecretCode)
		data.SetupURI = template.URL(uri) // built from checked parts, escaped by TOTPURI
		if png := qrPNG(uri); png != "" {
			data.QR = template.URL(png)
		}
	}
	h.render(w, "mfa", status, data)
	return nil
}

// mfa is POST /mfa: answer the MFA step; when it passes, start the web
// session and go back to the authorization endpoint, as the password-only
// sign-in does.
func (h *Handler) mfa(w http.ResponseWriter, r *http.Request) error {
	req, err := h.checkAuthorize(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return invalidRequest("The form could not be read.")
	}
	ok, err := h.checkLoginForm(r, req)
	if err != nil {
		return err
	}
	if !ok {
		return h.showLogin(w, r, req, http.StatusForbidden, "", msgFormExpired)
	}
	tx, _ := r.Cookie(csrfCookie) // checkLoginForm saw it
	f := r.PostForm
	step := &userpool.HostedMFA{Challenge: f.Get("challenge"), Session: f.Get("session"),
		Destination: clip(f.Get("destination"), 256), SecretCode: f.Get("secret"), Account: clip(f.Get("account"), 128),
		Issuer: clip(f.Get("issuer"), 128)}
	for _, c := range f["choices"] {
		if _, ok := mfaLabels[c]; ok && !slices.Contains(step.Choices, c) {
			step.Choices = append(step.Choices, c)
		}
	}
	res, err := h.svc.HostedRespondMFA(r.Context(), userpool.HostedMFAInput{Request: req, Tx: tx.Value,
		Challenge: step.Challenge, Session: step.Session, Code: strings.TrimSpace(f.Get("code")), Answer: f.Get("answer")})
	if err != nil {
		e := userpool.AsError(err)
		if e == nil || e.Kind == userpool.KindInternal {
			return err
		}
		switch {
		case e.Kind == userpool.KindThrottled, e.Kind == userpool.KindLimitExceeded, e.Cause == userpool.CauseAttemptsExceeded:
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int((e.RetryAfter+time.Second-1)/time.Second))))
			return h.showMFA(w, r, req, step, http.StatusTooManyRequests, msgTooManyAttempts)
		case e.Cause == userpool.CauseUserDisabled:
			return h.showLogin(w, r, req, http.StatusBadRequest, "", msgUserDisabled)
		case e.Cause == userpool.CauseSignInSessionExpired:
			return h.showLogin(w, r, req, http.StatusBadRequest, "", msgMFAExpired)
		case e.Kind == userpool.KindCodeMismatch, e.Kind == userpool.KindCodeExpired, e.Kind == userpool.KindInvalid,
			e.Kind == userpool.KindNotFound:
			return h.showMFA(w, r, req, step, http.StatusBadRequest, msgMFAWrongCode)
		}
		return h.showLogin(w, r, req, http.StatusBadRequest, "", msgMFAExpired)
	}
	if res.MFA != nil {
		return h.showMFA(w, r, req, res.MFA, http.StatusOK, "")
	}
	return h.signedIn(w, r, req, res)
}

// clip shortens s to at most n bytes.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
