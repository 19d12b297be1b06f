package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/store"
)

const userCols = `pool_id, username, sub, status, enabled, attributes, password_hash, srp_salt, srp_verifier,
	code, code_expires_at, sign_out_gen, created_at, updated_at`

// userDest is where a row of userCols scans to, in userCols' order.
func userDest(u *store.User) []any {
	return []any{&u.PoolID, &u.Username, &u.Sub, &u.Status, &u.Enabled, attrsCol{&u.Attributes},
		&u.PasswordHash, &u.SRPSalt, &u.SRPVerifier, &u.Code, msTime{&u.CodeExpiresAt}, &u.SignOutGen,
		msTime{&u.CreatedAt}, msTime{&u.UpdatedAt}}
}

func scanUser(row pgx.Row) (*store.User, error) {
	u := &store.User{}
	if err := row.Scan(userDest(u)...); err != nil {
		return nil, err
	}
	return u, nil
}

// CreateUser implements store.Users. A missing pool is store.ErrNotFound; a
// username or sub taken in the pool is store.ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	attrs, err := encodeAttrs(u.Attributes)
	if err != nil {
		return wrap("create user", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO users (`+userCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		u.PoolID, u.Username, u.Sub, u.Status, u.Enabled, attrs, u.PasswordHash, u.SRPSalt, u.SRPVerifier,
		u.Code, ms(u.CodeExpiresAt), u.SignOutGen, ms(u.CreatedAt), ms(u.UpdatedAt))
	return wrap("create user", err)
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

// UpdateUser implements store.Users: it replaces every field of the user
// (PoolID, Username) except SignOutGen, which only BumpSignOutGen changes, so
// a concurrent bump is never lost (the UPDATEs queue on the row lock and
// neither writes the other's column). A sub taken by another user of the
// pool is store.ErrConflict; a changed sub carries the user's sessions, web
// sessions and codes along (ON UPDATE CASCADE).
func (s *Store) UpdateUser(ctx context.Context, u *store.User) error {
	if unstorable(u.PoolID, u.Username) {
		return notFound("update user")
	}
	attrs, err := encodeAttrs(u.Attributes)
	if err != nil {
		return wrap("update user", err)
	}
	return s.execOne(ctx, "update user", `UPDATE users SET sub = $1, status = $2, enabled = $3, attributes = $4,
		password_hash = $5, srp_salt = $6, srp_verifier = $7, code = $8, code_expires_at = $9,
		created_at = $10, updated_at = $11
		WHERE pool_id = $12 AND username = $13`,
		u.Sub, u.Status, u.Enabled, attrs, u.PasswordHash, u.SRPSalt, u.SRPVerifier, u.Code, ms(u.CodeExpiresAt),
		ms(u.CreatedAt), ms(u.UpdatedAt), u.PoolID, u.Username)
}

// DeleteUser implements store.Users; the user's sessions, web sessions and
// authorization codes go with it (cascade).
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
// value, and the new value is committed when it is returned.
func (s *Store) BumpSignOutGen(ctx context.Context, poolID, username string) (int64, error) {
	if unstorable(poolID, username) {
		return 0, notFound("bump sign-out generation")
	}
	var gen int64
	err := s.pool.QueryRow(ctx, `UPDATE users SET sign_out_gen = sign_out_gen + 1
		WHERE pool_id = $1 AND username = $2 RETURNING sign_out_gen`, poolID, username).Scan(&gen)
	if err != nil {
		return 0, wrap("bump sign-out generation", err)
	}
	return gen, nil
}
