package awsjson

import (
	"context"

	"github.com/cognate-dev/cognate/userpool"
)

// authOperations are the operations on sign-in, refresh and sign-out.
func authOperations() map[string]operation {
	return map[string]operation{
		"InitiateAuth": op(false, func(ctx context.Context, s *userpool.Service, in *initiateAuthIn) (any, error) {
			return authOut(s.InitiateAuth(ctx, userpool.InitiateAuthInput{ClientID: in.ClientID, AuthFlow: in.AuthFlow,
				AuthParameters: in.AuthParameters, Session: in.Session}))
		}),
		"AdminInitiateAuth": op(true, func(ctx context.Context, s *userpool.Service, in *initiateAuthIn) (any, error) {
			if in.UserPoolID == "" {
				return nil, missing("userPoolId")
			}
			return authOut(s.InitiateAuth(ctx, userpool.InitiateAuthInput{PoolID: in.UserPoolID, ClientID: in.ClientID,
				AuthFlow: in.AuthFlow, AuthParameters: in.AuthParameters, Session: in.Session, Admin: true}))
		}),
		"RespondToAuthChallenge": op(false, func(ctx context.Context, s *userpool.Service, in *respondIn) (any, error) {
			return authOut(s.RespondToAuthChallenge(ctx, userpool.RespondInput{ClientID: in.ClientID,
				ChallengeName: in.ChallengeName, Session: in.Session, Responses: in.ChallengeResponses}))
		}),
		"AdminRespondToAuthChallenge": op(true, func(ctx context.Context, s *userpool.Service, in *respondIn) (any, error) {
			if in.UserPoolID == "" {
				return nil, missing("userPoolId")
			}
			return authOut(s.RespondToAuthChallenge(ctx, userpool.RespondInput{PoolID: in.UserPoolID, ClientID: in.ClientID,
				ChallengeName: in.ChallengeName, Session: in.Session, Responses: in.ChallengeResponses}))
		}),
		"GetTokensFromRefreshToken": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			RefreshToken string `json:"RefreshToken"`
			ClientID     string `json:"ClientId"`
			ClientSecret string `json:"ClientSecret"`
		}) (any, error) {
			r, err := s.GetTokensFromRefreshToken(ctx, in.ClientID, in.ClientSecret, in.RefreshToken)
			if err != nil {
				return nil, err
			}
			return map[string]any{"AuthenticationResult": resultOut(r)}, nil
		}),
		"GlobalSignOut": op(false, func(ctx context.Context, s *userpool.Service, in *accessTokenIn) (any, error) {
			return empty(s.GlobalSignOut(ctx, in.AccessToken))
		}),
		"AdminUserGlobalSignOut": op(true, func(ctx context.Context, s *userpool.Service, in *userRef) (any, error) {
			return empty(s.AdminUserGlobalSignOut(ctx, in.UserPoolID, in.Username))
		}),
		"RevokeToken": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			Token        string `json:"Token"`
			ClientID     string `json:"ClientId"`
			ClientSecret string `json:"ClientSecret"`
		}) (any, error) {
			return empty(s.RevokeToken(ctx, in.Token, in.ClientID, in.ClientSecret))
		}),
	}
}
