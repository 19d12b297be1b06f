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
	// MFASettings are the MFA factors the user enabled (UserMFASettingList)
	// and PreferredMFA the preferred one (PreferredMfaSetting), if any.
	MFASettings  []string
	PreferredMFA string
}

func (s *Service) toUser(u *store.User) *User {
	out := &User{Username: u.Username, Sub: u.Sub, Status: u.Status, Enabled: u.Enabled,
		CreationDate: u.CreatedAt, LastModifiedDate: u.UpdatedAt}
	out.MFASettings, out.PreferredMFA = userMFASettings(u)
	out.Attributes = append(out.Attributes, Attribute{Name: "sub", Value: u.Sub})
	names := make([]string, 0, len(u.Attributes))
	for k := range u.Attributes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		out.Attributes = append(out.Attributes, Attribute{Name: k, Value: u.Attributes[k]})
	}
	return out
}

// updateUser writes a change to a user with a compare-and-set on the row's
// version. When another write won in between, it reads the row again and
// applies the change again, so no write is ever lost — and the change,
// which sees the fresh row each time, may refuse (its error is returned).
// Anything slow (password hashing) must happen before, never inside.
func (s *Service) updateUser(ctx context.Context, u *store.User, change func(*store.User) error) (*store.User, error) {
	for range 8 {
		if err := change(u); err != nil {
			return nil, err
		}
		u.UpdatedAt = s.now().UTC()
		err := s.users.UpdateUser(ctx, u)
		switch {
		case err == nil:
			return u, nil
		case errors.Is(err, store.ErrNotFound):
			return nil, errUserNotFound()
		case !errors.Is(err, store.ErrConflict):
			return nil, internal("update user", err)
		}
		fresh, err := s.users.GetUser(ctx, u.PoolID, u.Username)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errUserNotFound()
		}
		if err != nil {
			return nil, internal("update user", err)
		}
		u = fresh
	}
	return nil, errorf(KindConflict, "the user is being changed concurrently; try again")
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

// poolUser loads a pool and one of its users: the prologue of every admin
// operation on a user.
func (s *Service) poolUser(ctx context.Context, poolID, username string) (*Pool, *store.User, error) {
	p, err := s.pool(ctx, poolID)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.findUser(ctx, p, username)
	if err != nil {
		return nil, nil, err
	}
	return p, u, nil
}

// GetUser returns the access token's user.
func (s *Service) GetUser(ctx context.Context, accessToken string) (*User, error) {
	pr, err := s.authenticateToRead(ctx, accessToken, AdminScope)
	if err != nil {
		return nil, err
	}
	u := s.toUser(pr.user)
	u.PendingCode = ""
	return u, nil
}

// deleteUser deletes the access token's user, and with it every session.
func (s *Service) deleteUser(ctx context.Context, accessToken string) error {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return err
	}
	if err := s.users.DeleteUser(ctx, pr.user.PoolID, pr.user.Username); err != nil && !errors.Is(err, store.ErrNotFound) {
		return internal("delete user", err)
	}
	s.feed.committed(pr.user.PoolID)
	return nil
}

// changePassword changes the access token's user's password. A wrong
// previous password counts against the user in the sign-in throttle. The
// write re-checks, atomically with it, that the token's family still lives
// (not disabled, not signed out) and that the password is still the one
// proven: a change that raced an admin's disable or password reset loses.
func (s *Service) changePassword(ctx context.Context, accessToken, previous, proposed string) error {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return err
	}
	p, err := s.pool(ctx, pr.user.PoolID)
	if err != nil {
		return err
	}
	if err := checkPasswordPolicy(p, proposed); err != nil {
		return err
	}
	attempt, err := s.claimSignIn(ctx, p.ID, pr.user.Username)
	if err != nil {
		return err
	}
	proven := pr.user.PasswordHash
	ok, err := s.verify(ctx, previous, proven)
	if err != nil {
		attempt.abandoned(ctx)
		return err
	}
	if !ok {
		attempt.failed(ctx)
		return refused(CauseBadCredentials)
	}
	attempt.succeeded(ctx)
	secrets, err := s.secrets(ctx, p.ID, pr.user.Username, proposed)
	if err != nil {
		return err
	}
	_, err = s.updateUser(ctx, pr.user, func(u *store.User) error {
		if r := sessionFamily(pr.sess, u).liveness(s.now()); r.endsAccessTokens() {
			return accessRefusal(r)
		}
		if u.PasswordHash != proven {
			return refused(CauseBadCredentials) // changed since it was proven
		}
		secrets.apply(u)
		return nil
	})
	return err
}

// AdminCreateUserInput is what AdminCreateUser takes.
type AdminCreateUserInput struct {
	PoolID, Username, TemporaryPassword, MessageAction string
	Attributes                                         []Attribute
	// DesiredDeliveryMediums are where the invitation goes: EMAIL and/or
	// SMS (Cognito's default is SMS).
	DesiredDeliveryMediums []string
	ForceAliasCreation     bool
}

// adminCreateUser creates a user in FORCE_CHANGE_PASSWORD state with a
// temporary password (generated unless given), and sends the invitation
// unless MessageAction is SUPPRESS; RESEND sends it again with a new
// temporary password.
func (s *Service) adminCreateUser(ctx context.Context, in AdminCreateUserInput) (*User, error) {
	p, err := s.pool(ctx, in.PoolID)
	if err != nil {
		return nil, err
	}
	if in.Username == "" {
		return nil, required("username")
	}
	if in.MessageAction != "" && in.MessageAction != "SUPPRESS" && in.MessageAction != "RESEND" {
		return nil, violation(Violation{Member: "messageAction", Rule: RuleEnum, Value: in.MessageAction, Shown: true,
			Values: []string{"RESEND", "SUPPRESS"}})
	}
	for _, m := range in.DesiredDeliveryMediums {
		if m != "EMAIL" && m != "SMS" {
			return nil, violation(Violation{Member: "desiredDeliveryMediums", Rule: RuleEnum, Value: "[" + m + "]", Shown: true,
				Values: []string{"SMS", "EMAIL"}})
		}
	}
	temp := in.TemporaryPassword
	if temp == "" {
		temp = randomString(alnum, 10) + "a1A!"
	} else if err := checkPasswordPolicy(p, temp); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	deadline := now.Add(time.Duration(p.Config.Policies.PasswordPolicy.TemporaryPasswordValidityDays) * 24 * time.Hour)
	if in.MessageAction == "RESEND" {
		u, err := s.findUser(ctx, p, in.Username)
		if err != nil {
			return nil, err
		}
		secrets, err := s.secrets(ctx, p.ID, u.Username, temp)
		if err != nil {
			return nil, err
		}
		u, err = s.updateUser(ctx, u, func(u *store.User) error {
			if u.Status != StatusForceChangePassword {
				return errorf(KindUserState, "Resend not possible. %s status is not FORCE_CHANGE_PASSWORD", u.Username)
			}
			secrets.apply(u)
			u.TempPasswordExpiresAt = deadline
			return nil
		})
		if err != nil {
			return nil, err
		}
		if err := s.invite(ctx, p, u, temp, in.DesiredDeliveryMediums); err != nil {
			return nil, err
		}
		return s.toUser(u), nil
	}
	attrs := attributeMap(in.Attributes)
	sub := newUUID()
	name, err := newUsername(p, in.Username, sub, attrs)
	if err != nil {
		return nil, err
	}
	if err := p.checkValues(attrs, checkCreate, false); err != nil {
		return nil, err
	}
	// PreSignUp may verify the addresses; an administrator's user is never
	// confirmed by it (the user sets a password first).
	if _, err := s.preSignUp(ctx, p, sourcePreSignUpAdminCreateUser, adminClientID, name, attrs); err != nil {
		return nil, err
	}
	aliases := signInAliases(p, attrs)
	if in.ForceAliasCreation {
		if err := s.takeAliases(ctx, p, sub, aliases); err != nil {
			return nil, err
		}
	} else if err := s.checkAliasesFree(ctx, p, sub, aliases); err != nil {
		return nil, err
	}
	secrets, err := s.secrets(ctx, p.ID, name, temp)
	if err != nil {
		return nil, err
	}
	u := &store.User{PoolID: p.ID, Username: name, Sub: sub, Status: StatusForceChangePassword, Enabled: true,
		Attributes: attrs, Aliases: aliases, TempPasswordExpiresAt: deadline, CreatedAt: now, UpdatedAt: now}
	secrets.apply(u)
	if err := s.users.CreateUser(ctx, u); errors.Is(err, store.ErrConflict) {
		if err := s.checkAliasesFree(ctx, p, sub, aliases); err != nil {
			return nil, err
		}
		return nil, errorf(KindUserExists, "User account already exists")
	} else if err != nil {
		return nil, internal("admin create user", err)
	}
	if in.MessageAction != "SUPPRESS" {
		if err := s.invite(ctx, p, u, temp, in.DesiredDeliveryMediums); err != nil {
			return nil, err
		}
	}
	return s.toUser(u), nil
}

// invite sends the invitation with the temporary password to each desired
// medium the user has an address for. The user exists whatever happens to
// the message, and RESEND sends it again. A delivery failure is logged; a
// failing CustomMessage function (or a body it answers without the code)
// is the caller's error, as in Cognito, which answers AdminCreateUser with
// the function's error though the user was created.
func (s *Service) invite(ctx context.Context, p *Pool, u *store.User, temp string, mediums []string) error {
	if len(mediums) == 0 {
		mediums = []string{"SMS"}
	}
	for _, m := range mediums {
		attr := attrPhone
		if m == "EMAIL" {
			attr = attrEmail
		}
		v := u.Attributes[attr]
		if v == "" {
			continue
		}
		if err := s.sendInvitation(ctx, p, u, destinationFor(attr, v), temp); err != nil {
			s.log.Warn("invitation not sent", "pool", p.ID, "sub", u.Sub, "medium", m, "err", err)
			if !IsKind(err, KindDeliveryFailed) {
				return err
			}
		}
	}
	return nil
}

// adminSetUserPassword sets a permanent or temporary password.
func (s *Service) adminSetUserPassword(ctx context.Context, poolID, username, password string, permanent bool) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	if err := checkPasswordPolicy(p, password); err != nil {
		return err
	}
	secrets, err := s.secrets(ctx, p.ID, u.Username, password)
	if err != nil {
		return err
	}
	deadline := s.now().UTC().Add(time.Duration(p.Config.Policies.PasswordPolicy.TemporaryPasswordValidityDays) * 24 * time.Hour)
	_, err = s.updateUser(ctx, u, func(u *store.User) error {
		secrets.apply(u)
		if permanent {
			u.Status, u.TempPasswordExpiresAt = StatusConfirmed, time.Time{}
		} else {
			u.Status, u.TempPasswordExpiresAt = StatusForceChangePassword, deadline
		}
		return nil
	})
	return err
}

// AdminGetUser returns a user.
func (s *Service) AdminGetUser(ctx context.Context, poolID, username string) (*User, error) {
	_, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return nil, err
	}
	out := s.toUser(u)
	if s.devMode && u.Status == StatusUnconfirmed {
		out.PendingCode = s.pendingCode(ctx, u, purposeSignUp)
	}
	return out, nil
}

// adminDeleteUser deletes a user and all of their sessions.
func (s *Service) adminDeleteUser(ctx context.Context, poolID, username string) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	if err := s.users.DeleteUser(ctx, p.ID, u.Username); err != nil {
		return internal("delete user", err)
	}
	s.feed.committed(p.ID)
	return nil
}

// adminSetUserEnabled disables or enables a user. Disabling also ends every
// session of the user, as Cognito's AdminDisableUser does.
func (s *Service) adminSetUserEnabled(ctx context.Context, poolID, username string, enabled bool) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	if _, err := s.updateUser(ctx, u, func(u *store.User) error {
		u.Enabled = enabled
		return nil
	}); err != nil {
		return err
	}
	if !enabled {
		// After the disable is committed: a session created in between is
		// refused for the disabled user, and ended here for good.
		if _, err := s.users.BumpSignOutGen(ctx, p.ID, u.Username, s.now().UTC(), string(ReasonUserDisabled)); err != nil {
			return internal("disable user", err)
		}
		s.feed.committed(p.ID)
		s.log.Info("user disabled: every session ended", "pool", p.ID, "sub", u.Sub, "reason", string(ReasonSignedOut))
		s.observer.UserSignedOut(string(ReasonUserDisabled))
	}
	return nil
}
