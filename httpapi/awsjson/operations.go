package awsjson

import (
	"context"
	"strconv"
	"time"

	"github.com/cognate-dev/cognate/userpool"
)

// epoch encodes a time as Cognito does: seconds since the epoch, a number.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	return strconv.AppendFloat(nil, float64(t.UnixMilli())/1000, 'f', -1, 64), nil
}

// op builds an operation that decodes I and calls f.
func op[I any](admin bool, f func(ctx context.Context, s *userpool.Service, in *I) (any, error)) operation {
	return operation{admin: admin, call: func(ctx context.Context, h *Handler, body []byte) (any, error) {
		var in I
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		return f(ctx, h.svc, &in)
	}}
}

// empty wraps an operation that answers {}.
func empty(err error) (any, error) { return struct{}{}, err }

type userPoolType struct {
	ID                     string `json:"Id"`
	Name                   string `json:"Name"`
	Arn                    string `json:"Arn"`
	CreationDate           epoch  `json:"CreationDate"`
	LastModifiedDate       epoch  `json:"LastModifiedDate"`
	EstimatedNumberOfUsers int    `json:"EstimatedNumberOfUsers"`
	userpool.PoolConfig
}

func poolOut(p *userpool.Pool) *userPoolType {
	return &userPoolType{ID: p.ID, Name: p.Name, Arn: p.Arn, CreationDate: epoch(p.CreationDate),
		LastModifiedDate: epoch(p.LastModifiedDate), PoolConfig: p.Config}
}

type userPoolClientType struct {
	UserPoolID       string `json:"UserPoolId"`
	ClientName       string `json:"ClientName"`
	ClientID         string `json:"ClientId"`
	ClientSecret     string `json:"ClientSecret,omitempty"`
	CreationDate     epoch  `json:"CreationDate"`
	LastModifiedDate epoch  `json:"LastModifiedDate"`
	userpool.ClientConfig
}

func clientOut(c *userpool.Client) *userPoolClientType {
	return &userPoolClientType{UserPoolID: c.PoolID, ClientName: c.Name, ClientID: c.ID, ClientSecret: c.Secret,
		CreationDate: epoch(c.CreationDate), LastModifiedDate: epoch(c.LastModifiedDate), ClientConfig: c.Config}
}

type userType struct {
	Username             string               `json:"Username"`
	Attributes           []userpool.Attribute `json:"Attributes"`
	UserCreateDate       epoch                `json:"UserCreateDate"`
	UserLastModifiedDate epoch                `json:"UserLastModifiedDate"`
	Enabled              bool                 `json:"Enabled"`
	UserStatus           string               `json:"UserStatus"`
}

func userOut(u *userpool.User) *userType {
	return &userType{Username: u.Username, Attributes: u.Attributes, UserCreateDate: epoch(u.CreationDate),
		UserLastModifiedDate: epoch(u.LastModifiedDate), Enabled: u.Enabled, UserStatus: u.Status}
}

type authenticationResult struct {
	AccessToken  string `json:"AccessToken"`
	ExpiresIn    int    `json:"ExpiresIn"`
	TokenType    string `json:"TokenType"`
	RefreshToken string `json:"RefreshToken,omitempty"`
	IDToken      string `json:"IdToken"`
}

func resultOut(r *userpool.AuthResult) *authenticationResult {
	if r == nil {
		return nil
	}
	return &authenticationResult{AccessToken: r.AccessToken, ExpiresIn: r.ExpiresIn, TokenType: r.TokenType,
		RefreshToken: r.RefreshToken, IDToken: r.IDToken}
}

type authResponse struct {
	ChallengeName        string                `json:"ChallengeName,omitempty"`
	Session              string                `json:"Session,omitempty"`
	ChallengeParameters  map[string]string     `json:"ChallengeParameters"`
	AuthenticationResult *authenticationResult `json:"AuthenticationResult,omitempty"`
}

func authOut(r *userpool.AuthResponse, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	params := r.ChallengeParameters
	if params == nil {
		params = map[string]string{}
	}
	return &authResponse{ChallengeName: r.ChallengeName, Session: r.Session, ChallengeParameters: params,
		AuthenticationResult: resultOut(r.Result)}, nil
}

type poolRef struct {
	UserPoolID string `json:"UserPoolId"`
}

type userRef struct {
	UserPoolID string `json:"UserPoolId"`
	Username   string `json:"Username"`
}

type clientRef struct {
	UserPoolID string `json:"UserPoolId"`
	ClientID   string `json:"ClientId"`
}

type accessTokenIn struct {
	AccessToken string `json:"AccessToken"`
}

type paging struct {
	UserPoolID string `json:"UserPoolId"`
	MaxResults int    `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

type clientIn struct {
	UserPoolID     string `json:"UserPoolId"`
	ClientID       string `json:"ClientId"`
	ClientName     string `json:"ClientName"`
	GenerateSecret bool   `json:"GenerateSecret"`
	ClientSecret   string `json:"ClientSecret"`
	userpool.ClientConfig
}

func (in *clientIn) input() userpool.ClientInput {
	return userpool.ClientInput{PoolID: in.UserPoolID, ClientID: in.ClientID, Name: in.ClientName,
		GenerateSecret: in.GenerateSecret, Secret: in.ClientSecret, Config: in.ClientConfig}
}

type initiateAuthIn struct {
	UserPoolID     string            `json:"UserPoolId"`
	ClientID       string            `json:"ClientId"`
	AuthFlow       string            `json:"AuthFlow"`
	AuthParameters map[string]string `json:"AuthParameters"`
}

type respondIn struct {
	UserPoolID         string            `json:"UserPoolId"`
	ClientID           string            `json:"ClientId"`
	ChallengeName      string            `json:"ChallengeName"`
	Session            string            `json:"Session"`
	ChallengeResponses map[string]string `json:"ChallengeResponses"`
}

// operations is the dispatch table: X-Amz-Target operation name → handler.
// admin marks operations AWS clients sign with SigV4.
func operations() map[string]operation {
	return map[string]operation{
		"CreateUserPool": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			PoolName string `json:"PoolName"`
			userpool.PoolConfig
		}) (any, error) {
			p, err := s.CreateUserPool(ctx, in.PoolName, in.PoolConfig)
			if err != nil {
				return nil, err
			}
			return map[string]any{"UserPool": poolOut(p)}, nil
		}),
		"DescribeUserPool": op(true, func(ctx context.Context, s *userpool.Service, in *poolRef) (any, error) {
			p, err := s.DescribeUserPool(ctx, in.UserPoolID)
			if err != nil {
				return nil, err
			}
			return map[string]any{"UserPool": poolOut(p)}, nil
		}),
		"ListUserPools": op(true, func(ctx context.Context, s *userpool.Service, in *paging) (any, error) {
			pools, next, err := s.ListUserPools(ctx, in.MaxResults, in.NextToken)
			if err != nil {
				return nil, err
			}
			type desc struct {
				ID               string         `json:"Id"`
				Name             string         `json:"Name"`
				CreationDate     epoch          `json:"CreationDate"`
				LastModifiedDate epoch          `json:"LastModifiedDate"`
				LambdaConfig     map[string]any `json:"LambdaConfig"`
			}
			out := struct {
				UserPools []desc `json:"UserPools"`
				NextToken string `json:"NextToken,omitempty"`
			}{UserPools: []desc{}, NextToken: next}
			for _, p := range pools {
				out.UserPools = append(out.UserPools, desc{p.ID, p.Name, epoch(p.CreationDate), epoch(p.LastModifiedDate), map[string]any{}})
			}
			return out, nil
		}),
		"UpdateUserPool": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID string `json:"UserPoolId"`
			PoolName   string `json:"PoolName"`
			userpool.PoolConfig
		}) (any, error) {
			return empty(s.UpdateUserPool(ctx, userpool.UpdatePoolInput{PoolID: in.UserPoolID, Name: in.PoolName, Config: in.PoolConfig}))
		}),
		"DeleteUserPool": op(true, func(ctx context.Context, s *userpool.Service, in *poolRef) (any, error) {
			return empty(s.DeleteUserPool(ctx, in.UserPoolID))
		}),
		"CreateUserPoolClient": op(true, func(ctx context.Context, s *userpool.Service, in *clientIn) (any, error) {
			c, err := s.CreateUserPoolClient(ctx, in.input())
			if err != nil {
				return nil, err
			}
			return map[string]any{"UserPoolClient": clientOut(c)}, nil
		}),
		"DescribeUserPoolClient": op(true, func(ctx context.Context, s *userpool.Service, in *clientRef) (any, error) {
			c, err := s.DescribeUserPoolClient(ctx, in.UserPoolID, in.ClientID)
			if err != nil {
				return nil, err
			}
			return map[string]any{"UserPoolClient": clientOut(c)}, nil
		}),
		"UpdateUserPoolClient": op(true, func(ctx context.Context, s *userpool.Service, in *clientIn) (any, error) {
			c, err := s.UpdateUserPoolClient(ctx, in.input())
			if err != nil {
				return nil, err
			}
			return map[string]any{"UserPoolClient": clientOut(c)}, nil
		}),
		"ListUserPoolClients": op(true, func(ctx context.Context, s *userpool.Service, in *paging) (any, error) {
			clients, next, err := s.ListUserPoolClients(ctx, in.UserPoolID, in.MaxResults, in.NextToken)
			if err != nil {
				return nil, err
			}
			type desc struct {
				ClientID   string `json:"ClientId"`
				UserPoolID string `json:"UserPoolId"`
				ClientName string `json:"ClientName"`
			}
			out := struct {
				UserPoolClients []desc `json:"UserPoolClients"`
				NextToken       string `json:"NextToken,omitempty"`
			}{UserPoolClients: []desc{}, NextToken: next}
			for _, c := range clients {
				out.UserPoolClients = append(out.UserPoolClients, desc{c.ID, c.PoolID, c.Name})
			}
			return out, nil
		}),
		"DeleteUserPoolClient": op(true, func(ctx context.Context, s *userpool.Service, in *clientRef) (any, error) {
			return empty(s.DeleteUserPoolClient(ctx, in.UserPoolID, in.ClientID))
		}),
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
			ClientID         string `json:"ClientId"`
			SecretHash       string `json:"SecretHash"`
			Username         string `json:"Username"`
			ConfirmationCode string `json:"ConfirmationCode"`
		}) (any, error) {
			return empty(s.ConfirmSignUp(ctx, in.ClientID, in.SecretHash, in.Username, in.ConfirmationCode))
		}),
		"AdminConfirmSignUp": op(true, func(ctx context.Context, s *userpool.Service, in *userRef) (any, error) {
			return empty(s.AdminConfirmSignUp(ctx, in.UserPoolID, in.Username))
		}),
		"AdminCreateUser": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID        string               `json:"UserPoolId"`
			Username          string               `json:"Username"`
			UserAttributes    []userpool.Attribute `json:"UserAttributes"`
			TemporaryPassword string               `json:"TemporaryPassword"`
			MessageAction     string               `json:"MessageAction"`
		}) (any, error) {
			u, err := s.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: in.UserPoolID, Username: in.Username,
				TemporaryPassword: in.TemporaryPassword, MessageAction: in.MessageAction, Attributes: in.UserAttributes})
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
				ConfirmationCode string `json:"CognateConfirmationCode,omitempty"`
			}{u.Username, u.Attributes, epoch(u.CreationDate), epoch(u.LastModifiedDate), u.Enabled, u.Status, u.PendingCode}, nil
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
				Username       string               `json:"Username"`
				UserAttributes []userpool.Attribute `json:"UserAttributes"`
			}{u.Username, u.Attributes}, nil
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
		"InitiateAuth": op(false, func(ctx context.Context, s *userpool.Service, in *initiateAuthIn) (any, error) {
			return authOut(s.InitiateAuth(ctx, userpool.InitiateAuthInput{ClientID: in.ClientID, AuthFlow: in.AuthFlow,
				AuthParameters: in.AuthParameters}))
		}),
		"AdminInitiateAuth": op(true, func(ctx context.Context, s *userpool.Service, in *initiateAuthIn) (any, error) {
			if in.UserPoolID == "" {
				return nil, missing("userPoolId")
			}
			return authOut(s.InitiateAuth(ctx, userpool.InitiateAuthInput{PoolID: in.UserPoolID, ClientID: in.ClientID,
				AuthFlow: in.AuthFlow, AuthParameters: in.AuthParameters, Admin: true}))
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
