package awsjson

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/cognate-dev/cognate/userpool"
)

// This file is the one place where domain errors become Cognito's wire
// errors: an exception name (the body's "__type" and x-amzn-ErrorType) and a
// message. Cognito's messages are part of its wire contract — clients and
// tests match on them — so the texts below must stay byte-identical.

// exceptions maps each domain error kind to Cognito's exception name.
var exceptions = map[userpool.Kind]string{
	userpool.KindInternal:              "InternalErrorException",
	userpool.KindInvalid:               "InvalidParameterException",
	userpool.KindNotFound:              "ResourceNotFoundException",
	userpool.KindUserNotFound:          "UserNotFoundException",
	userpool.KindUserExists:            "UsernameExistsException",
	userpool.KindNotAuthorized:         "NotAuthorizedException",
	userpool.KindClientAuthFailed:      "NotAuthorizedException",
	userpool.KindWrongClient:           "UnauthorizedException",
	userpool.KindNotAllowed:            "InvalidParameterException",
	userpool.KindFeatureDisabled:       "UnsupportedOperationException",
	userpool.KindWeakPassword:          "InvalidPasswordException",
	userpool.KindCodeMismatch:          "CodeMismatchException",
	userpool.KindCodeExpired:           "ExpiredCodeException",
	userpool.KindUserNotConfirmed:      "UserNotConfirmedException",
	userpool.KindPasswordResetRequired: "PasswordResetRequiredException",
	userpool.KindUserState:             "UnsupportedUserStateException",
	userpool.KindTokenTypeUnsupported:  "UnsupportedTokenTypeException",
	userpool.KindTokenReuse:            "RefreshTokenReuseException",
	userpool.KindConflict:              "ConcurrentModificationException",
	userpool.KindThrottled:             "TooManyRequestsException",
	userpool.KindScopeNotAllowed:       "InvalidParameterException",
	userpool.KindUnsupported:           "InvalidParameterException",
	userpool.KindLoginRequired:         "NotAuthorizedException",
	userpool.KindLimitExceeded:         "LimitExceededException",
	userpool.KindAliasExists:           "AliasExistsException",
	userpool.KindDeliveryFailed:        "CodeDeliveryFailureException",
	userpool.KindGroupExists:           "GroupExistsException",
	userpool.KindLambdaValidation:      "UserLambdaValidationException",
	userpool.KindLambdaUnexpected:      "UnexpectedLambdaException",
	userpool.KindLambdaResponse:        "InvalidLambdaResponseException",
}

// causeExceptions are causes Cognito names with another exception than
// their kind's.
var causeExceptions = map[userpool.Cause]string{
	userpool.CauseSecretHashOnPublicClient: "InvalidParameterException",
	userpool.CauseSecretOnPublicClient:     "InvalidParameterException",
	userpool.CauseSoftwareTokenMissing:     "SoftwareTokenMFANotFoundException",
	userpool.CauseSoftwareTokenWrong:       "EnableSoftwareTokenMFAException",
}

// operationExceptions stand in for exceptions an operation's model does not
// declare (the AWS SDKs only type declared ones): RevokeToken has no
// NotAuthorizedException, and refuses a client with UnauthorizedException.
var operationExceptions = map[string]map[string]string{
	"RevokeToken": {"NotAuthorizedException": "UnauthorizedException"},
}

// messages are Cognito's texts for the causes clients tell apart; %s is
// the error's subject (a pool or client id).
var messages = map[userpool.Cause]string{
	userpool.CauseAccessTokenInvalid:       "Invalid Access Token",
	userpool.CauseAccessTokenExpired:       "Access Token has expired",
	userpool.CauseAccessTokenRevoked:       "Access Token has been revoked",
	userpool.CauseAccessTokenScope:         "Access Token does not have required scopes",
	userpool.CauseRefreshTokenInvalid:      "Invalid Refresh Token.",
	userpool.CauseRefreshTokenExpired:      "Refresh Token has expired",
	userpool.CauseRefreshTokenRevoked:      "Refresh Token has been revoked",
	userpool.CauseSignInSessionExpired:     "Invalid session for the user, session is expired.",
	userpool.CauseBadCredentials:           "Incorrect username or password.",
	userpool.CauseUserDisabled:             "User is disabled.",
	userpool.CauseAttemptsExceeded:         "Password attempts exceeded",
	userpool.CauseTemporaryPasswordOld:     "Temporary password has expired and must be reset by an administrator.",
	userpool.CauseSRPClockSkew:             "TIMESTAMP is too far from the server's time.",
	userpool.CauseSecretHash:               "Unable to verify secret hash for client %s",
	userpool.CauseClientSecret:             "Client %s is configured with secret but secret was not received or is invalid",
	userpool.CauseSecretHashOnPublicClient: "Client %s is not configured for secret but secret hash was received",
	userpool.CauseSecretOnPublicClient:     "Client %s is not configured for secret but secret was received",
	userpool.CausePoolNotFound:             "User pool %s does not exist.",
	userpool.CauseClientNotFound:           "User pool client %s does not exist.",
	userpool.CauseUserNotFound:             "User does not exist.",
	userpool.CauseUserNotConfirmed:         "User is not confirmed.",
	userpool.CauseCodeMismatch:             "Invalid verification code provided, please try again.",
	userpool.CauseCodeExpired:              "Invalid code provided, please request a code again.",
	userpool.CauseCodeAttemptsExceeded:     "Attempt limit exceeded, please try after some time.",
	userpool.CausePasswordResetRequired:    "Password reset required for the user",
	userpool.CauseNoRecoveryChannel:        "Cannot reset password for the user as there is no registered/verified email or phone_number",
	userpool.CauseUserConfirmed:            "User is already confirmed.",
	userpool.CauseGroupNotFound:            "Group not found.",
	userpool.CauseGroupExists:              "A group with the name already exists.",
	// Multi-factor authentication.
	userpool.CauseMFANoFactor:          "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration.",
	userpool.CauseMFAOffWithFactor:     "Invalid MFA configuration given, can't turn off MFA and configure an MFA together.",
	userpool.CauseSoftwareTokenUnverif: "User has not verified software token mfa",
	userpool.CauseNoSMSDelivery:        "User does not have delivery config set to turn on SMS_MFA",
	userpool.CauseNoEmailDelivery:      "User does not have delivery config set to turn on EMAIL_OTP",
	userpool.CauseSoftwareTokenMissing: "Software Token MFA has not been associated",
	userpool.CauseSoftwareTokenWrong:   "Code mismatch and fail enable Software Token MFA",
	userpool.CauseMFACodeMismatch:      "Invalid code received for user",
	userpool.CauseMFAOTPMismatch:       "Invalid code or auth state for the user.",
	userpool.CauseSoftwareTokenReused:  "Your software token has already been used once.",
}

// wireError is an error already in Cognito's wire shape (the protocol's own
// refusals: unknown operation, malformed JSON, bad signature).
type wireError struct {
	status  int
	code    string
	message string
}

func (e *wireError) Error() string { return e.code + ": " + e.message }

// toWire maps a domain error of an operation to its status, exception
// name and message.
func toWire(op string, e *userpool.Error) (status int, code, msg string) {
	code = exceptions[e.Kind]
	if code == "" {
		code = "InvalidParameterException" // a kind without a row is the caller's doing, never a 5xx
	}
	if c, ok := causeExceptions[e.Cause]; ok {
		code = c
	}
	if c, ok := operationExceptions[op][code]; ok {
		code = c
	}
	status = http.StatusBadRequest
	if e.Kind == userpool.KindInternal {
		status = http.StatusInternalServerError
	}
	return status, code, message(e)
}

// message is the wire message of a domain error.
func message(e *userpool.Error) string {
	if tmpl, ok := messages[e.Cause]; ok {
		if strings.Contains(tmpl, "%s") {
			return fmt.Sprintf(tmpl, e.Subject)
		}
		return tmpl
	}
	if e.Violation != nil {
		return validationMessage(e.Violation)
	}
	if len(e.Violations) > 0 {
		return validationsMessage(e.Violations)
	}
	return e.Message
}

// validationMessage renders a request member's violation the way AWS's
// JSON protocol reports schema violations.
func validationMessage(v *userpool.Violation) string {
	return validationsMessage([]userpool.Violation{*v})
}

// validationsMessage renders violations reported together: counted, then
// one after another.
func validationsMessage(vs []userpool.Violation) string {
	parts := make([]string, len(vs))
	for i := range vs {
		parts[i] = constraintText(&vs[i])
	}
	if len(vs) == 1 {
		return "1 validation error detected: " + parts[0]
	}
	return fmt.Sprintf("%d validation errors detected: %s", len(vs), strings.Join(parts, "; "))
}

// constraintText is one violation in AWS's words.
func constraintText(v *userpool.Violation) string {
	value := "Value"
	switch {
	case v.Null:
		value = "Value null"
	case v.Shown:
		value = "Value '" + v.Value + "'"
	}
	var rule string
	switch v.Rule {
	case userpool.RuleRequired:
		rule = "must not be null"
	case userpool.RuleMaxLength:
		rule = fmt.Sprintf("must have length less than or equal to %d", v.Max)
	case userpool.RuleMinLength:
		rule = fmt.Sprintf("must have length greater than or equal to %d", v.Min)
	case userpool.RuleRange:
		rule = fmt.Sprintf("must have value between %d and %d", v.Min, v.Max)
	case userpool.RuleEnum:
		rule = "must satisfy enum value set"
		if len(v.Values) > 0 {
			rule += ": [" + strings.Join(v.Values, ", ") + "]"
		}
	case userpool.RulePattern:
		rule = "must satisfy regular expression pattern: " + v.Pattern
	case userpool.RuleLengthPattern:
		rule = fmt.Sprintf("must have length between %d and %d", v.Min, v.Max)
		if v.Pattern != "" {
			rule += " and match " + v.Pattern
		}
	}
	return fmt.Sprintf("%s at '%s' failed to satisfy constraint: Member %s", value, v.Member, rule)
}

// missing is the protocol's refusal of a request without a required member.
func missing(member string) error {
	return &wireError{http.StatusBadRequest, "InvalidParameterException",
		validationMessage(&userpool.Violation{Member: member, Rule: userpool.RuleRequired, Null: true})}
}
