package seed

import (
	"context"
	"errors"
	"fmt"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go"
)

// PoolIDTag is the user-pool tag that asks Cognate for a pool's id on
// CreateUserPool. Amazon Cognito keeps it as an ordinary tag.
const PoolIDTag = "cognate:pool-id"

// Options tune Apply.
type Options struct {
	// FixedIDs says the service honours Cognate's fixed ids: the pool id is
	// sent as the PoolIDTag tag of CreateUserPool and the client id as
	// CreateUserPoolClient's ClientId member. False for Amazon Cognito:
	// ids in the file are not sent, and pools and clients are matched by
	// name. A service that ignores them is detected (the id it answers
	// differs) and reported in the Result's Note.
	FixedIDs bool
}

// Apply makes the service hold what f describes and reports what it did,
// item by item. It goes on after a failure (reported as Failed, or Skipped
// for what depended on it); Report.Err tells whether anything failed. It
// uses only the user-pool API, through c.
func Apply(ctx context.Context, c *cip.Client, f *File, opts Options) *Report {
	a := &applier{c: c, opts: opts, rep: &Report{}}
	for i := range f.Pools {
		a.pool(ctx, &f.Pools[i])
	}
	return a.rep
}

type applier struct {
	c    *cip.Client
	opts Options
	rep  *Report
}

func (a *applier) add(r Result) { a.rep.Results = append(a.rep.Results, r) }

// apiCode is the Cognito error name of err ("" when err is not an answer
// of the service).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// errText describes a failed call without the SDK's request details.
func errText(op string, err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("%s: %s: %s", op, ae.ErrorCode(), ae.ErrorMessage())
	}
	return fmt.Sprintf("%s: %v", op, err)
}
