package userpool

// Groups of a pool's users, and the claims they put into tokens: the
// operations CreateGroup, GetGroup, UpdateGroup, DeleteGroup, ListGroups,
// AdminAddUserToGroup, AdminRemoveUserFromGroup, AdminListGroupsForUser and
// ListUsersInGroup, and groupClaims, which mint reads once per token.

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/store"
)

// Audit event types of group membership changes (Cognate's).
const (
	EventAdminAddUserToGroup      = "AdminAddUserToGroup"
	EventAdminRemoveUserFromGroup = "AdminRemoveUserFromGroup"
)

// Group limits and patterns, Cognito's.
const (
	maxGroupNameLen    = 128
	maxDescriptionLen  = 2048
	maxPrecedence      = 1<<31 - 1
	minRoleArnLen      = 20
	maxRoleArnLen      = 2048
	maxGroupListLimit  = 60
	groupNamePattern   = `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`
	roleArnPattern     = `arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?`
	maxGroupPageCursor = 4 * maxGroupNameLen // bytes of a decoded NextToken
)

var (
	groupNameRE = regexp.MustCompile(`^` + groupNamePattern + `$`)
	roleArnRE   = regexp.MustCompile(`^` + roleArnPattern + `$`)
)

// Group is a group as the API shows it (Cognito's GroupType).
type Group struct {
	PoolID           string
	Name             string
	Description      string
	Precedence       *int64 // nil when the group has none
	RoleArn          string
	CreationDate     time.Time
	LastModifiedDate time.Time
}

// GroupInput is what CreateGroup and UpdateGroup take. A nil field is not
// given: CreateGroup leaves it empty, UpdateGroup leaves it as it is (an
// empty Description or RoleArn given to UpdateGroup removes it).
type GroupInput struct {
	PoolID      string
	Name        string
	Description *string
	Precedence  *int64
	RoleArn     *string
}

func toGroup(g *store.Group) *Group {
	return &Group{PoolID: g.PoolID, Name: g.Name, Description: g.Description, Precedence: g.Precedence,
		RoleArn: g.RoleArn, CreationDate: g.CreatedAt, LastModifiedDate: g.UpdatedAt}
}

// checkGroupName enforces Cognito's GroupName constraints.
func checkGroupName(name string) error {
	if name == "" {
		return required("groupName")
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxGroupNameLen {
		return violation(Violation{Member: "groupName", Rule: RuleMaxLength, Max: maxGroupNameLen})
	}
	if !groupNameRE.MatchString(name) {
		return violation(Violation{Member: "groupName", Rule: RulePattern, Value: name, Shown: true, Pattern: groupNamePattern})
	}
	return nil
}

// checkGroupFields enforces the constraints of the optional members.
func checkGroupFields(in GroupInput) error {
	if in.Description != nil && (!utf8.ValidString(*in.Description) || utf8.RuneCountInString(*in.Description) > maxDescriptionLen) {
		return violation(Violation{Member: "description", Rule: RuleMaxLength, Max: maxDescriptionLen})
	}
	if in.Precedence != nil && (*in.Precedence < 0 || *in.Precedence > maxPrecedence) {
		return violation(Violation{Member: "precedence", Rule: RuleRange, Value: strconv.FormatInt(*in.Precedence, 10),
			Shown: true, Min: 0, Max: maxPrecedence})
	}
	if in.RoleArn != nil && *in.RoleArn != "" {
		arn := *in.RoleArn
		if len(arn) < minRoleArnLen || len(arn) > maxRoleArnLen {
			return violation(Violation{Member: "roleArn", Rule: RuleLengthPattern, Min: minRoleArnLen, Max: maxRoleArnLen})
		}
		if !roleArnRE.MatchString(arn) {
			return violation(Violation{Member: "roleArn", Rule: RulePattern, Value: arn, Shown: true, Pattern: roleArnPattern})
		}
	}
	return nil
}

// errGroupNotFound is the answer for a group that does not exist.
func errGroupNotFound(name string) *Error { return caused(KindNotFound, CauseGroupNotFound, name) }

// poolGroup loads a pool and one of its groups.
func (s *Service) poolGroup(ctx context.Context, poolID, name string) (*Pool, *store.Group, error) {
	p, err := s.pool(ctx, poolID)
	if err != nil {
		return nil, nil, err
	}
	if err := checkGroupName(name); err != nil {
		return nil, nil, err
	}
	g, err := s.groups.GetGroup(ctx, p.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errGroupNotFound(name)
	}
	if err != nil {
		return nil, nil, internal("get group", err)
	}
	return p, g, nil
}

// CreateGroup creates a group: GroupExistsException when the pool has a
// group of that name (names are case-sensitive).
func (s *Service) CreateGroup(ctx context.Context, in GroupInput) (*Group, error) {
	p, err := s.pool(ctx, in.PoolID)
	if err != nil {
		return nil, err
	}
	if err := checkGroupName(in.Name); err != nil {
		return nil, err
	}
	if err := checkGroupFields(in); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	g := &store.Group{PoolID: p.ID, Name: in.Name, Precedence: in.Precedence, CreatedAt: now, UpdatedAt: now}
	if in.Description != nil {
		g.Description = *in.Description
	}
	if in.RoleArn != nil {
		g.RoleArn = *in.RoleArn
	}
	switch err := s.groups.CreateGroup(ctx, g); {
	case errors.Is(err, store.ErrConflict):
		return nil, caused(KindGroupExists, CauseGroupExists, in.Name)
	case errors.Is(err, store.ErrNotFound):
		return nil, caused(KindNotFound, CausePoolNotFound, p.ID) // deleted meanwhile
	case err != nil:
		return nil, internal("create group", err)
	}
	return toGroup(g), nil
}

// GetGroup returns a group.
func (s *Service) GetGroup(ctx context.Context, poolID, name string) (*Group, error) {
	_, g, err := s.poolGroup(ctx, poolID, name)
	if err != nil {
		return nil, err
	}
	return toGroup(g), nil
}

// UpdateGroup changes the members of a group that in gives, and only
// those. Members' tokens show the change from their next refresh on.
func (s *Service) UpdateGroup(ctx context.Context, in GroupInput) (*Group, error) {
	_, g, err := s.poolGroup(ctx, in.PoolID, in.Name)
	if err != nil {
		return nil, err
	}
	if err := checkGroupFields(in); err != nil {
		return nil, err
	}
	if in.Description != nil {
		g.Description = *in.Description
	}
	if in.Precedence != nil {
		g.Precedence = in.Precedence
	}
	if in.RoleArn != nil {
		g.RoleArn = *in.RoleArn
	}
	g.UpdatedAt = s.now().UTC()
	switch err := s.groups.UpdateGroup(ctx, g); {
	case errors.Is(err, store.ErrNotFound):
		return nil, errGroupNotFound(in.Name)
	case err != nil:
		return nil, internal("update group", err)
	}
	return toGroup(g), nil
}

// DeleteGroup deletes a group and its memberships. Tokens already issued
// keep the group; the members' next tokens do not have it.
func (s *Service) DeleteGroup(ctx context.Context, poolID, name string) error {
	p, _, err := s.poolGroup(ctx, poolID, name)
	if err != nil {
		return err
	}
	switch err := s.groups.DeleteGroup(ctx, p.ID, name); {
	case errors.Is(err, store.ErrNotFound):
		return errGroupNotFound(name)
	case err != nil:
		return internal("delete group", err)
	}
	return nil
}

// groupPage checks a Limit (0: the maximum, 60) and decodes a NextToken.
func groupPage(limit int, next string) (int, string, error) {
	if limit == 0 {
		limit = maxGroupListLimit
	}
	if limit < 0 || limit > maxGroupListLimit {
		return 0, "", violation(Violation{Member: "limit", Rule: RuleRange, Value: strconv.Itoa(limit), Shown: true,
			Min: 0, Max: maxGroupListLimit})
	}
	if next == "" {
		return limit, "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(next)
	if err != nil || len(b) == 0 || len(b) > maxGroupPageCursor || !utf8.Valid(b) {
		return 0, "", invalidf("Invalid pagination token")
	}
	return limit, string(b), nil
}

// pageOf cuts rows (read with a limit of limit+1) to limit and returns the
// NextToken that continues after them ("" on the last page).
func pageOf[T any](rows []T, limit int, key func(T) string) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, base64.RawURLEncoding.EncodeToString([]byte(key(rows[len(rows)-1])))
}

// ListGroups pages through a pool's groups by name: at most limit (0 to
// 60; 0 is 60) and the NextToken of the next page ("" on the last).
func (s *Service) ListGroups(ctx context.Context, poolID string, limit int, next string) ([]*Group, string, error) {
	p, err := s.pool(ctx, poolID)
	if err != nil {
		return nil, "", err
	}
	limit, after, err := groupPage(limit, next)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.groups.ListGroups(ctx, p.ID, after, limit+1)
	if err != nil {
		return nil, "", internal("list groups", err)
	}
	rows, tok := pageOf(rows, limit, func(g *store.Group) string { return g.Name })
	out := make([]*Group, 0, len(rows))
	for _, g := range rows {
		out = append(out, toGroup(g))
	}
	return out, tok, nil
}

// membership loads the pool, the user and the group of a membership
// operation: UserNotFoundException for an unknown user,
// ResourceNotFoundException for an unknown group.
func (s *Service) membership(ctx context.Context, poolID, username, group string) (*Pool, *store.User, error) {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return nil, nil, err
	}
	if err := checkGroupName(group); err != nil {
		return nil, nil, err
	}
	if _, err := s.groups.GetGroup(ctx, p.ID, group); errors.Is(err, store.ErrNotFound) {
		return nil, nil, errGroupNotFound(group)
	} else if err != nil {
		return nil, nil, internal("get group", err)
	}
	return p, u, nil
}

// AdminAddUserToGroup adds a user to a group; adding a member again
// changes nothing. The user's next tokens carry the group.
func (s *Service) AdminAddUserToGroup(ctx context.Context, poolID, username, group string) error {
	return auditedErr(ctx, s, EventAdminAddUserToGroup, username, func(ctx context.Context) error {
		p, u, err := s.membership(ctx, poolID, username, group)
		if err != nil {
			return err
		}
		err = s.groups.AddUserToGroup(ctx, p.ID, group, u.Sub)
		if errors.Is(err, store.ErrNotFound) {
			// The user or the group was deleted meanwhile: say which.
			if _, _, err := s.membership(ctx, poolID, username, group); err != nil {
				return err
			}
			return errGroupNotFound(group)
		}
		return internal("add user to group", err)
	})
}

// AdminRemoveUserFromGroup removes a user from a group (a user who is not
// a member stays one of none). The user's next tokens lack the group;
// tokens already issued keep it until they expire.
func (s *Service) AdminRemoveUserFromGroup(ctx context.Context, poolID, username, group string) error {
	return auditedErr(ctx, s, EventAdminRemoveUserFromGroup, username, func(ctx context.Context) error {
		p, u, err := s.membership(ctx, poolID, username, group)
		if err != nil {
			return err
		}
		return internal("remove user from group", s.groups.RemoveUserFromGroup(ctx, p.ID, group, u.Sub))
	})
}

// AdminListGroupsForUser pages through a user's groups by name (Limit and
// NextToken as ListGroups).
func (s *Service) AdminListGroupsForUser(ctx context.Context, poolID, username string, limit int, next string) ([]*Group, string, error) {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return nil, "", err
	}
	limit, after, err := groupPage(limit, next)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.groups.ListGroupsForUser(ctx, p.ID, u.Sub, after, limit+1)
	if err != nil {
		return nil, "", internal("list groups for user", err)
	}
	rows, tok := pageOf(rows, limit, func(g *store.Group) string { return g.Name })
	out := make([]*Group, 0, len(rows))
	for _, g := range rows {
		out = append(out, toGroup(g))
	}
	return out, tok, nil
}

// ListUsersInGroup pages through a group's members by username (Limit and
// NextToken as ListGroups), shown as ListUsers shows users.
func (s *Service) ListUsersInGroup(ctx context.Context, poolID, group string, limit int, next string) ([]*User, string, error) {
	p, _, err := s.poolGroup(ctx, poolID, group)
	if err != nil {
		return nil, "", err
	}
	limit, after, err := groupPage(limit, next)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.groups.ListUsersInGroup(ctx, p.ID, group, after, limit+1)
	if err != nil {
		return nil, "", internal("list users in group", err)
	}
	rows, tok := pageOf(rows, limit, func(u *store.User) string { return u.Username })
	out := make([]*User, 0, len(rows))
	for _, u := range rows {
		out = append(out, s.toUser(u))
	}
	return out, tok, nil
}

// groupClaims are what a user's groups put into tokens.
type groupClaims struct {
	groups        []string // cognito:groups, access and ID tokens
	roles         []string // cognito:roles, ID tokens
	preferredRole string   // cognito:preferred_role, ID tokens
}

// userGroupClaims reads the user's groups (one indexed read) and orders
// them: by Precedence, lowest first, the groups without one after those
// with one, ties by name. cognito:roles lists the distinct role ARNs in
// that order; cognito:preferred_role is the role of the first groups that
// have one, unless groups of the same precedence name different roles
// (then, as in Cognito, there is none).
func (s *Service) userGroupClaims(ctx context.Context, poolID, sub string) (groupClaims, error) {
	rows, err := s.groups.ListGroupsForUser(ctx, poolID, sub, "", 0)
	if err != nil {
		return groupClaims{}, internal("list groups for user", err)
	}
	return claimsOfGroups(rows), nil
}

// claimsOfGroups orders groups for tokens (see userGroupClaims).
func claimsOfGroups(rows []*store.Group) groupClaims {
	var out groupClaims
	if len(rows) == 0 {
		return out
	}
	slices.SortFunc(rows, func(a, b *store.Group) int {
		if c := comparePrecedence(a.Precedence, b.Precedence); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	var preferredAt *store.Group // the first group with a role
	ambiguous := false
	for _, g := range rows {
		out.groups = append(out.groups, g.Name)
		if g.RoleArn == "" {
			continue
		}
		if !slices.Contains(out.roles, g.RoleArn) {
			out.roles = append(out.roles, g.RoleArn)
		}
		switch {
		case preferredAt == nil:
			preferredAt = g
		case comparePrecedence(g.Precedence, preferredAt.Precedence) == 0 && g.RoleArn != preferredAt.RoleArn:
			ambiguous = true
		}
	}
	if preferredAt != nil && !ambiguous {
		out.preferredRole = preferredAt.RoleArn
	}
	return out
}

// comparePrecedence orders precedences: lower first, none last.
func comparePrecedence(a, b *int64) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return cmp.Compare(*a, *b)
}
