package userpool

// Fixed ids: a Cognate extension that lets an operator choose a new pool's
// id and a new app client's id, so that an application's configuration
// survives a fresh database (a seed file applied on a new machine makes the
// same ids). Amazon Cognito has no such parameters: the pool id travels as
// a user-pool tag, which Cognito stores as an ordinary tag and ignores, and
// the client id as CreateUserPoolClient's ClientId member, which Cognito's
// model lacks. Both are only reachable through admin operations (unsigned
// only in dev mode).

import (
	"errors"
	"regexp"
	"strings"

	"github.com/cognate-dev/cognate/store"
)

// PoolIDTag is the user-pool tag whose value, on CreateUserPool, is the id
// the new pool gets instead of a random one: "<region>_<alphanumerics>",
// in the server's region.
const PoolIDTag = "cognate:pool-id"

var (
	// fixedPoolIDRE is Cognito's UserPoolIdType, with its 55-character bound.
	fixedPoolIDRE = regexp.MustCompile(`^([\w-]+)_[0-9a-zA-Z]+$`)
	// fixedClientIDRE is Cognito's ClientIdType.
	fixedClientIDRE = regexp.MustCompile(`^[\w+]{1,128}$`)
)

// fixedPoolID returns the id asked for by the PoolIDTag tag ("" for none),
// or an InvalidParameterException when it is malformed or of another region.
func (s *Service) fixedPoolID(tags map[string]string) (string, error) {
	id, ok := tags[PoolIDTag]
	if !ok {
		return "", nil
	}
	m := fixedPoolIDRE.FindStringSubmatch(id)
	if m == nil || len(id) > 55 {
		return "", invalidf("The %s tag must be a user pool id: <region>_<letters and digits>, at most 55 characters", PoolIDTag)
	}
	if m[1] != s.region {
		return "", invalidf("The %s tag's region %s is not this server's region %s", PoolIDTag, m[1], s.region)
	}
	return id, nil
}

// checkFixedClientID refuses a malformed caller-chosen client id.
func checkFixedClientID(id string) error {
	if !fixedClientIDRE.MatchString(id) {
		return invalidf("ClientId must be 1 to 128 characters of [\\w+]")
	}
	return nil
}

// takenErr turns a store conflict on a caller-chosen id into Cognito's
// InvalidParameterException; anything else stays an internal error.
func takenErr(what, id, op string, err error) error {
	if id != "" && errors.Is(err, store.ErrConflict) {
		return invalidf("%s %s already exists", what, strings.TrimSpace(id))
	}
	return internal(op, err)
}
