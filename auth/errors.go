package auth

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/smithy-go"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrUserCancelled: the user cancelled a browser step, or it did not finish
	// before its deadline.
	ErrUserCancelled = errors.New("auth: cancelled by the user")
	// ErrNotAttempted: a sign-out step was skipped (LocalOnly, or a failed global
	// sign-out), so the token it would have invalidated is still live.
	ErrNotAttempted = errors.New("auth: not attempted")
	// ErrInvalidState: the operation does not fit the current state (e.g. SignIn
	// while a user is signed in, ConfirmSignIn with no sign-in in progress).
	ErrInvalidState = errors.New("auth: invalid state")
	// ErrNotSignedIn: the operation needs a signed-in user and there is none.
	ErrNotSignedIn = errors.New("auth: no user is signed in")
	// ErrSessionExpired: the session could not be refreshed because the server
	// refused the refresh token; the user has been signed out locally.
	ErrSessionExpired = errors.New("auth: the session has expired; sign in again")
	// ErrNotImplemented: the requested feature is not available yet.
	ErrNotImplemented = errors.New("auth: not implemented yet")
	// ErrBrowserUnavailable: a Browser could not be started. Browser
	// implementations wrap it.
	ErrBrowserUnavailable = errors.New("auth: the browser could not be opened")
	// ErrInvalidParameter: an argument is missing or malformed.
	ErrInvalidParameter = errors.New("auth: invalid parameter")
	// ErrUnsupportedChallenge: the server asked for a sign-in challenge this SDK
	// does not answer.
	ErrUnsupportedChallenge = errors.New("auth: unsupported sign-in challenge")
	// ErrNotConfigured: the Client was not created with New (a zero Client, or a
	// nil *Client). Its methods fail at once with it.
	ErrNotConfigured = errors.New("auth: Client not created with New")
	// ErrClosed: the Client has been closed (Client.Close). Operations started
	// after Close fail with it; those it cancelled return errors matching it.
	ErrClosed = errors.New("auth: the Client is closed")
	// ErrNoAutoSignIn: AutoSignIn found nothing to sign in (Amplify's
	// AutoSignInException): no auto sign-in was armed with
	// SignUpOptions.AutoSignIn, the sign-up is not complete yet, or it was
	// completed or cancelled.
	ErrNoAutoSignIn = errors.New("auth: the auto sign-in flow has not started, been cancelled or been completed")
	// ErrSignInCancelled: a SignOut cancelled the SignInWithWebUI that was
	// waiting for the browser (the error matches context.Canceled too).
	ErrSignInCancelled = errors.New("auth: the hosted-UI sign-in was cancelled by a sign-out")
)

// ServiceError is an error answered by the user-pool service: Code is the
// Cognito error name ("NotAuthorizedException", ...). Unwrap yields the
// aws-sdk-go-v2 error, so errors.As(err, new(*types.NotAuthorizedException))
// also works.
type ServiceError struct {
	// Operation is the API operation, e.g. "GlobalSignOut".
	Operation string
	// Code is the Cognito error name.
	Code string
	// Message is the service's message.
	Message string
	// Err is the SDK's error.
	Err error
}

// Error describes the failure; it never contains a token.
func (e *ServiceError) Error() string {
	return redact(fmt.Sprintf("auth: %s: %s: %s", e.Operation, e.Code, e.Message))
}

// Unwrap returns the SDK's error.
func (e *ServiceError) Unwrap() error { return e.Err }

// GoString keeps %#v as free of tokens as Error().
func (e *ServiceError) GoString() string {
	return fmt.Sprintf("&auth.ServiceError{Operation:%q, Code:%q, Message:%q}", e.Operation, e.Code, redact(e.Message))
}

// NetworkError is a failure to get an answer from the service: connection
// refused, DNS, TLS, timeouts, exhausted retries, a cancelled context.
type NetworkError struct {
	// Operation is the API operation, e.g. "RevokeToken".
	Operation string
	// Err is the underlying error.
	Err error
}

// Error describes the failure; it never contains a token.
func (e *NetworkError) Error() string {
	return redact(fmt.Sprintf("auth: %s: network error: %v", e.Operation, e.Err))
}

// Unwrap returns the underlying error.
func (e *NetworkError) Unwrap() error { return e.Err }

// GoString keeps %#v as free of tokens as Error().
func (e *NetworkError) GoString() string {
	return fmt.Sprintf("&auth.NetworkError{Operation:%q, Err:%q}", e.Operation, errText(e.Err))
}

// ServiceErrorCode returns the Cognito error name carried by err, if any.
func ServiceErrorCode(err error) (string, bool) {
	var se *ServiceError
	if errors.As(err, &se) {
		return se.Code, true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), true
	}
	return "", false
}

// IsServiceError reports whether err carries the Cognito error named code.
func IsServiceError(err error, code string) bool {
	c, ok := ServiceErrorCode(err)
	return ok && c == code
}

// classify turns an SDK error into a *ServiceError or a *NetworkError.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return &ServiceError{Operation: op, Code: ae.ErrorCode(), Message: ae.ErrorMessage(), Err: err}
	}
	return &NetworkError{Operation: op, Err: err}
}

// definitive reports whether a refresh failure means the refresh token will
// never work again, as opposed to a transient problem.
func definitive(err error) bool {
	code, ok := ServiceErrorCode(err)
	if !ok {
		return false
	}
	switch code {
	case "NotAuthorizedException", "UserNotFoundException", "RefreshTokenReuseException",
		"PasswordResetRequiredException", "UserNotConfirmedException":
		return true
	}
	return false
}

// HostedUIError records a hosted-UI sign-out that did not complete. URL is the
// sign-out address: open it later to end the browser session.
type HostedUIError struct {
	URL string
	Err error
}

// Error describes the failure; it never contains a token.
func (e *HostedUIError) Error() string {
	return redact(fmt.Sprintf("auth: hosted-UI sign-out: %v", e.Err))
}

// Unwrap returns the cause.
func (e *HostedUIError) Unwrap() error { return e.Err }

// GoString keeps %#v as free of tokens as Error().
func (e *HostedUIError) GoString() string {
	return fmt.Sprintf("&auth.HostedUIError{URL:%q, Err:%q}", e.URL, errText(e.Err))
}

// GlobalSignOutError records a failed GlobalSignOut. AccessToken is the token to
// retry it with (through Client.CognitoClient); it never appears in Error().
type GlobalSignOutError struct {
	AccessToken string
	Err         error
}

// Error describes the failure; it never contains a token.
func (e *GlobalSignOutError) Error() string {
	return redact(fmt.Sprintf("auth: global sign-out: %v", e.Err))
}

// Unwrap returns the cause.
func (e *GlobalSignOutError) Unwrap() error { return e.Err }

// GoString hides the token from %#v.
func (e *GlobalSignOutError) GoString() string {
	return fmt.Sprintf("&auth.GlobalSignOutError{AccessToken:[redacted], Err:%q}", errText(e.Err))
}

// RevokeTokenError records a refresh token that was not revoked. RefreshToken
// is the token to retry RevokeToken with; it never appears in Error().
type RevokeTokenError struct {
	RefreshToken string
	Err          error
}

// Error describes the failure; it never contains a token.
func (e *RevokeTokenError) Error() string {
	return redact(fmt.Sprintf("auth: revoke refresh token: %v", e.Err))
}

// Unwrap returns the cause.
func (e *RevokeTokenError) Unwrap() error { return e.Err }

// GoString hides the token from %#v.
func (e *RevokeTokenError) GoString() string {
	return fmt.Sprintf("&auth.RevokeTokenError{RefreshToken:[redacted], Err:%q}", errText(e.Err))
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return redact(err.Error())
}

// tokenLike matches compact JWTs (three segments) and JWEs (five segments): their
// first segment is a base64url JSON object, so it starts with "eyJ".
var tokenLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*){0,2}`)

// redact removes anything that looks like a token from an error string: error
// texts come partly from the server and the network stack, and a token must not
// reach a log through them.
func redact(s string) string { return tokenLike.ReplaceAllString(s, "[redacted]") }

func notAttempted(why string) error { return fmt.Errorf("%w: %s", ErrNotAttempted, why) }

func invalidState(why string) error { return fmt.Errorf("%w: %s", ErrInvalidState, why) }

func invalidParam(why string) error { return fmt.Errorf("%w: %s", ErrInvalidParameter, why) }
