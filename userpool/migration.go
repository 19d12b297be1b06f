package userpool

// User migration: a pool with a UserMigration trigger asks its function
// about a user it does not know, on a password sign-in
// (UserMigration_Authentication: USER_PASSWORD_AUTH,
// ADMIN_USER_PASSWORD_AUTH and the hosted UI's form; never SRP or a
// passwordless sign-in, which give no password) and on ForgotPassword
// (UserMigration_ForgotPassword). A function that answers with the user's
// attributes has the user created, with the password given (sign-in) and
// the status it says; the flow then goes on as for a user that existed.
// Unless the function answers messageAction SUPPRESS, the user is sent a
// welcome message (see createMigrated). The password is in the event
// only: never logged, never sent.

import (
	"context"
	"errors"
	"slices"

	"github.com/cognate-dev/cognate/store"
)

// Trigger sources of UserMigration.
const (
	sourceMigrationAuthentication = "UserMigration_Authentication"
	sourceMigrationForgotPassword = "UserMigration_ForgotPassword"
)

type migrationRequest struct {
	Password       string            `json:"password,omitempty"`
	ValidationData map[string]string `json:"validationData"`
	ClientMetadata map[string]string `json:"clientMetadata"`
}

type migrationResponse struct {
	UserAttributes         map[string]string `json:"userAttributes"`
	FinalUserStatus        string            `json:"finalUserStatus"`
	MessageAction          string            `json:"messageAction"`
	DesiredDeliveryMediums []string          `json:"desiredDeliveryMediums"`
	ForceAliasCreation     bool              `json:"forceAliasCreation"`
	EnableSMSMFA           bool              `json:"enableSMSMFA"`
}

// migrateUser runs the pool's UserMigration function when username names
// no user of the pool, and creates the user it answers with. password is
// the sign-in's ("" for ForgotPassword: the user gets a password no one
// knows and must reset it). Nothing happens, and there is no error, when
// the pool has no such trigger, the user exists, or the function answers
// no user: the flow then treats the name as it treats any unknown one
// (PreventUserExistenceErrors included).
func (s *Service) migrateUser(ctx context.Context, poolID, clientID, source, username, password string) error {
	p, err := s.pool(ctx, poolID)
	if err != nil || !p.HasTrigger(TriggerUserMigration) || username == "" {
		return err
	}
	if _, err := s.lookupUser(ctx, p, username); !IsKind(err, KindUserNotFound) {
		return nil // a user, or a name no user can have: the flow answers
	}
	var out migrationResponse
	if _, err := s.runTrigger(ctx, p, triggerCall{Name: TriggerUserMigration, Source: source, ClientID: clientID,
		UserName: username, Request: migrationRequest{Password: password, ValidationData: clientMetadataOf(ctx),
			ClientMetadata: clientMetadataOf(ctx)}}, &out); err != nil {
		return err
	}
	if len(out.UserAttributes) == 0 {
		return nil
	}
	status := out.FinalUserStatus
	switch {
	case status == "" && password != "":
		status = StatusConfirmed
	case status == "" || (status == StatusConfirmed && password == ""):
		status = StatusResetRequired // no password to confirm the user with
	case status != StatusConfirmed && status != StatusResetRequired:
		return errorf(KindLambdaResponse, "Unrecognizable lambda output")
	}
	if out.MessageAction != "" && out.MessageAction != "SUPPRESS" && out.MessageAction != "RESEND" {
		return errorf(KindLambdaResponse, "Unrecognizable lambda output")
	}
	for _, m := range out.DesiredDeliveryMediums {
		if m != "EMAIL" && m != "SMS" {
			return errorf(KindLambdaResponse, "Unrecognizable lambda output")
		}
	}
	return s.createMigrated(ctx, p, username, password, status, out)
}

// createMigrated creates the user a UserMigration function answered with.
func (s *Service) createMigrated(ctx context.Context, p *Pool, username, password, status string, out migrationResponse) error {
	attrs := out.UserAttributes
	delete(attrs, "sub")
	delete(attrs, "cognito:user_status")
	sub := newUUID()
	name, err := newUsername(p, username, sub, attrs)
	if err != nil {
		return err
	}
	if err := p.checkValues(attrs, checkCreate, false); err != nil {
		return err
	}
	aliases := signInAliases(p, attrs)
	if out.ForceAliasCreation {
		err = s.takeAliases(ctx, p, sub, aliases)
	} else {
		err = s.checkAliasesFree(ctx, p, sub, aliases)
	}
	if err != nil {
		return err
	}
	if password == "" {
		password = randomString(alnum, 24) + "a1A!" // unusable: the user resets it
	}
	secrets, err := s.secrets(ctx, p.ID, name, password)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	u := &store.User{PoolID: p.ID, Username: name, Sub: sub, Status: status, Enabled: true,
		Attributes: attrs, Aliases: aliases, CreatedAt: now, UpdatedAt: now}
	secrets.apply(u)
	switch err := s.users.CreateUser(ctx, u); {
	case errors.Is(err, store.ErrConflict):
		return nil // migrated by a concurrent sign-in: the flow finds the user
	case err != nil:
		return internal("migrate user", err)
	}
	s.log.Info("user migrated", "pool", p.ID, "sub", sub, "status", status,
		"suppressed", out.MessageAction == "SUPPRESS", "mediums", slices.Clone(out.DesiredDeliveryMediums))
	if out.MessageAction != "SUPPRESS" {
		// Cognito's welcome message, by SMS unless the function asks for
		// EMAIL. Its content is undocumented: the pool's invitation
		// template (AdminCreateUser's welcome message), with no password in
		// it: the user keeps theirs, or resets it.
		// A failure is logged by invite; the user is migrated and signs in.
		_ = s.invite(ctx, p, u, "", out.DesiredDeliveryMediums)
	}
	return nil
}
