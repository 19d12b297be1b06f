package userpool

// Changing, deleting and verifying user attributes, by the user (with an
// access token) and by administrators. A changed e-mail address or phone
// number is unverified until the user confirms it with a code, which is
// sent when the pool verifies that attribute; with
// AttributesRequireVerificationBeforeUpdate the old value stays until the
// new one is confirmed. Sign-in aliases follow the verified values.

import (
	"context"
	"errors"
	"maps"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/store"
)

// AttributeVerificationCodeValidity is how long an attribute verification
// code works.
const AttributeVerificationCodeValidity = 24 * time.Hour

// verifyPurpose is the code purpose of verifying attr.
func verifyPurpose(attr string) string { return "verify:" + attr }

// pendingSend is a verification code to send once an update is written.
type pendingSend struct {
	d    destination
	data []byte // the new value waiting for verification, when the old one stays
}

// UpdateUserAttributes changes the access token's user's attributes. It
// returns where verification codes went.
func (s *Service) UpdateUserAttributes(ctx context.Context, accessToken string, attrs []Attribute) ([]*CodeDelivery, error) {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	p, err := s.pool(ctx, pr.user.PoolID)
	if err != nil {
		return nil, err
	}
	return s.updateAttributes(ctx, p, pr.user, attrs, false)
}

// adminUpdateUserAttributes changes a user's attributes as an
// administrator, who may also set email_verified and phone_number_verified.
func (s *Service) adminUpdateUserAttributes(ctx context.Context, poolID, username string, attrs []Attribute) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	_, err = s.updateAttributes(ctx, p, u, attrs, true)
	return err
}

// updateAttributes applies an attribute update and sends the verification
// codes it calls for.
func (s *Service) updateAttributes(ctx context.Context, p *Pool, u *store.User, attrs []Attribute, admin bool) ([]*CodeDelivery, error) {
	if len(attrs) == 0 {
		return nil, required("userAttributes")
	}
	changes := make(map[string]string, len(attrs))
	for _, a := range attrs {
		if !admin && strings.HasSuffix(a.Name, "_verified") {
			return nil, errorf(KindNotAuthorized, "A client attempted to write unauthorized attribute")
		}
		changes[a.Name] = a.Value
	}
	if err := p.checkValues(changes, checkUpdate, !admin); err != nil {
		return nil, err
	}
	var sends []pendingSend
	updated, err := s.updateUser(ctx, u, func(u *store.User) error {
		sends = sends[:0]
		next := maps.Clone(u.Attributes)
		for name, v := range changes {
			next[name] = v
		}
		for _, attr := range []string{attrEmail, attrPhone} {
			v, changed := changes[attr]
			if !changed || v == u.Attributes[attr] {
				continue
			}
			if admin && changes[attr+"_verified"] == "true" {
				continue // an administrator vouches for the new value
			}
			autoVerified := p.Config.autoVerifies(attr)
			if autoVerified && p.Config.verifyBeforeUpdate(attr) && u.Attributes[attr] != "" && u.Attributes[attr+"_verified"] == "true" {
				// Keep the verified value until the new one is confirmed.
				next[attr] = u.Attributes[attr]
				sends = append(sends, pendingSend{d: destinationFor(attr, v), data: []byte(v)})
				continue
			}
			next[attr+"_verified"] = "false"
			if autoVerified {
				sends = append(sends, pendingSend{d: destinationFor(attr, v)})
			}
		}
		aliases := signInAliases(p, next)
		if err := s.checkAliasesFree(ctx, p, u.Sub, aliases); err != nil {
			return err
		}
		u.Attributes, u.Aliases = next, aliases
		return nil
	})
	if err != nil {
		return nil, aliasRace(p, err)
	}
	var out []*CodeDelivery
	for _, ps := range sends {
		code, err := s.issueCode(ctx, updated, verifyPurpose(ps.d.attr), AttributeVerificationCodeValidity, ps.data)
		if err != nil {
			return out, err
		}
		if err := s.sendCode(asAttributeUpdate(ctx), p, updated, ps.d, message.KindVerifyAttribute, code); err != nil {
			return out, err
		}
		out = append(out, ps.d.delivery())
	}
	return out, nil
}

// aliasRace maps the store's conflict on an alias (a concurrent update won
// the value) to the user-facing error.
func aliasRace(p *Pool, err error) error {
	if errors.Is(err, store.ErrConflict) {
		return errorf(KindAliasExists, "An account with the given email or phone_number already exists.")
	}
	return err
}

// DeleteUserAttributes deletes attributes of the access token's user.
func (s *Service) DeleteUserAttributes(ctx context.Context, accessToken string, names []string) error {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return err
	}
	p, err := s.pool(ctx, pr.user.PoolID)
	if err != nil {
		return err
	}
	return s.deleteAttributes(ctx, p, pr.user, names, true)
}

// adminDeleteUserAttributes deletes attributes of a user as an administrator.
func (s *Service) adminDeleteUserAttributes(ctx context.Context, poolID, username string, names []string) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	return s.deleteAttributes(ctx, p, u, names, false)
}

func (s *Service) deleteAttributes(ctx context.Context, p *Pool, u *store.User, names []string, byUser bool) error {
	if len(names) == 0 {
		return required("userAttributeNames")
	}
	del := make(map[string]string, len(names))
	for _, n := range names {
		del[n] = ""
	}
	if err := p.checkValues(del, checkDelete, byUser); err != nil {
		return err
	}
	_, err := s.updateUser(ctx, u, func(u *store.User) error {
		next := maps.Clone(u.Attributes)
		for n := range del {
			delete(next, n)
			if n == attrEmail || n == attrPhone {
				delete(next, n+"_verified")
			}
		}
		u.Attributes, u.Aliases = next, signInAliases(p, next)
		return nil
	})
	return err
}

// GetUserAttributeVerificationCode sends a code to verify the access
// token's user's e-mail address or phone number (the value waiting for
// verification, when there is one).
func (s *Service) GetUserAttributeVerificationCode(ctx context.Context, accessToken, attr string) (*CodeDelivery, error) {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	p, err := s.pool(ctx, pr.user.PoolID)
	if err != nil {
		return nil, err
	}
	if attr != attrEmail && attr != attrPhone {
		return nil, invalidf("Invalid attribute name: %s can not be verified", attr)
	}
	value, data := pr.user.Attributes[attr], []byte(nil)
	if c, err := s.codes.GetCode(ctx, p.ID, pr.user.Sub, verifyPurpose(attr)); err == nil && len(c.Data) > 0 {
		value, data = string(c.Data), c.Data // a new value still waits for its verification
	}
	if value == "" {
		return nil, invalidf("Invalid attribute name: the user has no %s", attr)
	}
	d := destinationFor(attr, value)
	code, err := s.issueCode(ctx, pr.user, verifyPurpose(attr), AttributeVerificationCodeValidity, data)
	if err != nil {
		return nil, err
	}
	if err := s.sendCode(ctx, p, pr.user, d, message.KindVerifyAttribute, code); err != nil {
		return nil, err
	}
	return d.delivery(), nil
}

// VerifyUserAttribute confirms the access token's user's e-mail address or
// phone number with a code: the attribute is verified (taking the new
// value that waited for it) and becomes a sign-in alias where the pool
// allows it.
func (s *Service) VerifyUserAttribute(ctx context.Context, accessToken, attr, code string) error {
	pr, err := s.authenticate(ctx, accessToken)
	if err != nil {
		return err
	}
	p, err := s.pool(ctx, pr.user.PoolID)
	if err != nil {
		return err
	}
	if attr != attrEmail && attr != attrPhone {
		return invalidf("Invalid attribute name: %s can not be verified", attr)
	}
	if code == "" {
		return required("code")
	}
	data, err := s.redeemCode(ctx, pr.user, verifyPurpose(attr), code)
	if err != nil {
		return err
	}
	_, err = s.updateUser(ctx, pr.user, func(u *store.User) error {
		next := maps.Clone(u.Attributes)
		if len(data) > 0 {
			next[attr] = string(data)
		}
		if next[attr] == "" {
			return invalidf("Invalid attribute name: the user has no %s", attr)
		}
		next[attr+"_verified"] = "true"
		aliases := signInAliases(p, next)
		if err := s.checkAliasesFree(ctx, p, u.Sub, aliases); err != nil {
			return err
		}
		u.Attributes, u.Aliases = next, aliases
		return nil
	})
	return aliasRace(p, err)
}

// autoVerifies reports whether the pool verifies attr with a code.
func (c *PoolConfig) autoVerifies(attr string) bool {
	for _, a := range c.AutoVerifiedAttributes {
		if a == attr {
			return true
		}
	}
	return false
}
