package seed

// Applying app clients: finding them (by fixed id, else by name), creating
// them (with Cognate's ClientId member when ids are fixed) and bringing
// their settings to what the file says.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// clientRef is what sign-ups through a client need.
type clientRef struct{ id, secret string }

func (a *applier) client(ctx context.Context, poolID string, c *Client) (clientRef, bool) {
	res := Result{Kind: "client", Name: c.Name, PoolID: poolID, Line: c.Line}
	defer func() { a.add(res) }()
	cur, err := a.findClient(ctx, poolID, c)
	if err != nil {
		res.Action, res.Error = Failed, err.Error()
		return clientRef{}, false
	}
	if cur == nil {
		in := ClientCreateInput(poolID, c)
		var optFns []func(*cip.Options)
		if c.ID != "" && a.opts.FixedIDs {
			optFns = append(optFns, WithClientID(c.ID))
		}
		out, err := a.c.CreateUserPoolClient(ctx, in, optFns...)
		if err != nil {
			res.Action, res.Error = Failed, errText("CreateUserPoolClient", err)
			return clientRef{}, false
		}
		res.ID, res.Action = aws.ToString(out.UserPoolClient.ClientId), Created
		switch {
		case c.ID != "" && !a.opts.FixedIDs:
			res.Note = fmt.Sprintf("fixed ids are a Cognate extension: this service made the client %s, not %s", res.ID, c.ID)
		case c.ID != "" && res.ID != c.ID:
			res.Note = fmt.Sprintf("the service did not honour the fixed id %s (not Cognate?): the client is %s", c.ID, res.ID)
		}
		return clientRef{id: res.ID, secret: aws.ToString(out.UserPoolClient.ClientSecret)}, true
	}
	res.ID = aws.ToString(cur.ClientId)
	ref := clientRef{id: res.ID, secret: aws.ToString(cur.ClientSecret)}
	switch {
	case c.Secret != "" && ref.secret != c.Secret,
		c.GenerateSecret != nil && *c.GenerateSecret && ref.secret == "" && c.Secret == "",
		c.GenerateSecret != nil && !*c.GenerateSecret && ref.secret != "":
		res.Action = Failed
		res.Error = "the client's secret is not the file's, and a secret is set only when a client is created: delete the client to make it anew"
		return ref, true
	}
	in, changes := ClientUpdateInput(c, cur)
	res.Changes, res.Action = changes, Unchanged
	if len(changes) == 0 {
		return ref, true
	}
	if _, err := a.c.UpdateUserPoolClient(ctx, in); err != nil {
		res.Action, res.Error = Failed, errText("UpdateUserPoolClient", err)
		return ref, true
	}
	res.Action = Updated
	return ref, true
}

// ClientCreateInput is the CreateUserPoolClient input of c in a pool
// (without a fixed id: see WithClientID).
func ClientCreateInput(poolID string, c *Client) *cip.CreateUserPoolClientInput {
	want, _ := clientSettings(c, &types.UserPoolClientType{}, nil)
	in := &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String(c.Name),
		GenerateSecret:      c.GenerateSecret != nil && *c.GenerateSecret,
		AccessTokenValidity: want.AccessTokenValidity, IdTokenValidity: want.IdTokenValidity,
		RefreshTokenValidity: want.RefreshTokenValidity, TokenValidityUnits: want.TokenValidityUnits,
		EnableTokenRevocation: want.EnableTokenRevocation, RefreshTokenRotation: want.RefreshTokenRotation,
		ExplicitAuthFlows: want.ExplicitAuthFlows, PreventUserExistenceErrors: want.PreventUserExistenceErrors,
		ReadAttributes: want.ReadAttributes, WriteAttributes: want.WriteAttributes,
		AllowedOAuthFlows: want.AllowedOAuthFlows, AllowedOAuthScopes: want.AllowedOAuthScopes,
		AllowedOAuthFlowsUserPoolClient: aws.ToBool(want.AllowedOAuthFlowsUserPoolClient), CallbackURLs: want.CallbackURLs,
		LogoutURLs: want.LogoutURLs, DefaultRedirectURI: want.DefaultRedirectURI,
		SupportedIdentityProviders: want.SupportedIdentityProviders}
	if c.Secret != "" {
		in.ClientSecret = aws.String(c.Secret)
		in.GenerateSecret = true
	}
	return in
}

// ClientUpdateInput is the UpdateUserPoolClient input that gives the client
// cur the settings c sets, keeping those c leaves out (UpdateUserPoolClient
// replaces them all), and the names of the settings that differ: none means
// there is nothing to update. An empty c.Name keeps the client's name.
func ClientUpdateInput(c *Client, cur *types.UserPoolClientType) (*cip.UpdateUserPoolClientInput, []string) {
	want, changes := clientSettings(c, cur, cur)
	name := c.Name
	if name == "" {
		name = aws.ToString(cur.ClientName)
	}
	if name != aws.ToString(cur.ClientName) {
		changes = append([]string{"name"}, changes...)
	}
	in := &cip.UpdateUserPoolClientInput{UserPoolId: cur.UserPoolId, ClientId: cur.ClientId, ClientName: aws.String(name),
		AccessTokenValidity: want.AccessTokenValidity, IdTokenValidity: want.IdTokenValidity,
		RefreshTokenValidity: want.RefreshTokenValidity, TokenValidityUnits: want.TokenValidityUnits,
		EnableTokenRevocation: want.EnableTokenRevocation, RefreshTokenRotation: want.RefreshTokenRotation,
		ExplicitAuthFlows: want.ExplicitAuthFlows, PreventUserExistenceErrors: want.PreventUserExistenceErrors,
		ReadAttributes: want.ReadAttributes, WriteAttributes: want.WriteAttributes, AuthSessionValidity: want.AuthSessionValidity,
		AllowedOAuthFlows: want.AllowedOAuthFlows, AllowedOAuthScopes: want.AllowedOAuthScopes,
		AllowedOAuthFlowsUserPoolClient: aws.ToBool(want.AllowedOAuthFlowsUserPoolClient), CallbackURLs: want.CallbackURLs,
		LogoutURLs: want.LogoutURLs, DefaultRedirectURI: want.DefaultRedirectURI,
		SupportedIdentityProviders:               want.SupportedIdentityProviders,
		EnablePropagateAdditionalUserContextData: want.EnablePropagateAdditionalUserContextData,
		AnalyticsConfiguration:                   want.AnalyticsConfiguration}
	return in, changes
}

func (a *applier) findClient(ctx context.Context, poolID string, c *Client) (*types.UserPoolClientType, error) {
	if a.opts.FixedIDs && c.ID != "" {
		out, err := a.c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(c.ID)})
		if err == nil {
			return out.UserPoolClient, nil
		}
		if apiCode(err) != "ResourceNotFoundException" {
			return nil, errors.New(errText("DescribeUserPoolClient", err))
		}
	}
	var found []string
	pg := cip.NewListUserPoolClientsPaginator(a.c, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(60)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, errors.New(errText("ListUserPoolClients", err))
		}
		for _, d := range page.UserPoolClients {
			if aws.ToString(d.ClientName) == c.Name {
				found = append(found, aws.ToString(d.ClientId))
			}
		}
	}
	switch {
	case len(found) == 0:
		return nil, nil
	case len(found) > 1:
		return nil, fmt.Errorf("%d clients of the pool are named %q (%s): give the client's id in the file, or delete all but one", len(found), c.Name, strings.Join(found, ", "))
	case a.opts.FixedIDs && c.ID != "" && found[0] != c.ID:
		return nil, fmt.Errorf("a client named %q exists with id %s, but the file fixes id %s: delete that client or remove the id from the file", c.Name, found[0], c.ID)
	}
	out, err := a.c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(found[0])})
	if err != nil {
		return nil, errors.New(errText("DescribeUserPoolClient", err))
	}
	return out.UserPoolClient, nil
}

// validity returns a token validity's length from its value and unit.
func validity(v int32, unit types.TimeUnitsType, def string) Duration {
	u := string(unit)
	if u == "" {
		u = def
	}
	return Duration{N: int(v), Unit: u}
}

// clientSettings returns base with the file's settings applied and, when
// cur is set, the names of the settings that differ from cur.
func clientSettings(c *Client, base, cur *types.UserPoolClientType) (types.UserPoolClientType, []string) {
	want := *base
	var changes []string
	changed := func(name string, differ bool) {
		if cur != nil && differ {
			changes = append(changes, name)
		}
	}
	units := types.TokenValidityUnitsType{}
	if want.TokenValidityUnits != nil {
		units = *want.TokenValidityUnits
	}
	if d := c.AccessTokenValidity; d != nil {
		differ := cur == nil || validity(aws.ToInt32(cur.AccessTokenValidity), units.AccessToken, "hours").Length() != d.Length()
		changed("accessTokenValidity", differ)
		if differ {
			want.AccessTokenValidity, units.AccessToken = aws.Int32(int32(d.N)), types.TimeUnitsType(d.Unit)
		}
	}
	if d := c.IDTokenValidity; d != nil {
		differ := cur == nil || validity(aws.ToInt32(cur.IdTokenValidity), units.IdToken, "hours").Length() != d.Length()
		changed("idTokenValidity", differ)
		if differ {
			want.IdTokenValidity, units.IdToken = aws.Int32(int32(d.N)), types.TimeUnitsType(d.Unit)
		}
	}
	if d := c.RefreshTokenValidity; d != nil {
		differ := cur == nil || validity(cur.RefreshTokenValidity, units.RefreshToken, "days").Length() != d.Length()
		changed("refreshTokenValidity", differ)
		if differ {
			want.RefreshTokenValidity, units.RefreshToken = int32(d.N), types.TimeUnitsType(d.Unit)
		}
	}
	if units != (types.TokenValidityUnitsType{}) {
		want.TokenValidityUnits = &units
	}
	if c.AuthFlows != nil {
		var flows []types.ExplicitAuthFlowsType
		for _, f := range c.AuthFlows {
			flows = append(flows, types.ExplicitAuthFlowsType(f))
		}
		// Cognito adds the refresh flow to a list of ALLOW_ flows.
		if !slices.Contains(flows, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth) &&
			slices.ContainsFunc(flows, func(f types.ExplicitAuthFlowsType) bool { return strings.HasPrefix(string(f), "ALLOW_") }) {
			flows = append(flows, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth)
		}
		changed("authFlows", cur != nil && !sameSet(flows, cur.ExplicitAuthFlows))
		want.ExplicitAuthFlows = flows
	}
	if c.TokenRevocation != nil {
		changed("tokenRevocation", cur != nil && (cur.EnableTokenRevocation == nil || *cur.EnableTokenRevocation) != *c.TokenRevocation)
		want.EnableTokenRevocation = aws.Bool(*c.TokenRevocation)
	}
	if r := c.RefreshTokenRotation; r != nil {
		rot := &types.RefreshTokenRotationType{Feature: types.FeatureTypeDisabled, RetryGracePeriodSeconds: aws.Int32(0)}
		if r.Enabled {
			rot.Feature = types.FeatureTypeEnabled
		}
		if r.GracePeriod != nil {
			rot.RetryGracePeriodSeconds = aws.Int32(int32(r.GracePeriod.Length().Seconds()))
		}
		differ := cur != nil
		if cur != nil && cur.RefreshTokenRotation != nil {
			differ = cur.RefreshTokenRotation.Feature != rot.Feature ||
				aws.ToInt32(cur.RefreshTokenRotation.RetryGracePeriodSeconds) != aws.ToInt32(rot.RetryGracePeriodSeconds)
		} else if cur != nil {
			differ = r.Enabled || aws.ToInt32(rot.RetryGracePeriodSeconds) != 0
		}
		changed("refreshTokenRotation", differ)
		want.RefreshTokenRotation = rot
	}
	if c.PreventUserExistenceErrors != nil {
		v := types.PreventUserExistenceErrorTypesLegacy
		if *c.PreventUserExistenceErrors {
			v = types.PreventUserExistenceErrorTypesEnabled
		}
		changed("preventUserExistenceErrors", cur != nil && cur.PreventUserExistenceErrors != v)
		want.PreventUserExistenceErrors = v
	}
	if c.ReadAttributes != nil {
		changed("readAttributes", cur != nil && !sameSet(c.ReadAttributes, cur.ReadAttributes))
		want.ReadAttributes = c.ReadAttributes
	}
	if c.WriteAttributes != nil {
		changed("writeAttributes", cur != nil && !sameSet(c.WriteAttributes, cur.WriteAttributes))
		want.WriteAttributes = c.WriteAttributes
	}
	if o := c.OAuth; o != nil {
		var flows []types.OAuthFlowType
		for _, f := range o.Flows {
			flows = append(flows, types.OAuthFlowType(f))
		}
		idps := o.IdentityProviders
		if idps == nil {
			idps = []string{"COGNITO"}
		}
		differ := cur != nil && (!aws.ToBool(cur.AllowedOAuthFlowsUserPoolClient) || !sameSet(flows, cur.AllowedOAuthFlows) ||
			!sameSet(o.Scopes, cur.AllowedOAuthScopes) || !sameSet(o.CallbackURLs, cur.CallbackURLs) ||
			!sameSet(o.LogoutURLs, cur.LogoutURLs) || o.DefaultRedirectURI != aws.ToString(cur.DefaultRedirectURI) ||
			!sameSet(idps, cur.SupportedIdentityProviders))
		changed("oauth", differ)
		want.AllowedOAuthFlowsUserPoolClient = aws.Bool(true)
		want.AllowedOAuthFlows, want.AllowedOAuthScopes = flows, o.Scopes
		want.CallbackURLs, want.LogoutURLs = o.CallbackURLs, o.LogoutURLs
		want.DefaultRedirectURI = nil
		if o.DefaultRedirectURI != "" {
			want.DefaultRedirectURI = aws.String(o.DefaultRedirectURI)
		}
		want.SupportedIdentityProviders = idps
	}
	return want, changes
}

// WithClientID adds Cognate's ClientId member to a CreateUserPoolClient
// request, asking for that id (the SDK's input has no such member). It
// edits the JSON body before the request is signed.
func WithClientID(id string) func(*cip.Options) {
	return func(o *cip.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Build.Add(middleware.BuildMiddlewareFunc("CognateClientID",
				func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
					req, ok := in.Request.(*smithyhttp.Request)
					if !ok {
						return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("seed: unexpected request type %T", in.Request)
					}
					var body map[string]json.RawMessage
					raw, err := io.ReadAll(req.GetStream())
					if err != nil {
						return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("seed: read the request body: %w", err)
					}
					if err := json.Unmarshal(raw, &body); err != nil {
						return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("seed: decode the request body: %w", err)
					}
					body["ClientId"], _ = json.Marshal(id)
					raw, err = json.Marshal(body)
					if err != nil {
						return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("seed: encode the request body: %w", err)
					}
					if req, err = req.SetStream(bytes.NewReader(raw)); err != nil {
						return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("seed: set the request body: %w", err)
					}
					req.ContentLength = int64(len(raw))
					in.Request = req
					return next.HandleBuild(ctx, in)
				}), middleware.Before)
		})
	}
}
