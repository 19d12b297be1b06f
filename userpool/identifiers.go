package userpool

// Sign-in identifiers. A pool signs users in by username, or:
//
//   - with UsernameAttributes (e-mail and/or phone number instead of a
//     username): the username becomes a generated id — the user's sub, as
//     in Cognito — and the e-mail or phone number is the name the user
//     signs in with. It is unique in the pool from sign-up on, verified or
//     not.
//   - with AliasAttributes (e-mail, phone number, preferred_username as
//     well as the username): an alias signs in once it is verified
//     (preferred_username needs no verification), and a verified alias is
//     unique among the pool's users.
//
// Every flow — password, SRP, hosted UI, admin operations, account
// recovery — finds users through findUser, which accepts whichever
// identifier the pool allows. The store keeps the derived aliases in
// User.Aliases, unique per pool, normalized by aliasKey.

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/store"
)

// Alias attributes.
const (
	attrEmail             = "email"
	attrPhone             = "phone_number"
	attrPreferredUsername = "preferred_username"
)

// aliasKey normalizes a sign-in value of an attribute. A case-insensitive
// pool compares every value without case; a case-sensitive one (Cognito's
// default) compares values exactly, as Cognito documents for
// UsernameConfiguration, except an e-mail address's domain, which is
// never case-sensitive.
func aliasKey(p *Pool, attr, value string) string {
	value = strings.TrimSpace(value)
	if !p.Config.caseSensitive() {
		return strings.ToLower(value)
	}
	if at := strings.LastIndexByte(value, '@'); attr == attrEmail && at >= 0 {
		return value[:at] + strings.ToLower(value[at:])
	}
	return value
}

// signInAliases derives the aliases a user row must carry from its
// attributes and the pool's identifier settings.
func signInAliases(p *Pool, attrs map[string]string) map[string]string {
	out := map[string]string{}
	for _, a := range p.Config.UsernameAttributes {
		if v := attrs[a]; v != "" {
			out[a] = aliasKey(p, a, v)
		}
	}
	for _, a := range p.Config.AliasAttributes {
		v := attrs[a]
		if v == "" || (a != attrPreferredUsername && attrs[a+"_verified"] != "true") {
			continue
		}
		out[a] = aliasKey(p, a, v)
	}
	return out
}

// identifierAttribute tells which attribute a sign-in name is a value of,
// by its shape: an e-mail address has an @, a phone number starts with +,
// anything else is a preferred_username (or a username).
func identifierAttribute(name string) string {
	switch {
	case strings.Contains(name, "@"):
		return attrEmail
	case strings.HasPrefix(name, "+"):
		return attrPhone
	}
	return attrPreferredUsername
}

// lookupUser loads the user a caller names: by username (or, in a pool with
// UsernameAttributes, by the generated username, which is the sub), or by
// an alias the pool allows. KindUserNotFound when there is none. Call it
// through findUser, which notes the user in the audit entry.
func (s *Service) lookupUser(ctx context.Context, p *Pool, name string) (*store.User, error) {
	if err := validUsername(name); err != nil {
		return nil, err
	}
	attr := identifierAttribute(name)
	aliasFirst := slices.Contains(p.Config.UsernameAttributes, attr)
	tryAlias := aliasFirst || slices.Contains(p.Config.AliasAttributes, attr)
	if aliasFirst {
		if u, err := s.userByAlias(ctx, p, attr, name); u != nil || err != nil {
			return u, err
		}
	}
	u, err := s.users.GetUser(ctx, p.ID, usernameKey(p, name))
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, internal("get user", err)
	}
	if tryAlias && !aliasFirst {
		if u, err := s.userByAlias(ctx, p, attr, name); u != nil || err != nil {
			return u, err
		}
	}
	return nil, errUserNotFound()
}

// userByAlias looks an alias up; (nil, nil) when nobody has it.
func (s *Service) userByAlias(ctx context.Context, p *Pool, attr, value string) (*store.User, error) {
	u, err := s.users.GetUserByAlias(ctx, p.ID, attr, aliasKey(p, attr, value))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("get user by alias", err)
	}
	return u, nil
}

// newUsername decides a new user's username and completes its attributes:
// in a pool with UsernameAttributes the name given must be an e-mail
// address or phone number the pool allows; it becomes the attribute's
// value, and the username is the sub.
func newUsername(p *Pool, given, sub string, attrs map[string]string) (string, error) {
	if len(p.Config.UsernameAttributes) == 0 {
		if err := validUsername(given); err != nil {
			return "", err
		}
		if strings.Contains(given, "@") && len(p.Config.AliasAttributes) > 0 && slices.Contains(p.Config.AliasAttributes, attrEmail) {
			return "", invalidf("Username cannot be of email format, since user pool is configured for email alias.")
		}
		if strings.HasPrefix(given, "+") && slices.Contains(p.Config.AliasAttributes, attrPhone) {
			return "", invalidf("Username cannot be of phone_number format, since user pool is configured for phone_number alias.")
		}
		return usernameKey(p, given), nil
	}
	attr := identifierAttribute(given)
	if attr == attrPreferredUsername || !slices.Contains(p.Config.UsernameAttributes, attr) {
		switch {
		case slices.Equal(p.Config.UsernameAttributes, []string{attrEmail}):
			return "", invalidf("Username should be an email.")
		case slices.Equal(p.Config.UsernameAttributes, []string{attrPhone}):
			return "", invalidf("Username should be a phone number.")
		}
		return "", invalidf("Username should be either an email or a phone number.")
	}
	if v := attrs[attr]; v != "" && aliasKey(p, attr, v) != aliasKey(p, attr, given) {
		return "", invalidf("The %s attribute differs from the username", attr)
	}
	attrs[attr] = strings.TrimSpace(given)
	return sub, nil
}

// aliasConflict tells a user why an alias cannot be theirs.
func aliasConflict(p *Pool, attr string) *Error {
	if slices.Contains(p.Config.UsernameAttributes, attr) {
		return errorf(KindUserExists, "An account with the given %s already exists.", attr)
	}
	return errorf(KindAliasExists, "An account with the given %s already exists.", attr)
}

// checkAliasesFree refuses aliases another user of the pool holds (the
// store's unique index is the last word under races; this gives the right
// error).
func (s *Service) checkAliasesFree(ctx context.Context, p *Pool, sub string, aliases map[string]string) error {
	for attr, v := range aliases {
		u, err := s.users.GetUserByAlias(ctx, p.ID, attr, v)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return internal("check alias", err)
		}
		if u.Sub != sub {
			return aliasConflict(p, attr)
		}
	}
	return nil
}
