package store

import (
	"context"
	"time"
)

// Group is a group of a pool's users. Name is case-sensitive and unique per
// pool. Precedence is nil when the group has none.
type Group struct {
	PoolID      string
	Name        string
	Description string
	Precedence  *int64
	RoleArn     string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Groups stores groups and their memberships. A membership goes with its
// user (DeleteUser), its group (DeleteGroup) and its pool (DeletePool).
type Groups interface {
	// CreateGroup stores a new group: ErrConflict if the pool has a group
	// of that name, ErrNotFound if the pool does not exist.
	CreateGroup(ctx context.Context, g *Group) error
	GetGroup(ctx context.Context, poolID, name string) (*Group, error) // ErrNotFound
	// UpdateGroup replaces the group's Description, Precedence, RoleArn and
	// UpdatedAt: ErrNotFound.
	UpdateGroup(ctx context.Context, g *Group) error
	// DeleteGroup deletes the group and its memberships: ErrNotFound.
	DeleteGroup(ctx context.Context, poolID, name string) error
	// ListGroups returns the pool's groups named after after, ordered by
	// name.
	ListGroups(ctx context.Context, poolID, after string, limit int) ([]*Group, error)
	// AddUserToGroup makes the user (by sub) a member of the group; a
	// member already is one (no error). ErrNotFound if the group or the
	// user is missing, also when either is deleted concurrently: never a
	// membership of a deleted user or group.
	AddUserToGroup(ctx context.Context, poolID, group, sub string) error
	// RemoveUserFromGroup ends the user's membership of the group; it is a
	// no-op (no error) when there is none.
	RemoveUserFromGroup(ctx context.Context, poolID, group, sub string) error
	// ListGroupsForUser returns the groups the user (by sub) belongs to,
	// named after after, ordered by name; none for a missing user. It is
	// one indexed read (the minting path reads it once per token).
	ListGroupsForUser(ctx context.Context, poolID, sub, after string, limit int) ([]*Group, error)
	// ListUsersInGroup returns the group's members with usernames greater
	// than after, ordered by username; none for a missing group.
	ListUsersInGroup(ctx context.Context, poolID, group, after string, limit int) ([]*User, error)
}
