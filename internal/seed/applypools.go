package seed

// Applying a pool: finding it (by fixed id, else by name), creating it with
// its schema, and bringing its settings to what the file says.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

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
