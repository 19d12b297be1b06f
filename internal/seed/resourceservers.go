package seed

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// resourceServers creates the pool's resource servers the file declares, or
// updates them (name and scopes, replaced whole) where they differ.
func (a *applier) resourceServers(ctx context.Context, poolID string, p *Pool) {
	for _, r := range p.ResourceServers {
		res := Result{Kind: "resource server", Name: r.Identifier, PoolID: poolID, ID: r.Identifier, Line: r.Line}
		var scopes []types.ResourceServerScopeType
		for _, sc := range r.Scopes {
			scopes = append(scopes, types.ResourceServerScopeType{ScopeName: aws.String(sc.Name), ScopeDescription: aws.String(sc.Description)})
		}
		out, err := a.c.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String(r.Identifier)})
		switch {
		case apiCode(err) == "ResourceNotFoundException":
			if _, err := a.c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: aws.String(poolID),
				Identifier: aws.String(r.Identifier), Name: aws.String(r.Name), Scopes: scopes}); err != nil {
				res.Action, res.Error = Failed, errText("CreateResourceServer", err)
			} else {
				res.Action = Created
			}
		case err != nil:
			res.Action, res.Error = Failed, errText("DescribeResourceServer", err)
		default:
			res.Action = Unchanged
			cur := out.ResourceServer
			if aws.ToString(cur.Name) != r.Name {
				res.Changes = append(res.Changes, "name")
			}
			if !slices.EqualFunc(cur.Scopes, scopes, func(x, y types.ResourceServerScopeType) bool {
				return aws.ToString(x.ScopeName) == aws.ToString(y.ScopeName) && aws.ToString(x.ScopeDescription) == aws.ToString(y.ScopeDescription)
			}) {
				res.Changes = append(res.Changes, "scopes")
			}
			if len(res.Changes) > 0 {
				if _, err := a.c.UpdateResourceServer(ctx, &cip.UpdateResourceServerInput{UserPoolId: aws.String(poolID),
					Identifier: aws.String(r.Identifier), Name: aws.String(r.Name), Scopes: scopes}); err != nil {
					res.Action, res.Error = Failed, errText("UpdateResourceServer", err)
				} else {
					res.Action = Updated
				}
			}
		}
		a.add(res)
	}
}
