package awsjson

import (
	"context"

	"github.com/cognate-dev/cognate/userpool"
)

// groupType is Cognito's GroupType.
type groupType struct {
	GroupName        string `json:"GroupName"`
	UserPoolID       string `json:"UserPoolId"`
	Description      string `json:"Description,omitempty"`
	RoleArn          string `json:"RoleArn,omitempty"`
	Precedence       *int64 `json:"Precedence,omitempty"`
	CreationDate     epoch  `json:"CreationDate"`
	LastModifiedDate epoch  `json:"LastModifiedDate"`
}

func groupOut(g *userpool.Group) *groupType {
	return &groupType{GroupName: g.Name, UserPoolID: g.PoolID, Description: g.Description, RoleArn: g.RoleArn,
		Precedence: g.Precedence, CreationDate: epoch(g.CreationDate), LastModifiedDate: epoch(g.LastModifiedDate)}
}

// groupOutput is the answer of the operations that return one group.
func groupOutput(g *userpool.Group, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return struct {
		Group *groupType `json:"Group"`
	}{groupOut(g)}, nil
}

// groupsOutput is the answer of the operations that list groups.
func groupsOutput(gs []*userpool.Group, next string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	out := struct {
		Groups    []*groupType `json:"Groups"`
		NextToken string       `json:"NextToken,omitempty"`
	}{Groups: make([]*groupType, 0, len(gs)), NextToken: next}
	for _, g := range gs {
		out.Groups = append(out.Groups, groupOut(g))
	}
	return out, nil
}

type groupIn struct {
	UserPoolID  string  `json:"UserPoolId"`
	GroupName   string  `json:"GroupName"`
	Description *string `json:"Description"`
	RoleArn     *string `json:"RoleArn"`
	Precedence  *int64  `json:"Precedence"`
}

func (in *groupIn) input() userpool.GroupInput {
	return userpool.GroupInput{PoolID: in.UserPoolID, Name: in.GroupName, Description: in.Description,
		Precedence: in.Precedence, RoleArn: in.RoleArn}
}

type groupRef struct {
	UserPoolID string `json:"UserPoolId"`
	GroupName  string `json:"GroupName"`
}

type membershipIn struct {
	UserPoolID string `json:"UserPoolId"`
	Username   string `json:"Username"`
	GroupName  string `json:"GroupName"`
}

// groupOperations are the operations on groups and their members, all
// administrators'.
func groupOperations() map[string]operation {
	return map[string]operation{
		"CreateGroup": op(true, func(ctx context.Context, s *userpool.Service, in *groupIn) (any, error) {
			return groupOutput(s.CreateGroup(ctx, in.input()))
		}),
		"GetGroup": op(true, func(ctx context.Context, s *userpool.Service, in *groupRef) (any, error) {
			return groupOutput(s.GetGroup(ctx, in.UserPoolID, in.GroupName))
		}),
		"UpdateGroup": op(true, func(ctx context.Context, s *userpool.Service, in *groupIn) (any, error) {
			return groupOutput(s.UpdateGroup(ctx, in.input()))
		}),
		"DeleteGroup": op(true, func(ctx context.Context, s *userpool.Service, in *groupRef) (any, error) {
			return empty(s.DeleteGroup(ctx, in.UserPoolID, in.GroupName))
		}),
		"ListGroups": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID string `json:"UserPoolId"`
			Limit      int    `json:"Limit"`
			NextToken  string `json:"NextToken"`
		}) (any, error) {
			return groupsOutput(s.ListGroups(ctx, in.UserPoolID, in.Limit, in.NextToken))
		}),
		"AdminAddUserToGroup": op(true, func(ctx context.Context, s *userpool.Service, in *membershipIn) (any, error) {
			return empty(s.AdminAddUserToGroup(ctx, in.UserPoolID, in.Username, in.GroupName))
		}),
		"AdminRemoveUserFromGroup": op(true, func(ctx context.Context, s *userpool.Service, in *membershipIn) (any, error) {
			return empty(s.AdminRemoveUserFromGroup(ctx, in.UserPoolID, in.Username, in.GroupName))
		}),
		"AdminListGroupsForUser": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID string `json:"UserPoolId"`
			Username   string `json:"Username"`
			Limit      int    `json:"Limit"`
			NextToken  string `json:"NextToken"`
		}) (any, error) {
			return groupsOutput(s.AdminListGroupsForUser(ctx, in.UserPoolID, in.Username, in.Limit, in.NextToken))
		}),
		"ListUsersInGroup": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID string `json:"UserPoolId"`
			GroupName  string `json:"GroupName"`
			Limit      int    `json:"Limit"`
			NextToken  string `json:"NextToken"`
		}) (any, error) {
			users, next, err := s.ListUsersInGroup(ctx, in.UserPoolID, in.GroupName, in.Limit, in.NextToken)
			if err != nil {
				return nil, err
			}
			out := struct {
				Users     []*userType `json:"Users"`
				NextToken string      `json:"NextToken,omitempty"`
			}{Users: make([]*userType, 0, len(users)), NextToken: next}
			for _, u := range users {
				out.Users = append(out.Users, userOut(u))
			}
			return out, nil
		}),
	}
}
