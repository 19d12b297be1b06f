package userpool

// Account recovery: a user who forgot the password gets a code on a
// verified channel of the pool's account recovery setting and sets a new
// password with it; an administrator can force a reset. A password reset
// ends every session of the user, as a global sign-out does.

import (
	"context"
	"time"

	"github.com/cognate-dev/cognate/message"
	"github.com/cognate-dev/cognate/store"
)

// Code purposes of account recovery.
const (
	purposeForgotPassword = "forgot-password"
	// ForgotPasswordCodeValidity is how long a password-reset code works.
	ForgotPasswordCodeValidity = time.Hour
)

// StatusResetRequired is the status of a user whose password an
// administrator reset: sign-in is refused until a new password is set.
const StatusResetRequired = "RESET_REQUIRED"

// ForgotPasswordInput is what ForgotPassword takes.
type ForgotPasswordInput struct {
	ClientID, SecretHash, Username string
}

// ForgotPassword sends a password-reset code to the user's first verified
// recovery channel.
func (s *Service) ForgotPassword(ctx context.Context, in ForgotPasswordInput) (*CodeDelivery, error) {
	c, err := s.client(ctx, "", in.ClientID)
	if err != nil {
		return nil, err
	}
	if err := c.authenticate(hashProof(in.SecretHash, in.Username)); err != nil {
		return nil, err
	}
	return s.forgotPassword(ctx, c, in.Username)
}

// forgotPassword is ForgotPassword for an authenticated client.
func (s *Service) forgotPassword(ctx context.Context, c *Client, username string) (_ *CodeDelivery, err error) {
	ctx, e := s.beginAudit(ctx, EventForgotPassword, username)
	defer func() { s.finish(ctx, e, err, "") }()
	noteClient(ctx, c)
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return nil, err
	}
	if username == "" {
		return nil, required("username")
	}
	if err := s.migrateUser(ctx, p.ID, c.ID, sourceMigrationForgotPassword, username, ""); err != nil { // migration.go
		return nil, err
	}
	u, err := s.findUser(ctx, p, username)
	if IsKind(err, KindUserNotFound) && c.Config.PreventUserExistenceErrors == "ENABLED" {
		// Answer as for a real user: where a code would have gone.
		return s.decoyDelivery(ctx, p, username, purposeForgotPassword, ForgotPasswordCodeValidity)
	}
	if err != nil {
		return nil, err
	}
	return s.sendResetCode(ctx, p, u)
}

// decoyDelivery is the CodeDeliveryDetails shown for a hidden unknown user.
// It answers as a real user's would: a destination of the same shape,
// derived from the name with a pool key (decoyDestination: the same at
// every call, not one constant that marks the unknown), and the "send" is
// counted against the name's own sending limit, so that the sixth request
// in an hour is refused for an unknown name as for a real user.
func (s *Service) decoyDelivery(ctx context.Context, p *Pool, name, purpose string, validity time.Duration) (*CodeDelivery, error) {
	channels := p.Config.recoveryChannels()
	if len(channels) == 0 {
		channels = []string{attrEmail}
	}
	attr := channels[0]
	if a := identifierAttribute(name); a == attrEmail || a == attrPhone {
		attr = a
	}
	factor := FactorEmailOTP
	if attr == attrPhone {
		factor = FactorSMSOTP
	}
	dest, err := s.decoyDestination(ctx, p.ID, name, factor)
	if err != nil {
		return nil, err
	}
	if err := s.countSendTo(ctx, unknownSendKey(p, name)); err != nil {
		return nil, err
	}
	if err := s.issueDecoyCode(ctx, p, name, purpose, validity); err != nil {
		return nil, err
	}
	d := destinationFor(attr, "").delivery()
	d.Destination = dest
	return d, nil
}

// sendResetCode issues a password-reset code and sends it.
func (s *Service) sendResetCode(ctx context.Context, p *Pool, u *store.User) (*CodeDelivery, error) {
	if !u.Enabled {
		return nil, refused(CauseUserDisabled)
	}
	d, ok := recoveryDestination(p, u.Attributes)
	if !ok {
		return nil, &Error{Kind: KindInvalid, Cause: CauseNoRecoveryChannel}
	}
	code, err := s.issueCode(ctx, u, purposeForgotPassword, ForgotPasswordCodeValidity, nil)
	if err != nil {
		return nil, err
	}
	if err := s.sendCode(ctx, p, u, d, message.KindForgotPassword, code); err != nil {
		return nil, err
	}
	return d.delivery(), nil
}

// ConfirmForgotPasswordInput is what ConfirmForgotPassword takes.
type ConfirmForgotPasswordInput struct {
	ClientID, SecretHash, Username, Code, Password string
}

// ConfirmForgotPassword sets a new password with a password-reset code.
// The password is checked against the policy before the code is spent;
// the reset ends every session of the user and forgives past sign-in
// failures.
func (s *Service) ConfirmForgotPassword(ctx context.Context, in ConfirmForgotPasswordInput) error {
	c, err := s.client(ctx, "", in.ClientID)
	if err != nil {
		return err
	}
	if err := c.authenticate(hashProof(in.SecretHash, in.Username)); err != nil {
		return err
	}
	return s.confirmForgotPassword(ctx, c, in)
}

// confirmForgotPassword is ConfirmForgotPassword for an authenticated client.
func (s *Service) confirmForgotPassword(ctx context.Context, c *Client, in ConfirmForgotPasswordInput) (err error) {
	ctx, e := s.beginAudit(ctx, EventConfirmForgotPassword, in.Username)
	defer func() { s.finish(ctx, e, err, "") }()
	noteClient(ctx, c)
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return err
	}
	if in.Username == "" {
		return required("username")
	}
	if in.Code == "" {
		return required("confirmationCode")
	}
	if err := checkPasswordPolicy(p, in.Password); err != nil {
		return err
	}
	u, err := s.findUser(ctx, p, in.Username)
	if IsKind(err, KindUserNotFound) && c.Config.PreventUserExistenceErrors == "ENABLED" {
		return s.redeemDecoyCode(ctx, p, in.Username, purposeForgotPassword)
	}
	if err != nil {
		return err
	}
	secrets, err := s.secrets(ctx, p.ID, u.Username, in.Password)
	if err != nil {
		return err
	}
	if _, err := s.redeemCode(ctx, u, purposeForgotPassword, in.Code); err != nil {
		return err
	}
	if _, err := s.updateUser(ctx, u, func(u *store.User) error {
		secrets.apply(u)
		if u.Status == StatusResetRequired || u.Status == StatusForceChangePassword {
			u.Status = StatusConfirmed
		}
		u.TempPasswordExpiresAt = time.Time{}
		return nil
	}); err != nil {
		return err
	}
	s.forgiveSignIn(ctx, p.ID, u.Username)
	if err := s.endSessionsAfterReset(ctx, u); err != nil {
		return err
	}
	return s.postConfirmation(ctx, p, sourcePostConfirmationForgotPassword, c.ID, u) // triggers_signup.go
}

// endSessionsAfterReset ends every session of a user whose password was
// reset.
func (s *Service) endSessionsAfterReset(ctx context.Context, u *store.User) error {
	if _, err := s.users.BumpSignOutGen(ctx, u.PoolID, u.Username, s.now().UTC(), string(ReasonPasswordReset)); err != nil {
		return internal("end sessions after a password reset", err)
	}
	s.feed.committed(u.PoolID)
	s.log.Info("password reset: every session ended", "pool", u.PoolID, "sub", u.Sub, "reason", string(ReasonSignedOut))
	s.observer.UserSignedOut(string(ReasonPasswordReset))
	return nil
}

// adminResetUserPassword deactivates a user's password: the user must set
// a new one with a code sent to a verified recovery channel, and every
// session ends.
func (s *Service) adminResetUserPassword(ctx context.Context, poolID, username string) error {
	p, u, err := s.poolUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	d, ok := recoveryDestination(p, u.Attributes)
	if !ok {
		return &Error{Kind: KindInvalid, Cause: CauseNoRecoveryChannel}
	}
	if u, err = s.updateUser(ctx, u, func(u *store.User) error {
		if u.Status == StatusUnconfirmed {
			return errorf(KindNotAuthorized, "User password cannot be reset in the current state.")
		}
		u.Status, u.TempPasswordExpiresAt = StatusResetRequired, time.Time{}
		return nil
	}); err != nil {
		return err
	}
	if err := s.endSessionsAfterReset(ctx, u); err != nil {
		return err
	}
	code, err := s.issueCode(ctx, u, purposeForgotPassword, ForgotPasswordCodeValidity, nil)
	if err != nil {
		return err
	}
	return s.sendCode(ctx, p, u, d, message.KindForgotPassword, code)
}

// HostedForgotPassword is ForgotPassword from the hosted UI's page, for the
// app client of the authorization request (the hosted UI is the server
// itself: no client secret is asked).
func (s *Service) HostedForgotPassword(ctx context.Context, req *AuthorizeRequest, username string) (*CodeDelivery, error) {
	c, err := s.client(ctx, req.PoolID, req.ClientID)
	if err != nil {
		return nil, err
	}
	return s.forgotPassword(ctx, c, username)
}

// HostedConfirmForgotPassword is ConfirmForgotPassword from the hosted UI's
// page.
func (s *Service) HostedConfirmForgotPassword(ctx context.Context, req *AuthorizeRequest, username, code, password string) error {
	c, err := s.client(ctx, req.PoolID, req.ClientID)
	if err != nil {
		return err
	}
	return s.confirmForgotPassword(ctx, c, ConfirmForgotPasswordInput{ClientID: c.ID, Username: username, Code: code, Password: password})
}
