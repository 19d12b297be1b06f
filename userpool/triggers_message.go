package userpool

// CustomMessage: before a message with a code goes out, the pool's
// function may replace its template (the e-mail subject and body, the SMS
// text). The function sees the placeholders, not the code: Cognate fills
// {####} (and {username}) in what it answers, as Cognito does, and refuses
// an answer whose message lacks the code placeholder, with Cognito's
// validation error.

import (
	"context"
	"fmt"
	"strings"

	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/store"
)

// Trigger sources of CustomMessage.
const (
	sourceMessageSignUp          = "CustomMessage_SignUp"
	sourceMessageAdminCreateUser = "CustomMessage_AdminCreateUser"
	sourceMessageResendCode      = "CustomMessage_ResendCode"
	sourceMessageForgotPassword  = "CustomMessage_ForgotPassword"
	sourceMessageUpdateAttribute = "CustomMessage_UpdateUserAttribute"
	sourceMessageVerifyAttribute = "CustomMessage_VerifyUserAttribute"
	sourceMessageAuthentication  = "CustomMessage_Authentication"
)

// Placeholders of a message template.
const (
	codePlaceholder     = "{####}"
	usernamePlaceholder = "{username}"
)

// templates are a message's templates before the code is filled in.
type templates struct {
	Subject, Email, SMS string
}

type customMessageRequest struct {
	UserAttributes    map[string]string `json:"userAttributes"`
	CodeParameter     string            `json:"codeParameter"`
	LinkParameter     string            `json:"linkParameter"`
	UsernameParameter *string           `json:"usernameParameter"`
	ClientMetadata    map[string]string `json:"clientMetadata"`
}

type customMessageResponse struct {
	SMSMessage   *string `json:"smsMessage"`
	EmailMessage *string `json:"emailMessage"`
	EmailSubject *string `json:"emailSubject"`
}

type updateAttributeKey struct{}

// asAttributeUpdate marks ctx as an UpdateUserAttributes call, whose
// verification messages are CustomMessage_UpdateUserAttribute (those of
// GetUserAttributeVerificationCode are _VerifyUserAttribute).
func asAttributeUpdate(ctx context.Context) context.Context {
	return context.WithValue(ctx, updateAttributeKey{}, true)
}

// messageSource is the CustomMessage trigger source of a message kind.
func messageSource(ctx context.Context, kind message.Kind) string {
	switch kind {
	case message.KindSignUp:
		return sourceMessageSignUp
	case message.KindResend:
		return sourceMessageResendCode
	case message.KindForgotPassword:
		return sourceMessageForgotPassword
	case message.KindInvitation:
		return sourceMessageAdminCreateUser
	case message.KindMFA:
		return sourceMessageAuthentication
	}
	if update, _ := ctx.Value(updateAttributeKey{}).(bool); update {
		return sourceMessageUpdateAttribute
	}
	return sourceMessageVerifyAttribute
}

// customMessage runs the pool's CustomMessage function, if it has one, for
// a message of kind to u on channel ch, and puts what it answers in t (a
// member it leaves null keeps the pool's template).
func (s *Service) customMessage(ctx context.Context, p *Pool, u *store.User, kind message.Kind, ch message.Channel, t *templates) error {
	if !p.HasTrigger(TriggerCustomMessage) {
		return nil
	}
	req := customMessageRequest{UserAttributes: triggerAttributes(u), CodeParameter: codePlaceholder,
		LinkParameter: "{##Click Here##}", ClientMetadata: clientMetadataOf(ctx)}
	if kind == message.KindInvitation {
		name := usernamePlaceholder
		req.UsernameParameter = &name
	}
	var out customMessageResponse
	if _, err := s.runTrigger(ctx, p, triggerCall{Name: TriggerCustomMessage, Source: messageSource(ctx, kind),
		ClientID: clientIDOf(ctx), UserName: u.Username, Request: req, Response: customMessageResponse{}}, &out); err != nil {
		return err
	}
	if out.EmailSubject != nil && *out.EmailSubject != "" {
		t.Subject = *out.EmailSubject
	}
	body, member := out.EmailMessage, "emailBody"
	if ch == message.SMS {
		body, member = out.SMSMessage, "smsMessage"
	}
	if body == nil || *body == "" {
		return nil
	}
	if !strings.Contains(*body, codePlaceholder) {
		return invalidf("%s", messageValidationError(member, *body))
	}
	if ch == message.SMS {
		t.SMS = *body
	} else {
		t.Email = *body
	}
	return nil
}

// messageValidationError is Cognito's refusal of a message that lacks the
// code placeholder.
func messageValidationError(member, value string) string {
	return fmt.Sprintf(`1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: `+
		`Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{####\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*`,
		clip(value, 512), member)
}

// clientIDOf is the app client of the operation ctx is for, when it is
// known (the audit entry notes it as the client is loaded).
func clientIDOf(ctx context.Context) string {
	if e := auditOf(ctx); e != nil {
		return e.ev.ClientID
	}
	return ""
}
