package userpool

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind is the class of a domain error. The domain speaks only these words;
// each wire package maps every kind to its own vocabulary in one table:
// httpapi/awsjson to Cognito's exception names, httpapi/oauth to RFC 6749
// error codes. Anything that is not an *Error is an internal error.
type Kind uint8

// Kinds of domain errors.
const (
	KindInternal              Kind = iota // a fault of the server, not of the request
	KindInvalid                           // a request member or a setting breaks a rule
	KindNotFound                          // the pool or app client does not exist
	KindUserNotFound                      // the user does not exist
	KindUserExists                        // the username is taken
	KindNotAuthorized                     // credentials, a token or a sign-in session were refused
	KindClientAuthFailed                  // the app client failed to prove who it is
	KindWrongClient                       // the token belongs to another app client
	KindNotAllowed                        // the app client is not configured for this flow or grant
	KindFeatureDisabled                   // the app client has the feature turned off
	KindWeakPassword                      // the password breaks the pool's policy
	KindCodeMismatch                      // a one-time code is wrong
	KindCodeExpired                       // a one-time code is past its expiry
	KindUserNotConfirmed                  // the user has not confirmed the sign-up
	KindPasswordResetRequired             // the user must reset the password first
	KindUserState                         // the user's status does not allow this
	KindTokenTypeUnsupported              // the token is of a type this operation does not take
	KindTokenReuse                        // a rotated refresh token was presented again
	KindConflict                          // a concurrent change won; the caller may retry
	KindThrottled                         // too many requests or attempts; retry later
	KindScopeNotAllowed                   // a requested scope is not the client's to ask for
	KindUnsupported                       // a protocol feature this server does not offer
	KindLoginRequired                     // the user must sign in, and may not be asked to
	KindLimitExceeded                     // a limit on attempts or requests is used up for now
	KindAliasExists                       // an alias (e-mail, phone) another user holds
	KindDeliveryFailed                    // a message could not be handed to a sender
	KindGroupExists                       // the group name is taken
	KindLambdaValidation                  // a trigger function refused (raised an error)
	KindLambdaUnexpected                  // a trigger function did not answer in time or could not be called
	KindLambdaResponse                    // a trigger function answered something that is not its event
)

var kindNames = [...]string{"internal", "invalid", "not-found", "user-not-found", "user-exists",
	"not-authorized", "client-auth-failed", "wrong-client", "not-allowed", "feature-disabled",
	"weak-password", "code-mismatch", "code-expired", "user-not-confirmed", "password-reset-required",
	"user-state", "token-type-unsupported", "token-reuse", "conflict", "throttled", "scope-not-allowed",
	"unsupported", "login-required", "limit-exceeded", "alias-exists", "delivery-failed", "group-exists",
	"lambda-validation", "lambda-unexpected", "lambda-response"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Cause names one specific failure within a kind, where clients tell
// failures apart by their message: the wire packages keep the exact text
// of each cause (Cognito's messages are part of its wire contract).
type Cause string

// Causes of refused tokens, credentials and sessions, and of missing
// resources.
const (
	CauseAccessTokenInvalid       Cause = "access-token-invalid"  // bad signature, another pool, garbage
	CauseAccessTokenExpired       Cause = "access-token-expired"  // past its exp
	CauseAccessTokenRevoked       Cause = "access-token-revoked"  // its family ended (see Reason)
	CauseAccessTokenScope         Cause = "access-token-scope"    // lacks the scope the operation needs
	CauseRefreshTokenInvalid      Cause = "refresh-token-invalid" // not a refresh token of this client
	CauseRefreshTokenExpired      Cause = "refresh-token-expired" // past its family's expiry
	CauseRefreshTokenRevoked      Cause = "refresh-token-revoked" // its family ended (see Reason)
	CauseRefreshTokenReused       Cause = "refresh-token-reused"  // a rotated token replayed: the family is revoked
	CauseConcurrentRefresh        Cause = "concurrent-refresh"    // lost a race with another rotation
	CauseSignInSessionExpired     Cause = "sign-in-session-expired"
	CauseBadCredentials           Cause = "bad-credentials" // wrong password, or an unknown user kept hidden
	CauseUserDisabled             Cause = "user-disabled"
	CauseAttemptsExceeded         Cause = "attempts-exceeded" // too many failed sign-ins
	CauseTemporaryPasswordOld     Cause = "temporary-password-expired"
	CauseSRPClockSkew             Cause = "srp-clock-skew"            // TIMESTAMP too far from our clock
	CauseSecretHash               Cause = "secret-hash"               // SECRET_HASH missing or wrong (Subject: client id)
	CauseClientSecret             Cause = "client-secret"             // client secret missing or wrong (Subject: client id)
	CauseSecretOnPublicClient     Cause = "secret-public-client"      // a client secret sent for a client that has none (Subject: client id)
	CauseSecretHashOnPublicClient Cause = "secret-hash-public-client" // a SECRET_HASH sent for a client that has none (Subject: client id)
	CausePoolNotFound             Cause = "pool-not-found"            // Subject: pool id
	CauseClientNotFound           Cause = "client-not-found"          // Subject: client id
	CauseUserNotFound             Cause = "user-not-found"
	CauseUserNotConfirmed         Cause = "user-not-confirmed"
	CauseCodeMismatch             Cause = "code-mismatch"
	CauseCodeExpired              Cause = "code-expired"
	CauseRevocationDisabled       Cause = "revocation-disabled"
	CauseNotRefreshToken          Cause = "not-refresh-token"
	CauseTokenOfOtherClient       Cause = "token-of-other-client"
	CauseCodeAttemptsExceeded     Cause = "code-attempts-exceeded"  // a one-time code's attempts are used up
	CausePasswordResetRequired    Cause = "password-reset-required" // an admin reset the password
	CauseNoRecoveryChannel        Cause = "no-recovery-channel"     // no verified e-mail or phone to send a reset code to
	CauseUserConfirmed            Cause = "user-confirmed"          // a sign-up code asked for a confirmed user
	CauseGroupNotFound            Cause = "group-not-found"         // Subject: group name
	CauseGroupExists              Cause = "group-exists"            // Subject: group name
)

// Error is a domain error.
type Error struct {
	Kind  Kind
	Cause Cause // the specific failure, when clients tell it apart; may be empty
	// Subject is the id a cause's message names (a pool or client id).
	Subject string
	// Message explains the failure in the domain's words. Wire packages
	// show it where they keep no text of their own for the cause.
	Message string
	// Violation is set for KindInvalid errors about one request member.
	Violation *Violation
	// Violations is set instead for KindInvalid errors that report several
	// members' violations together (a schema declaration's model checks).
	Violations []Violation
	// Reason is why a token family ended, when that is what refused the request.
	Reason Reason
	// RedirectURI and State are set on errors of an authorization request
	// once its redirect URI is proven to be the client's: the error may then
	// be sent back to the client there (RFC 6749 §4.1.2.1). Without them a
	// browser must be shown an error page.
	RedirectURI string
	State       string
	// RetryAfter says when a throttled caller may try again, when known.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Violation != nil {
		msg = e.Violation.String()
	}
	if msg == "" && len(e.Violations) > 0 {
		msg = violationsText(e.Violations)
	}
	if msg == "" {
		msg = string(e.Cause)
	}
	if e.Reason != "" {
		msg += " (" + string(e.Reason) + ")"
	}
	return e.Kind.String() + ": " + msg
}

// AsError returns the domain error in err's chain, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// IsKind reports whether err is a domain error of kind k.
func IsKind(err error, k Kind) bool {
	e := AsError(err)
	return e != nil && e.Kind == k
}

// Rule is the constraint a request member breaks.
type Rule uint8

// Rules of request members.
const (
	RuleRequired      Rule = iota + 1 // must be present
	RuleMaxLength                     // at most Max characters (or list items)
	RuleRange                         // a number from Min to Max
	RuleEnum                          // one of Values (listed when Values is set)
	RulePattern                       // must match Pattern
	RuleLengthPattern                 // Min to Max characters matching Pattern
	RuleMinLength                     // at least Min characters (or list items)
)

// Violation is a request member that breaks a rule. Member is the member's
// path in the API's lower-camel spelling (e.g. "policies.passwordPolicy.minimumLength").
type Violation struct {
	Member string
	Rule   Rule
	// Value is the offending value as text; Shown says whether it is echoed
	// back (and Null that the member was absent altogether).
	Value   string
	Shown   bool
	Null    bool
	Min     int
	Max     int
	Values  []string
	Pattern string
}

// String describes the violation in plain words (wire packages render it
// in their own phrasing).
func (v *Violation) String() string {
	switch v.Rule {
	case RuleRequired:
		return v.Member + " is required"
	case RuleMaxLength:
		return fmt.Sprintf("%s must be at most %d characters", v.Member, v.Max)
	case RuleMinLength:
		return fmt.Sprintf("%s must be at least %d characters", v.Member, v.Min)
	case RuleRange:
		return fmt.Sprintf("%s must be between %d and %d", v.Member, v.Min, v.Max)
	case RuleEnum:
		return v.Member + " has an unknown value"
	case RulePattern, RuleLengthPattern:
		return v.Member + " is malformed"
	}
	return v.Member + " is invalid"
}

// violationsText describes violations in plain words, one after another.
func violationsText(vs []Violation) string {
	parts := make([]string, len(vs))
	for i := range vs {
		parts[i] = vs[i].String()
	}
	return strings.Join(parts, "; ")
}

// errorf builds a domain error with a message.
func errorf(k Kind, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Kind: k, Message: format}
	}
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// invalidf is a KindInvalid error with a message.
func invalidf(format string, args ...any) *Error { return errorf(KindInvalid, format, args...) }

// refused is a KindNotAuthorized error of a cause.
func refused(c Cause) *Error { return &Error{Kind: KindNotAuthorized, Cause: c} }

// caused is an error of a kind and cause, naming subject.
func caused(k Kind, c Cause, subject string) *Error {
	return &Error{Kind: k, Cause: c, Subject: subject}
}

// required is the error for a missing request member.
func required(member string) *Error {
	return &Error{Kind: KindInvalid, Violation: &Violation{Member: member, Rule: RuleRequired, Null: true}}
}

// violation is a KindInvalid error for v.
func violation(v Violation) *Error { return &Error{Kind: KindInvalid, Violation: &v} }

// errUserNotFound is the answer for a user that does not exist.
func errUserNotFound() *Error { return caused(KindUserNotFound, CauseUserNotFound, "") }

// internal wraps an unexpected failure; the wire layer answers 500 for it.
// A domain error passes through unchanged.
func internal(op string, err error) error {
	if err == nil || AsError(err) != nil {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
