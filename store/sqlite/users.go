package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/store"
)

const userCols = `pool_id, username, sub, status, enabled, attributes, password_hash, srp_salt, srp_verifier,
	temp_password_expires_at, sign_out_gen, signed_out_at, version, created_at, updated_at,
	alias_email, alias_phone, alias_preferred, mfa`

const (
	qGetUser      = `SELECT ` + userCols + ` FROM users WHERE pool_id = ? AND username = ?`
	qGetUserBySub = `SELECT ` + userCols + ` FROM users WHERE pool_id = ? AND sub = ?`
)

// userDest is where a row of userCols scans to, in userCols' order.
func userDest(u *store.User) []any {
	return []any{&u.PoolID, &u.Username, &u.Sub, &u.Status, &u.Enabled, attrsCol{&u.Attributes},
		&u.PasswordHash, &u.SRPSalt, &u.SRPVerifier, msTime{&u.TempPasswordExpiresAt}, &u.SignOutGen,
		msTime{&u.SignedOutAt}, &u.Version, msTime{&u.CreatedAt}, msTime{&u.UpdatedAt},
		aliasCol{&u.Aliases, "email"}, aliasCol{&u.Aliases, "phone_number"}, aliasCol{&u.Aliases, "preferred_username"}, &u.MFA}
}

func scanUser(sc scanner) (*store.User, error) {
	u := &store.User{}
	if err := sc.Scan(userDest(u)...); err != nil {
		return nil, err
	}
	return u, nil
}

// CreateUser implements store.Users. A missing pool is store.ErrNotFound.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	attrs, err := encodeAttrs(u.Attributes)
	if err != nil {
		return wrap("create user", err)
	}
	email, phone, preferred, err := aliasArgs(u.Aliases)
	if err != nil {
		return wrap("create user", err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO users (`+userCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)`,
		u.PoolID, u.Username, u.Sub, u.Status, u.Enabled, attrs, u.PasswordHash, u.SRPSalt, u.SRPVerifier,
		ms(u.TempPasswordExpiresAt), u.SignOutGen, ms(u.SignedOutAt), ms(u.CreatedAt), ms(u.UpdatedAt),
		email, phone, preferred, u.MFA)
	if err == nil {
		u.Version = 0
	}
	return wrap("create user", err)
}

// GetUser implements store.Users. Attributes is never nil.
func (s *Store) GetUser(ctx context.Context, poolID, username string) (*store.User, error) {
	u, err := scanUser(s.getUser.QueryRowContext(ctx, poolID, username))
	if err != nil {
		return nil, wrap("get user", err)
	}
	return u, nil
}

// GetUserBySub implements store.Users. Attributes is never nil.
func (s *Store) GetUserBySub(ctx context.Context, poolID, sub string) (*store.User, error) {
	u, err := scanUser(s.getUserBySub.QueryRowContext(ctx, poolID, sub))
	if err != nil {
		return nil, wrap("get user by sub", err)
	}
	return u, nil
}

// UpdateUser implements store.Users as one conditional UPDATE on the
// version: of concurrent updates from the same version exactly one wins. A
// sub taken by another user of the pool is store.ErrConflict.
func (s *Store) UpdateUser(ctx context.Context, u *store.User) error {
	const op = "update user"
	attrs, err := encodeAttrs(u.Attributes)
	if err != nil {
		return wrap(op, err)
	}
	email, phone, preferred, err := aliasArgs(u.Aliases)
	if err != nil {
		return wrap(op, err)
	}
	var version int64
	err = s.inTx(ctx, op, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE users SET sub = ?, status = ?, enabled = ?, attributes = ?,
			password_hash = ?, srp_salt = ?, srp_verifier = ?, temp_password_expires_at = ?,
			created_at = ?, updated_at = ?, alias_email = ?, alias_phone = ?, alias_preferred = ?, mfa = ?, version = version + 1
			WHERE pool_id = ? AND username = ? AND version = ? RETURNING version`,
			u.Sub, u.Status, u.Enabled, attrs, u.PasswordHash, u.SRPSalt, u.SRPVerifier, ms(u.TempPasswordExpiresAt),
			ms(u.CreatedAt), ms(u.UpdatedAt), email, phone, preferred, u.MFA, u.PoolID, u.Username, u.Version).Scan(&version)
		if !errors.Is(err, sql.ErrNoRows) {
			return wrap(op, err)
		}
		// Tell a missing user from a stale version.
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE pool_id = ? AND username = ?`, u.PoolID, u.Username).Scan(&one); err != nil {
			return wrap(op, err)
		}
		return fmt.Errorf("sqlite: %s: version %d is stale: %w", op, u.Version, store.ErrConflict)
	})
	if err != nil {
		return err
	}
	u.Version = version
	return nil
}

// GetUserByAlias implements store.Users through the unique partial index
// of the alias's column.
func (s *Store) GetUserByAlias(ctx context.Context, poolID, attr, value string) (*store.User, error) {
	col, ok := aliasColumns[attr]
	if !ok || value == "" {
		return nil, fmt.Errorf("sqlite: get user by alias: %q is not an alias attribute: %w", attr, store.ErrNotFound)
	}
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE pool_id = ? AND `+col+` = ?`, poolID, value))
	if err != nil {
		return nil, wrap("get user by alias", err)
	}
	return u, nil
}

// aliasColumns maps alias attributes to their columns.
var aliasColumns = map[string]string{"email": "alias_email", "phone_number": "alias_phone", "preferred_username": "alias_preferred"}

// aliasArgs spreads an Aliases map over the three alias columns (NULL for
// none), refusing attributes that have no column.
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

// aliasCol scans one alias column into an Aliases map (NULL: no entry). The
// map it yields is never nil.
type aliasCol struct {
	m   *map[string]string
	key string
}

// Scan implements sql.Scanner.
func (a aliasCol) Scan(src any) error {
	if *a.m == nil {
		*a.m = map[string]string{}
	}
	switch v := src.(type) {
	case nil:
	case string:
		(*a.m)[a.key] = v
	case []byte:
		(*a.m)[a.key] = string(v)
	default:
		return fmt.Errorf("alias column holds %T, want text", src)
	}
	return nil
}

// DeleteUser implements store.Users; the user's sessions go with it
// (cascade), and the revocation event is appended in the same transaction.
func (s *Store) DeleteUser(ctx context.Context, poolID, username string) error {
	const op = "delete user"
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		var sub string
		err := tx.QueryRowContext(ctx, `DELETE FROM users WHERE pool_id = ? AND username = ? RETURNING sub`,
			poolID, username).Scan(&sub)
		if err != nil {
			return wrap(op, err)
		}
		return appendRevocation(ctx, tx, &store.RevocationEvent{PoolID: poolID, Kind: store.RevocationUser, ID: sub,
			Deleted: true, Reason: store.ReasonUserDeleted, At: time.Now()})
	})
}

// ListUsers implements store.Users: at most limit users (all when limit <= 0)
// of the pool with usernames greater than after, in byte order of username.
func (s *Store) ListUsers(ctx context.Context, poolID, after string, limit int) ([]*store.User, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+userCols+` FROM users WHERE pool_id = ? AND username > ? ORDER BY username LIMIT ?`,
		poolID, after, limitArg(limit))
	if err != nil {
		return nil, wrap("list users", err)
	}
	defer rows.Close()
	var out []*store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, wrap("list users", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list users", err)
	}
	return out, nil
}

// BumpSignOutGen implements store.Users. The increment is a single UPDATE in
// the writer's transaction, with the revocation event; the new value is
// returned once it is committed.
func (s *Store) BumpSignOutGen(ctx context.Context, poolID, username string, at time.Time, reason string) (int64, error) {
	const op = "bump sign-out generation"
	var gen int64
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		var sub string
		err := tx.QueryRowContext(ctx, `UPDATE users SET sign_out_gen = sign_out_gen + 1, signed_out_at = ?,
			version = version + 1 WHERE pool_id = ? AND username = ? RETURNING sign_out_gen, sub`, ms(at), poolID, username).Scan(&gen, &sub)
		if err != nil {
			return wrap(op, err)
		}
		return appendRevocation(ctx, tx, &store.RevocationEvent{PoolID: poolID, Kind: store.RevocationUser, ID: sub,
			Gen: gen, Reason: reason, At: at})
	})
	if err != nil {
		return 0, err
	}
	return gen, nil
}
