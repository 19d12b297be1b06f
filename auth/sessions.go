package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

// The signed-in user's sessions: Cognate's ListSessions and RevokeSession
// (X-Amz-Target CognateService.*), which Amazon Cognito does not have. They
// are called over the Client's HTTP client, in the same protocol as
// Cognito's operations, with the user's access token; errors are
// *ServiceError and *NetworkError as for every other operation.

// cognateTargetPrefix is the X-Amz-Target prefix of Cognate's operations.
const cognateTargetPrefix = "CognateService."

// maxAnswerBytes bounds an answer the SDK reads.
const maxAnswerBytes = 1 << 20

// Session is one live session (sign-in) of the signed-in user.
type Session struct {
	// ID names the session: the origin_jti of the tokens it minted.
	ID         string
	ClientID   string
	ClientName string // empty when the app client has none, or is gone
	Created    time.Time
	LastUsed   time.Time
	// LastRefresh is when the session last refreshed its tokens (zero if
	// never).
	LastRefresh time.Time
	DeviceKey   string
	SourceIP    string
	UserAgent   string
	// Current marks the session this Client is signed in with.
	Current bool
}

// ListSessions returns the live sessions of the signed-in user, on every
// device and app client, this one included (Current). It refreshes the
// access token first when it is about to expire. Without a signed-in user
// it fails with ErrNotSignedIn.
func (c *Client) ListSessions(ctx context.Context) ([]Session, error) {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	s, err := c.signedInSession(ctx)
	if err != nil {
		return nil, err
	}
	var out []Session
	next := ""
	for range 100 { // at most 6,000 sessions
		in := map[string]any{"AccessToken": s.AccessToken, "MaxResults": 60}
		if next != "" {
			in["NextToken"] = next
		}
		var page struct {
			Sessions []struct {
				SessionID       string   `json:"SessionId"`
				ClientID        string   `json:"ClientId"`
				ClientName      string   `json:"ClientName"`
				CreatedDate     float64  `json:"CreatedDate"`
				LastUsedDate    float64  `json:"LastUsedDate"`
				LastRefreshDate *float64 `json:"LastRefreshDate"`
				DeviceKey       string   `json:"DeviceKey"`
				SourceIP        string   `json:"SourceIp"`
				UserAgent       string   `json:"UserAgent"`
				Current         bool     `json:"Current"`
			} `json:"Sessions"`
			NextToken string `json:"NextToken"`
		}
		if err := c.cognateCall(ctx, "ListSessions", in, &page); err != nil {
			return nil, err
		}
		for _, p := range page.Sessions {
			ss := Session{ID: p.SessionID, ClientID: p.ClientID, ClientName: p.ClientName, Created: epochTime(p.CreatedDate),
				LastUsed: epochTime(p.LastUsedDate), DeviceKey: p.DeviceKey, SourceIP: p.SourceIP, UserAgent: p.UserAgent,
				Current: p.Current}
			if p.LastRefreshDate != nil {
				ss.LastRefresh = epochTime(*p.LastRefreshDate)
			}
			out = append(out, ss)
		}
		if page.NextToken == "" {
			return out, nil
		}
		next = page.NextToken
	}
	return out, nil
}

// RevokeSession ends one session of the signed-in user (RevokeSession):
// its refresh token stops working, and its access tokens at once. id is a
// Session.ID from ListSessions. Revoking the Current session ends this
// Client's session on the server (the next refresh signs it out with
// ErrSessionExpired): to sign out here, use SignOut. A session that is not
// the user's fails with a *ServiceError coded ResourceNotFoundException
// (wrapping a *types.ResourceNotFoundException).
func (c *Client) RevokeSession(ctx context.Context, id string) error {
	ctx, end, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer end()
	if id == "" {
		return invalidParam("RevokeSession needs a session id")
	}
	s, err := c.signedInSession(ctx)
	if err != nil {
		return err
	}
	return c.cognateCall(ctx, "RevokeSession", map[string]any{"AccessToken": s.AccessToken, "SessionId": id}, nil)
}

// cognateCall calls one of Cognate's operations and decodes its answer into
// out (nil: ignored). It never retries: RevokeSession is not worth a
// duplicate, ListSessions is cheap to call again.
func (c *Client) cognateCall(ctx context.Context, op string, in, out any) error {
	return c.call(ctx, op, func(ctx context.Context) error {
		body, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s: %w", op, err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.apiURL(), bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", cognateTargetPrefix+op)
		req.Header.Set("User-Agent", "cognate-auth-go")
		resp, err := c.hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
		if err != nil {
			return fmt.Errorf("read the %s answer: %w", op, err)
		}
		if resp.StatusCode != http.StatusOK {
			return answerError(resp, raw)
		}
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("decode the %s answer: %w", op, err)
		}
		return nil
	})
}

// apiURL is where the user-pool API answers: Config.Endpoint, else Amazon
// Cognito's regional endpoint.
func (c *Client) apiURL() string {
	if c.cfg.Endpoint != "" {
		return strings.TrimRight(c.cfg.Endpoint, "/") + "/"
	}
	return "https://cognito-idp." + c.cfg.Region + ".amazonaws.com/"
}

// answerError turns an error answer in the AWS JSON shape into the
// aws-sdk-go-v2 error the SDK would have returned (typed for the
// exceptions these operations answer), so that classify makes a
// *ServiceError of it. An answer of another shape is a network-level
// failure.
func answerError(resp *http.Response, raw []byte) error {
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Type == "" {
		code, _, _ := strings.Cut(resp.Header.Get("x-amzn-ErrorType"), ":")
		if code == "" {
			return fmt.Errorf("unexpected answer: HTTP %d", resp.StatusCode)
		}
		e.Type = code
	}
	code := e.Type
	if i := strings.LastIndexByte(code, '#'); i >= 0 { // "namespace#Code"
		code = code[i+1:]
	}
	msg := &e.Message
	switch code {
	case "NotAuthorizedException":
		return &types.NotAuthorizedException{Message: msg}
	case "ResourceNotFoundException":
		return &types.ResourceNotFoundException{Message: msg}
	case "InvalidParameterException":
		return &types.InvalidParameterException{Message: msg}
	case "TooManyRequestsException":
		return &types.TooManyRequestsException{Message: msg}
	case "UserNotFoundException":
		return &types.UserNotFoundException{Message: msg}
	case "InternalErrorException":
		return &types.InternalErrorException{Message: msg}
	}
	fault := smithy.FaultClient
	if resp.StatusCode >= 500 {
		fault = smithy.FaultServer
	}
	return &smithy.GenericAPIError{Code: code, Message: e.Message, Fault: fault}
}

// epochTime reads epoch seconds (a JSON number) as a time in UTC.
func epochTime(v float64) time.Time {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return time.Time{}
	}
	return time.UnixMilli(int64(math.Round(v * 1000))).UTC()
}
