package auth

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/auth/credstore"
)

// The account life cycle, as Amplify's resetPassword, confirmResetPassword,
// updatePassword, fetchUserAttributes, updateUserAttributes,
// updateUserAttribute, sendUserAttributeVerificationCode,
// confirmUserAttribute and deleteUserAttributes.

// ResetPasswordStep tells what ResetPassword needs next.
type ResetPasswordStep string

const (
	// ResetPasswordStepConfirmWithCode: a code was sent (CodeDelivery says
	// where); call ConfirmResetPassword with it and the new password.
	ResetPasswordStepConfirmWithCode ResetPasswordStep = "CONFIRM_RESET_PASSWORD_WITH_CODE"
	// ResetPasswordStepDone: the password is reset. (Amplify defines this
	// step; ResetPassword, like Amplify's resetPassword, always asks for the
	// code.)
	ResetPasswordStepDone ResetPasswordStep = "DONE"
)

// ResetPasswordOptions configures ResetPassword.
type ResetPasswordOptions struct {
	// ClientMetadata is passed to the pool's Lambda triggers.
	ClientMetadata map[string]string
}

// ResetPasswordResult is the outcome of ResetPassword.
type ResetPasswordResult struct {
	// IsPasswordReset is false until ConfirmResetPassword succeeds.
	IsPasswordReset bool
	// NextStep is ResetPasswordStepConfirmWithCode.
	NextStep ResetPasswordStep
	// CodeDelivery tells where the code went (nil if the service did not
	// say).
	CodeDelivery *CodeDelivery
}

// ResetPassword starts the recovery of a forgotten password (ForgotPassword):
// the pool sends a code to the user's verified e-mail address or phone
// number, to be given to ConfirmResetPassword. username is what the user signs
// in with (a user name, e-mail address or phone number). No sign-in is
// needed, and nobody signed in is signed out.
func (c *Client) ResetPassword(ctx context.Context, username string, opts ResetPasswordOptions) (ResetPasswordResult, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return ResetPasswordResult{}, err
	}
	defer end()
	if username == "" {
		return ResetPasswordResult{}, invalidParam("ResetPassword needs a username")
	}
	in := &cip.ForgotPasswordInput{
		ClientId:       aws.String(c.cfg.ClientID),
		Username:       aws.String(username),
		ClientMetadata: opts.ClientMetadata,
	}
	if h := c.secretHash(username); h != "" {
		in.SecretHash = aws.String(h)
	}
	out, err := callOp(ctx, c, "ForgotPassword", c.cip.ForgotPassword, in)
	if err != nil {
		return ResetPasswordResult{}, err
	}
	return ResetPasswordResult{NextStep: ResetPasswordStepConfirmWithCode, CodeDelivery: codeDelivery(out.CodeDeliveryDetails)}, nil
}

// ConfirmResetPasswordOptions configures ConfirmResetPassword.
type ConfirmResetPasswordOptions struct {
	// ClientMetadata is passed to the pool's Lambda triggers.
	ClientMetadata map[string]string
}

// ConfirmResetPassword sets a new password with the code ResetPassword had
// sent (ConfirmForgotPassword). A wrong code fails with a *ServiceError coded
// CodeMismatchException, a spent or expired one with ExpiredCodeException.
//
// The service ends every session of the user: a session signed in before
// (on this Client or elsewhere) can no longer be refreshed, and
// FetchAuthSession then signs it out with ErrSessionExpired.
func (c *Client) ConfirmResetPassword(ctx context.Context, username, newPassword, code string, opts ConfirmResetPasswordOptions) error {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	switch {
	case username == "":
		return invalidParam("ConfirmResetPassword needs a username")
	case newPassword == "":
		return invalidParam("ConfirmResetPassword needs a new password")
	case code == "":
		return invalidParam("ConfirmResetPassword needs a confirmation code")
	}
	in := &cip.ConfirmForgotPasswordInput{
		ClientId:         aws.String(c.cfg.ClientID),
		Username:         aws.String(username),
		Password:         aws.String(newPassword),
		ConfirmationCode: aws.String(code),
		ClientMetadata:   opts.ClientMetadata,
	}
	if h := c.secretHash(username); h != "" {
		in.SecretHash = aws.String(h)
	}
	_, err = callOp(ctx, c, "ConfirmForgotPassword", c.cip.ConfirmForgotPassword, in)
	return err
}

// UpdatePassword changes the signed-in user's password (ChangePassword).
// A wrong oldPassword fails with a *ServiceError coded
// NotAuthorizedException; the user stays signed in either way.
func (c *Client) UpdatePassword(ctx context.Context, oldPassword, newPassword string) error {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	if oldPassword == "" || newPassword == "" {
		return invalidParam("UpdatePassword needs the old and the new password")
	}
	s, err := c.signedInSession(ctx)
	if err != nil {
		return err
	}
	_, err = callOp(ctx, c, "ChangePassword", c.cip.ChangePassword, &cip.ChangePasswordInput{AccessToken: aws.String(s.AccessToken),
		PreviousPassword: aws.String(oldPassword), ProposedPassword: aws.String(newPassword)})
	return err
}

// FetchUserAttributes returns the signed-in user's attributes as the service
// has them (GetUser), by name: "sub", "email", "email_verified" ("true" or
// "false"), custom attributes as "custom:...", and so on.
func (c *Client) FetchUserAttributes(ctx context.Context) (map[string]string, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	s, err := c.signedInSession(ctx)
	if err != nil {
		return nil, err
	}
	out, err := callOp(ctx, c, "GetUser", c.cip.GetUser, &cip.GetUserInput{AccessToken: aws.String(s.AccessToken)})
	if err != nil {
		return nil, err
	}
	attrs := make(map[string]string, len(out.UserAttributes))
	for _, a := range out.UserAttributes {
		if a.Name != nil {
			attrs[*a.Name] = aws.ToString(a.Value)
		}
	}
	return attrs, nil
}

// UpdateAttributeStep tells what an attribute update needs next.
type UpdateAttributeStep string

const (
	// UpdateAttributeStepConfirmWithCode: a verification code was sent
	// (CodeDelivery says where); the change is not complete until
	// ConfirmUserAttribute confirms it.
	UpdateAttributeStepConfirmWithCode UpdateAttributeStep = "CONFIRM_ATTRIBUTE_WITH_CODE"
	// UpdateAttributeStepDone: the attribute is updated.
	UpdateAttributeStepDone UpdateAttributeStep = "DONE"
)

// UpdateAttributeResult is the outcome of updating one attribute.
type UpdateAttributeResult struct {
	// IsUpdated is true when NextStep is UpdateAttributeStepDone.
	IsUpdated bool
	// NextStep tells whether the new value waits for a code.
	NextStep UpdateAttributeStep
	// CodeDelivery tells where the code went (with
	// UpdateAttributeStepConfirmWithCode only).
	CodeDelivery *CodeDelivery
}

// UpdateUserAttributesOptions configures UpdateUserAttributes and
// UpdateUserAttribute.
type UpdateUserAttributesOptions struct {
	// ClientMetadata is passed to the pool's Lambda triggers.
	ClientMetadata map[string]string
}

// UpdateUserAttributes changes the signed-in user's attributes
// (UpdateUserAttributes) and reports, per attribute given, whether it is
// updated. As in Amplify, an attribute the service sent a verification code
// for (an e-mail address or phone number the pool verifies) is reported
// IsUpdated false with UpdateAttributeStepConfirmWithCode: confirm it with
// ConfirmUserAttribute. Until then the user has either the old value (when
// the pool sets AttributesRequireVerificationBeforeUpdate for it) or the new
// one marked unverified. Every other attribute is reported
// UpdateAttributeStepDone.
func (c *Client) UpdateUserAttributes(ctx context.Context, attrs map[string]string, opts UpdateUserAttributesOptions) (map[string]UpdateAttributeResult, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	return c.updateUserAttributes(ctx, attrs, opts)
}

// UpdateUserAttribute is UpdateUserAttributes for one attribute.
func (c *Client) UpdateUserAttribute(ctx context.Context, name, value string, opts UpdateUserAttributesOptions) (UpdateAttributeResult, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return UpdateAttributeResult{}, err
	}
	defer end()
	if name == "" {
		return UpdateAttributeResult{}, invalidParam("UpdateUserAttribute needs an attribute name")
	}
	res, err := c.updateUserAttributes(ctx, map[string]string{name: value}, opts)
	if err != nil {
		return UpdateAttributeResult{}, err
	}
	return res[name], nil
}

// updateUserAttributes is UpdateUserAttributes with the operation lock held.
func (c *Client) updateUserAttributes(ctx context.Context, attrs map[string]string, opts UpdateUserAttributesOptions) (map[string]UpdateAttributeResult, error) {
	if len(attrs) == 0 {
		return nil, invalidParam("UpdateUserAttributes needs at least one attribute")
	}
	if _, ok := attrs[""]; ok {
		return nil, invalidParam("an attribute name is empty")
	}
	s, err := c.signedInSession(ctx)
	if err != nil {
		return nil, err
	}
	out, err := callOp(ctx, c, "UpdateUserAttributes", c.cip.UpdateUserAttributes, &cip.UpdateUserAttributesInput{AccessToken: aws.String(s.AccessToken),
		UserAttributes: attributeList(attrs), ClientMetadata: opts.ClientMetadata})
	if err != nil {
		return nil, err
	}
	res := make(map[string]UpdateAttributeResult, len(attrs))
	for name := range attrs {
		res[name] = UpdateAttributeResult{IsUpdated: true, NextStep: UpdateAttributeStepDone}
	}
	for i := range out.CodeDeliveryDetailsList {
		d := codeDelivery(&out.CodeDeliveryDetailsList[i])
		if d.AttributeName != "" {
			res[d.AttributeName] = UpdateAttributeResult{NextStep: UpdateAttributeStepConfirmWithCode, CodeDelivery: d}
		}
	}
	return res, nil
}

// SendUserAttributeVerificationCode sends the signed-in user a code to verify
// an attribute, "email" or "phone_number" (GetUserAttributeVerificationCode),
// and tells where it went; ConfirmUserAttribute takes the code. When a new
// value waits for verification the code goes to the new value.
func (c *Client) SendUserAttributeVerificationCode(ctx context.Context, attributeName string) (CodeDelivery, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return CodeDelivery{}, err
	}
	defer end()
	if attributeName == "" {
		return CodeDelivery{}, invalidParam("SendUserAttributeVerificationCode needs an attribute name")
	}
	s, err := c.signedInSession(ctx)
	if err != nil {
		return CodeDelivery{}, err
	}
	out, err := callOp(ctx, c, "GetUserAttributeVerificationCode", c.cip.GetUserAttributeVerificationCode, &cip.GetUserAttributeVerificationCodeInput{
		AccessToken: aws.String(s.AccessToken), AttributeName: aws.String(attributeName)})
	if err != nil {
		return CodeDelivery{}, err
	}
	if d := codeDelivery(out.CodeDeliveryDetails); d != nil {
		return *d, nil
	}
	return CodeDelivery{}, nil
}

// ConfirmUserAttribute verifies the signed-in user's attribute with the code
// UpdateUserAttributes or SendUserAttributeVerificationCode sent
// (VerifyUserAttribute): the attribute is then verified, and a new value that
// waited for verification replaces the old one. A wrong code fails with a
// *ServiceError coded CodeMismatchException.
func (c *Client) ConfirmUserAttribute(ctx context.Context, attributeName, code string) error {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	if attributeName == "" || code == "" {
		return invalidParam("ConfirmUserAttribute needs an attribute name and a confirmation code")
	}
	s, err := c.signedInSession(ctx)
	if err != nil {
		return err
	}
	_, err = callOp(ctx, c, "VerifyUserAttribute", c.cip.VerifyUserAttribute, &cip.VerifyUserAttributeInput{AccessToken: aws.String(s.AccessToken),
		AttributeName: aws.String(attributeName), Code: aws.String(code)})
	return err
}

// DeleteUserAttributes deletes attributes of the signed-in user
// (DeleteUserAttributes). Deleting "email" or "phone_number" deletes its
// verified flag too.
func (c *Client) DeleteUserAttributes(ctx context.Context, names []string) error {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	if len(names) == 0 {
		return invalidParam("DeleteUserAttributes needs at least one attribute name")
	}
	for _, n := range names {
		if n == "" {
			return invalidParam("an attribute name is empty")
		}
	}
	s, err := c.signedInSession(ctx)
	if err != nil {
		return err
	}
	_, err = callOp(ctx, c, "DeleteUserAttributes", c.cip.DeleteUserAttributes, &cip.DeleteUserAttributesInput{AccessToken: aws.String(s.AccessToken),
		UserAttributeNames: names})
	return err
}

// accessTokenMargin: a signed-in call refreshes the tokens first when the
// access token expires within it.
const accessTokenMargin = 30 * time.Second

// signedInSession returns the signed-in user's session for a call made with
// its access token (lock held): ErrNotSignedIn when nobody is signed in; the
// tokens refreshed and stored first when the access token has expired or is
// about to (a refresh the service refuses signs the user out:
// ErrSessionExpired).
func (c *Client) signedInSession(ctx context.Context) (*credstore.Session, error) {
	rec, err := c.loadRecord()
	if err != nil {
		return nil, err
	}
	if rec.Session == nil {
		return nil, ErrNotSignedIn
	}
	if c.expiredSoon(rec.Session, accessTokenMargin) {
		return c.refreshAndStore(ctx, rec)
	}
	return rec.Session, nil
}
