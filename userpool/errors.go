package userpool

import "fmt"

// Error is a domain error with a Cognito error name (the wire's "__type") and
// message. Wire packages map it to their protocol; anything that is not an
// *Error is an internal error.
type Error struct {
	Code    string // e.g. NotAuthorizedException
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Cognito error names used by the domain.
const (
	CodeNotAuthorized          = "NotAuthorizedException"
	CodeUserNotFound           = "UserNotFoundException"
	CodeUsernameExists         = "UsernameExistsException"
	CodeInvalidParameter       = "InvalidParameterException"
	CodeResourceNotFound       = "ResourceNotFoundException"
	CodeInvalidPassword        = "InvalidPasswordException"
	CodeCodeMismatch           = "CodeMismatchException"
	CodeExpiredCode            = "ExpiredCodeException"
	CodeUserNotConfirmed       = "UserNotConfirmedException"
	CodeUnsupportedTokenType   = "UnsupportedTokenTypeException"
	CodeUnauthorized           = "UnauthorizedException"
	CodeUnsupportedOperation   = "UnsupportedOperationException"
	CodeRefreshTokenReuse      = "RefreshTokenReuseException"
	CodeInternalError          = "InternalErrorException"
	CodeTooManyRequests        = "TooManyRequestsException"
	CodePasswordResetRequired  = "PasswordResetRequiredException"
	CodeUnsupportedUserState   = "UnsupportedUserStateException"
	CodeConcurrentModification = "ConcurrentModificationException"
)

// Exact messages clients match on.
const (
	MsgIncorrectCredentials = "Incorrect username or password."
	MsgUserNotExist         = "User does not exist."
	MsgAccessExpired        = "Access Token has expired"
	MsgAccessRevoked        = "Access Token has been revoked"
	MsgAccessInvalid        = "Invalid Access Token"
	MsgAccessScopes         = "Access Token does not have required scopes"
	MsgRefreshInvalid       = "Invalid Refresh Token."
	MsgRefreshRevoked       = "Refresh Token has been revoked"
	MsgRefreshExpired       = "Refresh Token has expired"
	MsgSessionExpired       = "Invalid session for the user, session is expired."
	MsgUserDisabled         = "User is disabled."
	MsgUserNotConfirmed     = "User is not confirmed."
)

func newErr(code, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Code: code, Message: format}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalidParam(format string, args ...any) *Error {
	return newErr(CodeInvalidParameter, format, args...)
}

func notAuthorized(msg string) *Error { return &Error{Code: CodeNotAuthorized, Message: msg} }
