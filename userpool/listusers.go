package userpool

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/store"
)

// ListUsersInput is what ListUsers takes.
type ListUsersInput struct {
	PoolID          string
	Limit           int
	PaginationToken string
	Filter          string
}

// ListUsers pages through a pool's users, with Cognito's simple filter
// language: `attr = "value"` or `attr ^= "prefix"`.
func (s *Service) ListUsers(ctx context.Context, in ListUsersInput) ([]*User, string, error) {
	p, err := s.pool(ctx, in.PoolID)
	if err != nil {
		return nil, "", err
	}
	if in.Limit == 0 {
		in.Limit = 60
	}
	if in.Limit < 1 || in.Limit > 60 {
		return nil, "", violation(Violation{Member: "limit", Rule: RuleRange, Value: strconv.Itoa(in.Limit), Shown: true, Min: 0, Max: 60})
	}
	match, err := parseFilter(p, in.Filter)
	if err != nil {
		return nil, "", err
	}
	after, err := decodeNext(in.PaginationToken)
	if err != nil {
		return nil, "", err
	}
	var out []*User
	for {
		rows, err := s.users.ListUsers(ctx, p.ID, after, 200)
		if err != nil {
			return nil, "", internal("list users", err)
		}
		for _, r := range rows {
			if !match(r) {
				continue
			}
			if len(out) == in.Limit {
				return out, encodeNext(out[len(out)-1].Username), nil
			}
			out = append(out, s.toUser(r))
		}
		if len(rows) < 200 {
			return out, "", nil
		}
		after = rows[len(rows)-1].Username
	}
}

// parseFilter compiles a ListUsers filter. In a case-insensitive pool the
// username is compared without case, as every other username input is
// (UsernameConfiguration: "case insensitivity for all username input").
func parseFilter(p *Pool, f string) (func(*store.User) bool, error) {
	f = strings.TrimSpace(f)
	if f == "" {
		return func(*store.User) bool { return true }, nil
	}
	op := "="
	i := strings.Index(f, "^=")
	if i >= 0 {
		op = "^="
	} else if i = strings.Index(f, "="); i < 0 {
		return nil, invalidf("Error while parsing filter.")
	}
	attr := strings.TrimSpace(f[:i])
	val := strings.TrimSpace(f[i+len(op):])
	if len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
		return nil, invalidf("Error while parsing filter.")
	}
	val = val[1 : len(val)-1]
	get := func(u *store.User) string { return u.Attributes[attr] }
	switch attr {
	case "username":
		get = func(u *store.User) string { return usernameKey(p, u.Username) }
		val = usernameKey(p, val)
	case "sub":
		get = func(u *store.User) string { return u.Sub }
	case "status":
		get = func(u *store.User) string {
			if u.Enabled {
				return "Enabled"
			}
			return "Disabled"
		}
	case "cognito:user_status":
		get = func(u *store.User) string { return u.Status }
	case "email", "phone_number", "name", "given_name", "family_name", "preferred_username":
	default:
		return nil, invalidf("Invalid search attribute: %s", attr)
	}
	if op == "^=" {
		return func(u *store.User) bool { return strings.HasPrefix(get(u), val) }, nil
	}
	return func(u *store.User) bool { return get(u) == val }, nil
}

// encodeNext makes a pagination token from the last key of a page.
func encodeNext(after string) string { return base64.RawURLEncoding.EncodeToString([]byte(after)) }

// decodeNext reads a pagination token back.
func decodeNext(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) > 256 {
		return "", invalidf("Invalid pagination token")
	}
	return string(b), nil
}
