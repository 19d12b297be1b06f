package userpool

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/store"
)

// CodeDelivery says where a code went (Cognito's CodeDeliveryDetails).
type CodeDelivery struct {
	Destination    string `json:"Destination"`
	DeliveryMedium string `json:"DeliveryMedium"`
	AttributeName  string `json:"AttributeName"`
}

const codeValidity = 24 * time.Hour

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
	now := s.now().UTC()
	u := &store.User{PoolID: p.ID, Username: usernameKey(p, in.Username), Sub: newUUID(), Status: StatusUnconfirmed,
		Enabled: true, Attributes: attrs, Code: newCode(), CodeExpiresAt: now.Add(codeValidity), CreatedAt: now, UpdatedAt: now}
	if err := s.setPassword(u, in.Password); err != nil {
		return nil, internal("sign up", err)
	}
	if err := s.users.CreateUser(ctx, u); errors.Is(err, store.ErrConflict) {
		return nil, errorf(KindUserExists, "User already exists")
	} else if err != nil {
		return nil, internal("sign up", err)
	}
	s.logCode(p.ID, u.Username, u.Code)
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
	if u.Code == "" || subtle.ConstantTimeCompare([]byte(u.Code), []byte(code)) != 1 {
		return &Error{Kind: KindCodeMismatch, Cause: CauseCodeMismatch}
	}
	if !s.now().Before(u.CodeExpiresAt) {
		return &Error{Kind: KindCodeExpired, Cause: CauseCodeExpired}
	}
	return s.confirm(ctx, p, u)
}

func (s *Service) confirm(ctx context.Context, p *Pool, u *store.User) error {
	u.Status, u.Code, u.CodeExpiresAt, u.UpdatedAt = StatusConfirmed, "", time.Time{}, s.now().UTC()
	for _, a := range p.Config.AutoVerifiedAttributes {
		if u.Attributes[a] != "" {
			u.Attributes[a+"_verified"] = "true"
		}
	}
	if err := s.users.UpdateUser(ctx, u); err != nil {
		return internal("confirm user", err)
	}
	return nil
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
