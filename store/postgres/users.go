package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cognate-dev/cognate/store"
)

const userCols = `pool_id, username, sub, status, enabled, attributes, password_hash, srp_salt, srp_verifier,
	temp_password_expires_at, sign_out_gen, signed_out_at, version, created_at, updated_at,
	alias_email, alias_phone, alias_preferred, mfa`

// userDest is where a row of userCols scans to, in userCols' order.
func userDest(u *store.User) []any {
	return []any{&u.PoolID, &u.Username, &u.Sub, &u.Status, &u.Enabled, attrsCol{&u.Attributes},
		&u.PasswordHash, &u.SRPSalt, &u.SRPVerifier, msTime{&u.TempPasswordExpiresAt}, &u.SignOutGen,
		msTime{&u.SignedOutAt}, &u.Version, msTime{&u.CreatedAt}, msTime{&u.UpdatedAt},
		aliasCol{&u.Aliases, "email"}, aliasCol{&u.Aliases, "phone_number"},
		aliasCol{&u.Aliases, "preferred_username"}, &u.MFA}
}

func scanUser(row pgx.Row) (*store.User, error) {
	u := &store.User{}
	if err := row.Scan(userDest(u)...); err != nil {
		return nil, err
	}
	return u, nil
}

// CreateUser implements store.Users: the new user is version 0 (u.Version
// is ignored, and set). A missing pool is store.ErrNotFound; a username,
// sub or alias taken in the pool is store.ErrConflict; an Aliases key other
// than the three alias attributes is an error.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	attrs, err := encodeAttrs(u.Attributes)
	if err != nil {
		return wrap("create user", err)
	}
	email, phone, preferred, err := aliasArgs(u.Aliases)
	if err != nil {
		return wrap("create user", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO users (`+userCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $14, $15, $16, $17, $18)`,
		u.PoolID, u.Username, u.Sub, u.Status, u.Enabled, attrs, u.PasswordHash, u.SRPSalt, u.SRPVerifier,
		ms(u.TempPasswordExpiresAt), u.SignOutGen, ms(u.SignedOutAt), ms(u.CreatedAt), ms(u.UpdatedAt),
		email, phone, preferred, u.MFA)
	if err != nil {
		return wrap("create user", err)
	}
	u.Version = 0
	return nil
}

// GetUser implements store.Users. Attributes and Aliases are never nil.
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

// GetUserBySub implements store.Users. Attributes and Aliases are never nil.
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

// aliasColumns maps the alias attributes to their columns.
var aliasColumns = map[string]string{
	"email":              "alias_email",
	"phone_number":       "alias_phone",
	"preferred_username": "alias_preferred",
}

// qGetUserByAlias is GetUserByAlias's query for each alias attribute: an
// equality on the column, which the planner knows implies the partial
// unique index's "column IS NOT NULL", so the index serves it.
var qGetUserByAlias = func() map[string]string {
	q := make(map[string]string, len(aliasColumns))
	for attr, col := range aliasColumns {
		q[attr] = `SELECT ` + userCols + ` FROM users WHERE pool_id = $1 AND ` + col + ` = $2`
	}
	return q
}()

// GetUserByAlias implements store.Users through the partial unique index
// of the attribute's column. An attribute that is not an alias, an empty
// value or a key that TEXT cannot hold names no user: store.ErrNotFound.
// Values are compared byte for byte (normalizing is the caller's business).
// Attributes and Aliases are never nil.
func (s *Store) GetUserByAlias(ctx context.Context, poolID, attr, value string) (*store.User, error) {
	const op = "get user by alias"
	q, ok := qGetUserByAlias[attr]
	if !ok || value == "" || unstorable(poolID, value) {
		return nil, notFound(op)
	}
	u, err := scanUser(s.pool.QueryRow(ctx, q, poolID, value))
	if err != nil {
		return nil, wrap(op, err)
	}
	return u, nil
}

// aliasArgs spreads an Aliases map over the three alias columns (NULL for a
// missing or empty value), refusing attributes that have no column.
func aliasArgs(m map[string]string) (email, phone, preferred any, err error) {
	for k := range m {
		if _, ok := aliasColumns[k]; !ok {
			return nil, nil, nil, fmt.Errorf("%q is not an alias attribute", k)
		}
	}
	val := func(k string) any {
		if v := m[k]; v != "" {
			return v
		}
		return nil
	}
	return val("email"), val("phone_number"), val("preferred_username"), nil
}

// aliasCol decodes one alias column into an Aliases map, NULL being no
// entry: a scan destination for a nullable TEXT column
// (pgtype.TextScanner). The map it yields is never nil.
type aliasCol struct {
	m   *map[string]string
	key string
}

// ScanText implements pgtype.TextScanner.
func (a aliasCol) ScanText(v pgtype.Text) error {
	if *a.m == nil {
		*a.m = map[string]string{}
	}
	if v.Valid {
		(*a.m)[a.key] = v.String
	}
	return nil
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
// or alias taken by another user of the pool is store.ErrConflict (an alias
// is freed by the update that drops it); an Aliases key other than the
// three alias attributes is an error; a changed sub
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
	email, phone, preferred, err := aliasArgs(u.Aliases)
	if err != nil {
		return wrap(op, err)
	}
	var version *int64
	var exists bool
	err = s.pool.QueryRow(ctx, `WITH updated AS (
			UPDATE users SET sub = $1, status = $2, enabled = $3, attributes = $4,
			password_hash = $5, srp_salt = $6, srp_verifier = $7, temp_password_expires_at = $8,
			created_at = $9, updated_at = $10, alias_email = $14, alias_phone = $15, alias_preferred = $16,
			mfa = $17, version = version + 1
			WHERE pool_id = $11 AND username = $12 AND version = $13 RETURNING version
		)
		SELECT (SELECT version FROM updated), EXISTS (SELECT 1 FROM users WHERE pool_id = $11 AND username = $12)`,
		u.Sub, u.Status, u.Enabled, attrs, u.PasswordHash, u.SRPSalt, u.SRPVerifier, ms(u.TempPasswordExpiresAt),
		ms(u.CreatedAt), ms(u.UpdatedAt), u.PoolID, u.Username, u.Version,
		email, phone, preferred, u.MFA).Scan(&version, &exists)
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
// authorization codes and one-time codes go with it (cascade), and the same
// statement appends the revocation event.
func (s *Store) DeleteUser(ctx context.Context, poolID, username string) error {
	if unstorable(poolID, username) {
		return notFound("delete user")
	}
	var n int
	err := s.pool.QueryRow(ctx, `WITH gone AS (
			DELETE FROM users WHERE pool_id = $1 AND username = $2 RETURNING pool_id, sub
		),
		`+feedAppend("gone", "kind, id, deleted, reason, at", "'user', s.sub, true, $3, $4")+`
		SELECT count(*) FROM gone`, poolID, username, store.ReasonUserDeleted, time.Now().UnixMilli()).Scan(&n)
	if err != nil {
		return wrap("delete user", err)
	}
	if n == 0 {
		return notFound("delete user")
	}
	return nil
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
// SignedOutAt to at and increments the version; the same statement appends
// the revocation event.
func (s *Store) BumpSignOutGen(ctx context.Context, poolID, username string, at time.Time, reason string) (int64, error) {
	const op = "bump sign-out generation"
	if unstorable(poolID, username) {
		return 0, notFound(op)
	}
	var gen int64
	err := s.pool.QueryRow(ctx, `WITH bumped AS (
			UPDATE users SET sign_out_gen = sign_out_gen + 1, signed_out_at = $3,
			version = version + 1 WHERE pool_id = $1 AND username = $2 RETURNING pool_id, sub, sign_out_gen
		),
		`+feedAppend("bumped", "kind, id, gen, reason, at", "'user', s.sub, s.sign_out_gen, $4, $5")+`
		SELECT sign_out_gen FROM bumped`,
		poolID, username, ms(at), reason, at.UnixMilli()).Scan(&gen)
	if err != nil {
		return 0, wrap(op, err)
	}
	return gen, nil
}
