package userpool

import (
	"context"
	"errors"
	"maps"

	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/store"
)

// SignUpInput is what SignUp takes.
type SignUpInput struct {
	ClientID, SecretHash, Username, Password string
	Attributes                               []Attribute
}

// SignUpResult is SignUp's answer.
type SignUpResult struct {
	UserConfirmed bool
	UserSub       string
	Delivery      *CodeDelivery
}

// signUp registers an unconfirmed user and sends a confirmation code to the
// first auto-verified attribute the user gave (none is sent without one: an
// administrator confirms such users).
func (s *Service) signUp(ctx context.Context, in SignUpInput) (*SignUpResult, error) {
	c, err := s.client(ctx, "", in.ClientID)
	if err != nil {
		return nil, err
	}
	if err := c.authenticate(hashProof(in.SecretHash, in.Username)); err != nil {
		return nil, err
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	if in.Username == "" {
		return nil, required("username")
	}
	attrs := attributeMap(in.Attributes)
	delete(attrs, "email_verified")
	delete(attrs, "phone_number_verified")
	sub := newUUID()
	name, err := newUsername(p, in.Username, sub, attrs)
	if err != nil {
		return nil, err
	}
	if err := p.checkValues(attrs, checkCreate, true); err != nil {
		return nil, err
	}
	if err := checkPasswordPolicy(p, in.Password); err != nil {
		return nil, err
	}
	autoConfirm, err := s.preSignUp(ctx, p, sourcePreSignUpSignUp, c.ID, name, attrs) // triggers_signup.go
	if err != nil {
		return nil, err
	}
	aliases := signInAliases(p, attrs)
	if err := s.checkAliasesFree(ctx, p, sub, aliases); err != nil {
		return nil, err
	}
	secrets, err := s.secrets(ctx, p.ID, name, in.Password)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	status := StatusUnconfirmed
	if autoConfirm {
		status = StatusConfirmed
	}
	u := &store.User{PoolID: p.ID, Username: name, Sub: sub, Status: status, Enabled: true,
		Attributes: attrs, Aliases: aliases, CreatedAt: now, UpdatedAt: now}
	secrets.apply(u)
	if err := s.users.CreateUser(ctx, u); errors.Is(err, store.ErrConflict) {
		if len(aliases) > 0 {
			if err := s.checkAliasesFree(ctx, p, sub, aliases); err != nil {
				return nil, err
			}
		}
		return nil, errorf(KindUserExists, "User already exists")
	} else if err != nil {
		return nil, internal("sign up", err)
	}
	if autoConfirm { // no code: PostConfirmation runs as for ConfirmSignUp
		if err := s.postConfirmation(ctx, p, sourcePostConfirmationSignUp, c.ID, u); err != nil {
			return nil, err
		}
		return &SignUpResult{UserConfirmed: true, UserSub: u.Sub}, nil
	}
	code, err := s.issueCode(ctx, u, purposeSignUp, SignUpCodeValidity, nil)
	if err != nil {
		return nil, err
	}
	res := &SignUpResult{UserSub: u.Sub}
	if d, ok := verificationDestination(p, attrs); ok {
		if err := s.sendCode(ctx, p, u, d, message.KindSignUp, code); err != nil {
			return nil, err
		}
		res.Delivery = d.delivery()
	}
	return res, nil
}

// attributeMap turns a list of attributes into a map (the last value of a
// name wins).
func attributeMap(attrs []Attribute) map[string]string {
	out := make(map[string]string, len(attrs))
	for _, a := range attrs {
		out[a.Name] = a.Value
	}
	return out
}

// resendConfirmationCode sends an unconfirmed user a new sign-up code; the
// old one stops working.
func (s *Service) resendConfirmationCode(ctx context.Context, clientID, secretHashValue, username string) (*CodeDelivery, error) {
	c, err := s.client(ctx, "", clientID)
	if err != nil {
		return nil, err
	}
	if err := c.authenticate(hashProof(secretHashValue, username)); err != nil {
		return nil, err
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	if username == "" {
		return nil, required("username")
	}
	u, err := s.findUser(ctx, p, username)
	if IsKind(err, KindUserNotFound) && c.Config.PreventUserExistenceErrors == "ENABLED" {
		return s.decoyDelivery(ctx, p, username, purposeSignUp, SignUpCodeValidity)
	}
	if err != nil {
		return nil, err
	}
	if u.Status != StatusUnconfirmed {
		return nil, &Error{Kind: KindInvalid, Cause: CauseUserConfirmed}
	}
	d, ok := verificationDestination(p, u.Attributes)
	if !ok {
		return nil, invalidf("Auto verification not turned on.")
	}
	code, err := s.issueCode(ctx, u, purposeSignUp, SignUpCodeValidity, nil)
	if err != nil {
		return nil, err
	}
	if err := s.sendCode(ctx, p, u, d, message.KindResend, code); err != nil {
		return nil, err
	}
	return d.delivery(), nil
}

// ConfirmSignUpInput is what ConfirmSignUp takes.
type ConfirmSignUpInput struct {
	ClientID, SecretHash, Username, Code string
	// ForceAliasCreation moves a verified alias another user holds to this
	// user instead of refusing the confirmation.
	ForceAliasCreation bool
}

// confirmSignUp confirms a user with the code from SignUp.
func (s *Service) confirmSignUp(ctx context.Context, in ConfirmSignUpInput) error {
	c, err := s.client(ctx, "", in.ClientID)
	if err != nil {
		return err
	}
	if err := c.authenticate(hashProof(in.SecretHash, in.Username)); err != nil {
		return err
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return err
	}
	if in.Username == "" {
		return required("username")
	}
	u, err := s.findUser(ctx, p, in.Username)
	if IsKind(err, KindUserNotFound) && c.Config.PreventUserExistenceErrors == "ENABLED" {
		return s.redeemDecoyCode(ctx, p, in.Username, purposeSignUp)
	}
	if err != nil {
		return err
	}
	if u.Status != StatusUnconfirmed {
		return errorf(KindNotAuthorized, "User cannot be confirmed. Current status is %s", u.Status)
	}
	if !in.ForceAliasCreation {
		// An alias another user holds is refused before the code is spent,
		// so the client can ask again with ForceAliasCreation.
		_, aliases := confirmedAttributes(p, u.Attributes)
		if err := s.checkAliasesFree(ctx, p, u.Sub, aliases); err != nil {
			return err
		}
	}
	if _, err := s.redeemCode(ctx, u, purposeSignUp, in.Code); err != nil {
		return err
	}
	if err := s.confirm(ctx, p, u, in.ForceAliasCreation); err != nil {
		return err
	}
	return s.postConfirmation(ctx, p, sourcePostConfirmationSignUp, c.ID, u)
}

// confirm moves an unconfirmed user to CONFIRMED, verifying the attributes
// the pool verifies automatically; their aliases become the user's (taking
// them from another user when force is set).
func (s *Service) confirm(ctx context.Context, p *Pool, u *store.User, force bool) error {
	_, err := s.updateUser(ctx, u, func(u *store.User) error {
		if u.Status != StatusUnconfirmed {
			return errorf(KindNotAuthorized, "User cannot be confirmed. Current status is %s", u.Status)
		}
		next, aliases := confirmedAttributes(p, u.Attributes)
		if force {
			if err := s.takeAliases(ctx, p, u.Sub, aliases); err != nil {
				return err
			}
		} else if err := s.checkAliasesFree(ctx, p, u.Sub, aliases); err != nil {
			return err
		}
		u.Status, u.Attributes, u.Aliases = StatusConfirmed, next, aliases
		return nil
	})
	return aliasRace(p, err)
}

// confirmedAttributes are a user's attributes once confirmed (those the
// pool verifies automatically verified) and the sign-in aliases they give.
func confirmedAttributes(p *Pool, attrs map[string]string) (map[string]string, map[string]string) {
	next := maps.Clone(attrs)
	for _, a := range p.Config.AutoVerifiedAttributes {
		if next[a] != "" {
			next[a+"_verified"] = "true"
		}
	}
	return next, signInAliases(p, next)
}

// takeAliases moves aliases other users hold to the user with sub: the
// other users' attribute becomes unverified (ForceAliasCreation).
func (s *Service) takeAliases(ctx context.Context, p *Pool, sub string, aliases map[string]string) error {
	for attr, v := range aliases {
		other, err := s.users.GetUserByAlias(ctx, p.ID, attr, v)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return internal("take alias", err)
		}
		if other.Sub == sub {
			continue
		}
		if _, err := s.updateUser(ctx, other, func(o *store.User) error {
			next := maps.Clone(o.Attributes)
			if attr != attrPreferredUsername {
				next[attr+"_verified"] = "false"
			} else {
				delete(next, attr)
			}
			o.Attributes, o.Aliases = next, signInAliases(p, next)
			return nil
		}); err != nil {
			return err
		}
		s.log.Info("alias moved to another user", "pool", p.ID, "attribute", attr, "from", other.Sub, "to", sub)
	}
	return nil
}

// adminConfirmSignUp confirms a user without a code.
func (s *Service) adminConfirmSignUp(ctx context.Context, poolID, username string) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	if u.Status != StatusUnconfirmed {
		return errorf(KindNotAuthorized, "User cannot be confirmed. Current status is %s", u.Status)
	}
	if err := s.confirm(ctx, p, u, false); err != nil {
		return err
	}
	return s.postConfirmation(ctx, p, sourcePostConfirmationSignUp, adminClientID, u)
}
