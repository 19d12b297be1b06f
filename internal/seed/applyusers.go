package seed

// Applying groups, users and their memberships: users are created by the
// admin API or signed up through a client (SECRET_HASH included), then
// confirmed and added to their groups.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

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
