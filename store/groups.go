package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
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

// DecodeMintGroups reads the groups GetSessionForMint's statement returns
// as one JSON array of [name, precedence or null, role_arn] triples: the
// SQL stores build it so that a refresh reads its groups in the same
// statement as its session. The result is ordered by name; nil for "[]".
func DecodeMintGroups(poolID string, raw []byte) ([]*Group, error) {
	var rows [][3]json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, fmt.Errorf("decode groups: %w", err)
	}
	var out []*Group
	for _, r := range rows {
		g := &Group{PoolID: poolID}
		if err := json.Unmarshal(r[0], &g.Name); err != nil {
			return nil, fmt.Errorf("decode group name: %w", err)
		}
		if err := json.Unmarshal(r[1], &g.Precedence); err != nil {
			return nil, fmt.Errorf("decode group precedence: %w", err)
		}
		if err := json.Unmarshal(r[2], &g.RoleArn); err != nil {
			return nil, fmt.Errorf("decode group role: %w", err)
		}
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *Group) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
