package userpool

// Resource servers and their custom scopes (<identifier>/<scope>), which
// app clients may be allowed (AllowedOAuthScopes) and the client_credentials
// grant and the authorize endpoint grant.

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/store"
)

// ResourceServerScope is one scope of a resource server.
type ResourceServerScope struct {
	ScopeName        string `json:"ScopeName"`
	ScopeDescription string `json:"ScopeDescription"`
}

// ResourceServer is a pool's resource server.
type ResourceServer struct {
	PoolID     string
	Identifier string
	Name       string
	Scopes     []ResourceServerScope
}

// CauseScopeNotFound: an app client names a scope that no resource server
// of the pool declares (Subject: the scope).
const CauseScopeNotFound Cause = "scope-not-found"

// CauseResourceServerNotFound: no resource server of that identifier.
const CauseResourceServerNotFound Cause = "resource-server-not-found"

var (
	rsIdentifierRE = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)
	rsScopeNameRE  = regexp.MustCompile(`^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+$`)
)

// standardScopes are the scopes Cognito defines itself.
var standardScopes = []string{ScopeOpenID, "email", "phone", "profile", "aws.cognito.signin.user.admin"}

const maxResourceServerScopes = 100

func checkResourceServer(rs *ResourceServer) error {
	if rs.Identifier == "" {
		return required("identifier")
	}
	if len(rs.Identifier) > 256 || !rsIdentifierRE.MatchString(rs.Identifier) {
		return violation(Violation{Member: "identifier", Rule: RuleLengthPattern, Value: rs.Identifier, Shown: true, Min: 1, Max: 256,
			Pattern: `[\x21\x23-\x5B\x5D-\x7E]+`})
	}
	if rs.Name == "" {
		return required("name")
	}
	if len(rs.Name) > 256 || !nameRE.MatchString(rs.Name) {
		return violation(Violation{Member: "name", Rule: RuleLengthPattern, Value: rs.Name, Shown: true, Min: 1, Max: 256,
			Pattern: `[\w\s+=,.@-]+`})
	}
	if len(rs.Scopes) > maxResourceServerScopes {
		return violation(Violation{Member: "scopes", Rule: RuleMaxLength, Max: maxResourceServerScopes})
	}
	seen := map[string]bool{}
	for i, sc := range rs.Scopes {
		member := "scopes." + strconv.Itoa(i+1) + ".member."
		if sc.ScopeName == "" {
			return required(member + "scopeName")
		}
		if len(sc.ScopeName) > 256 || !rsScopeNameRE.MatchString(sc.ScopeName) {
			return violation(Violation{Member: member + "scopeName", Rule: RuleLengthPattern, Value: sc.ScopeName, Shown: true,
				Min: 1, Max: 256, Pattern: `[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+`})
		}
		if sc.ScopeDescription == "" {
			return required(member + "scopeDescription")
		}
		if len(sc.ScopeDescription) > 256 {
			return violation(Violation{Member: member + "scopeDescription", Rule: RuleLengthPattern, Min: 1, Max: 256})
		}
		if seen[sc.ScopeName] {
			return invalidf("Duplicate scope names are not allowed: %s", sc.ScopeName)
		}
		seen[sc.ScopeName] = true
	}
	return nil
}

func toResourceServer(r *store.ResourceServer) (*ResourceServer, error) {
	out := &ResourceServer{PoolID: r.PoolID, Identifier: r.Identifier, Name: r.Name}
	if err := json.Unmarshal(r.Scopes, &out.Scopes); err != nil {
		return nil, internal("resource server scopes", err)
	}
	if out.Scopes == nil {
		out.Scopes = []ResourceServerScope{}
	}
	return out, nil
}

func (s *Service) storeResourceServer(rs *ResourceServer) (*store.ResourceServer, error) {
	if rs.Scopes == nil {
		rs.Scopes = []ResourceServerScope{}
	}
	b, err := json.Marshal(rs.Scopes)
	if err != nil {
		return nil, internal("encode scopes", err)
	}
	now := s.now().UTC()
	return &store.ResourceServer{PoolID: rs.PoolID, Identifier: rs.Identifier, Name: rs.Name, Scopes: b, CreatedAt: now, UpdatedAt: now}, nil
}

// CreateResourceServer declares a resource server and its scopes.
func (s *Service) CreateResourceServer(ctx context.Context, rs ResourceServer) (*ResourceServer, error) {
	if _, err := s.pool(ctx, rs.PoolID); err != nil {
		return nil, err
	}
	if err := checkResourceServer(&rs); err != nil {
		return nil, err
	}
	row, err := s.storeResourceServer(&rs)
	if err != nil {
		return nil, err
	}
	if err := s.resources.CreateResourceServer(ctx, row); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, invalidf("%s already exists in %s", rs.Identifier, rs.PoolID)
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, caused(KindNotFound, CausePoolNotFound, rs.PoolID)
		}
		return nil, internal("create resource server", err)
	}
	s.log.Info("resource server created", "pool", rs.PoolID, "identifier", rs.Identifier)
	return &rs, nil
}

// DescribeResourceServer returns a resource server of the pool.
func (s *Service) DescribeResourceServer(ctx context.Context, poolID, identifier string) (*ResourceServer, error) {
	if _, err := s.pool(ctx, poolID); err != nil {
		return nil, err
	}
	if identifier == "" {
		return nil, required("identifier")
	}
	r, err := s.resources.GetResourceServer(ctx, poolID, identifier)
	if errors.Is(err, store.ErrNotFound) {
		return nil, caused(KindNotFound, CauseResourceServerNotFound, identifier)
	}
	if err != nil {
		return nil, internal("get resource server", err)
	}
	return toResourceServer(r)
}

// UpdateResourceServer replaces a resource server's name and scopes (left
// out, the scopes become none, as Cognito does). App clients keep the
// scopes they name; scopes that no longer exist are never granted.
func (s *Service) UpdateResourceServer(ctx context.Context, rs ResourceServer) (*ResourceServer, error) {
	if _, err := s.DescribeResourceServer(ctx, rs.PoolID, rs.Identifier); err != nil {
		return nil, err
	}
	if err := checkResourceServer(&rs); err != nil {
		return nil, err
	}
	row, err := s.storeResourceServer(&rs)
	if err != nil {
		return nil, err
	}
	if err := s.resources.UpdateResourceServer(ctx, row); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, caused(KindNotFound, CauseResourceServerNotFound, rs.Identifier)
		}
		return nil, internal("update resource server", err)
	}
	return &rs, nil
}

// DeleteResourceServer deletes a resource server. App clients keep the
// scopes they name (Cognito lets a resource server go while clients name
// its scopes); they are no longer granted, and a client update that names
// them again is refused.
func (s *Service) DeleteResourceServer(ctx context.Context, poolID, identifier string) error {
	if _, err := s.DescribeResourceServer(ctx, poolID, identifier); err != nil {
		return err
	}
	if err := s.resources.DeleteResourceServer(ctx, poolID, identifier); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return caused(KindNotFound, CauseResourceServerNotFound, identifier)
		}
		return internal("delete resource server", err)
	}
	s.log.Info("resource server deleted", "pool", poolID, "identifier", identifier)
	return nil
}

// ListResourceServers pages through a pool's resource servers; maxResults
// is 1–50 (0: 50).
func (s *Service) ListResourceServers(ctx context.Context, poolID string, maxResults int, next string) ([]*ResourceServer, string, error) {
	if _, err := s.pool(ctx, poolID); err != nil {
		return nil, "", err
	}
	if maxResults == 0 {
		maxResults = 50
	}
	if maxResults < 1 || maxResults > 50 {
		return nil, "", violation(Violation{Member: "maxResults", Rule: RuleRange, Value: strconv.Itoa(maxResults), Shown: true, Min: 1, Max: 50})
	}
	after, err := decodeNext(next)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.resources.ListResourceServers(ctx, poolID, after, maxResults+1)
	if err != nil {
		return nil, "", internal("list resource servers", err)
	}
	var out []*ResourceServer
	for i, r := range rows {
		if i == maxResults {
			break
		}
		rs, err := toResourceServer(r)
		if err != nil {
			return nil, "", err
		}
		out = append(out, rs)
	}
	if len(rows) > maxResults {
		return out, encodeNext(rows[maxResults-1].Identifier), nil
	}
	return out, "", nil
}

// poolScopes returns every custom scope the pool's resource servers
// declare, as <identifier>/<scope>.
func (s *Service) poolScopes(ctx context.Context, poolID string) (map[string]bool, error) {
	rows, err := s.resources.ListResourceServers(ctx, poolID, "", 0)
	if err != nil {
		return nil, internal("list resource servers", err)
	}
	out := map[string]bool{}
	for _, r := range rows {
		rs, err := toResourceServer(r)
		if err != nil {
			return nil, err
		}
		for _, sc := range rs.Scopes {
			out[rs.Identifier+"/"+sc.ScopeName] = true
		}
	}
	return out, nil
}

// checkClientScopes refuses AllowedOAuthScopes that are neither Cognito's
// standard scopes nor a custom scope of the pool (ScopeDoesNotExistException).
func (s *Service) checkClientScopes(ctx context.Context, poolID string, scopes []string) error {
	var custom map[string]bool
	for _, sc := range scopes {
		if slices.Contains(standardScopes, sc) {
			continue
		}
		if custom == nil {
			var err error
			if custom, err = s.poolScopes(ctx, poolID); err != nil {
				return err
			}
		}
		if !custom[sc] {
			return caused(KindInvalid, CauseScopeNotFound, sc)
		}
	}
	return nil
}

// liveScopes drops from scopes the custom ones no resource server of the
// pool declares any more (deleted or updated away): never granted.
func (s *Service) liveScopes(ctx context.Context, poolID string, scopes []string) ([]string, error) {
	if !slices.ContainsFunc(scopes, isCustomScope) {
		return scopes, nil
	}
	custom, err := s.poolScopes(ctx, poolID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(slices.Clone(scopes), func(sc string) bool { return isCustomScope(sc) && !custom[sc] }), nil
}

func isCustomScope(sc string) bool { return strings.Contains(sc, "/") }
