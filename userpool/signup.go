package userpool

import (
	"context"
	"errors"
	"strings"

	"github.com/cognate-dev/cognate/store"
)

// CodeDelivery says where a code went (Cognito's CodeDeliveryDetails).
type CodeDelivery struct {
	Destination    string `json:"Destination"`
	DeliveryMedium string `json:"DeliveryMedium"`
	AttributeName  string `json:"AttributeName"`
}

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

// SignUp registers an unconfirmed user and issues a confirmation code.
func (s *Service) SignUp(ctx context.Context, in SignUpInput) (*SignUpResult, error) {
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
	if err := validUsername(in.Username); err != nil {
		return nil, err
	}
	attrs, err := checkAttributes(in.Attributes)
	if err != nil {
		return nil, err
	}
	if err := checkPasswordPolicy(p, in.Password); err != nil {
		return nil, err
	}
	delete(attrs, "email_verified")
	delete(attrs, "phone_number_verified")
	name := usernameKey(p, in.Username)
	secrets, err := s.secrets(ctx, p.ID, name, in.Password)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	u := &store.User{PoolID: p.ID, Username: name, Sub: newUUID(), Status: StatusUnconfirmed,
		Enabled: true, Attributes: attrs, CreatedAt: now, UpdatedAt: now}
	secrets.apply(u)
	if err := s.users.CreateUser(ctx, u); errors.Is(err, store.ErrConflict) {
		return nil, errorf(KindUserExists, "User already exists")
	} else if err != nil {
		return nil, internal("sign up", err)
	}
	code, err := s.issueCode(ctx, u, purposeSignUp, SignUpCodeValidity, nil)
	if err != nil {
		return nil, err
	}
	s.logCode(p.ID, u.Username, code)
	return &SignUpResult{UserSub: u.Sub, Delivery: delivery(p, attrs)}, nil
}

func (s *Service) logCode(poolID, username, code string) {
	if s.devMode {
		// Dev mode sends no mail: the operator reads the code here or via AdminGetUser.
		s.log.Info("confirmation code issued (dev mode)", "pool", poolID, "username", username, "code", code)
	}
}

// delivery describes where Cognito would have sent the code.
func delivery(p *Pool, attrs map[string]string) *CodeDelivery {
	for _, a := range p.Config.AutoVerifiedAttributes {
		v := attrs[a]
		if v == "" {
			continue
		}
		medium := "EMAIL"
		if a == "phone_number" {
			medium = "SMS"
		}
		return &CodeDelivery{Destination: mask(v), DeliveryMedium: medium, AttributeName: a}
	}
	return nil
}

// mask hides most of an address the way Cognito does (a***@e***).
func mask(v string) string {
	if at := strings.IndexByte(v, '@'); at > 0 && at+1 < len(v) {
		return v[:1] + "***@" + v[at+1:at+2] + "***"
	}
	if len(v) > 4 {
		return "+*******" + v[len(v)-4:]
	}
	return "***"
}

// ConfirmSignUp confirms a user with the code from SignUp.
func (s *Service) ConfirmSignUp(ctx context.Context, clientID, secretHashValue, username, code string) error {
	c, err := s.client(ctx, "", clientID)
	if err != nil {
		return err
	}
	if err := c.authenticate(hashProof(secretHashValue, username)); err != nil {
		return err
	}
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return err
	}
	u, err := s.getUser(ctx, p, username)
	if err != nil {
		return err
	}
	if u.Status != StatusUnconfirmed {
		return errorf(KindNotAuthorized, "User cannot be confirmed. Current status is %s", u.Status)
	}
	if _, err := s.redeemCode(ctx, u, purposeSignUp, code); err != nil {
		return err
	}
	return s.confirm(ctx, p, u)
}

// confirm moves an unconfirmed user to CONFIRMED, verifying the attributes
// the pool verifies automatically.
func (s *Service) confirm(ctx context.Context, p *Pool, u *store.User) error {
	_, err := s.updateUser(ctx, u, func(u *store.User) error {
		if u.Status != StatusUnconfirmed {
			return errorf(KindNotAuthorized, "User cannot be confirmed. Current status is %s", u.Status)
		}
		u.Status = StatusConfirmed
		for _, a := range p.Config.AutoVerifiedAttributes {
			if u.Attributes[a] != "" {
				u.Attributes[a+"_verified"] = "true"
			}
		}
		return nil
	})
	return err
}

// AdminConfirmSignUp confirms a user without a code.
func (s *Service) AdminConfirmSignUp(ctx context.Context, poolID, username string) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	if u.Status != StatusUnconfirmed {
		return errorf(KindNotAuthorized, "User cannot be confirmed. Current status is %s", u.Status)
	}
	return s.confirm(ctx, p, u)
}
