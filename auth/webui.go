package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/auth/credstore"
)

// Errors of SignInWithWebUI, matched with errors.Is.
var (
	// ErrStateMismatch: the browser came back with a state that is not the one
	// this sign-in sent (a response to another sign-in, or a forged one). The
	// code it carried is not used.
	ErrStateMismatch = errors.New("auth: the sign-in response does not belong to this sign-in (state mismatch)")
	// ErrInvalidCallback: the browser came back somewhere else than the redirect
	// URI, or with neither a code nor an error.
	ErrInvalidCallback = errors.New("auth: the browser came back with an invalid sign-in response")
)

// OAuthError is an error answered by the hosted UI's OAuth 2.0 endpoints: an
// error= at the redirect URI (RFC 6749 §4.1.2.1, Endpoint "authorize") or the
// token endpoint's JSON error (§5.2, Endpoint "token").
type OAuthError struct {
	// Endpoint is "authorize" or "token".
	Endpoint string
	// Code is the OAuth error code: access_denied, invalid_scope, invalid_grant,
	// invalid_client, ...
	Code string
	// Description is error_description, when the service sent one.
	Description string
	// StatusCode is the HTTP status of a token-endpoint error (0 for authorize).
	StatusCode int
}

// Error describes the failure; it never contains a token.
func (e *OAuthError) Error() string {
	s := "auth: hosted UI " + e.Endpoint + ": " + e.Code
	if e.Description != "" {
		s += ": " + e.Description
	}
	return redact(s)
}

// WebUISignInOptions configures SignInWithWebUI.
type WebUISignInOptions struct {
	// Browser shows the sign-in page. When nil: Config.Browser if it implements
	// SignInBrowser, otherwise SystemBrowser().
	Browser SignInBrowser
	// PreferPrivateSession records that the browser ran in a private
	// (ephemeral) session that keeps no hosted-UI cookie, as Amplify's
	// preferPrivateSession: SignOut then skips the hosted-UI step. The SDK
	// cannot make a browser private; set this when your Browser is (a fresh
	// incognito profile, an ephemeral web-authentication session).
	PreferPrivateSession bool
	// Scopes overrides HostedUIConfig.Scopes for this sign-in.
	Scopes []string
	// Timeout overrides HostedUIConfig.SignInTimeout for this sign-in.
	Timeout time.Duration
}

// SignInWithWebUI signs a user in through the hosted UI, with the
// authorization code grant and PKCE (RFC 7636, S256) as a native app (RFC 8252):
//
//  1. It builds the authorization request <Domain>/oauth2/authorize with
//     response_type=code, client_id, redirect_uri (HostedUI.SignInRedirectURI),
//     a random state, the scopes and the code challenge.
//  2. The Browser opens it and waits for the redirect (LoopbackBrowser listens
//     on the redirect URI's loopback address), at most HostedUI.SignInTimeout.
//  3. The response's state must match (compared in constant time), else
//     ErrStateMismatch; an error= answer becomes an *OAuthError.
//  4. The code is exchanged at <Domain>/oauth2/token with the code verifier
//     (HTTP Basic client authentication when a client secret is configured).
//  5. The session is stored as a hosted-UI sign-in (private or not) and
//     EventSignedIn is emitted.
//
// Like SignIn it fails with ErrInvalidState when a user is already signed in,
// and it runs alone: other operations of the Client wait for it (cancel ctx to
// stop waiting for the browser), except SignOut, which cancels it while it
// waits for the browser; it then returns an error matching ErrSignInCancelled
// and context.Canceled, and the browser's answer, if one comes, is not used.
// (It does not open the browser at all while a SignOut waits to run.) Close
// cancels it too (ErrClosed). The user cancelling, the deadline passing or ctx
// ending all give an error matching ErrUserCancelled; a browser that cannot
// start gives one matching ErrBrowserUnavailable. Nothing is stored on failure.
func (c *Client) SignInWithWebUI(ctx context.Context, opts WebUISignInOptions) (SignInResult, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return SignInResult{}, err
	}
	defer end()

	h := c.cfg.HostedUI
	switch {
	case h == nil:
		return SignInResult{}, invalidParam("SignInWithWebUI needs Config.HostedUI")
	case h.SignInRedirectURI == "":
		return SignInResult{}, invalidParam("SignInWithWebUI needs Config.HostedUI.SignInRedirectURI (the app client's callback URL)")
	case opts.Timeout < 0:
		return SignInResult{}, invalidParam("WebUISignInOptions: Timeout must not be negative")
	}
	scopes := h.Scopes
	if opts.Scopes != nil {
		scopes = opts.Scopes
	}
	for _, sc := range scopes {
		if sc == "" || strings.ContainsAny(sc, " \t\r\n") {
			return SignInResult{}, invalidParam(fmt.Sprintf("WebUISignInOptions: %q is not a scope", sc))
		}
	}
	rec, err := c.loadRecord()
	if err != nil {
		return SignInResult{}, err
	}
	if rec.Session != nil {
		return SignInResult{}, invalidState("a user is already signed in; sign out first")
	}
	c.pending = nil

	verifier, err := randomToken(48) // 64 characters; RFC 7636 wants 43 to 128
	if err != nil {
		return SignInResult{}, err
	}
	state, err := randomToken(32)
	if err != nil {
		return SignInResult{}, err
	}
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.cfg.ClientID},
		"redirect_uri":          {h.SignInRedirectURI},
		"state":                 {state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	if len(scopes) > 0 {
		q.Set("scope", strings.Join(scopes, " "))
	}
	authorizeURL := h.Domain + "/oauth2/authorize?" + q.Encode()

	b := opts.Browser
	if b == nil {
		if sb, ok := c.cfg.Browser.(SignInBrowser); ok {
			b = sb
		} else {
			b = SystemBrowser()
		}
	}
	timeout := h.SignInTimeout
	if opts.Timeout > 0 {
		timeout = opts.Timeout
	}
	// While the browser is out, a SignOut may cancel the wait (cause
	// ErrSignInCancelled); a SignOut already waiting for this operation stops
	// it before the browser opens.
	wctx, wcancel := context.WithCancelCause(ctx)
	defer wcancel(nil)
	c.mu.Lock()
	if c.signOutsWaiting > 0 {
		c.mu.Unlock()
		return SignInResult{}, fmt.Errorf("auth: hosted-UI sign-in: %w (%w)", ErrSignInCancelled, context.Canceled)
	}
	c.webCancel = wcancel
	c.mu.Unlock()
	bctx, cancel := context.WithTimeout(wctx, timeout)
	defer cancel()
	callback, err := openSignInSafely(bctx, b, authorizeURL, h.SignInRedirectURI)
	c.mu.Lock()
	c.webCancel = nil
	c.mu.Unlock()
	switch cause := context.Cause(wctx); {
	case errors.Is(cause, ErrSignInCancelled):
		c.log.Info("auth: hosted-UI sign-in cancelled by a sign-out")
		return SignInResult{}, fmt.Errorf("auth: hosted-UI sign-in: %w (%w)", ErrSignInCancelled, context.Canceled)
	case errors.Is(cause, ErrClosed):
		return SignInResult{}, fmt.Errorf("auth: hosted-UI sign-in: %w", ErrClosed)
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrUserCancelled):
		return SignInResult{}, fmt.Errorf("auth: hosted-UI sign-in: %w", err)
	case bctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		cause := bctx.Err()
		if cause == nil {
			cause = err
		}
		return SignInResult{}, fmt.Errorf("auth: hosted-UI sign-in: %w: the browser did not come back within %s (%w)", ErrUserCancelled, timeout, cause)
	default:
		return SignInResult{}, fmt.Errorf("auth: hosted-UI sign-in: %w", err)
	}

	code, err := checkCallback(callback, h.SignInRedirectURI, state)
	if err != nil {
		c.log.Warn("auth: hosted-UI sign-in refused", "err", err.Error())
		return SignInResult{}, err
	}
	res, err := c.exchangeCode(ctx, h.Domain, code, verifier, h.SignInRedirectURI)
	if err != nil {
		return SignInResult{}, err
	}
	s, err := c.newSession(res, "", "", nil)
	if err != nil {
		return SignInResult{}, err
	}
	if cl, err := decodeClaims(s.AccessToken); err == nil && cl.ClientID != "" && cl.ClientID != c.cfg.ClientID {
		return SignInResult{}, errors.New("auth: hosted-UI sign-in: the tokens were issued to another app client")
	}
	s.LoginID = s.Username // what the user typed stays in the browser
	s.SignInMethod = credstore.SignInMethodHostedUI
	s.PrivateSession = opts.PreferPrivateSession
	rec.Session = s
	if err := safeSave(c.store, c.key, rec); err != nil {
		return SignInResult{}, fmt.Errorf("auth: signed in, but the session could not be saved: %w", err)
	}
	if ob, ok := b.(Browser); ok {
		c.webBrowser = ob
	}
	c.log.Info("auth: signed in", "username", s.Username, "method", string(s.SignInMethod), "private", s.PrivateSession)
	c.emit(EventSignedIn, s.Username)
	return SignInResult{SignedIn: true, NextStep: SignInStepDone}, nil
}

// checkCallback checks the URL the browser came back to and returns the code.
func checkCallback(callback, redirectURI, state string) (string, error) {
	got, err := url.Parse(callback)
	if err != nil {
		return "", fmt.Errorf("%w: unreadable URL", ErrInvalidCallback)
	}
	want, _ := url.Parse(redirectURI) // validated by New
	if !strings.EqualFold(got.Scheme, want.Scheme) || !strings.EqualFold(got.Host, want.Host) || got.EscapedPath() != want.EscapedPath() {
		return "", fmt.Errorf("%w: it did not come back to the redirect URI", ErrInvalidCallback)
	}
	q := got.Query()
	if len(q["state"]) != 1 || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		return "", ErrStateMismatch
	}
	if e := q.Get("error"); e != "" {
		return "", &OAuthError{Endpoint: "authorize", Code: e, Description: q.Get("error_description")}
	}
	if len(q["code"]) != 1 || q.Get("code") == "" {
		return "", fmt.Errorf("%w: no authorization code", ErrInvalidCallback)
	}
	return q.Get("code"), nil
}

// maxTokenResponse bounds what is read of a token-endpoint answer.
const maxTokenResponse = 1 << 20

// exchangeCode redeems an authorization code at <domain>/oauth2/token. It is
// tried once: a code is single-use, so a retry after a lost answer would fail
// anyway.
func (c *Client) exchangeCode(ctx context.Context, domain, code, verifier, redirectURI string) (*types.AuthenticationResultType, error) {
	const op = "oauth2/token"
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeouts.Operation)
	defer cancel()
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {c.cfg.ClientID},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"code_verifier": {verifier},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, domain+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("auth: %s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.cfg.ClientSecret != "" {
		req.SetBasicAuth(c.cfg.ClientID, c.cfg.ClientSecret)
	}
	start := c.now()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.log.Debug("auth: token endpoint failed", "err", redact(err.Error()), "elapsed", c.now().Sub(start))
		return nil, &NetworkError{Operation: op, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return nil, &NetworkError{Operation: op, Err: err}
	}
	c.log.Debug("auth: token endpoint", "status", resp.StatusCode, "elapsed", c.now().Sub(start))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(body, &e) != nil || e.Error == "" {
			return nil, fmt.Errorf("auth: %s: unexpected answer %s", op, resp.Status)
		}
		return nil, &OAuthError{Endpoint: "token", Code: e.Error, Description: e.Description, StatusCode: resp.StatusCode}
	}
	var tk struct {
		AccessToken  string `json:"access_token"`
		IDToken      string `json:"id_token"`
		RefreshToken string `json:"refresh_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int32  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tk); err != nil {
		return nil, fmt.Errorf("auth: %s: the answer is not a token response", op)
	}
	if tk.TokenType != "" && !strings.EqualFold(tk.TokenType, "Bearer") {
		return nil, fmt.Errorf("auth: %s: unexpected token type %q", op, tk.TokenType)
	}
	return &types.AuthenticationResultType{AccessToken: aws.String(tk.AccessToken), IdToken: aws.String(tk.IDToken),
		RefreshToken: aws.String(tk.RefreshToken), ExpiresIn: tk.ExpiresIn, TokenType: aws.String("Bearer")}, nil
}

// openSignInSafely calls b.OpenSignIn, returning at ctx's end even if the
// browser ignores ctx, and turning a panic into an error.
func openSignInSafely(ctx context.Context, b SignInBrowser, authorizeURL, redirectURI string) (string, error) {
	type result struct {
		url string
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("%w: the browser panicked: %v", ErrBrowserUnavailable, p)}
			}
		}()
		u, err := b.OpenSignIn(ctx, authorizeURL, redirectURI)
		done <- result{u, err}
	}()
	select {
	case r := <-done:
		return r.url, r.err
	case <-ctx.Done():
		// Give a browser that honours ctx a moment to clean up (close its
		// listener, so that the port is free for the next call).
		t := time.NewTimer(browserCleanupGrace)
		defer t.Stop()
		select {
		case r := <-done:
			if r.err == nil { // it made it after all
				return r.url, nil
			}
		case <-t.C:
		}
		return "", ctx.Err()
	}
}

// randomToken returns n random bytes, base64url without padding.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
