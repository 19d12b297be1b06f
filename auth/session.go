package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/auth/credstore"
)

// Tokens are the signed-in user's tokens. Its String method redacts them.
type Tokens struct {
	IDToken      string
	AccessToken  string
	RefreshToken string
	// AccessTokenExpiresAt is when AccessToken expires.
	AccessTokenExpiresAt time.Time
}

// String describes the tokens without revealing them.
func (t Tokens) String() string {
	return fmt.Sprintf("Tokens{[redacted], AccessTokenExpiresAt:%s}", t.AccessTokenExpiresAt.Format(time.RFC3339))
}

// GoString is like String.
func (t Tokens) GoString() string { return t.String() }

// AuthSession is what FetchAuthSession returns.
type AuthSession struct {
	// SignedIn is false when nobody is signed in; the other fields are then zero.
	SignedIn bool
	// Username is the user's canonical user name.
	Username string
	// UserSub is the user's id ("sub").
	UserSub string
	// Tokens are the current tokens.
	Tokens Tokens
}

// FetchAuthSessionOptions configures FetchAuthSession.
type FetchAuthSessionOptions struct {
	// ForceRefresh refreshes the tokens even when the access token is fresh.
	ForceRefresh bool
}

// FetchAuthSession returns the signed-in user's session, refreshing the tokens
// first when the access token expires within Config.RefreshThreshold (or when
// opts.ForceRefresh is set). Refreshing uses GetTokensFromRefreshToken.
//
// Nobody signed in: AuthSession{SignedIn: false} and a nil error.
//
// When the service refuses the refresh token (revoked, expired, user gone) the
// user is signed out locally, EventSessionExpired is emitted, and the result is
// AuthSession{SignedIn: false} with an error matching ErrSessionExpired and the
// service error. Any other refresh failure (network, throttling, 5xx) changes
// nothing: the stored session is returned together with the error.
func (c *Client) FetchAuthSession(ctx context.Context, opts FetchAuthSessionOptions) (AuthSession, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return AuthSession{}, err
	}
	defer end()
	rec, err := c.loadRecord()
	if err != nil {
		return AuthSession{}, err
	}
	if rec.Session == nil {
		return AuthSession{}, nil
	}
	if !opts.ForceRefresh && c.now().Add(c.cfg.RefreshThreshold).Before(rec.Session.AccessTokenExpiresAt) {
		return toAuthSession(rec.Session), nil
	}
	s, err := c.refreshAndStore(ctx, rec)
	if err != nil {
		if s == nil {
			return AuthSession{}, err
		}
		return toAuthSession(s), err
	}
	return toAuthSession(s), nil
}

// refreshAndStore refreshes rec's session and saves it (lock held). On a
// definitive failure it signs the user out locally and emits
// EventSessionExpired, returning a nil session. On another failure it returns
// the unchanged session and the error.
func (c *Client) refreshAndStore(ctx context.Context, rec credstore.Record) (*credstore.Session, error) {
	old := rec.Session
	s, err := c.refresh(ctx, old)
	if err != nil {
		if !definitive(err) {
			return old, err
		}
		rec.Session = nil
		if serr := safeSave(c.store, c.key, rec); serr != nil {
			return old, errors.Join(err, fmt.Errorf("auth: the session has expired but could not be cleared: %w", serr))
		}
		c.log.Info("auth: session expired", "username", old.Username, "reason", err.Error())
		c.emit(EventSessionExpired, old.Username)
		return nil, fmt.Errorf("%w: %w", ErrSessionExpired, err)
	}
	rec.Session = s
	if err := safeSave(c.store, c.key, rec); err != nil {
		return s, fmt.Errorf("auth: refreshed the tokens but could not save them: %w", err)
	}
	return s, nil
}

// refresh mints new tokens with the session's refresh token. It stores nothing.
// Like Amplify JS it uses GetTokensFromRefreshToken, which also serves app
// clients with refresh-token rotation (they refuse REFRESH_TOKEN_AUTH); a
// rotated refresh token replaces the stored one.
func (c *Client) refresh(ctx context.Context, s *credstore.Session) (*credstore.Session, error) {
	in := &cip.GetTokensFromRefreshTokenInput{
		ClientId:     aws.String(c.cfg.ClientID),
		RefreshToken: aws.String(s.RefreshToken),
	}
	if c.cfg.ClientSecret != "" {
		in.ClientSecret = aws.String(c.cfg.ClientSecret)
	}
	if k := currentDeviceKey(s); k != "" {
		in.DeviceKey = aws.String(k) // Cognito requires it where it remembers devices (devices.go)
	}
	out, err := callOp(ctx, c, "GetTokensFromRefreshToken", c.cip.GetTokensFromRefreshToken, in)
	if err != nil {
		return nil, err
	}
	if out.AuthenticationResult == nil {
		return nil, errors.New("auth: refresh answered without tokens")
	}
	ns, err := c.newSession(out.AuthenticationResult, s.LoginID, AuthFlow(s.AuthFlow), s)
	if err != nil {
		return nil, err
	}
	c.log.Debug("auth: tokens refreshed", "username", ns.Username)
	return ns, nil
}

func toAuthSession(s *credstore.Session) AuthSession {
	return AuthSession{
		SignedIn: true,
		Username: s.Username,
		UserSub:  s.UserSub,
		Tokens: Tokens{
			IDToken:              s.IDToken,
			AccessToken:          s.AccessToken,
			RefreshToken:         s.RefreshToken,
			AccessTokenExpiresAt: s.AccessTokenExpiresAt,
		},
	}
}

// User is the signed-in user, as CurrentUser reports it.
type User struct {
	// Username is the canonical user name.
	Username string
	// UserID is the user's "sub".
	UserID string
	// LoginID is what the user typed to sign in.
	LoginID string
	// AuthFlow is the flow the user signed in with (empty for hosted UI).
	AuthFlow AuthFlow
	// SignInMethod tells whether the user signed in through the API or the hosted UI.
	SignInMethod credstore.SignInMethod
}

// CurrentUser returns the signed-in user from the stored session, without
// network calls, or ErrNotSignedIn.
func (c *Client) CurrentUser(ctx context.Context) (User, error) {
	_, end, err := c.begin(ctx)
	if err != nil {
		return User{}, err
	}
	defer end()
	rec, err := c.loadRecord()
	if err != nil {
		return User{}, err
	}
	s := rec.Session
	if s == nil {
		return User{}, ErrNotSignedIn
	}
	return User{Username: s.Username, UserID: s.UserSub, LoginID: s.LoginID, AuthFlow: AuthFlow(s.AuthFlow), SignInMethod: s.SignInMethod}, nil
}

// DeleteUser deletes the signed-in user's account (DeleteUser), then signs the
// user out locally, forgets their remembered device and emits EventUserDeleted.
// The tokens are refreshed first when the access token has expired.
func (c *Client) DeleteUser(ctx context.Context) error {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	rec, err := c.loadRecord()
	if err != nil {
		return err
	}
	if rec.Session == nil {
		return ErrNotSignedIn
	}
	s := rec.Session
	if c.expiredSoon(s, 30*time.Second) {
		if s, err = c.refreshAndStore(ctx, rec); err != nil {
			return err
		}
		rec.Session = s
	}
	_, err = callOp(ctx, c, "DeleteUser", c.cip.DeleteUser, &cip.DeleteUserInput{AccessToken: aws.String(s.AccessToken)})
	if err != nil {
		return err
	}
	rec.Session = nil
	dropUserDevice(rec, s.Username) // devices.go
	if err := safeSave(c.store, c.key, rec); err != nil {
		return fmt.Errorf("auth: the user was deleted but the local session could not be cleared: %w", err)
	}
	c.emit(EventUserDeleted, s.Username)
	return nil
}

// expiredSoon reports whether s's access token expires within margin.
func (c *Client) expiredSoon(s *credstore.Session, margin time.Duration) bool {
	return !c.now().Add(margin).Before(s.AccessTokenExpiresAt)
}

func secondsDur(n int32) time.Duration { return time.Duration(n) * time.Second }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare)
	return keys
}
