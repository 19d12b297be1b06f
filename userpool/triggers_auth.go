package userpool

// The sign-in triggers: PreAuthentication runs before the password (or
// first factor) is checked, PostAuthentication after a sign-in succeeded,
// before its tokens are minted. Neither runs on a refresh.

import (
	"context"

	"github.com/cognate-dev/cognate/store"
)

// Trigger sources of the sign-in triggers.
const (
	sourcePreAuthentication  = "PreAuthentication_Authentication"
	sourcePostAuthentication = "PostAuthentication_Authentication"
)

type preAuthRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	ValidationData map[string]string `json:"validationData"`
	UserNotFound   bool              `json:"userNotFound,omitempty"`
}

type preAuthDoneKey struct{}

// preAuthentication runs the pool's PreAuthentication function for a
// sign-in of u (nil: a user hidden by PreventUserExistenceErrors, which
// Cognito reports with userNotFound; an unknown user is otherwise refused
// before this). validationData is the request's ClientMetadata, as Cognito
// documents it. The returned context marks the trigger as run, so that a
// flow that hands over to another (USER_AUTH to the password flows) runs
// it once.
func (s *Service) preAuthentication(ctx context.Context, p *Pool, clientID string, u *store.User, username string) (context.Context, error) {
	if done, _ := ctx.Value(preAuthDoneKey{}).(bool); done || !p.HasTrigger(TriggerPreAuthentication) {
		return ctx, nil
	}
	req := preAuthRequest{UserAttributes: map[string]string{}, ValidationData: clientMetadataOf(ctx), UserNotFound: u == nil}
	if u != nil {
		req.UserAttributes, username = triggerAttributes(u), u.Username
	}
	_, err := s.runTrigger(ctx, p, triggerCall{Name: TriggerPreAuthentication, Source: sourcePreAuthentication,
		ClientID: clientID, UserName: username, Request: req}, &struct{}{})
	return preAuthRan(ctx), err
}

// preAuthRan marks ctx as a step of a sign-in whose PreAuthentication ran
// already (USER_AUTH's SELECT_CHALLENGE answer, after InitiateAuth).
func preAuthRan(ctx context.Context) context.Context {
	return context.WithValue(ctx, preAuthDoneKey{}, true)
}

type postAuthRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	NewDeviceUsed  bool              `json:"newDeviceUsed"`
	ClientMetadata map[string]string `json:"clientMetadata"`
}

// postAuthentication runs the pool's PostAuthentication function once a
// sign-in of u succeeded; newDevice is a device the pool did not know. A
// refusal fails the sign-in: no tokens are issued.
func (s *Service) postAuthentication(ctx context.Context, poolID, clientID string, u *store.User, newDevice bool) error {
	p, err := s.pool(ctx, poolID)
	if err != nil {
		return err
	}
	if !p.HasTrigger(TriggerPostAuthentication) {
		return nil
	}
	_, err = s.runTrigger(ctx, p, triggerCall{Name: TriggerPostAuthentication, Source: sourcePostAuthentication,
		ClientID: clientID, UserName: u.Username, Request: postAuthRequest{UserAttributes: triggerAttributes(u),
			NewDeviceUsed: newDevice, ClientMetadata: clientMetadataOf(ctx)}}, &struct{}{})
	return err
}
