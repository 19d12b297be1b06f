package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/auth/credstore"
)

// SignOutOptions configures SignOut.
type SignOutOptions struct {
	// Global also signs the user out of every device and app client
	// (GlobalSignOut): all their refresh and access tokens stop working.
	Global bool
	// LocalOnly skips every remote step (hosted UI, global sign-out, token
	// revocation) and only clears this device: for offline use. The result is a
	// PartialSignOut whose RevokeTokenError carries the still-live refresh
	// token. LocalOnly and Global together are rejected.
	LocalOnly bool
	// Browser opens the hosted UI's sign-out page (Config.Browser when nil, then
	// the browser SignInWithWebUI used in this process). Only used when the user
	// signed in through the hosted UI in a non-private session.
	Browser Browser
	// HostedUITimeout overrides Config.HostedUI.SignOutTimeout for this call.
	HostedUITimeout time.Duration
}

// SignOutResult is the outcome of SignOut: CompleteSignOut, PartialSignOut or
// FailedSignOut. Match it with a type switch:
//
//	switch r := client.SignOut(ctx, auth.SignOutOptions{}).(type) {
//	case auth.CompleteSignOut:
//	case auth.PartialSignOut:  // signed out here; r.RevokeTokenError etc. say what to retry
//	case auth.FailedSignOut:   // still signed in; r.Err says why
//	}
type SignOutResult interface {
	// SignedOutLocally reports whether the user is signed out on this device
	// (false only for FailedSignOut).
	SignedOutLocally() bool
	// Err is nil for CompleteSignOut and the step errors, joined, otherwise.
	Err() error
	isSignOutResult()
}

// CompleteSignOut: every step succeeded (or nobody was signed in).
type CompleteSignOut struct{}

// SignedOutLocally returns true.
func (CompleteSignOut) SignedOutLocally() bool { return true }

// Err returns nil.
func (CompleteSignOut) Err() error       { return nil }
func (CompleteSignOut) isSignOutResult() {}

// PartialSignOut: the user is signed out on this device, but at least one
// remote step failed or was skipped. Each non-nil error carries what is needed
// to finish that step by hand through Client.CognitoClient (or, for the hosted
// UI, by opening HostedUIError.URL).
type PartialSignOut struct {
	HostedUIError      *HostedUIError
	GlobalSignOutError *GlobalSignOutError
	RevokeTokenError   *RevokeTokenError
}

// SignedOutLocally returns true.
func (PartialSignOut) SignedOutLocally() bool { return true }

// Err joins the step errors.
func (r PartialSignOut) Err() error {
	var errs []error
	if r.HostedUIError != nil {
		errs = append(errs, r.HostedUIError)
	}
	if r.GlobalSignOutError != nil {
		errs = append(errs, r.GlobalSignOutError)
	}
	if r.RevokeTokenError != nil {
		errs = append(errs, r.RevokeTokenError)
	}
	return errors.Join(errs...)
}
func (PartialSignOut) isSignOutResult() {}

// FailedSignOut: nothing was cleared and the user is still signed in.
type FailedSignOut struct {
	// Cause is why (matches ErrUserCancelled when the hosted-UI step was
	// cancelled or timed out).
	Cause error
}

// SignedOutLocally returns false.
func (FailedSignOut) SignedOutLocally() bool { return false }

// Err returns the cause.
func (r FailedSignOut) Err() error     { return r.Cause }
func (FailedSignOut) isSignOutResult() {}

// refreshMargin: an access token this close to expiry counts as expired before
// a global sign-out.
const refreshMargin = 30 * time.Second

// SignOut signs the current user out, in Amplify's order:
//
//  1. Hosted-UI sign-out, when the user signed in through the hosted UI in a
//     non-private session. First the hosted UI must answer: one HEAD request
//     to <domain>/logout (redirects not followed, bounded by
//     Timeouts.Request); any HTTP answer will do. Unreachable (no connection,
//     no answer in time): HostedUIError{URL, Err} with a *NetworkError, the
//     browser is not opened, and sign-out goes on. Otherwise the browser
//     opens <domain>/logout and SignOut waits for the redirect, at most
//     HostedUI.SignOutTimeout. Cancelled or timed out: FailedSignOut, still
//     signed in. Browser could not start: HostedUIError, and sign-out goes on.
//  2. GlobalSignOut, when opts.Global, refreshing first if the access token has
//     expired. On failure the revocation of step 3 is not attempted.
//  3. RevokeToken for the refresh token, when the access token carries
//     origin_jti (the app client has revocation enabled).
//  4. The session is removed from the credential store (remembered devices are
//     kept) and EventSignedOut is emitted. If that fails: FailedSignOut.
//
// Nobody signed in: CompleteSignOut without any network call or event. A
// sign-in waiting for a challenge answer is cancelled, and so is a
// SignInWithWebUI waiting for the browser (it returns an error matching
// ErrSignInCancelled): SignOut does not wait for it. SignOut never panics and
// returns within bounded time: each remote step is limited by
// Timeouts.Operation and the hosted-UI step by its probe and its timeout.
func (c *Client) SignOut(ctx context.Context, opts SignOutOptions) SignOutResult {
	if err := c.usable(); err != nil {
		return FailedSignOut{Cause: err}
	}
	if opts.LocalOnly && opts.Global {
		return FailedSignOut{Cause: invalidParam("SignOutOptions: LocalOnly and Global exclude each other")}
	}
	if opts.HostedUITimeout < 0 {
		return FailedSignOut{Cause: invalidParam("SignOutOptions: HostedUITimeout must not be negative")}
	}
	stopWaiting := c.cancelWebSignIn()
	ctx, end, err := c.begin(ctx)
	stopWaiting()
	if err != nil {
		return FailedSignOut{Cause: err}
	}
	defer end()

	c.pending = nil // cancels a sign-in waiting for a challenge answer
	rec, err := c.loadRecord()
	if err != nil {
		return FailedSignOut{Cause: err}
	}
	s := rec.Session
	if s == nil {
		return CompleteSignOut{}
	}

	var partial PartialSignOut
	if opts.LocalOnly {
		partial.RevokeTokenError = &RevokeTokenError{RefreshToken: s.RefreshToken, Err: notAttempted("local-only sign-out")}
	} else {
		// Step 1: hosted UI.
		if s.SignInMethod == credstore.SignInMethodHostedUI && !s.PrivateSession {
			herr, fatal := c.hostedUISignOut(ctx, opts)
			if fatal {
				return FailedSignOut{Cause: herr}
			}
			partial.HostedUIError = herr
		}
		// Step 2: global sign-out.
		access := s.AccessToken
		if opts.Global {
			if gerr := c.globalSignOut(ctx, s, &access); gerr != nil {
				partial.GlobalSignOutError = gerr
				partial.RevokeTokenError = &RevokeTokenError{
					RefreshToken: s.RefreshToken,
					Err:          notAttempted("global sign-out failed"),
				}
			}
		}
		// Step 3: revoke the refresh token, if the client has revocation enabled.
		if partial.GlobalSignOutError == nil && revocationEnabled(access) && s.RefreshToken != "" {
			in := &cip.RevokeTokenInput{Token: aws.String(s.RefreshToken), ClientId: aws.String(c.cfg.ClientID)}
			if c.cfg.ClientSecret != "" {
				in.ClientSecret = aws.String(c.cfg.ClientSecret)
			}
			_, err := callOp(ctx, c, "RevokeToken", c.cip.RevokeToken, in)
			if err != nil {
				partial.RevokeTokenError = &RevokeTokenError{RefreshToken: s.RefreshToken, Err: err}
			}
		}
	}

	// Step 4: clear local state, keep the devices.
	rec.Session = nil
	if err := safeSave(c.store, c.key, rec); err != nil {
		c.log.Warn("auth: sign-out could not clear the local session", "username", s.Username, "err", err.Error())
		return FailedSignOut{Cause: fmt.Errorf("auth: could not clear the local session; the user is still signed in: %w", err)}
	}
	c.log.Info("auth: signed out", "username", s.Username, "global", opts.Global, "localOnly", opts.LocalOnly)
	c.emit(EventSignedOut, s.Username)

	// Step 5.
	if partial.HostedUIError != nil || partial.GlobalSignOutError != nil || partial.RevokeTokenError != nil {
		c.log.Warn("auth: sign-out was partial", "err", partial.Err().Error())
		return partial
	}
	return CompleteSignOut{}
}

// globalSignOut runs step 2, refreshing first when the access token has
// expired; *access is updated to the token actually used.
func (c *Client) globalSignOut(ctx context.Context, s *credstore.Session, access *string) *GlobalSignOutError {
	if c.expiredSoon(s, refreshMargin) {
		ns, err := c.refresh(ctx, s)
		if err != nil {
			return &GlobalSignOutError{AccessToken: *access, Err: fmt.Errorf("the access token has expired and refreshing it failed: %w", err)}
		}
		*access = ns.AccessToken
	}
	_, err := callOp(ctx, c, "GlobalSignOut", c.cip.GlobalSignOut, &cip.GlobalSignOutInput{AccessToken: aws.String(*access)})
	if err != nil {
		return &GlobalSignOutError{AccessToken: *access, Err: err}
	}
	return nil
}

// revocationEnabled reports whether the access token carries origin_jti, the
// sign that the app client has token revocation enabled.
func revocationEnabled(accessToken string) bool {
	cl, err := decodeClaims(accessToken)
	return err == nil && cl.OriginJTI != ""
}

// hostedUISignOut runs step 1. fatal means the sign-out must stop with a
// FailedSignOut carrying the returned error.
func (c *Client) hostedUISignOut(ctx context.Context, opts SignOutOptions) (herr *HostedUIError, fatal bool) {
	h := c.cfg.HostedUI
	if h == nil {
		return &HostedUIError{Err: fmt.Errorf("%w: the user signed in through the hosted UI but Config.HostedUI is not set", ErrBrowserUnavailable)}, false
	}
	q := url.Values{"client_id": {c.cfg.ClientID}, "logout_uri": {h.SignOutRedirectURI}}
	signOutURL := h.Domain + "/logout?" + q.Encode()
	b := opts.Browser
	if b == nil {
		b = c.cfg.Browser
	}
	if b == nil {
		b = c.webBrowser // the one the user signed in with, in this process
	}
	if b == nil {
		return &HostedUIError{URL: signOutURL, Err: fmt.Errorf("%w: no Browser configured", ErrBrowserUnavailable)}, false
	}
	// Sending the user to a hosted UI that does not answer would only wait out
	// the browser deadline, signed in.
	if err := c.probeHostedUI(ctx, signOutURL); err != nil {
		if ctx.Err() != nil { // the caller gave up, or Close: not the hosted UI's doing
			return &HostedUIError{URL: signOutURL, Err: signOutInterrupted(ctx)}, true
		}
		c.log.Warn("auth: the hosted UI is unreachable; its sign-out is skipped", "err", err.Error())
		return &HostedUIError{URL: signOutURL, Err: fmt.Errorf("the hosted UI is unreachable, the browser was not opened: %w", err)}, false
	}
	timeout := h.SignOutTimeout
	if opts.HostedUITimeout > 0 {
		timeout = opts.HostedUITimeout
	}
	bctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := openSafely(bctx, b, signOutURL, h.SignOutRedirectURI)
	switch {
	case err == nil:
		return nil, false
	case errors.Is(err, ErrUserCancelled):
		return &HostedUIError{URL: signOutURL, Err: err}, true
	case errors.Is(context.Cause(ctx), ErrClosed):
		return &HostedUIError{URL: signOutURL, Err: signOutInterrupted(ctx)}, true
	case bctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		cause := bctx.Err()
		if cause == nil {
			cause = err
		}
		return &HostedUIError{URL: signOutURL, Err: fmt.Errorf("%w: the browser did not come back within %s (%w)", ErrUserCancelled, timeout, cause)}, true
	default:
		// The browser could not be started (or failed in a way that is not a
		// cancellation): the caller can open the URL later.
		return &HostedUIError{URL: signOutURL, Err: err}, false
	}
}

// signOutInterrupted is the error of a hosted-UI step whose context ended
// (ctx is done).
func signOutInterrupted(ctx context.Context) error {
	if errors.Is(context.Cause(ctx), ErrClosed) {
		return fmt.Errorf("%w: the hosted-UI sign-out was interrupted", ErrClosed)
	}
	return fmt.Errorf("%w: the sign-out was cancelled (%w)", ErrUserCancelled, ctx.Err())
}

// probeHostedUI checks that the hosted UI answers at signOutURL before the
// browser is sent there: one HEAD request without cookies, redirects not
// followed (the redirect target may be a loopback listener not started yet),
// bounded by Timeouts.Request. Any HTTP answer counts, whatever its status. A
// failure to get one is returned as a *NetworkError.
func (c *Client) probeHostedUI(ctx context.Context, signOutURL string) error {
	const op = "hosted-UI /logout"
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeouts.Request)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, signOutURL, nil)
	if err != nil {
		return &NetworkError{Operation: op, Err: err}
	}
	hc := &http.Client{Transport: c.hc.Transport, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	start := c.now()
	res, err := hc.Do(req)
	if err != nil {
		c.log.Debug("auth: hosted UI did not answer", "err", redact(err.Error()), "elapsed", c.now().Sub(start))
		return &NetworkError{Operation: op, Err: err}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
	_ = res.Body.Close()
	c.log.Debug("auth: hosted UI answered", "status", res.StatusCode, "elapsed", c.now().Sub(start))
	return nil
}

// openSafely calls b.OpenSignOut, returning at ctx's end even if the Browser
// ignores ctx, and turning a panic into an error.
func openSafely(ctx context.Context, b Browser, signOutURL, redirectURI string) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("%w: the Browser panicked: %v", ErrBrowserUnavailable, p)
			}
		}()
		done <- b.OpenSignOut(ctx, signOutURL, redirectURI)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		// Give a browser that honours ctx a moment to clean up (close its
		// listener, so that the port is free for the next call).
		t := time.NewTimer(browserCleanupGrace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		}
		return ctx.Err()
	}
}

// browserCleanupGrace is how long a Browser whose deadline passed may take to
// return before it is abandoned.
const browserCleanupGrace = 250 * time.Millisecond
