package userpool

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/token"
)

// The pre token generation trigger's sources: what minted the tokens.
const (
	tokenSourceHostedAuth  = "TokenGeneration_HostedAuth"
	tokenSourceAuth        = "TokenGeneration_Authentication"
	tokenSourceNewPassword = "TokenGeneration_NewPasswordChallenge"
	tokenSourceDevice      = "TokenGeneration_AuthenticateDevice"
	tokenSourceRefresh     = "TokenGeneration_RefreshTokens"
)

type tokenSourceKey struct{}

// withTokenSource marks ctx with the pre token generation trigger source of
// the tokens it will mint (the step that completed the sign-in knows it;
// mint does not).
func withTokenSource(ctx context.Context, src string) context.Context {
	return context.WithValue(ctx, tokenSourceKey{}, src)
}

func tokenSourceOf(ctx context.Context, sess *store.Session) string {
	if src, ok := ctx.Value(tokenSourceKey{}).(string); ok && src != "" {
		return src
	}
	if sess.Source == SourceHostedUI {
		return tokenSourceHostedAuth
	}
	return tokenSourceAuth
}

// reservedClaims are the claims a pre token generation function may not
// add, override or suppress: Cognito's documented list, the claims Cognate
// revokes and verifies by (origin_jti, event_id, jti, client_id, ...), and
// the group claims, which change only through groupOverrideDetails.
// Cognito ignores such changes; so does Cognate.
var reservedClaims = map[string]bool{
	"acr": true, "amr": true, "aud": true, "at_hash": true, "auth_time": true, "azp": true,
	"cognito:username": true, "exp": true, "iat": true, "identities": true, "iss": true,
	"jti": true, "nbf": true, "nonce": true, "origin_jti": true, "sub": true, "token_use": true,
	"event_id": true, "client_id": true, "scope": true, "username": true, "version": true,
	"device_key": true, "cognito:groups": true, "cognito:roles": true, "cognito:preferred_role": true,
}

// groupConfiguration is the user's groups as the event carries them (the
// request's groupConfiguration and the response's groupOverrideDetails).
type groupConfiguration struct {
	GroupsToOverride   []string `json:"groupsToOverride"`
	IAMRolesToOverride []string `json:"iamRolesToOverride"`
	PreferredRole      *string  `json:"preferredRole"`
}

type preTokenRequest struct {
	UserAttributes     map[string]string  `json:"userAttributes"`
	GroupConfiguration groupConfiguration `json:"groupConfiguration"`
	Scopes             []string           `json:"scopes,omitempty"` // V2 and V3 only
	ClientMetadata     map[string]string  `json:"clientMetadata"`
}

// tokenChanges is what a function asks of one token.
type tokenChanges struct {
	ClaimsToAddOrOverride map[string]json.RawMessage `json:"claimsToAddOrOverride"`
	ClaimsToSuppress      []string                   `json:"claimsToSuppress"`
	ScopesToAdd           []string                   `json:"scopesToAdd"`      // access token only
	ScopesToSuppress      []string                   `json:"scopesToSuppress"` // access token only
}

// preTokenResponse reads both event versions' responses. Group overrides
// are kept raw: a present groupOverrideDetails (even null or empty)
// replaces the groups, an absent one keeps them, as documented.
type preTokenResponse struct {
	// V1_0
	ClaimsOverrideDetails *struct {
		tokenChanges
		GroupOverrideDetails json.RawMessage `json:"groupOverrideDetails"`
	} `json:"claimsOverrideDetails"`
	// V2_0, V3_0
	ClaimsAndScopeOverrideDetails *struct {
		IDTokenGeneration     *tokenChanges   `json:"idTokenGeneration"`
		AccessTokenGeneration *tokenChanges   `json:"accessTokenGeneration"`
		GroupOverrideDetails  json.RawMessage `json:"groupOverrideDetails"`
	} `json:"claimsAndScopeOverrideDetails"`
}

// preTokenGeneration runs the pool's pre token generation trigger, if any,
// on the claims mint is about to sign, and applies what it answers: V1_0
// changes the ID token (and the groups of both), V2_0 and V3_0 both tokens
// and the access token's scopes.
func (s *Service) preTokenGeneration(ctx context.Context, c *Client, u *store.User, sess *store.Session, access, id *token.Claims) error {
	source := tokenSourceOf(ctx, sess)
	p, ok := s.preToken.get(c.PoolID, source == tokenSourceRefresh)
	if !ok {
		var err error
		if p, err = s.pool(ctx, c.PoolID); err != nil {
			return err
		}
		s.preToken.put(p)
	}
	fn, version := p.trigger(TriggerPreTokenGeneration)
	if fn == "" {
		return nil
	}
	groups := groupConfiguration{GroupsToOverride: orEmpty(id.Groups), IAMRolesToOverride: []string{}}
	if roles, ok := id.Extra["cognito:roles"].([]string); ok {
		groups.IAMRolesToOverride = roles
	}
	if pr, ok := id.Extra["cognito:preferred_role"].(string); ok {
		groups.PreferredRole = &pr
	}
	req := preTokenRequest{UserAttributes: userAttrsForEvent(u), GroupConfiguration: groups,
		ClientMetadata: clientMetadataOf(ctx)}
	var resp any = map[string]any{"claimsOverrideDetails": nil}
	if version != "1" {
		req.Scopes = orEmpty(strings.Fields(access.Scope))
		resp = map[string]any{"claimsAndScopeOverrideDetails": nil}
	}
	var out preTokenResponse
	if _, err := s.runTrigger(ctx, p, triggerCall{Name: TriggerPreTokenGeneration, Source: source,
		ClientID: c.ID, UserName: u.Username, Request: req, Response: resp}, &out); err != nil {
		return err
	}
	if version == "1" {
		if d := out.ClaimsOverrideDetails; d != nil {
			d.ScopesToAdd, d.ScopesToSuppress = nil, nil // V1_0 cannot touch the access token
			applyClaimChanges(id, &d.tokenChanges)
			applyGroupOverride(access, id, d.GroupOverrideDetails)
		}
		return nil
	}
	if d := out.ClaimsAndScopeOverrideDetails; d != nil {
		if d.IDTokenGeneration != nil {
			d.IDTokenGeneration.ScopesToAdd, d.IDTokenGeneration.ScopesToSuppress = nil, nil
			applyClaimChanges(id, d.IDTokenGeneration)
		}
		if d.AccessTokenGeneration != nil {
			applyClaimChanges(access, d.AccessTokenGeneration)
			access.Scope = applyScopeChanges(access.Scope, d.AccessTokenGeneration)
		}
		applyGroupOverride(access, id, d.GroupOverrideDetails)
	}
	return nil
}

// tokenSourceClientCredentials is the source of a client_credentials token.
const tokenSourceClientCredentials = "TokenGeneration_ClientCredentials"

// preTokenClientCredentials runs a V3_0 pre token generation trigger on an
// access token of the client_credentials grant (machine to machine: no
// user, no ID token; earlier versions do not run for it, as in Cognito).
func (s *Service) preTokenClientCredentials(ctx context.Context, c *Client, access *token.Claims) error {
	p, err := s.pool(ctx, c.PoolID)
	if err != nil {
		return err
	}
	if _, version := p.trigger(TriggerPreTokenGeneration); version != "3" {
		return nil
	}
	req := preTokenRequest{UserAttributes: map[string]string{},
		GroupConfiguration: groupConfiguration{GroupsToOverride: []string{}, IAMRolesToOverride: []string{}},
		Scopes:             orEmpty(strings.Fields(access.Scope)), ClientMetadata: clientMetadataOf(ctx)}
	var out preTokenResponse
	if _, err := s.runTrigger(ctx, p, triggerCall{Name: TriggerPreTokenGeneration, Source: tokenSourceClientCredentials,
		ClientID: c.ID, UserName: "ClientCredentials", Request: req,
		Response: map[string]any{"claimsAndScopeOverrideDetails": nil}}, &out); err != nil {
		return err
	}
	if d := out.ClaimsAndScopeOverrideDetails; d != nil && d.AccessTokenGeneration != nil {
		applyClaimChanges(access, d.AccessTokenGeneration)
		access.Scope = applyScopeChanges(access.Scope, d.AccessTokenGeneration)
	}
	return nil
}

// applyClaimChanges adds, overrides, then suppresses claims (a claim both
// overridden and suppressed is suppressed, as documented); reserved claims
// are left alone.
func applyClaimChanges(t *token.Claims, ch *tokenChanges) {
	for k, raw := range ch.ClaimsToAddOrOverride {
		if reservedClaims[k] || k == "" {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) != nil || v == nil {
			continue
		}
		if t.Extra == nil {
			t.Extra = map[string]any{}
		}
		t.Extra[k] = v
	}
	for _, k := range ch.ClaimsToSuppress {
		if !reservedClaims[k] {
			delete(t.Extra, k)
		}
	}
}

// applyScopeChanges adds then suppresses scopes; a scope with a space in it
// is not one and is ignored.
func applyScopeChanges(scope string, ch *tokenChanges) string {
	scopes := strings.Fields(scope)
	for _, sc := range ch.ScopesToAdd {
		if sc != "" && !strings.ContainsAny(sc, " \t\r\n") && !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	scopes = slices.DeleteFunc(scopes, func(sc string) bool { return slices.Contains(ch.ScopesToSuppress, sc) })
	return strings.Join(scopes, " ")
}

// applyGroupOverride replaces the groups of both tokens, and the ID token's
// roles, with raw when the function sent groupOverrideDetails.
func applyGroupOverride(access, id *token.Claims, raw json.RawMessage) {
	if len(raw) == 0 {
		return // absent: the groups stay
	}
	var g groupConfiguration
	_ = json.Unmarshal(raw, &g) // null or not an object: no groups
	access.Groups, id.Groups = g.GroupsToOverride, g.GroupsToOverride
	if id.Extra == nil {
		id.Extra = map[string]any{}
	}
	delete(id.Extra, "cognito:roles")
	delete(id.Extra, "cognito:preferred_role")
	if len(g.IAMRolesToOverride) > 0 {
		id.Extra["cognito:roles"] = g.IAMRolesToOverride
	}
	if g.PreferredRole != nil && *g.PreferredRole != "" {
		id.Extra["cognito:preferred_role"] = *g.PreferredRole
	}
}

// userAttrsForEvent is a user's attributes as a trigger's request carries
// them: with sub and cognito:user_status.
func userAttrsForEvent(u *store.User) map[string]string {
	out := make(map[string]string, len(u.Attributes)+2)
	for k, v := range u.Attributes {
		out[k] = v
	}
	out["sub"] = u.Sub
	out["cognito:user_status"] = u.Status
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// preTokenCacheTTL is how long a refresh trusts what the last mint of the
// pool read of its triggers.
const preTokenCacheTTL = 15 * time.Second

// preTokenCache remembers each pool as the last sign-in read it, so that a
// refresh — one store read, by design — need not read the pool again to
// learn whether it has a pre token generation trigger. Every sign-in reads
// the pool afresh; a refresh sees a changed LambdaConfig within
// preTokenCacheTTL.
type preTokenCache struct {
	mu    sync.Mutex
	pools map[string]preTokenEntry
}

type preTokenEntry struct {
	pool *Pool
	at   time.Time
}

// get returns the pool cached for a refresh (refresh true) within the TTL.
func (c *preTokenCache) get(poolID string, refresh bool) (*Pool, bool) {
	if !refresh {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.pools[poolID]
	if !ok || time.Since(e.at) > preTokenCacheTTL {
		return nil, false
	}
	return e.pool, true
}

func (c *preTokenCache) put(p *Pool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pools == nil {
		c.pools = map[string]preTokenEntry{}
	}
	now := time.Now()
	if len(c.pools) >= 1024 { // forget the stale, so deleted pools do not pile up
		for id, e := range c.pools {
			if now.Sub(e.at) > preTokenCacheTTL {
				delete(c.pools, id)
			}
		}
	}
	c.pools[p.ID] = preTokenEntry{pool: p, at: now}
}
