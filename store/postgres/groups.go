package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cognate-dev/cognate/store"
)

const groupCols = `pool_id, name, description, precedence, role_arn, created_at, updated_at`

// groupColsG qualifies groupCols with the alias g.
const groupColsG = `g.pool_id, g.name, g.description, g.precedence, g.role_arn, g.created_at, g.updated_at`

// userColsU is userCols qualified with the alias u (derived, so that a new
// user column cannot be missed here).
var userColsU = prefixCols("u.", userCols)

func scanGroup(row pgx.Row) (*store.Group, error) {
	g := &store.Group{}
	var prec pgtype.Int8
	if err := row.Scan(&g.PoolID, &g.Name, &g.Description, &prec, &g.RoleArn, msTime{&g.CreatedAt}, msTime{&g.UpdatedAt}); err != nil {
		return nil, err
	}
	if prec.Valid {
		g.Precedence = &prec.Int64
	}
	return g, nil
}

// precedenceArg is a group's precedence as a column value (NULL for none).
func precedenceArg(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// CreateGroup implements store.Groups. A missing pool is store.ErrNotFound,
// a name taken in the pool store.ErrConflict.
func (s *Store) CreateGroup(ctx context.Context, g *store.Group) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO user_groups (`+groupCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		g.PoolID, g.Name, g.Description, precedenceArg(g.Precedence), g.RoleArn, ms(g.CreatedAt), ms(g.UpdatedAt))
	return wrap("create group", err)
}

// GetGroup implements store.Groups.
func (s *Store) GetGroup(ctx context.Context, poolID, name string) (*store.Group, error) {
	if unstorable(poolID, name) {
		return nil, notFound("get group")
	}
	g, err := scanGroup(s.pool.QueryRow(ctx, `SELECT `+groupCols+` FROM user_groups WHERE pool_id = $1 AND name = $2`,
		poolID, name))
	if err != nil {
		return nil, wrap("get group", err)
	}
	return g, nil
}

// UpdateGroup implements store.Groups.
func (s *Store) UpdateGroup(ctx context.Context, g *store.Group) error {
	if unstorable(g.PoolID, g.Name) {
		return notFound("update group")
	}
	return s.execOne(ctx, "update group", `UPDATE user_groups SET description = $1, precedence = $2, role_arn = $3,
		updated_at = $4 WHERE pool_id = $5 AND name = $6`,
		g.Description, precedenceArg(g.Precedence), g.RoleArn, ms(g.UpdatedAt), g.PoolID, g.Name)
}

// DeleteGroup implements store.Groups; the memberships go with the group
// (cascade), in the same statement.
func (s *Store) DeleteGroup(ctx context.Context, poolID, name string) error {
	if unstorable(poolID, name) {
		return notFound("delete group")
	}
	return s.execOne(ctx, "delete group", `DELETE FROM user_groups WHERE pool_id = $1 AND name = $2`, poolID, name)
}

// ListGroups implements store.Groups.
func (s *Store) ListGroups(ctx context.Context, poolID, after string, limit int) ([]*store.Group, error) {
	if unstorable(poolID, after) {
		return nil, nil
	}
	return list(ctx, s, "list groups", `SELECT `+groupCols+` FROM user_groups
		WHERE pool_id = $1 AND name > $2 ORDER BY name LIMIT $3`,
		func(r pgx.Rows) (*store.Group, error) { return scanGroup(r) }, poolID, after, limitArg(limit))
}

// AddUserToGroup implements store.Groups with one INSERT: the foreign keys
// refuse a missing group or user (store.ErrNotFound) and lock the rows they
// check against a concurrent delete, and a membership that exists is left
// as it is.
func (s *Store) AddUserToGroup(ctx context.Context, poolID, group, sub string) error {
	if unstorable(poolID, group, sub) {
		return notFound("add user to group")
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO group_members (pool_id, group_name, user_sub) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, poolID, group, sub)
	return wrap("add user to group", err)
}

// RemoveUserFromGroup implements store.Groups.
func (s *Store) RemoveUserFromGroup(ctx context.Context, poolID, group, sub string) error {
	if unstorable(poolID, group, sub) {
		return nil
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM group_members WHERE pool_id = $1 AND group_name = $2 AND user_sub = $3`,
		poolID, group, sub)
	return wrap("remove user from group", err)
}

// ListGroupsForUser implements store.Groups through the group_members_user
// index joined to the groups' primary key.
func (s *Store) ListGroupsForUser(ctx context.Context, poolID, sub, after string, limit int) ([]*store.Group, error) {
	if unstorable(poolID, sub, after) {
		return nil, nil
	}
	return list(ctx, s, "list groups for user", `SELECT `+groupColsG+` FROM group_members m
		JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.group_name
		WHERE m.pool_id = $1 AND m.user_sub = $2 AND m.group_name > $3 ORDER BY m.group_name LIMIT $4`,
		func(r pgx.Rows) (*store.Group, error) { return scanGroup(r) }, poolID, sub, after, limitArg(limit))
}

// ListUsersInGroup implements store.Groups.
func (s *Store) ListUsersInGroup(ctx context.Context, poolID, group, after string, limit int) ([]*store.User, error) {
	if unstorable(poolID, group, after) {
		return nil, nil
	}
	return list(ctx, s, "list users in group", `SELECT `+userColsU+` FROM group_members m
		JOIN users u ON u.pool_id = m.pool_id AND u.sub = m.user_sub
		WHERE m.pool_id = $1 AND m.group_name = $2 AND u.username > $3 ORDER BY u.username LIMIT $4`,
		func(r pgx.Rows) (*store.User, error) { return scanUser(r) }, poolID, group, after, limitArg(limit))
}
