package seed

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// PoolIDTag is the user-pool tag that asks Cognate for a pool's id on
// CreateUserPool. Amazon Cognito keeps it as an ordinary tag.
const PoolIDTag = "cognate:pool-id"

// Options tune Apply.
type Options struct {
	// FixedIDs says the service honours Cognate's fixed ids: the pool id is
	// sent as the PoolIDTag tag of CreateUserPool and the client id as
	// CreateUserPoolClient's ClientId member. False for Amazon Cognito:
	// ids in the file are not sent, and pools and clients are matched by
	// name. A service that ignores them is detected (the id it answers
	// differs) and reported in the Result's Note.
	FixedIDs bool
}

// Apply makes the service hold what f describes and reports what it did,
// item by item. It goes on after a failure (reported as Failed, or Skipped
// for what depended on it); Report.Err tells whether anything failed. It
// uses only the user-pool API, through c.
func Apply(ctx context.Context, c *cip.Client, f *File, opts Options) *Report {
	a := &applier{c: c, opts: opts, rep: &Report{}}
	for i := range f.Pools {
		a.pool(ctx, &f.Pools[i])
	}
	return a.rep
}

type applier struct {
	c    *cip.Client
	opts Options
	rep  *Report
}

func (a *applier) add(r Result) { a.rep.Results = append(a.rep.Results, r) }

// apiCode is the Cognito error name of err ("" when err is not an answer
// of the service).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// errText describes a failed call without the SDK's request details.
func errText(op string, err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("%s: %s: %s", op, ae.ErrorCode(), ae.ErrorMessage())
	}
	return fmt.Sprintf("%s: %v", op, err)
}

// ---- pools ----

func (a *applier) pool(ctx context.Context, p *Pool) {
	res := Result{Kind: "pool", Name: p.Name, Line: p.Line}
	cur, err := a.findPool(ctx, p)
	if err != nil {
		res.Action, res.Error = Failed, err.Error()
		a.add(res)
		a.skipChildren(p, "its pool failed")
		return
	}
	if cur == nil {
		cur, err = a.createPool(ctx, p, &res)
		if err != nil {
			res.Action, res.Error = Failed, err.Error()
			a.add(res)
			a.skipChildren(p, "its pool failed")
			return
		}
		res.Action = Created
	} else {
		res.ID = aws.ToString(cur.Id)
		if err := a.updatePool(ctx, p, cur, &res); err != nil {
			res.Action, res.Error = Failed, err.Error()
		}
	}
	res.ID = aws.ToString(cur.Id)
	a.add(res)
	poolID := res.ID
	a.resourceServers(ctx, poolID, p) // resourceservers.go
	secrets := map[string]clientRef{}
	for i := range p.Clients {
		if ref, ok := a.client(ctx, poolID, &p.Clients[i]); ok {
			secrets[p.Clients[i].Name] = ref
		}
	}
	groupsOK := a.groups(ctx, poolID, p)
	var signUp *clientRef
	for _, c := range p.Clients {
		if ref, ok := secrets[c.Name]; ok {
			signUp = &ref
			break
		}
	}
	for i := range p.Users {
		a.user(ctx, poolID, &p.Users[i], signUp, groupsOK)
	}
}

func (a *applier) skipChildren(p *Pool, why string) {
	for _, r := range p.ResourceServers {
		a.add(Result{Kind: "resource server", Name: r.Identifier, Action: Skipped, Error: why, Line: r.Line})
	}
	for _, c := range p.Clients {
		a.add(Result{Kind: "client", Name: c.Name, Action: Skipped, Error: why, Line: c.Line})
	}
	for _, g := range p.Groups {
		a.add(Result{Kind: "group", Name: g.Name, Action: Skipped, Error: why, Line: g.Line})
	}
	for _, u := range p.Users {
		a.add(Result{Kind: "user", Name: u.Username, Action: Skipped, Error: why, Line: u.Line})
	}
}

// findPool finds the pool by its fixed id, else by name; nil when it does
// not exist.
func (a *applier) findPool(ctx context.Context, p *Pool) (*types.UserPoolType, error) {
	if a.opts.FixedIDs && p.ID != "" {
		out, err := a.c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(p.ID)})
		if err == nil {
			return out.UserPool, nil
		}
		if apiCode(err) != "ResourceNotFoundException" {
			return nil, errors.New(errText("DescribeUserPool", err))
		}
	}
	var found []string
	pg := cip.NewListUserPoolsPaginator(a.c, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, errors.New(errText("ListUserPools", err))
		}
		for _, d := range page.UserPools {
			if aws.ToString(d.Name) == p.Name {
				found = append(found, aws.ToString(d.Id))
			}
		}
	}
	switch {
	case len(found) == 0:
		return nil, nil
	case len(found) > 1:
		return nil, fmt.Errorf("%d pools are named %q (%s): give the pool's id in the file, or delete all but one", len(found), p.Name, strings.Join(found, ", "))
	case a.opts.FixedIDs && p.ID != "" && found[0] != p.ID:
		return nil, fmt.Errorf("a pool named %q exists with id %s, but the file fixes id %s: delete that pool or remove the id from the file", p.Name, found[0], p.ID)
	}
	out, err := a.c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(found[0])})
	if err != nil {
		return nil, errors.New(errText("DescribeUserPool", err))
	}
	return out.UserPool, nil
}

func (a *applier) createPool(ctx context.Context, p *Pool, res *Result) (*types.UserPoolType, error) {
	in := &cip.CreateUserPoolInput{PoolName: aws.String(p.Name)}
	for _, s := range p.UsernameAttributes {
		in.UsernameAttributes = append(in.UsernameAttributes, types.UsernameAttributeType(s))
	}
	for _, s := range p.AliasAttributes {
		in.AliasAttributes = append(in.AliasAttributes, types.AliasAttributeType(s))
	}
	if p.CaseSensitive != nil {
		in.UsernameConfiguration = &types.UsernameConfigurationType{CaseSensitive: p.CaseSensitive}
	}
	for _, s := range p.Schema {
		in.Schema = append(in.Schema, schemaType(s))
	}
	desired := &types.UserPoolType{}
	poolSettings(p, desired, nil)
	in.Policies = desired.Policies
	in.AutoVerifiedAttributes = desired.AutoVerifiedAttributes
	in.AccountRecoverySetting = desired.AccountRecoverySetting
	in.DeletionProtection = desired.DeletionProtection
	in.AdminCreateUserConfig = desired.AdminCreateUserConfig
	in.UserPoolTags = maps.Clone(p.Tags)
	if p.ID != "" && a.opts.FixedIDs {
		if in.UserPoolTags == nil {
			in.UserPoolTags = map[string]string{}
		}
		in.UserPoolTags[PoolIDTag] = p.ID
	}
	out, err := a.c.CreateUserPool(ctx, in)
	if err != nil {
		return nil, errors.New(errText("CreateUserPool", err))
	}
	id := aws.ToString(out.UserPool.Id)
	switch {
	case p.ID != "" && !a.opts.FixedIDs:
		res.Note = fmt.Sprintf("fixed ids are a Cognate extension: this service made the pool %s, not %s", id, p.ID)
	case p.ID != "" && id != p.ID:
		res.Note = fmt.Sprintf("the service did not honour the fixed id %s (not Cognate?): the pool is %s", p.ID, id)
	}
	return out.UserPool, nil
}

// standardAttributes are the attributes every pool has.
var standardAttributes = []string{"address", "birthdate", "email", "email_verified", "family_name", "gender",
	"given_name", "locale", "middle_name", "name", "nickname", "phone_number", "phone_number_verified", "picture",
	"preferred_username", "profile", "sub", "updated_at", "website", "zoneinfo"}

func schemaType(s SchemaAttribute) types.SchemaAttributeType {
	t := types.SchemaAttributeType{Name: aws.String(s.Name), AttributeDataType: types.AttributeDataTypeString,
		Required: s.Required, Mutable: s.Mutable}
	if s.Type != "" {
		t.AttributeDataType = types.AttributeDataType(s.Type)
	}
	if s.MinLength != nil || s.MaxLength != nil {
		t.StringAttributeConstraints = &types.StringAttributeConstraintsType{}
		if s.MinLength != nil {
			t.StringAttributeConstraints.MinLength = aws.String(strconv.Itoa(*s.MinLength))
		}
		if s.MaxLength != nil {
			t.StringAttributeConstraints.MaxLength = aws.String(strconv.Itoa(*s.MaxLength))
		}
	}
	return t
}

// poolSettings sets the file's updatable settings on want; with cur (the
// pool as it is) it returns the names of those that differ.
func poolSettings(p *Pool, want *types.UserPoolType, cur *types.UserPoolType) []string {
	var changes []string
	changed := func(name string, differ bool) {
		if cur != nil && differ {
			changes = append(changes, name)
		}
	}
	if p.AutoVerifiedAttributes != nil {
		var v []types.VerifiedAttributeType
		for _, s := range p.AutoVerifiedAttributes {
			v = append(v, types.VerifiedAttributeType(s))
		}
		changed("autoVerifiedAttributes", cur != nil && !sameSet(v, cur.AutoVerifiedAttributes))
		want.AutoVerifiedAttributes = v
	}
	if p.AccountRecovery != nil {
		r := &types.AccountRecoverySettingType{}
		for i, s := range p.AccountRecovery {
			r.RecoveryMechanisms = append(r.RecoveryMechanisms, types.RecoveryOptionType{Name: types.RecoveryOptionNameType(s), Priority: aws.Int32(int32(i + 1))})
		}
		changed("accountRecovery", cur != nil && !slices.Equal(recoveryNames(r), recoveryNames(cur.AccountRecoverySetting)))
		want.AccountRecoverySetting = r
	}
	if pp := p.PasswordPolicy; pp != nil {
		var base types.PasswordPolicyType
		if want.Policies != nil && want.Policies.PasswordPolicy != nil {
			base = *want.Policies.PasswordPolicy
		}
		old := base
		setInt := func(dst **int32, v *int) {
			if v != nil {
				*dst = aws.Int32(int32(*v))
			}
		}
		setBool := func(dst *bool, v *bool) {
			if v != nil {
				*dst = *v
			}
		}
		setInt(&base.MinimumLength, pp.MinLength)
		setBool(&base.RequireUppercase, pp.RequireUppercase)
		setBool(&base.RequireLowercase, pp.RequireLowercase)
		setBool(&base.RequireNumbers, pp.RequireNumbers)
		setBool(&base.RequireSymbols, pp.RequireSymbols)
		if pp.TemporaryPasswordValidityDays != nil {
			base.TemporaryPasswordValidityDays = int32(*pp.TemporaryPasswordValidityDays)
		}
		changed("passwordPolicy", aws.ToInt32(old.MinimumLength) != aws.ToInt32(base.MinimumLength) ||
			old.RequireUppercase != base.RequireUppercase || old.RequireLowercase != base.RequireLowercase ||
			old.RequireNumbers != base.RequireNumbers || old.RequireSymbols != base.RequireSymbols ||
			old.TemporaryPasswordValidityDays != base.TemporaryPasswordValidityDays)
		pol := &types.UserPoolPolicyType{}
		if want.Policies != nil {
			*pol = *want.Policies
		}
		pol.PasswordPolicy = &base
		want.Policies = pol
	}
	if p.DeletionProtection != nil {
		v := types.DeletionProtectionTypeInactive
		if *p.DeletionProtection {
			v = types.DeletionProtectionTypeActive
		}
		changed("deletionProtection", cur != nil && cur.DeletionProtection != v)
		want.DeletionProtection = v
	}
	if p.AdminCreateUserOnly != nil {
		c := &types.AdminCreateUserConfigType{}
		if want.AdminCreateUserConfig != nil {
			*c = *want.AdminCreateUserConfig
		}
		changed("adminCreateUserOnly", c.AllowAdminCreateUserOnly != *p.AdminCreateUserOnly)
		c.AllowAdminCreateUserOnly = *p.AdminCreateUserOnly
		want.AdminCreateUserConfig = c
	}
	if p.Tags != nil {
		t := maps.Clone(p.Tags)
		if cur != nil {
			if id, ok := cur.UserPoolTags[PoolIDTag]; ok {
				if t == nil {
					t = map[string]string{}
				}
				t[PoolIDTag] = id
			}
			changed("tags", !maps.Equal(t, cur.UserPoolTags) && !(len(t) == 0 && len(cur.UserPoolTags) == 0))
		}
		want.UserPoolTags = t
	}
	return changes
}

func recoveryNames(r *types.AccountRecoverySettingType) []string {
	if r == nil {
		return nil
	}
	opts := slices.Clone(r.RecoveryMechanisms)
	slices.SortFunc(opts, func(a, b types.RecoveryOptionType) int { return int(aws.ToInt32(a.Priority) - aws.ToInt32(b.Priority)) })
	var out []string
	for _, o := range opts {
		out = append(out, string(o.Name))
	}
	return out
}

// sameSet compares two lists as sets.
func sameSet[T ~string](a, b []T) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

func (a *applier) updatePool(ctx context.Context, p *Pool, cur *types.UserPoolType, res *Result) error {
	// Fixed at creation.
	var fixed []string
	if p.UsernameAttributes != nil && !sameSet(toStrings(p.UsernameAttributes), toStrings(cur.UsernameAttributes)) {
		fixed = append(fixed, "usernameAttributes")
	}
	if p.AliasAttributes != nil && !sameSet(toStrings(p.AliasAttributes), toStrings(cur.AliasAttributes)) {
		fixed = append(fixed, "aliasAttributes")
	}
	if p.CaseSensitive != nil {
		cs := cur.UsernameConfiguration == nil || cur.UsernameConfiguration.CaseSensitive == nil || *cur.UsernameConfiguration.CaseSensitive
		if cs != *p.CaseSensitive {
			fixed = append(fixed, "caseSensitive")
		}
	}
	var addCustom []types.SchemaAttributeType
	for _, s := range p.Schema {
		name := s.Name
		if !slices.Contains(standardAttributes, name) && !strings.HasPrefix(name, "custom:") {
			name = "custom:" + name
		}
		i := slices.IndexFunc(cur.SchemaAttributes, func(c types.SchemaAttributeType) bool { return aws.ToString(c.Name) == name })
		switch {
		case i < 0 && strings.HasPrefix(name, "custom:"):
			st := schemaType(s)
			st.Name = aws.String(strings.TrimPrefix(name, "custom:"))
			addCustom = append(addCustom, st)
		case i < 0:
			fixed = append(fixed, "schema "+s.Name)
		default:
			c := cur.SchemaAttributes[i]
			if (s.Required != nil && aws.ToBool(c.Required) != *s.Required) || (s.Mutable != nil && aws.ToBool(c.Mutable) != *s.Mutable) {
				fixed = append(fixed, "schema "+s.Name)
			}
		}
	}
	if len(fixed) > 0 {
		return fmt.Errorf("%s cannot change once the pool exists (delete the pool to make it anew): %s differ from the file",
			strings.Join(fixed, ", "), strings.Join(fixed, ", "))
	}
	want := *cur
	changes := poolSettings(p, &want, cur)
	if p.Name != aws.ToString(cur.Name) {
		changes = append([]string{"name"}, changes...)
	}
	if len(changes) > 0 {
		in := &cip.UpdateUserPoolInput{UserPoolId: cur.Id, PoolName: aws.String(p.Name),
			Policies: want.Policies, AutoVerifiedAttributes: want.AutoVerifiedAttributes, MfaConfiguration: want.MfaConfiguration,
			DeletionProtection: want.DeletionProtection, UserPoolTags: want.UserPoolTags,
			AccountRecoverySetting: want.AccountRecoverySetting, VerificationMessageTemplate: want.VerificationMessageTemplate,
			EmailVerificationMessage: want.EmailVerificationMessage, EmailVerificationSubject: want.EmailVerificationSubject,
			SmsVerificationMessage: want.SmsVerificationMessage, SmsAuthenticationMessage: want.SmsAuthenticationMessage,
			AdminCreateUserConfig: want.AdminCreateUserConfig, UserAttributeUpdateSettings: want.UserAttributeUpdateSettings,
			EmailConfiguration: want.EmailConfiguration, SmsConfiguration: want.SmsConfiguration, LambdaConfig: want.LambdaConfig,
			DeviceConfiguration: want.DeviceConfiguration, UserPoolAddOns: want.UserPoolAddOns}
		if _, err := a.c.UpdateUserPool(ctx, in); err != nil {
			return errors.New(errText("UpdateUserPool", err))
		}
	}
	if len(addCustom) > 0 {
		if _, err := a.c.AddCustomAttributes(ctx, &cip.AddCustomAttributesInput{UserPoolId: cur.Id, CustomAttributes: addCustom}); err != nil {
			return errors.New(errText("AddCustomAttributes", err))
		}
		for _, c := range addCustom {
			changes = append(changes, "schema custom:"+aws.ToString(c.Name))
		}
	}
	res.Changes = changes
	res.Action = Unchanged
	if len(changes) > 0 {
		res.Action = Updated
	}
	return nil
}

func toStrings[T ~string](in []T) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

// ---- clients ----

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

// ---- groups ----

// groups applies the pool's groups; false when the service has no groups
// (each is then reported as skipped).
func (a *applier) groups(ctx context.Context, poolID string, p *Pool) bool {
	for i, g := range p.Groups {
		res := Result{Kind: "group", Name: g.Name, PoolID: poolID, ID: g.Name, Line: g.Line}
		out, err := a.c.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String(g.Name)})
		switch {
		case apiCode(err) == "UnknownOperationException":
			for _, g := range p.Groups[i:] {
				a.add(Result{Kind: "group", Name: g.Name, PoolID: poolID, Line: g.Line, Action: Skipped,
					Error: "the service does not support groups (GetGroup: UnknownOperationException)"})
			}
			return false
		case apiCode(err) == "ResourceNotFoundException":
			in := &cip.CreateGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String(g.Name)}
			if g.Description != "" {
				in.Description = aws.String(g.Description)
			}
			if g.Precedence != nil {
				in.Precedence = aws.Int32(int32(*g.Precedence))
			}
			if _, err := a.c.CreateGroup(ctx, in); err != nil {
				res.Action, res.Error = Failed, errText("CreateGroup", err)
			} else {
				res.Action = Created
			}
		case err != nil:
			res.Action, res.Error = Failed, errText("GetGroup", err)
		default:
			res.Action = Unchanged
			cur := out.Group
			if aws.ToString(cur.Description) != g.Description {
				res.Changes = append(res.Changes, "description")
			}
			if g.Precedence != nil && aws.ToInt32(cur.Precedence) != int32(*g.Precedence) {
				res.Changes = append(res.Changes, "precedence")
			}
			if len(res.Changes) > 0 {
				in := &cip.UpdateGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String(g.Name),
					Description: aws.String(g.Description), Precedence: cur.Precedence, RoleArn: cur.RoleArn}
				if g.Precedence != nil {
					in.Precedence = aws.Int32(int32(*g.Precedence))
				}
				if _, err := a.c.UpdateGroup(ctx, in); err != nil {
					res.Action, res.Error = Failed, errText("UpdateGroup", err)
				} else {
					res.Action = Updated
				}
			}
		}
		a.add(res)
	}
	return true
}

// ---- users ----

func (a *applier) user(ctx context.Context, poolID string, u *User, signUp *clientRef, groupsOK bool) {
	res := Result{Kind: "user", Name: u.Username, PoolID: poolID, Line: u.Line}
	defer func() { a.add(res) }()
	fail := func(op string, err error) {
		res.Action, res.Error = Failed, errText(op, err)
	}
	wantConfirmed := u.Confirmed == nil || *u.Confirmed
	wantEnabled := u.Enabled == nil || *u.Enabled
	cur, err := a.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(u.Username)})
	switch {
	case apiCode(err) == "UserNotFoundException":
		if err := a.createUser(ctx, poolID, u, signUp, wantConfirmed, &res); err != nil {
			return
		}
		res.Action = Created
		if !wantEnabled {
			if _, err := a.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(poolID), Username: aws.String(u.Username)}); err != nil {
				fail("AdminDisableUser", err)
				return
			}
			res.Changes = append(res.Changes, "disabled")
		}
	case err != nil:
		fail("AdminGetUser", err)
		return
	default:
		res.ID, res.Action = aws.ToString(cur.Username), Unchanged
		have := map[string]string{}
		for _, at := range cur.UserAttributes {
			have[aws.ToString(at.Name)] = aws.ToString(at.Value)
		}
		var update []types.AttributeType
		for _, k := range slices.Sorted(maps.Keys(u.Attributes)) {
			if v, ok := have[k]; !ok || v != u.Attributes[k] {
				update = append(update, types.AttributeType{Name: aws.String(k), Value: aws.String(u.Attributes[k])})
				res.Changes = append(res.Changes, "attribute "+k)
			}
		}
		if len(update) > 0 {
			if _, err := a.c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(poolID),
				Username: aws.String(u.Username), UserAttributes: update}); err != nil {
				fail("AdminUpdateUserAttributes", err)
				return
			}
		}
		status := cur.UserStatus
		switch {
		case wantConfirmed && status == types.UserStatusTypeUnconfirmed:
			if _, err := a.c.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(poolID), Username: aws.String(u.Username)}); err != nil {
				fail("AdminConfirmSignUp", err)
				return
			}
			res.Changes = append(res.Changes, "confirmed")
		case !wantConfirmed && status != types.UserStatusTypeUnconfirmed:
			res.Note = "the user is confirmed already; a sign-up cannot be unconfirmed"
		}
		setPassword := u.Password != "" && (u.ResetPassword ||
			(!u.TemporaryPassword && status == types.UserStatusTypeForceChangePassword))
		if setPassword {
			if _, err := a.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID),
				Username: aws.String(u.Username), Password: aws.String(u.Password), Permanent: !u.TemporaryPassword}); err != nil {
				fail("AdminSetUserPassword", err)
				return
			}
			if u.TemporaryPassword {
				res.Changes = append(res.Changes, "temporary password set")
			} else {
				res.Changes = append(res.Changes, "password set")
			}
		}
		if cur.Enabled != wantEnabled {
			if wantEnabled {
				_, err = a.c.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: aws.String(poolID), Username: aws.String(u.Username)})
			} else {
				_, err = a.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(poolID), Username: aws.String(u.Username)})
			}
			if err != nil {
				fail("AdminEnableUser/AdminDisableUser", err)
				return
			}
			res.Changes = append(res.Changes, map[bool]string{true: "enabled", false: "disabled"}[wantEnabled])
		}
		if len(res.Changes) > 0 {
			res.Action = Updated
		}
	}
	if u.Groups != nil {
		if !groupsOK {
			res.Action, res.Error = Skipped, "group memberships skipped: the service does not support groups"
			return
		}
		if err := a.memberships(ctx, poolID, u, &res); err != nil {
			res.Action, res.Error = Failed, err.Error()
			return
		}
	}
}

func (a *applier) createUser(ctx context.Context, poolID string, u *User, signUp *clientRef, confirmed bool, res *Result) error {
	var attrs []types.AttributeType
	for _, k := range slices.Sorted(maps.Keys(u.Attributes)) {
		attrs = append(attrs, types.AttributeType{Name: aws.String(k), Value: aws.String(u.Attributes[k])})
	}
	fail := func(op string, err error) error {
		res.Action, res.Error = Failed, errText(op, err)
		return err
	}
	if !confirmed {
		if signUp == nil {
			err := errors.New("no app client of the pool to sign up through")
			res.Action, res.Error = Failed, err.Error()
			return err
		}
		in := &cip.SignUpInput{ClientId: aws.String(signUp.id), Username: aws.String(u.Username),
			Password: aws.String(u.Password), UserAttributes: attrs}
		if signUp.secret != "" {
			in.SecretHash = aws.String(SecretHash(signUp.secret, u.Username, signUp.id))
		}
		out, err := a.c.SignUp(ctx, in)
		if err != nil {
			return fail("SignUp", err)
		}
		res.ID = aws.ToString(out.UserSub)
		res.Changes = append(res.Changes, "signed up, unconfirmed")
		if got, err := a.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(u.Username)}); err == nil {
			res.ID = aws.ToString(got.Username)
		}
		return nil
	}
	in := &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(u.Username),
		UserAttributes: attrs, MessageAction: types.MessageActionTypeSuppress}
	if u.TemporaryPassword {
		in.TemporaryPassword = aws.String(u.Password)
	}
	out, err := a.c.AdminCreateUser(ctx, in)
	if err != nil {
		return fail("AdminCreateUser", err)
	}
	res.ID = aws.ToString(out.User.Username)
	switch {
	case u.Password == "":
		res.Changes = append(res.Changes, "no password: the user must be sent one (cognate user set-password)")
	case u.TemporaryPassword:
		res.Changes = append(res.Changes, "temporary password")
	default:
		if _, err := a.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID),
			Username: aws.String(u.Username), Password: aws.String(u.Password), Permanent: true}); err != nil {
			return fail("AdminSetUserPassword", err)
		}
		res.Changes = append(res.Changes, "password set")
	}
	return nil
}

// memberships makes the user's groups exactly the file's.
func (a *applier) memberships(ctx context.Context, poolID string, u *User, res *Result) error {
	have := map[string]bool{}
	pg := cip.NewAdminListGroupsForUserPaginator(a.c, &cip.AdminListGroupsForUserInput{UserPoolId: aws.String(poolID), Username: aws.String(u.Username)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return errors.New(errText("AdminListGroupsForUser", err))
		}
		for _, g := range page.Groups {
			have[aws.ToString(g.GroupName)] = true
		}
	}
	changed := false
	for _, g := range u.Groups {
		if have[g] {
			continue
		}
		if _, err := a.c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(poolID),
			Username: aws.String(u.Username), GroupName: aws.String(g)}); err != nil {
			return errors.New(errText("AdminAddUserToGroup", err))
		}
		res.Changes, changed = append(res.Changes, "added to "+g), true
	}
	for _, g := range slices.Sorted(maps.Keys(have)) {
		if slices.Contains(u.Groups, g) {
			continue
		}
		if _, err := a.c.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{UserPoolId: aws.String(poolID),
			Username: aws.String(u.Username), GroupName: aws.String(g)}); err != nil {
			return errors.New(errText("AdminRemoveUserFromGroup", err))
		}
		res.Changes, changed = append(res.Changes, "removed from "+g), true
	}
	if changed && res.Action == Unchanged {
		res.Action = Updated
	}
	return nil
}

// SecretHash is Cognito's SECRET_HASH: base64(HMAC-SHA256(secret, username + clientID)).
func SecretHash(secret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
