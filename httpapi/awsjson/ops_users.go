package awsjson

import (
	"context"

	"github.com/cognate-dev/cognate/userpool"
)

// userOperations are the operations on users: sign-up, administration, self-service.
func userOperations() map[string]operation {
	return map[string]operation{
		"SignUp": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			ClientID       string               `json:"ClientId"`
			SecretHash     string               `json:"SecretHash"`
			Username       string               `json:"Username"`
			Password       string               `json:"Password"`
			UserAttributes []userpool.Attribute `json:"UserAttributes"`
		}) (any, error) {
			r, err := s.SignUp(ctx, userpool.SignUpInput{ClientID: in.ClientID, SecretHash: in.SecretHash,
				Username: in.Username, Password: in.Password, Attributes: in.UserAttributes})
			if err != nil {
				return nil, err
			}
			return struct {
				UserConfirmed       bool                   `json:"UserConfirmed"`
				UserSub             string                 `json:"UserSub"`
				CodeDeliveryDetails *userpool.CodeDelivery `json:"CodeDeliveryDetails,omitempty"`
			}{r.UserConfirmed, r.UserSub, r.Delivery}, nil
		}),
		"ConfirmSignUp": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			ClientID           string `json:"ClientId"`
			SecretHash         string `json:"SecretHash"`
			Username           string `json:"Username"`
			ConfirmationCode   string `json:"ConfirmationCode"`
			ForceAliasCreation bool   `json:"ForceAliasCreation"`
		}) (any, error) {
			session, err := s.ConfirmSignUpWithSession(ctx, userpool.ConfirmSignUpInput{ClientID: in.ClientID, SecretHash: in.SecretHash,
				Username: in.Username, Code: in.ConfirmationCode, ForceAliasCreation: in.ForceAliasCreation})
			if err != nil {
				return nil, err
			}
			return struct {
				Session string `json:"Session,omitempty"`
			}{session}, nil
		}),
		"AdminConfirmSignUp": op(true, func(ctx context.Context, s *userpool.Service, in *userRef) (any, error) {
			return empty(s.AdminConfirmSignUp(ctx, in.UserPoolID, in.Username))
		}),
		"AdminCreateUser": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID             string               `json:"UserPoolId"`
			Username               string               `json:"Username"`
			UserAttributes         []userpool.Attribute `json:"UserAttributes"`
			TemporaryPassword      string               `json:"TemporaryPassword"`
			MessageAction          string               `json:"MessageAction"`
			DesiredDeliveryMediums []string             `json:"DesiredDeliveryMediums"`
			ForceAliasCreation     bool                 `json:"ForceAliasCreation"`
		}) (any, error) {
			u, err := s.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: in.UserPoolID, Username: in.Username,
				TemporaryPassword: in.TemporaryPassword, MessageAction: in.MessageAction, Attributes: in.UserAttributes,
				DesiredDeliveryMediums: in.DesiredDeliveryMediums, ForceAliasCreation: in.ForceAliasCreation})
			if err != nil {
				return nil, err
			}
			return map[string]any{"User": userOut(u)}, nil
		}),
		"AdminSetUserPassword": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID string `json:"UserPoolId"`
			Username   string `json:"Username"`
			Password   string `json:"Password"`
			Permanent  bool   `json:"Permanent"`
		}) (any, error) {
			return empty(s.AdminSetUserPassword(ctx, in.UserPoolID, in.Username, in.Password, in.Permanent))
		}),
		"AdminGetUser": op(true, func(ctx context.Context, s *userpool.Service, in *userRef) (any, error) {
			u, err := s.AdminGetUser(ctx, in.UserPoolID, in.Username)
			if err != nil {
				return nil, err
			}
			return struct {
				Username             string               `json:"Username"`
				UserAttributes       []userpool.Attribute `json:"UserAttributes"`
				UserCreateDate       epoch                `json:"UserCreateDate"`
				UserLastModifiedDate epoch                `json:"UserLastModifiedDate"`
				Enabled              bool                 `json:"Enabled"`
				UserStatus           string               `json:"UserStatus"`
				// Dev mode only: the pending confirmation code, since no mail is sent.
				ConfirmationCode    string   `json:"CognateConfirmationCode,omitempty"`
				UserMFASettingList  []string `json:"UserMFASettingList,omitempty"`
				PreferredMfaSetting string   `json:"PreferredMfaSetting,omitempty"`
			}{u.Username, u.Attributes, epoch(u.CreationDate), epoch(u.LastModifiedDate), u.Enabled, u.Status, u.PendingCode,
				u.MFASettings, u.PreferredMFA}, nil
		}),
		"AdminDeleteUser": op(true, func(ctx context.Context, s *userpool.Service, in *userRef) (any, error) {
			return empty(s.AdminDeleteUser(ctx, in.UserPoolID, in.Username))
		}),
		"AdminDisableUser": op(true, func(ctx context.Context, s *userpool.Service, in *userRef) (any, error) {
			return empty(s.AdminSetUserEnabled(ctx, in.UserPoolID, in.Username, false))
		}),
		"AdminEnableUser": op(true, func(ctx context.Context, s *userpool.Service, in *userRef) (any, error) {
			return empty(s.AdminSetUserEnabled(ctx, in.UserPoolID, in.Username, true))
		}),
		"ListUsers": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID      string `json:"UserPoolId"`
			Limit           int    `json:"Limit"`
			PaginationToken string `json:"PaginationToken"`
			Filter          string `json:"Filter"`
		}) (any, error) {
			users, next, err := s.ListUsers(ctx, userpool.ListUsersInput{PoolID: in.UserPoolID, Limit: in.Limit,
				PaginationToken: in.PaginationToken, Filter: in.Filter})
			if err != nil {
				return nil, err
			}
			out := struct {
				Users           []*userType `json:"Users"`
				PaginationToken string      `json:"PaginationToken,omitempty"`
			}{Users: []*userType{}, PaginationToken: next}
			for _, u := range users {
				out.Users = append(out.Users, userOut(u))
			}
			return out, nil
		}),
		"GetUser": op(false, func(ctx context.Context, s *userpool.Service, in *accessTokenIn) (any, error) {
			u, err := s.GetUser(ctx, in.AccessToken)
			if err != nil {
				return nil, err
			}
			return struct {
				Username            string               `json:"Username"`
				UserAttributes      []userpool.Attribute `json:"UserAttributes"`
				UserMFASettingList  []string             `json:"UserMFASettingList,omitempty"`
				PreferredMfaSetting string               `json:"PreferredMfaSetting,omitempty"`
			}{u.Username, u.Attributes, u.MFASettings, u.PreferredMFA}, nil
		}),
		"DeleteUser": op(false, func(ctx context.Context, s *userpool.Service, in *accessTokenIn) (any, error) {
			return empty(s.DeleteUser(ctx, in.AccessToken))
		}),
		"ChangePassword": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			AccessToken      string `json:"AccessToken"`
			PreviousPassword string `json:"PreviousPassword"`
			ProposedPassword string `json:"ProposedPassword"`
		}) (any, error) {
			return empty(s.ChangePassword(ctx, in.AccessToken, in.PreviousPassword, in.ProposedPassword))
		}),
	}
}
