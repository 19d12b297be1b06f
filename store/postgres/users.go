package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/store"
)

const userCols = `pool_id, username, sub, status, enabled, attributes, password_hash, srp_salt, srp_verifier,
	temp_password_expires_at, sign_out_gen, signed_out_at, version, created_at, updated_at`

// userDest is where a row of userCols scans to, in userCols' order.
func userDest(u *store.User) []any {
	return []any{&u.PoolID, &u.Username, &u.Sub, &u.Status, &u.Enabled, attrsCol{&u.Attributes},
		&u.PasswordHash, &u.SRPSalt, &u.SRPVerifier, msTime{&u.TempPasswordExpiresAt}, &u.SignOutGen,
		msTime{&u.SignedOutAt}, &u.Version, msTime{&u.CreatedAt}, msTime{&u.UpdatedAt}}
}

func scanUser(row pgx.Row) (*store.User, error) {
	u := &store.User{}
	if err := row.Scan(userDest(u)...); err != nil {
		return nil, err
	}
	return u, nil
}

// CreateUser implements store.Users: the new user is version 0 (u.Version
// is ignored, and set). A missing pool is store.ErrNotFound; a username or
// sub taken in the pool is store.ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	attrs, err := encodeAttrs(u.Attributes)
	if err != nil {
		return wrap("create user", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO users (`+userCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $14)`,
		u.PoolID, u.Username, u.Sub, u.Status, u.Enabled, attrs, u.PasswordHash, u.SRPSalt, u.SRPVerifier,
		ms(u.TempPasswordExpiresAt), u.SignOutGen, ms(u.SignedOutAt), ms(u.CreatedAt), ms(u.UpdatedAt))
	if err != nil {
		return wrap("create user", err)
	}
	u.Version = 0
	return nil
}

// GetUser implements store.Users. Attributes is never nil.
func (s *Store) GetUser(ctx context.Context, poolID, username string) (*store.User, error) {
	if unstorable(poolID, username) {
		return nil, notFound("get user")
	}
	u, err := scanUser(s.pool.QueryRow(ctx,
		`SELECT `+userCols+` FROM users WHERE pool_id = $1 AND username = $2`, poolID, username))
	if err != nil {
		return nil, wrap("get user", err)
	}
	return u, nil
}

// GetUserBySub implements store.Users. Attributes is never nil.
func (s *Store) GetUserBySub(ctx context.Context, poolID, sub string) (*store.User, error) {
	if unstorable(poolID, sub) {
		return nil, notFound("get user by sub")
	}
	u, err := scanUser(s.pool.QueryRow(ctx,
		`SELECT `+userCols+` FROM users WHERE pool_id = $1 AND sub = $2`, poolID, sub))
	if err != nil {
		return nil, wrap("get user by sub", err)
	}
	return u, nil
}

// UpdateUser implements store.Users as a compare-and-set on the version:
// one UPDATE ... WHERE version = u.Version, which also increments it, and
// in the same statement (hence the same snapshot) whether the user exists
// at all, to tell a stale version (store.ErrConflict) from a missing user
// (store.ErrNotFound). Concurrent updates from one version queue on the row
// lock, and PostgreSQL re-checks the condition on the row the first one
// committed, so exactly one wins. It replaces every field of the user
// (PoolID, Username) but SignOutGen and SignedOutAt, which only
// BumpSignOutGen writes; a bump increments the version too, so an update
// read before a bump is refused rather than applied on top of it. A sub
// taken by another user of the pool is store.ErrConflict; a changed sub
// carries the user's sessions, web sessions, authorization codes and
// one-time codes along (ON UPDATE CASCADE).
func (s *Store) UpdateUser(ctx context.Context, u *store.User) error {
	const op = "update user"
	if unstorable(u.PoolID, u.Username) {
		return notFound(op)
	}
	attrs, err := encodeAttrs(u.Attributes)
	if err != nil {
		return wrap(op, err)
	}
	var version *int64
	var exists bool
	err = s.pool.QueryRow(ctx, `WITH updated AS (
			UPDATE users SET sub = $1, status = $2, enabled = $3, attributes = $4,
			password_hash = $5, srp_salt = $6, srp_verifier = $7, temp_password_expires_at = $8,
			created_at = $9, updated_at = $10, version = version + 1
			WHERE pool_id = $11 AND username = $12 AND version = $13 RETURNING version
		)
		SELECT (SELECT version FROM updated), EXISTS (SELECT 1 FROM users WHERE pool_id = $11 AND username = $12)`,
		u.Sub, u.Status, u.Enabled, attrs, u.PasswordHash, u.SRPSalt, u.SRPVerifier, ms(u.TempPasswordExpiresAt),
		ms(u.CreatedAt), ms(u.UpdatedAt), u.PoolID, u.Username, u.Version).Scan(&version, &exists)
	switch {
	case err != nil:
		return wrap(op, err)
	case version != nil:
		u.Version = *version
		return nil
	case !exists:
		return notFound(op)
	default:
		return fmt.Errorf("postgres: %s: version %d is stale: %w", op, u.Version, store.ErrConflict)
	}
}

// DeleteUser implements store.Users; the user's sessions, web sessions,
// authorization codes and one-time codes go with it (cascade).
func (s *Store) DeleteUser(ctx context.Context, poolID, username string) error {
	if unstorable(poolID, username) {
		return notFound("delete user")
	}
	return s.execOne(ctx, "delete user", `DELETE FROM users WHERE pool_id = $1 AND username = $2`, poolID, username)
}

// ListUsers implements store.Users: at most limit users (all when limit <= 0)
// of the pool with usernames greater than after, in byte order of username.
func (s *Store) ListUsers(ctx context.Context, poolID, after string, limit int) ([]*store.User, error) {
	if unstorable(poolID) {
		return nil, nil
	}
	return list(ctx, s, "list users",
		`SELECT `+userCols+` FROM users WHERE pool_id = $1 AND username > $2 ORDER BY username LIMIT $3`,
		func(r pgx.Rows) (*store.User, error) { return scanUser(r) }, poolID, after, limitArg(limit))
}

// BumpSignOutGen implements store.Users with one UPDATE ... RETURNING in
// autocommit: concurrent bumps queue on the row lock and each returns its own
// value, and the new value is committed when it is returned. It sets
// SignedOutAt to at and increments the version.
func (s *Store) BumpSignOutGen(ctx context.Context, poolID, username string, at time.Time) (int64, error) {
	const op = "bump sign-out generation"
	if unstorable(poolID, username) {
		return 0, notFound(op)
	}
	var gen int64
	err := s.pool.QueryRow(ctx, `UPDATE users SET sign_out_gen = sign_out_gen + 1, signed_out_at = $3,
		version = version + 1 WHERE pool_id = $1 AND username = $2 RETURNING sign_out_gen`,
		poolID, username, ms(at)).Scan(&gen)
	if err != nil {
		return 0, wrap(op, err)
	}
	return gen, nil
}
