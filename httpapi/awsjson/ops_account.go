package awsjson

import (
	"context"

	"github.com/cognate-dev/cognate/userpool"
)

// deliveryOut is the answer of an operation that sent one code.
type deliveryOut struct {
	CodeDeliveryDetails *userpool.CodeDelivery `json:"CodeDeliveryDetails,omitempty"`
}

type clientUserIn struct {
	ClientID   string `json:"ClientId"`
	SecretHash string `json:"SecretHash"`
	Username   string `json:"Username"`
}

// accountOperations are the operations of the account life cycle:
// recovering a forgotten password, resending codes, and changing and
// verifying attributes.
func accountOperations() map[string]operation {
	return map[string]operation{
		"ForgotPassword": op(false, func(ctx context.Context, s *userpool.Service, in *clientUserIn) (any, error) {
			d, err := s.ForgotPassword(ctx, userpool.ForgotPasswordInput{ClientID: in.ClientID, SecretHash: in.SecretHash,
				Username: in.Username})
			if err != nil {
				return nil, err
			}
			return deliveryOut{d}, nil
		}),
		"ConfirmForgotPassword": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			clientUserIn
			ConfirmationCode string `json:"ConfirmationCode"`
			Password         string `json:"Password"`
		}) (any, error) {
			return empty(s.ConfirmForgotPassword(ctx, userpool.ConfirmForgotPasswordInput{ClientID: in.ClientID,
				SecretHash: in.SecretHash, Username: in.Username, Code: in.ConfirmationCode, Password: in.Password}))
		}),
		"ResendConfirmationCode": op(false, func(ctx context.Context, s *userpool.Service, in *clientUserIn) (any, error) {
			d, err := s.ResendConfirmationCode(ctx, in.ClientID, in.SecretHash, in.Username)
			if err != nil {
				return nil, err
			}
			return deliveryOut{d}, nil
		}),
		"AdminResetUserPassword": op(true, func(ctx context.Context, s *userpool.Service, in *userRef) (any, error) {
			return empty(s.AdminResetUserPassword(ctx, in.UserPoolID, in.Username))
		}),
		"UpdateUserAttributes": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			AccessToken    string               `json:"AccessToken"`
			UserAttributes []userpool.Attribute `json:"UserAttributes"`
		}) (any, error) {
			ds, err := s.UpdateUserAttributes(ctx, in.AccessToken, in.UserAttributes)
			if err != nil {
				return nil, err
			}
			out := struct {
				CodeDeliveryDetailsList []*userpool.CodeDelivery `json:"CodeDeliveryDetailsList"`
			}{CodeDeliveryDetailsList: []*userpool.CodeDelivery{}}
			out.CodeDeliveryDetailsList = append(out.CodeDeliveryDetailsList, ds...)
			return out, nil
		}),
		"DeleteUserAttributes": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			AccessToken        string   `json:"AccessToken"`
			UserAttributeNames []string `json:"UserAttributeNames"`
		}) (any, error) {
			return empty(s.DeleteUserAttributes(ctx, in.AccessToken, in.UserAttributeNames))
		}),
		"GetUserAttributeVerificationCode": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			AccessToken   string `json:"AccessToken"`
			AttributeName string `json:"AttributeName"`
		}) (any, error) {
			d, err := s.GetUserAttributeVerificationCode(ctx, in.AccessToken, in.AttributeName)
			if err != nil {
				return nil, err
			}
			return deliveryOut{d}, nil
		}),
		"VerifyUserAttribute": op(false, func(ctx context.Context, s *userpool.Service, in *struct {
			AccessToken   string `json:"AccessToken"`
			AttributeName string `json:"AttributeName"`
			Code          string `json:"Code"`
		}) (any, error) {
			return empty(s.VerifyUserAttribute(ctx, in.AccessToken, in.AttributeName, in.Code))
		}),
		"AdminUpdateUserAttributes": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID     string               `json:"UserPoolId"`
			Username       string               `json:"Username"`
			UserAttributes []userpool.Attribute `json:"UserAttributes"`
		}) (any, error) {
			return empty(s.AdminUpdateUserAttributes(ctx, in.UserPoolID, in.Username, in.UserAttributes))
		}),
		"AdminDeleteUserAttributes": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID         string   `json:"UserPoolId"`
			Username           string   `json:"Username"`
			UserAttributeNames []string `json:"UserAttributeNames"`
		}) (any, error) {
			return empty(s.AdminDeleteUserAttributes(ctx, in.UserPoolID, in.Username, in.UserAttributeNames))
		}),
	}
}
