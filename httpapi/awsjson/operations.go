package awsjson

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/userpool"
)

// epoch encodes a time as Cognito does: seconds since the epoch, a number.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	return strconv.AppendFloat(nil, float64(t.UnixMilli())/1000, 'f', -1, 64), nil
}

// op builds an operation that decodes I and calls f.
func op[I any](admin bool, f func(ctx context.Context, s *userpool.Service, in *I) (any, error)) operation {
	return operation{admin: admin, call: func(ctx context.Context, h *Handler, body []byte) (any, error) {
		var in I
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		return f(ctx, h.svc, &in)
	}}
}

// empty wraps an operation that answers {}.
func empty(err error) (any, error) { return struct{}{}, err }

type userPoolType struct {
	ID                     string `json:"Id"`
	Name                   string `json:"Name"`
	Arn                    string `json:"Arn"`
	CreationDate           epoch  `json:"CreationDate"`
	LastModifiedDate       epoch  `json:"LastModifiedDate"`
	EstimatedNumberOfUsers int    `json:"EstimatedNumberOfUsers"`
	Domain                 string `json:"Domain,omitempty"`       // DescribeUserPool
	CustomDomain           string `json:"CustomDomain,omitempty"` // DescribeUserPool
	userpool.PoolConfig
}

func poolOut(p *userpool.Pool) *userPoolType {
	return &userPoolType{ID: p.ID, Name: p.Name, Arn: p.Arn, CreationDate: epoch(p.CreationDate),
		LastModifiedDate: epoch(p.LastModifiedDate), Domain: p.Domain, CustomDomain: p.CustomDomain,
		PoolConfig: hideMFAFactors(p.Config)}
}

type userPoolClientType struct {
	UserPoolID       string `json:"UserPoolId"`
	ClientName       string `json:"ClientName"`
	ClientID         string `json:"ClientId"`
	ClientSecret     string `json:"ClientSecret,omitempty"`
	CreationDate     epoch  `json:"CreationDate"`
	LastModifiedDate epoch  `json:"LastModifiedDate"`
	userpool.ClientConfig
}

func clientOut(c *userpool.Client) *userPoolClientType {
	return &userPoolClientType{UserPoolID: c.PoolID, ClientName: c.Name, ClientID: c.ID, ClientSecret: c.Secret,
		CreationDate: epoch(c.CreationDate), LastModifiedDate: epoch(c.LastModifiedDate), ClientConfig: c.Config}
}

type userType struct {
	Username             string               `json:"Username"`
	Attributes           []userpool.Attribute `json:"Attributes"`
	UserCreateDate       epoch                `json:"UserCreateDate"`
	UserLastModifiedDate epoch                `json:"UserLastModifiedDate"`
	Enabled              bool                 `json:"Enabled"`
	UserStatus           string               `json:"UserStatus"`
}

func userOut(u *userpool.User) *userType {
	return &userType{Username: u.Username, Attributes: u.Attributes, UserCreateDate: epoch(u.CreationDate),
		UserLastModifiedDate: epoch(u.LastModifiedDate), Enabled: u.Enabled, UserStatus: u.Status}
}

type authenticationResult struct {
	AccessToken  string `json:"AccessToken"`
	ExpiresIn    int    `json:"ExpiresIn"`
	TokenType    string `json:"TokenType"`
	RefreshToken string `json:"RefreshToken,omitempty"`
	IDToken      string `json:"IdToken"`
	// NewDeviceMetadata: ops_devices.go.
	NewDeviceMetadata *newDeviceMetadata `json:"NewDeviceMetadata,omitempty"`
}

func resultOut(r *userpool.AuthResult) *authenticationResult {
	if r == nil {
		return nil
	}
	return &authenticationResult{AccessToken: r.AccessToken, ExpiresIn: r.ExpiresIn, TokenType: r.TokenType,
		RefreshToken: r.RefreshToken, IDToken: r.IDToken, NewDeviceMetadata: newDeviceOut(r.NewDevice)}
}

type authResponse struct {
	ChallengeName        string                `json:"ChallengeName,omitempty"`
	Session              string                `json:"Session,omitempty"`
	ChallengeParameters  map[string]string     `json:"ChallengeParameters"`
	AvailableChallenges  []string              `json:"AvailableChallenges,omitempty"`
	AuthenticationResult *authenticationResult `json:"AuthenticationResult,omitempty"`
}

func authOut(r *userpool.AuthResponse, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	params := r.ChallengeParameters
	if params == nil {
		params = map[string]string{}
	}
	return &authResponse{ChallengeName: r.ChallengeName, Session: r.Session, ChallengeParameters: params,
		AvailableChallenges: r.AvailableChallenges, AuthenticationResult: resultOut(r.Result)}, nil
}

type poolRef struct {
	UserPoolID string `json:"UserPoolId"`
}

type userRef struct {
	UserPoolID string `json:"UserPoolId"`
	Username   string `json:"Username"`
}

type clientRef struct {
	UserPoolID string `json:"UserPoolId"`
	ClientID   string `json:"ClientId"`
}

type accessTokenIn struct {
	AccessToken string `json:"AccessToken"`
}

type paging struct {
	UserPoolID string `json:"UserPoolId"`
	MaxResults int    `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

type clientIn struct {
	UserPoolID     string `json:"UserPoolId"`
	ClientID       string `json:"ClientId"`
	ClientName     string `json:"ClientName"`
	GenerateSecret bool   `json:"GenerateSecret"`
	ClientSecret   string `json:"ClientSecret"`
	userpool.ClientConfig
}

func (in *clientIn) input() userpool.ClientInput {
	return userpool.ClientInput{PoolID: in.UserPoolID, ClientID: in.ClientID, Name: in.ClientName,
		GenerateSecret: in.GenerateSecret, Secret: in.ClientSecret, Config: in.ClientConfig}
}

type initiateAuthIn struct {
	UserPoolID     string            `json:"UserPoolId"`
	ClientID       string            `json:"ClientId"`
	AuthFlow       string            `json:"AuthFlow"`
	AuthParameters map[string]string `json:"AuthParameters"`
	Session        string            `json:"Session"` // USER_AUTH after ConfirmSignUp
}

type respondIn struct {
	UserPoolID         string            `json:"UserPoolId"`
	ClientID           string            `json:"ClientId"`
	ChallengeName      string            `json:"ChallengeName"`
	Session            string            `json:"Session"`
	ChallengeResponses map[string]string `json:"ChallengeResponses"`
}

// operations is the dispatch table: X-Amz-Target (prefix included) →
// handler, gathered from the files of each concern. admin marks operations
// AWS clients sign with SigV4.
func operations() map[string]operation {
	out := map[string]operation{}
	for _, set := range []struct {
		prefix string
		parts  []map[string]operation
	}{
		{TargetPrefix, []map[string]operation{poolOperations(), userOperations(), accountOperations(), authOperations(),
			auditOperations(), mfaOperations(), deviceOperations(), groupOperations(), userAuthOperations(),
			iacOperations()}},
		{CognateTargetPrefix, []map[string]operation{cognateOperations()}},
	} {
		for _, part := range set.parts {
			for name, op := range part {
				if _, dup := out[set.prefix+name]; dup {
					panic("awsjson: operation " + name + " defined twice")
				}
				out[set.prefix+name] = op
			}
		}
	}
	return out
}

// Operation describes one operation the API serves.
type Operation struct {
	// Name is the operation's name: Cognito's as is ("InitiateAuth"),
	// Cognate's own with their prefix ("CognateService.ListSessions").
	Name string
	// Admin operations are signed with SigV4 (IAM credentials); the others
	// are the public ones an app calls with a client id or a user's token.
	Admin bool
	// Cognate marks Cognate's own operations (X-Amz-Target
	// CognateService.*), which Amazon Cognito does not have.
	Cognate bool
}

// targetName is the name an X-Amz-Target gives an operation: Cognito's
// without their prefix, Cognate's with theirs.
func targetName(target string) string {
	if name, ok := strings.CutPrefix(target, TargetPrefix); ok {
		return name
	}
	return target
}

// knownOperations are the targets the API serves, built once.
var knownOperations = func() map[string]bool {
	m := map[string]bool{}
	for target := range operations() {
		m[target] = true
	}
	return m
}()

// OperationName returns the operation an X-Amz-Target header names (see
// Operation.Name), and whether the API serves it.
func OperationName(target string) (string, bool) {
	if !knownOperations[target] {
		return "", false
	}
	return targetName(target), true
}

// Operations lists the operations the API serves, sorted by name.
func Operations() []Operation {
	var out []Operation
	for target, op := range operations() {
		name := targetName(target)
		out = append(out, Operation{Name: name, Admin: op.admin, Cognate: strings.HasPrefix(target, CognateTargetPrefix)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
