package userpool

// The hosted UI's authorization and logout requests: which client, which
// redirect URI, which scopes, PKCE. The wire side (httpapi/oauth) decodes,
// calls these and renders pages or redirects.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// ScopeOpenID is the OIDC scope: it yields an ID token and opens userInfo.
const ScopeOpenID = "openid"

// AuthorizeParams are the parameters of GET /oauth2/authorize (and of the
// /login page, which carries them along).
type AuthorizeParams struct {
	ClientID            string
	RedirectURI         string
	ResponseType        string
	State               string
	Scope               string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              string // "login" forces the password, "none" forbids asking for it
	Nonce               string // OIDC: echoed in the ID token
}

// AuthorizeRequest is a validated authorization request.
type AuthorizeRequest struct {
	AuthorizeParams
	PoolID     string
	ClientID   string
	ClientName string
	Scopes     []string // granted: requested ∩ allowed, or every allowed scope when none was requested
	// SignInWith is what the pool's users sign in with: "username",
	// "email", "phone_number", "preferred_username" (for the page's labels).
	SignInWith []string
}

var (
	pkceChallengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)       // base64url(SHA-256), unpadded
	pkceVerifierRE  = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`) // RFC 7636 §4.1
)

// scopes that OIDC defines on top of openid.
var oidcScopes = []string{"email", "phone", "profile"}

// CheckAuthorize validates an authorization request. The pool, the client
// and the redirect URI are checked first: their errors carry no RedirectURI
// (show an error page, never redirect). Every later error carries the
// redirect URI and state, to be sent back per RFC 6749.
func (s *Service) CheckAuthorize(ctx context.Context, poolID string, p AuthorizeParams) (*AuthorizeRequest, error) {
	c, err := s.hostedClient(ctx, poolID, p.ClientID)
	if err != nil {
		return nil, err
	}
	if p.RedirectURI == "" {
		p.RedirectURI = c.Config.DefaultRedirectURI
	}
	if p.RedirectURI == "" {
		return nil, invalidf("redirect_uri is required")
	}
	if !slices.Contains(c.Config.CallbackURLs, p.RedirectURI) {
		return nil, invalidf("redirect_mismatch: redirect_uri is not one of the app client's callback URLs")
	}
	back := func(k Kind, format string, args ...any) error {
		e := errorf(k, format, args...)
		e.RedirectURI, e.State = p.RedirectURI, p.State
		return e
	}
	switch p.ResponseType {
	case "code":
	case "":
		return nil, back(KindInvalid, "response_type is required")
	default:
		return nil, back(KindUnsupported, "only response_type=code is supported")
	}
	if !c.allowsOAuthFlow("code") {
		return nil, back(KindNotAllowed, "the app client is not allowed the authorization code flow")
	}
	live, err := s.liveScopes(ctx, poolID, c.Config.AllowedOAuthScopes) // resourceservers.go
	if err != nil {
		return nil, err
	}
	granting := *c
	granting.Config.AllowedOAuthScopes = live
	scopes, err := grantScopes(&granting, p.Scope)
	if err != nil {
		return nil, back(KindScopeNotAllowed, "%s", err.Error())
	}
	switch {
	case p.CodeChallenge == "" && p.CodeChallengeMethod != "":
		return nil, back(KindInvalid, "code_challenge_method without code_challenge")
	case p.CodeChallenge == "" && c.Secret == "":
		return nil, back(KindInvalid, "PKCE is required for public clients: send code_challenge with code_challenge_method=S256")
	case p.CodeChallenge != "" && p.CodeChallengeMethod != "S256":
		return nil, back(KindInvalid, "code_challenge_method must be S256")
	case p.CodeChallenge != "" && !pkceChallengeRE.MatchString(p.CodeChallenge):
		return nil, back(KindInvalid, "code_challenge must be the unpadded base64url SHA-256 of the code verifier")
	case len(p.Nonce) > 512:
		return nil, back(KindInvalid, "nonce is longer than 512 characters")
	}
	pool, err := s.pool(ctx, poolID)
	if err != nil {
		return nil, err
	}
	return &AuthorizeRequest{AuthorizeParams: p, PoolID: poolID, ClientID: c.ID, ClientName: c.Name, Scopes: scopes,
		SignInWith: pool.Config.signInWith()}, nil
}

// signInWith lists what the pool's users sign in with.
func (c *PoolConfig) signInWith() []string {
	if len(c.UsernameAttributes) > 0 {
		return slices.Clone(c.UsernameAttributes)
	}
	return append([]string{"username"}, c.AliasAttributes...)
}

// allowsOAuthFlow reports whether the client may use an OAuth flow.
func (c *Client) allowsOAuthFlow(flow string) bool {
	return c.Config.AllowedOAuthFlowsUserPoolClient && slices.Contains(c.Config.AllowedOAuthFlows, flow)
}

// hostedClient loads the client of an authorization or logout request; its
// errors are error-page errors.
func (s *Service) hostedClient(ctx context.Context, poolID, clientID string) (*Client, error) {
	if _, err := s.pool(ctx, poolID); err != nil {
		if e := AsError(err); e != nil && e.Kind == KindNotFound {
			e.Message = "unknown user pool"
		}
		return nil, err
	}
	if clientID == "" {
		return nil, invalidf("client_id is required")
	}
	c, err := s.client(ctx, poolID, clientID)
	if e := AsError(err); e != nil && e.Kind == KindNotFound {
		e.Message = "unknown client_id"
	}
	return c, err
}

// grantScopes decides the scopes of an authorization: the requested ones,
// each of which the client must be allowed, or all the client's allowed
// scopes when none is requested.
func grantScopes(c *Client, requested string) ([]string, error) {
	var out []string
	if strings.TrimSpace(requested) == "" {
		out = slices.Clone(c.Config.AllowedOAuthScopes)
	} else {
		for _, sc := range strings.Fields(requested) {
			if !slices.Contains(c.Config.AllowedOAuthScopes, sc) {
				return nil, fmt.Errorf("scope %q is not allowed for this app client", sc)
			}
			if !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the app client has no allowed OAuth scopes")
	}
	if !slices.Contains(out, ScopeOpenID) {
		for _, sc := range out {
			if slices.Contains(oidcScopes, sc) {
				return nil, fmt.Errorf("scope %q requires the openid scope", sc)
			}
		}
	}
	return out, nil
}

// LogoutParams are the parameters of GET /logout.
type LogoutParams struct {
	ClientID     string
	LogoutURI    string
	RedirectURI  string
	ResponseType string
}

// CheckLogout validates a logout request. It returns the registered
// logout_uri to send the browser to, or "" when the request names a
// redirect_uri instead (sign in again: the caller sends the browser to the
// login page with the request's parameters). Errors are for an error page:
// an unregistered URI is never redirected to.
func (s *Service) CheckLogout(ctx context.Context, poolID string, p LogoutParams) (string, error) {
	c, err := s.hostedClient(ctx, poolID, p.ClientID)
	if err != nil {
		return "", err
	}
	switch {
	case p.LogoutURI != "":
		if !slices.Contains(c.Config.LogoutURLs, p.LogoutURI) {
			return "", invalidf("logout_uri is not one of the app client's sign-out URLs")
		}
		return p.LogoutURI, nil
	case p.RedirectURI != "":
		if !slices.Contains(c.Config.CallbackURLs, p.RedirectURI) {
			return "", invalidf("redirect_mismatch: redirect_uri is not one of the app client's callback URLs")
		}
		if p.ResponseType == "" {
			return "", invalidf("response_type is required with redirect_uri")
		}
		return "", nil
	}
	return "", invalidf("logout_uri (or redirect_uri and response_type) is required")
}
