package userpool

// The sign-up triggers: PreSignUp (SignUp, AdminCreateUser) and
// PostConfirmation (ConfirmSignUp, AdminConfirmSignUp, an auto-confirmed
// SignUp, ConfirmForgotPassword).

import (
	"context"
	"maps"

	"github.com/cognate-dev/cognate/store"
)

// Trigger sources of the sign-up triggers (the event's triggerSource).
const (
	sourcePreSignUpSignUp                = "PreSignUp_SignUp"
	sourcePreSignUpAdminCreateUser       = "PreSignUp_AdminCreateUser"
	sourcePostConfirmationSignUp         = "PostConfirmation_ConfirmSignUp"
	sourcePostConfirmationForgotPassword = "PostConfirmation_ConfirmForgotPassword"
)

// adminClientID is the callerContext.clientId of an administrator's
// operation, which names no app client (Cognito's value).
const adminClientID = "CLIENT_ID_NOT_APPLICABLE"

type validationDataKey struct{}

// WithValidationData returns ctx carrying the request's ValidationData
// (SignUp, AdminCreateUser), which the PreSignUp trigger gets.
func WithValidationData(ctx context.Context, attrs []Attribute) context.Context {
	return context.WithValue(ctx, validationDataKey{}, attributeMap(attrs))
}

// validationDataOf is the request's ValidationData as a trigger's request
// carries it: an empty map when none was sent.
func validationDataOf(ctx context.Context) map[string]string {
	m, _ := ctx.Value(validationDataKey{}).(map[string]string)
	if m == nil {
		return map[string]string{}
	}
	return m
}

// preSignUpRequest and preSignUpResponse are the PreSignUp event's members.
type preSignUpRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	ValidationData map[string]string `json:"validationData"`
	ClientMetadata map[string]string `json:"clientMetadata"`
}

type preSignUpResponse struct {
	AutoConfirmUser bool `json:"autoConfirmUser"`
	AutoVerifyEmail bool `json:"autoVerifyEmail"`
	AutoVerifyPhone bool `json:"autoVerifyPhone"`
}

// preSignUp runs the pool's PreSignUp function before the user named name
// is created, with the attributes given. Its answer is applied to attrs:
// autoVerifyEmail and autoVerifyPhone mark the address verified, and need
// it present (KindInvalid otherwise: the user is not created). confirm is
// the function's autoConfirmUser. A function that refuses refuses the
// sign-up (KindLambdaValidation).
func (s *Service) preSignUp(ctx context.Context, p *Pool, source, clientID, name string, attrs map[string]string) (confirm bool, err error) {
	var out preSignUpResponse
	ran, err := s.runTrigger(ctx, p, triggerCall{Name: TriggerPreSignUp, Source: source, ClientID: clientID, UserName: name,
		Request: preSignUpRequest{UserAttributes: maps.Clone(attrs), ValidationData: validationDataOf(ctx),
			ClientMetadata: clientMetadataOf(ctx)},
		Response: preSignUpResponse{}}, &out)
	if err != nil || !ran {
		return false, err
	}
	for attr, on := range map[string]bool{attrEmail: out.AutoVerifyEmail, attrPhone: out.AutoVerifyPhone} {
		if !on {
			continue
		}
		if attrs[attr] == "" {
			return false, invalidf("PreSignUp asked to verify %s, but the user has no %s attribute", attr, attr)
		}
		attrs[attr+"_verified"] = "true"
	}
	return out.AutoConfirmUser, nil
}

// postConfirmationRequest is the PostConfirmation event's request.
type postConfirmationRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	ClientMetadata map[string]string `json:"clientMetadata"`
}

// postConfirmation runs the pool's PostConfirmation function for a user
// just confirmed (or whose password was just reset). As in Cognito the
// confirmation stands whatever the function does: a refusal fails the
// call, but the user stays confirmed.
func (s *Service) postConfirmation(ctx context.Context, p *Pool, source, clientID string, u *store.User) error {
	if !p.HasTrigger(TriggerPostConfirmation) {
		return nil
	}
	// The attributes as confirmed (the e-mail address now verified).
	if fresh, err := s.findUser(ctx, p, u.Username); err == nil {
		u = fresh
	}
	_, err := s.runTrigger(ctx, p, triggerCall{Name: TriggerPostConfirmation, Source: source, ClientID: clientID,
		UserName: u.Username, Request: postConfirmationRequest{UserAttributes: triggerAttributes(u),
			ClientMetadata: clientMetadataOf(ctx)}}, &struct{}{})
	return err
}

// triggerAttributes are a user's attributes as a trigger's request carries
// them: the stored ones with sub and, as Cognito adds them,
// cognito:user_status.
func triggerAttributes(u *store.User) map[string]string {
	out := maps.Clone(u.Attributes)
	if out == nil {
		out = map[string]string{}
	}
	out["sub"] = u.Sub
	out["cognito:user_status"] = u.Status
	return out
}
