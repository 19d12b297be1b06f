package awsjson

import (
	"context"

	"github.com/cognate-dev/cognate/userpool"
)

// poolOperations are the operations on user pools and app clients.
func poolOperations() map[string]operation {
	return map[string]operation{
		"CreateUserPool": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			PoolName string                     `json:"PoolName"`
			Schema   []userpool.SchemaAttribute `json:"Schema"`
			userpool.PoolConfig
		}) (any, error) {
			cfg := in.PoolConfig
			cfg.SchemaAttributes = in.Schema
			cfg.MFAFactors = nil // set by SetUserPoolMfaConfig only
			p, err := s.CreateUserPool(ctx, in.PoolName, cfg)
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
				ID               string `json:"Id"`
				Name             string `json:"Name"`
				CreationDate     epoch  `json:"CreationDate"`
				LastModifiedDate epoch  `json:"LastModifiedDate"`
				LambdaConfig     any    `json:"LambdaConfig"`
			}
			out := struct {
				UserPools []desc `json:"UserPools"`
				NextToken string `json:"NextToken,omitempty"`
			}{UserPools: []desc{}, NextToken: next}
			for _, p := range pools {
				var lambda any = map[string]any{}
				if len(p.Config.LambdaConfig) > 0 { // as sent (poolsettings.go)
					lambda = p.Config.LambdaConfig
				}
				out.UserPools = append(out.UserPools, desc{p.ID, p.Name, epoch(p.CreationDate), epoch(p.LastModifiedDate), lambda})
			}
			return out, nil
		}),
		"UpdateUserPool": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID string `json:"UserPoolId"`
			PoolName   string `json:"PoolName"`
			userpool.PoolConfig
		}) (any, error) {
			in.PoolConfig.MFAFactors = nil // set by SetUserPoolMfaConfig only
			return empty(s.UpdateUserPool(ctx, userpool.UpdatePoolInput{PoolID: in.UserPoolID, Name: in.PoolName, Config: in.PoolConfig}))
		}),
		"AddCustomAttributes": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID       string                     `json:"UserPoolId"`
			CustomAttributes []userpool.SchemaAttribute `json:"CustomAttributes"`
		}) (any, error) {
			return empty(s.AddCustomAttributes(ctx, in.UserPoolID, in.CustomAttributes))
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
	}
}
