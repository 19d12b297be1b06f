package userpool

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/store"
)

// User statuses.
const (
	StatusUnconfirmed         = "UNCONFIRMED"
	StatusConfirmed           = "CONFIRMED"
	StatusForceChangePassword = "FORCE_CHANGE_PASSWORD"
)

// Attribute is one user attribute.
type Attribute struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// User is a user as the API shows it.
type User struct {
	Username         string
	Sub              string
	Status           string
	Enabled          bool
	Attributes       []Attribute // sub first, then by name
	CreationDate     time.Time
	LastModifiedDate time.Time
	// PendingCode is the unexpired confirmation code; set only in dev mode.
	PendingCode string
}

func (s *Service) toUser(u *store.User) *User {
	out := &User{Username: u.Username, Sub: u.Sub, Status: u.Status, Enabled: u.Enabled,
		CreationDate: u.CreatedAt, LastModifiedDate: u.UpdatedAt}
	out.Attributes = append(out.Attributes, Attribute{Name: "sub", Value: u.Sub})
	names := make([]string, 0, len(u.Attributes))
	for k := range u.Attributes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		out.Attributes = append(out.Attributes, Attribute{Name: k, Value: u.Attributes[k]})
	}
	if s.devMode && u.Code != "" && s.now().Before(u.CodeExpiresAt) && u.Status == StatusUnconfirmed {
		out.PendingCode = u.Code
	}
	return out
}

// usernameKey applies the pool's case rule to a username.
func usernameKey(p *Pool, username string) string {
	if p.Config.caseSensitive() {
		return username
	}
	return strings.ToLower(username)
}

func validUsername(name string) error {
	if name == "" {
		return required("username")
	}
	if utf8.RuneCountInString(name) > 128 || !utf8.ValidString(name) {
		return violation(Violation{Member: "username", Rule: RuleMaxLength, Max: 128})
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return violation(Violation{Member: "username", Rule: RulePattern, Pattern: `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`})
		}
	}
	return nil
}

// getUser loads a user by username, applying the pool's case rule.
func (s *Service) getUser(ctx context.Context, p *Pool, username string) (*store.User, error) {
	if err := validUsername(username); err != nil {
		return nil, err
	}
	u, err := s.users.GetUser(ctx, p.ID, usernameKey(p, username))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUserNotFound()
	}
	if err != nil {
		return nil, internal("get user", err)
	}
	return u, nil
}

// poolUser loads a pool and one of its users: the prologue of every admin
// operation on a user.
func (s *Service) poolUser(ctx context.Context, poolID, username string) (*Pool, *store.User, error) {
	p, err := s.pool(ctx, poolID)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.getUser(ctx, p, username)
	if err != nil {
		return nil, nil, err
	}
	return p, u, nil
}

// GetUser returns the access token's user.
func (s *Service) GetUser(ctx context.Context, accessToken string) (*User, error) {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	u := s.toUser(pr.user)
	u.PendingCode = ""
	return u, nil
}

// DeleteUser deletes the access token's user, and with it every session.
func (s *Service) DeleteUser(ctx context.Context, accessToken string) error {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return err
	}
	if err := s.users.DeleteUser(ctx, pr.user.PoolID, pr.user.Username); err != nil && !errors.Is(err, store.ErrNotFound) {
		return internal("delete user", err)
	}
	return nil
}

// ChangePassword changes the access token's user's password.
func (s *Service) ChangePassword(ctx context.Context, accessToken, previous, proposed string) error {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return err
	}
	p, err := s.pool(ctx, pr.user.PoolID)
	if err != nil {
		return err
	}
	if !checkPassword(previous, pr.user.PasswordHash) {
		return refused(CauseBadCredentials)
	}
	if err := checkPasswordPolicy(p, proposed); err != nil {
		return err
	}
	u := pr.user
	if err := s.setPassword(u, proposed); err != nil {
		return internal("change password", err)
	}
	u.UpdatedAt = s.now().UTC()
	if err := s.users.UpdateUser(ctx, u); err != nil {
		return internal("change password", err)
	}
	return nil
}

// AdminCreateUserInput is what AdminCreateUser takes.
type AdminCreateUserInput struct {
	PoolID, Username, TemporaryPassword, MessageAction string
	Attributes                                         []Attribute
}

// AdminCreateUser creates a user in FORCE_CHANGE_PASSWORD state.
func (s *Service) AdminCreateUser(ctx context.Context, in AdminCreateUserInput) (*User, error) {
	p, err := s.pool(ctx, in.PoolID)
	if err != nil {
		return nil, err
	}
	if err := validUsername(in.Username); err != nil {
		return nil, err
	}
	if in.MessageAction != "" && in.MessageAction != "SUPPRESS" && in.MessageAction != "RESEND" {
		return nil, violation(Violation{Member: "messageAction", Rule: RuleEnum, Value: in.MessageAction, Shown: true,
			Values: []string{"RESEND", "SUPPRESS"}})
	}
	attrs, err := checkAttributes(in.Attributes)
	if err != nil {
		return nil, err
	}
	temp := in.TemporaryPassword
	if temp == "" {
		temp = randomString(alnum, 10) + "a1A!"
	} else if err := checkPasswordPolicy(p, temp); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	days := p.Config.Policies.PasswordPolicy.TemporaryPasswordValidityDays
	if in.MessageAction == "RESEND" {
		u, err := s.getUser(ctx, p, in.Username)
		if err != nil {
			return nil, err
		}
		if u.Status != StatusForceChangePassword {
			return nil, errorf(KindUserState, "Resend not possible. %s status is not FORCE_CHANGE_PASSWORD", u.Username)
		}
		if err := s.setPassword(u, temp); err != nil {
			return nil, internal("admin create user", err)
		}
		u.CodeExpiresAt, u.UpdatedAt = now.Add(time.Duration(days)*24*time.Hour), now
		if err := s.users.UpdateUser(ctx, u); err != nil {
			return nil, internal("admin create user", err)
		}
		s.logTemp(p.ID, u.Username, temp, in.TemporaryPassword == "")
		return s.toUser(u), nil
	}
	// The temporary password expires: CodeExpiresAt holds that deadline
	// while the user is in FORCE_CHANGE_PASSWORD.
	u := &store.User{PoolID: p.ID, Username: usernameKey(p, in.Username), Sub: newUUID(), Status: StatusForceChangePassword,
		Enabled: true, Attributes: attrs, CodeExpiresAt: now.Add(time.Duration(days) * 24 * time.Hour), CreatedAt: now, UpdatedAt: now}
	if err := s.setPassword(u, temp); err != nil {
		return nil, internal("admin create user", err)
	}
	if err := s.users.CreateUser(ctx, u); errors.Is(err, store.ErrConflict) {
		return nil, errorf(KindUserExists, "User account already exists")
	} else if err != nil {
		return nil, internal("admin create user", err)
	}
	s.logTemp(p.ID, u.Username, temp, in.TemporaryPassword == "")
	return s.toUser(u), nil
}

func (s *Service) logTemp(poolID, username, temp string, generated bool) {
	if s.devMode && generated {
		s.log.Info("temporary password generated (dev mode)", "pool", poolID, "username", username, "temporary_password", temp)
	}
}

// AdminSetUserPassword sets a permanent or temporary password.
func (s *Service) AdminSetUserPassword(ctx context.Context, poolID, username, password string, permanent bool) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	if err := checkPasswordPolicy(p, password); err != nil {
		return err
	}
	if err := s.setPassword(u, password); err != nil {
		return internal("set password", err)
	}
	now := s.now().UTC()
	u.UpdatedAt = now
	if permanent {
		u.Status, u.CodeExpiresAt, u.Code = StatusConfirmed, time.Time{}, ""
	} else {
		u.Status = StatusForceChangePassword
		u.CodeExpiresAt = now.Add(time.Duration(p.Config.Policies.PasswordPolicy.TemporaryPasswordValidityDays) * 24 * time.Hour)
	}
	if err := s.users.UpdateUser(ctx, u); err != nil {
		return internal("set password", err)
	}
	return nil
}

// AdminGetUser returns a user.
func (s *Service) AdminGetUser(ctx context.Context, poolID, username string) (*User, error) {
	_, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return nil, err
	}
	return s.toUser(u), nil
}

// AdminDeleteUser deletes a user and all of their sessions.
func (s *Service) AdminDeleteUser(ctx context.Context, poolID, username string) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	if err := s.users.DeleteUser(ctx, p.ID, u.Username); err != nil {
		return internal("delete user", err)
	}
	return nil
}

// AdminSetUserEnabled disables or enables a user. Disabling also ends every
// session of the user, as Cognito's AdminDisableUser does.
func (s *Service) AdminSetUserEnabled(ctx context.Context, poolID, username string, enabled bool) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	u.Enabled, u.UpdatedAt = enabled, s.now().UTC()
	if err := s.users.UpdateUser(ctx, u); err != nil {
		return internal("set user enabled", err)
	}
	if !enabled {
		if _, err := s.users.BumpSignOutGen(ctx, p.ID, u.Username); err != nil {
			return internal("disable user", err)
		}
	}
	return nil
}
