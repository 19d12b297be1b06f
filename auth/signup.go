package auth

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// SignUpOptions configures SignUp.
type SignUpOptions struct {
	// UserAttributes are the new user's attributes, e.g. {"email": "..."}.
	UserAttributes map[string]string
	// ClientMetadata is passed to the pool's Lambda triggers.
	ClientMetadata map[string]string
	// AutoSignIn arms Amplify's auto sign-in: once the sign-up is complete
	// (ConfirmSignUp with the code, for the same username, reports
	// SignUpStepCompleteAutoSignIn), AutoSignIn signs the user in with this
	// username and password. The password is kept in the Client's memory
	// only, never stored or logged, and only until AutoSignIn, another
	// SignUp or SignIn, a ConfirmSignUp of another user, Close, or
	// AutoSignInWindow after the last step, whichever comes first.
	AutoSignIn bool
	// AutoSignInOptions configure the auto sign-in's SignIn (its flow, for
	// instance); used only with AutoSignIn.
	AutoSignInOptions SignInOptions
}

// AutoSignInWindow bounds how long an armed auto sign-in waits: for the
// ConfirmSignUp that completes the sign-up, then for AutoSignIn (Amplify
// gives up waiting for the confirmation after three minutes too). After it the
// password is forgotten and AutoSignIn fails with ErrNoAutoSignIn.
const AutoSignInWindow = 3 * time.Minute

// SignUpStep tells what SignUp or ConfirmSignUp needs next.
type SignUpStep string

const (
	// SignUpStepDone: the user is confirmed and may sign in.
	SignUpStepDone SignUpStep = "DONE"
	// SignUpStepConfirmSignUp: the user must be confirmed (ConfirmSignUp with the
	// code the pool sent, or by an administrator).
	SignUpStepConfirmSignUp SignUpStep = "CONFIRM_SIGN_UP"
	// SignUpStepCompleteAutoSignIn: the user is confirmed and an auto sign-in
	// is armed (SignUpOptions.AutoSignIn): call AutoSignIn.
	SignUpStepCompleteAutoSignIn SignUpStep = "COMPLETE_AUTO_SIGN_IN"
)

// CodeDelivery tells where a confirmation or verification code was sent
// (Amplify's codeDeliveryDetails). Destination is masked by the service, e.g.
// "a***@e***".
type CodeDelivery struct {
	// Destination is the masked address or phone number.
	Destination string
	// DeliveryMedium is "EMAIL" or "SMS".
	DeliveryMedium string
	// AttributeName is the attribute the code was sent to: "email" or
	// "phone_number".
	AttributeName string
}

// codeDelivery converts the service's delivery details (nil stays nil).
func codeDelivery(d *types.CodeDeliveryDetailsType) *CodeDelivery {
	if d == nil {
		return nil
	}
	return &CodeDelivery{Destination: aws.ToString(d.Destination), DeliveryMedium: string(d.DeliveryMedium),
		AttributeName: aws.ToString(d.AttributeName)}
}

// SignUpResult is the outcome of SignUp.
type SignUpResult struct {
	// UserConfirmed is true when the user needs no confirmation (Amplify's
	// isSignUpComplete).
	UserConfirmed bool
	// UserSub is the new user's id.
	UserSub string
	// NextStep is SignUpStepConfirmSignUp, SignUpStepDone, or, for a user
	// confirmed at once with SignUpOptions.AutoSignIn,
	// SignUpStepCompleteAutoSignIn.
	NextStep SignUpStep
	// CodeDelivery is set when a confirmation code was sent.
	CodeDelivery *CodeDelivery
}

// SignUp registers a new user. It does not sign anyone in; with
// opts.AutoSignIn, AutoSignIn does once the sign-up is complete. username is
// the user name or, in a pool with UsernameAttributes, the e-mail address or
// phone number (the service then generates the user name: UserSub).
//
// SignUp forgets any auto sign-in armed before; it arms a new one only when
// the service accepts the sign-up.
func (c *Client) SignUp(ctx context.Context, username, password string, opts SignUpOptions) (SignUpResult, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return SignUpResult{}, err
	}
	defer end()
	c.dropAutoSignIn()
	if username == "" || password == "" {
		return SignUpResult{}, invalidParam("SignUp needs a username and a password")
	}
	in := &cip.SignUpInput{
		ClientId:       aws.String(c.cfg.ClientID),
		Username:       aws.String(username),
		Password:       aws.String(password),
		ClientMetadata: opts.ClientMetadata,
	}
	if h := c.secretHash(username); h != "" {
		in.SecretHash = aws.String(h)
	}
	in.UserAttributes = attributeList(opts.UserAttributes)
	out, err := callOp(ctx, c, "SignUp", c.cip.SignUp, in)
	if err != nil {
		return SignUpResult{}, err
	}
	r := SignUpResult{UserConfirmed: out.UserConfirmed, UserSub: aws.ToString(out.UserSub), NextStep: SignUpStepConfirmSignUp,
		CodeDelivery: codeDelivery(out.CodeDeliveryDetails)}
	if r.UserConfirmed {
		r.NextStep = SignUpStepDone
	}
	if opts.AutoSignIn {
		c.armAutoSignIn(&autoSignIn{username: username, password: password, opts: opts.AutoSignInOptions, confirmed: r.UserConfirmed})
		if r.UserConfirmed {
			r.NextStep = SignUpStepCompleteAutoSignIn
		}
	}
	return r, nil
}

// ConfirmSignUpOptions configures ConfirmSignUp.
type ConfirmSignUpOptions struct {
	// ClientMetadata is passed to the pool's Lambda triggers.
	ClientMetadata map[string]string
	// ForceAliasCreation moves an e-mail or phone alias that another user
	// holds to this user (Cognito's ForceAliasCreation).
	ForceAliasCreation bool
}

// ConfirmSignUpResult is the outcome of ConfirmSignUp.
type ConfirmSignUpResult struct {
	// IsSignUpComplete is true: the user is confirmed.
	IsSignUpComplete bool
	// NextStep is SignUpStepCompleteAutoSignIn when SignUp armed an auto
	// sign-in for this username (call AutoSignIn), SignUpStepDone otherwise.
	NextStep SignUpStep
}

// ConfirmSignUp confirms a new user with the code the pool sent.
//
// As in Amplify, when SignUp armed an auto sign-in for the same username
// (compared as typed), the result's NextStep is SignUpStepCompleteAutoSignIn
// and AutoSignIn signs the user in; otherwise it is SignUpStepDone and any
// armed auto sign-in is forgotten. A failed confirmation (a wrong code, say)
// leaves the auto sign-in armed, for another try.
func (c *Client) ConfirmSignUp(ctx context.Context, username, code string, opts ConfirmSignUpOptions) (ConfirmSignUpResult, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return ConfirmSignUpResult{}, err
	}
	defer end()
	if username == "" || code == "" {
		return ConfirmSignUpResult{}, invalidParam("ConfirmSignUp needs a username and a confirmation code")
	}
	in := &cip.ConfirmSignUpInput{
		ClientId:           aws.String(c.cfg.ClientID),
		Username:           aws.String(username),
		ConfirmationCode:   aws.String(code),
		ClientMetadata:     opts.ClientMetadata,
		ForceAliasCreation: opts.ForceAliasCreation,
	}
	if h := c.secretHash(username); h != "" {
		in.SecretHash = aws.String(h)
	}
	_, err = callOp(ctx, c, "ConfirmSignUp", c.cip.ConfirmSignUp, in)
	if err != nil {
		return ConfirmSignUpResult{}, err
	}
	r := ConfirmSignUpResult{IsSignUpComplete: true, NextStep: SignUpStepDone}
	if c.confirmAutoSignIn(username) {
		r.NextStep = SignUpStepCompleteAutoSignIn
	}
	return r, nil
}

// ResendSignUpCodeOptions configures ResendSignUpCode.
type ResendSignUpCodeOptions struct {
	// ClientMetadata is passed to the pool's Lambda triggers.
	ClientMetadata map[string]string
}

// ResendSignUpCode sends a new sign-up confirmation code to an unconfirmed
// user (ResendConfirmationCode) and tells where it went. The code sent before
// stops working.
func (c *Client) ResendSignUpCode(ctx context.Context, username string, opts ResendSignUpCodeOptions) (CodeDelivery, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return CodeDelivery{}, err
	}
	defer end()
	if username == "" {
		return CodeDelivery{}, invalidParam("ResendSignUpCode needs a username")
	}
	in := &cip.ResendConfirmationCodeInput{
		ClientId:       aws.String(c.cfg.ClientID),
		Username:       aws.String(username),
		ClientMetadata: opts.ClientMetadata,
	}
	if h := c.secretHash(username); h != "" {
		in.SecretHash = aws.String(h)
	}
	out, err := callOp(ctx, c, "ResendConfirmationCode", c.cip.ResendConfirmationCode, in)
	if err != nil {
		return CodeDelivery{}, err
	}
	if d := codeDelivery(out.CodeDeliveryDetails); d != nil {
		return *d, nil
	}
	return CodeDelivery{}, nil
}

// AutoSignIn completes the auto sign-in that SignUp armed
// (SignUpOptions.AutoSignIn), once SignUp or ConfirmSignUp reported
// SignUpStepCompleteAutoSignIn: it signs the user in as SignIn does, with
// the username and password given to SignUp and SignUpOptions.AutoSignInOptions,
// and returns SignIn's result and errors.
//
// It fails with ErrNoAutoSignIn when there is nothing to sign in: no auto
// sign-in was armed, the sign-up is not complete yet (the auto sign-in stays
// armed for the ConfirmSignUp to come), it already ran, or it was cancelled (by SignIn, another SignUp, a ConfirmSignUp of another user,
// or AutoSignInWindow passing). Like Amplify's autoSignIn it runs once: the
// password is forgotten whatever the outcome.
func (c *Client) AutoSignIn(ctx context.Context) (SignInResult, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return SignInResult{}, err
	}
	defer end()
	a := c.takeAutoSignIn()
	if a == nil {
		return SignInResult{}, ErrNoAutoSignIn
	}
	return c.signIn(ctx, a.username, a.password, a.opts)
}

// autoSignIn is an armed auto sign-in; guarded by Client.mu.
type autoSignIn struct {
	username  string
	password  string
	opts      SignInOptions
	confirmed bool        // the sign-up is complete: AutoSignIn may run
	timer     *time.Timer // forgets it after AutoSignInWindow
}

// armAutoSignIn replaces the armed auto sign-in with a.
func (c *Client) armAutoSignIn(a *autoSignIn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropAutoSignInLocked()
	c.auto = a
	a.timer = time.AfterFunc(AutoSignInWindow, func() { c.expireAutoSignIn(a) })
}

// confirmAutoSignIn marks the armed auto sign-in confirmed when it is
// username's, and reports whether it was; any other is forgotten.
func (c *Client) confirmAutoSignIn(username string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.auto
	if a == nil || a.username != username {
		c.dropAutoSignInLocked()
		return false
	}
	a.confirmed = true
	a.timer.Reset(AutoSignInWindow) // the window to call AutoSignIn
	return true
}

// takeAutoSignIn removes and returns the armed auto sign-in when it may run
// (its sign-up is complete); one still waiting for ConfirmSignUp stays.
func (c *Client) takeAutoSignIn() *autoSignIn {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.auto == nil || !c.auto.confirmed {
		return nil
	}
	a := *c.auto
	c.dropAutoSignInLocked()
	a.timer = nil
	return &a
}

// expireAutoSignIn forgets a when it is still the armed auto sign-in.
func (c *Client) expireAutoSignIn(a *autoSignIn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.auto == a {
		c.dropAutoSignInLocked()
	}
}

// dropAutoSignIn forgets the armed auto sign-in, if any.
func (c *Client) dropAutoSignIn() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropAutoSignInLocked()
}

func (c *Client) dropAutoSignInLocked() {
	if c.auto == nil {
		return
	}
	c.auto.timer.Stop()
	c.auto.password = ""
	c.auto = nil
}

// attributeList turns attributes into the service's list, sorted by name.
func attributeList(attrs map[string]string) []types.AttributeType {
	var out []types.AttributeType
	for _, k := range sortedKeys(attrs) {
		out = append(out, types.AttributeType{Name: aws.String(k), Value: aws.String(attrs[k])})
	}
	return out
}
