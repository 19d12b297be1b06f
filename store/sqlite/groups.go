package sqlite

import (
	"context"
	"database/sql"

	"github.com/cognate-dev/cognate/store"
)

const groupCols = `pool_id, name, description, precedence, role_arn, created_at, updated_at`

// groupColsG qualifies groupCols with the alias g.
const groupColsG = `g.pool_id, g.name, g.description, g.precedence, g.role_arn, g.created_at, g.updated_at`

func scanGroup(sc scanner) (*store.Group, error) {
	g := &store.Group{}
	var prec sql.NullInt64
	if err := sc.Scan(&g.PoolID, &g.Name, &g.Description, &prec, &g.RoleArn, msTime{&g.CreatedAt}, msTime{&g.UpdatedAt}); err != nil {
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

// CreateGroup implements store.Groups. A missing pool is store.ErrNotFound.
func (s *Store) CreateGroup(ctx context.Context, g *store.Group) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO user_groups (`+groupCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		g.PoolID, g.Name, g.Description, precedenceArg(g.Precedence), g.RoleArn, ms(g.CreatedAt), ms(g.UpdatedAt))
	return wrap("create group", err)
}

// GetGroup implements store.Groups.
func (s *Store) GetGroup(ctx context.Context, poolID, name string) (*store.Group, error) {
	g, err := scanGroup(s.r.QueryRowContext(ctx, `SELECT `+groupCols+` FROM user_groups WHERE pool_id = ? AND name = ?`, poolID, name))
	if err != nil {
		return nil, wrap("get group", err)
	}
	return g, nil
}

// UpdateGroup implements store.Groups.
func (s *Store) UpdateGroup(ctx context.Context, g *store.Group) error {
	return execOne(ctx, s.w, "update group", `UPDATE user_groups SET description = ?, precedence = ?, role_arn = ?,
		updated_at = ? WHERE pool_id = ? AND name = ?`,
		g.Description, precedenceArg(g.Precedence), g.RoleArn, ms(g.UpdatedAt), g.PoolID, g.Name)
}

// DeleteGroup implements store.Groups; the memberships go with the group
// (cascade), in the same statement.
func (s *Store) DeleteGroup(ctx context.Context, poolID, name string) error {
	return execOne(ctx, s.w, "delete group", `DELETE FROM user_groups WHERE pool_id = ? AND name = ?`, poolID, name)
}

// ListGroups implements store.Groups.
func (s *Store) ListGroups(ctx context.Context, poolID, after string, limit int) ([]*store.Group, error) {
	return s.listGroups(ctx, "list groups", `SELECT `+groupCols+` FROM user_groups
		WHERE pool_id = ? AND name > ? ORDER BY name LIMIT ?`, poolID, after, limitArg(limit))
}

// AddUserToGroup implements store.Groups with one INSERT: the foreign keys
// refuse a missing group or user (store.ErrNotFound), and a membership that
// exists is left as it is.
func (s *Store) AddUserToGroup(ctx context.Context, poolID, group, sub string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO group_members (pool_id, group_name, user_sub) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, poolID, group, sub)
	return wrap("add user to group", err)
}

// RemoveUserFromGroup implements store.Groups.
func (s *Store) RemoveUserFromGroup(ctx context.Context, poolID, group, sub string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM group_members WHERE pool_id = ? AND group_name = ? AND user_sub = ?`,
		poolID, group, sub)
	return wrap("remove user from group", err)
}

// qListGroupsForUser reads a user's groups through the group_members_user
// index joined to the groups' primary key. Every token minted runs it:
// it is prepared once at Open.
var qListGroupsForUser = `SELECT ` + groupColsG + ` FROM group_members m
		JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.group_name
		WHERE m.pool_id = ? AND m.user_sub = ? AND m.group_name > ? ORDER BY m.group_name LIMIT ?`

// ListGroupsForUser implements store.Groups.
func (s *Store) ListGroupsForUser(ctx context.Context, poolID, sub, after string, limit int) ([]*store.Group, error) {
	rows, err := s.listGroupsForUser.QueryContext(ctx, poolID, sub, after, limitArg(limit))
	return collectGroups("list groups for user", rows, err)
}

// ListUsersInGroup implements store.Groups.
func (s *Store) ListUsersInGroup(ctx context.Context, poolID, group, after string, limit int) ([]*store.User, error) {
	const op = "list users in group"
	rows, err := s.r.QueryContext(ctx, `SELECT `+userColsU+` FROM group_members m
		JOIN users u ON u.pool_id = m.pool_id AND u.sub = m.user_sub
		WHERE m.pool_id = ? AND m.group_name = ? AND u.username > ? ORDER BY u.username LIMIT ?`,
		poolID, group, after, limitArg(limit))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []*store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// userColsU is userCols qualified with the alias u (derived, so that a new
// user column cannot be missed here).
var userColsU = prefixCols("u.", userCols)

func (s *Store) listGroups(ctx context.Context, op, q string, args ...any) ([]*store.Group, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	return collectGroups(op, rows, err)
}

// collectGroups reads the groups of a query's rows (err: the query's).
func collectGroups(op string, rows *sql.Rows, err error) ([]*store.Group, error) {
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []*store.Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}
