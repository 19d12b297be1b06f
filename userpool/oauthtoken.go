package userpool

// The OAuth 2.0 token, revocation and userInfo endpoints' rules. Client
// authentication goes through Client.authenticate, refresh through the same
// refresh as the API flows, revocation through revokeRefreshToken.

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/token"
)

// TokenRequest is a POST /oauth2/token, with the client credentials the
// wire found (HTTP Basic or form).
type TokenRequest struct {
	GrantType    string
	Code         string
	RedirectURI  string
	CodeVerifier string
	RefreshToken string
	Scope        string
	ClientID     string
	ClientSecret string
}

// TokenResponse is the token endpoint's answer. IDToken is empty without
// the openid scope, RefreshToken when the grant returns none.
type TokenResponse struct {
	AccessToken  string
	IDToken      string
	RefreshToken string
	TokenType    string
	ExpiresIn    int
}

// oauthClient loads and authenticates the client of a token or revocation
// request (the wire has checked that a client id was sent).
func (s *Service) oauthClient(ctx context.Context, poolID, clientID, secret string) (*Client, error) {
	c, err := s.client(ctx, poolID, clientID)
	if e := AsError(err); e != nil && e.Kind == KindNotFound {
		e.Message = "unknown client"
	}
	if err != nil {
		return nil, err
	}
	if err := c.authenticate(clientProof{secret: secret}); err != nil {
		return nil, err
	}
	return c, nil
}

// oAuthToken serves the token endpoint's grants: authorization_code (with
// PKCE), refresh_token (a new refresh token only with rotation) and
// client_credentials.
func (s *Service) oAuthToken(ctx context.Context, poolID string, in TokenRequest) (*TokenResponse, error) {
	c, err := s.oauthClient(ctx, poolID, in.ClientID, in.ClientSecret)
	if err != nil {
		return nil, err
	}
	switch in.GrantType {
	case "authorization_code":
		return s.exchangeCode(ctx, c, in)
	case "refresh_token":
		if in.RefreshToken == "" {
			return nil, invalidf("refresh_token is required")
		}
		res, f, err := s.refresh(ctx, c, in.RefreshToken, nil, c.Config.RotationEnabled())
		if err != nil {
			return nil, err
		}
		out := tokenResponse(res)
		// Families signed in through the API always get an ID token;
		// hosted-UI ones only with the openid scope.
		if f.sess.Source == SourceHostedUI && !hasScope(f.sess.Scopes, ScopeOpenID) {
			out.IDToken = ""
		}
		return out, nil
	case "client_credentials":
		return s.clientCredentials(ctx, c, in.Scope)
	case "":
		return nil, invalidf("grant_type is required")
	}
	return nil, errorf(KindUnsupported, "grant_type %q is not supported", in.GrantType)
}

func tokenResponse(r *AuthResult) *TokenResponse {
	return &TokenResponse{AccessToken: r.AccessToken, IDToken: r.IDToken, RefreshToken: r.RefreshToken,
		TokenType: "Bearer", ExpiresIn: r.ExpiresIn}
}

// clientCredentials mints an access token for the client itself: sub is
// the client id, the scopes are the client's custom (resource-server)
// scopes; no user, no ID token, no refresh token, no token family.
func (s *Service) clientCredentials(ctx context.Context, c *Client, requested string) (*TokenResponse, error) {
	if c.Secret == "" || !c.allowsOAuthFlow("client_credentials") {
		return nil, errorf(KindNotAllowed, "the client is not allowed the client_credentials grant")
	}
	live, err := s.liveScopes(ctx, c.PoolID, c.Config.AllowedOAuthScopes) // resourceservers.go
	if err != nil {
		return nil, err
	}
	var custom []string
	for _, sc := range live {
		if isCustomScope(sc) {
			custom = append(custom, sc)
		}
	}
	scopes := custom
	if strings.TrimSpace(requested) != "" {
		scopes = nil
		for _, sc := range strings.Fields(requested) {
			if !slices.Contains(custom, sc) {
				return nil, errorf(KindScopeNotAllowed, "scope %q is not allowed for client_credentials", sc)
			}
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	if len(scopes) == 0 {
		return nil, errorf(KindScopeNotAllowed, "the client has no custom scopes")
	}
	ks, err := s.keySet(ctx, c.PoolID)
	if err != nil {
		return nil, internal("client credentials", err)
	}
	now := s.now().UTC()
	life := c.Config.AccessTokenDuration()
	claims := &token.Claims{Sub: c.ID, Iss: ks.Issuer(), TokenUse: token.UseAccess, ClientID: c.ID,
		Scope: strings.Join(scopes, " "), AuthTime: now.Unix(), IssuedAt: now.Unix(), ExpiresAt: now.Add(life).Unix(),
		Version: 2, JTI: newUUID()}
	if err := s.preTokenClientCredentials(ctx, c, claims); err != nil { // pretoken.go: V3_0 only
		return nil, err
	}
	at, err := ks.Sign(claims)
	if err != nil {
		return nil, internal("sign access token", err)
	}
	return &TokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: int(life / time.Second)}, nil
}

// oAuthRevoke is POST /oauth2/revoke: RevokeToken for a client of the pool
// (the wire has checked that a token and a client id were sent). The client
// is read once.
func (s *Service) oAuthRevoke(ctx context.Context, poolID, raw, clientID, clientSecret string) error {
	c, err := s.oauthClient(ctx, poolID, clientID, clientSecret)
	if err != nil {
		return err
	}
	return s.revokeRefreshToken(ctx, c, raw)
}

// UserInfo is GET /oauth2/userInfo: the OIDC claims of the access token's
// user. The token must be live (its family not ended, not expired) and
// carry the openid scope. Claims are strings, as Cognito returns them
// (email_verified is "true" or "false").
func (s *Service) UserInfo(ctx context.Context, poolID, raw string) (map[string]any, error) {
	pr, err := s.authenticateToRead(ctx, raw, ScopeOpenID)
	if err != nil {
		return nil, err
	}
	if pr.user.PoolID != poolID {
		return nil, refused(CauseAccessTokenInvalid)
	}
	out := make(map[string]any, len(pr.user.Attributes)+2)
	for k, v := range pr.user.Attributes {
		out[k] = v
	}
	out["sub"] = pr.user.Sub
	out["username"] = pr.user.Username
	return out, nil
}
