package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

const targetPrefix = "AWSCognitoIdentityProviderService."

// loadPassword satisfies Cognito's default password policy.
const loadPassword = "Load-Test-Passw0rd!"

// client sends AWS JSON 1.1 requests to one endpoint.
type client struct {
	url  string
	http *http.Client
}

func newClient(endpoint string, conns int) *client {
	tr := &http.Transport{
		Proxy:               nil, // loopback only: never through a proxy
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &client{url: strings.TrimRight(endpoint, "/") + "/", http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// endpoint is the server URL without the trailing slash.
func (c *client) endpoint() string { return strings.TrimSuffix(c.url, "/") }

// apiError is a non-200 answer.
type apiError struct {
	op     string
	status int
	body   string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s: HTTP %d: %s", e.op, e.status, truncate(e.body, 300))
}

// call marshals in, sends it as operation op and decodes a 200 answer into out.
// It is for setup only: the measured loops build their bodies once and do
// not decode answers.
func (c *client) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := c.newRequest(ctx, op, body)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return &apiError{op: op, status: resp.StatusCode, body: string(data)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: decode answer: %w", op, err)
	}
	return nil
}

// post sends body as operation op and returns the answer's status and body
// and the time from sending to the last byte of the answer.
func (c *client) post(ctx context.Context, op string, body []byte) (int, []byte, time.Duration, error) {
	req, err := c.newRequest(ctx, op, body)
	if err != nil {
		return 0, nil, 0, err
	}
	t0 := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, time.Since(t0), fmt.Errorf("%s: %w", op, err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	lat := time.Since(t0)
	if err != nil {
		return 0, nil, lat, fmt.Errorf("%s: read answer: %w", op, err)
	}
	return resp.StatusCode, data, lat, nil
}

// isRefusal reports whether an answer refuses a token: HTTP 400 with
// NotAuthorizedException.
func isRefusal(status int, body []byte) bool {
	return status == http.StatusBadRequest && bytes.Contains(body, []byte("NotAuthorizedException"))
}

func (c *client) newRequest(ctx context.Context, op string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	return req, nil
}

// session is one sign-in's tokens.
type session struct {
	accessToken  string
	refreshToken string
}

// fixture is what setup made.
type fixture struct {
	poolID       string
	clientID     string
	usernames    []string
	sessions     []session // for refresh and getuser
	revokeTokens []string  // one distinct session each, revoked once
	revoked      int       // how many of revokeTokens the revoke run answered 200 for, in order
	gsoTokens    []string  // access tokens, one per distinct user, for globalsignout
	signedOut    int       // how many of gsoTokens the globalsignout run answered 200 for, in order
}

type authResult struct {
	AuthenticationResult *struct {
		AccessToken  string
		IdToken      string
		RefreshToken string
	}
	ChallengeName string
}

func setup(ctx context.Context, cl *client, c config) (*fixture, error) {
	fx, err := createPool(ctx, cl, c.accessValidity)
	if err != nil {
		return fx, err
	}
	for i := range c.users {
		name := fmt.Sprintf("load-user-%03d", i)
		if err := cl.call(ctx, "AdminCreateUser", map[string]any{
			"UserPoolId":     fx.poolID,
			"Username":       name,
			"MessageAction":  "SUPPRESS",
			"UserAttributes": []map[string]string{{"Name": "email", "Value": name + "@example.com"}, {"Name": "email_verified", "Value": "true"}},
		}, nil); err != nil {
			return fx, err
		}
		if err := cl.call(ctx, "AdminSetUserPassword", map[string]any{
			"UserPoolId": fx.poolID, "Username": name, "Password": loadPassword, "Permanent": true,
		}, nil); err != nil {
			return fx, err
		}
		fx.usernames = append(fx.usernames, name)
	}

	// Sign-ins: SRP by default (no argon2id on the server), a few in parallel.
	m := &minter{cl: cl, mode: c.mint, poolID: fx.poolID, clientID: fx.clientID}
	names := make([]string, c.users*c.signins+c.revokeToks)
	for i := range names {
		names[i] = fx.usernames[i%len(fx.usernames)]
	}
	results, err := mintSessions(ctx, m, names, c.mintConc, "setup")
	if err != nil {
		return fx, err
	}
	fx.sessions = results[:c.users*c.signins]
	for _, s := range results[c.users*c.signins:] {
		fx.revokeTokens = append(fx.revokeTokens, s.refreshToken)
	}

	// GlobalSignOut ends all of a user's sessions: its pool is one session
	// of each of c.gsoUsers distinct users.
	if c.gsoUsers > 0 {
		t0 := time.Now()
		gso := make([]string, c.gsoUsers)
		for i := range gso {
			gso[i] = fmt.Sprintf("load-gso-%05d", i)
		}
		if err := createUsers(ctx, cl, fx.poolID, fx.clientID, gso, c.mintConc, "setup globalsignout"); err != nil {
			return fx, err
		}
		ss, err := mintSessions(ctx, m, gso, c.mintConc, "setup globalsignout")
		if err != nil {
			return fx, err
		}
		for _, s := range ss {
			fx.gsoTokens = append(fx.gsoTokens, s.accessToken)
		}
		fmt.Printf("setup: %d users with one session each for globalsignout (%.1fs)\n", len(gso), time.Since(t0).Seconds())
	}
	return fx, nil
}

// createPool makes the run's pool and its app client (password, SRP and
// refresh flows; revocation on). The fixture it returns names whatever it
// made, also on failure, for teardown.
func createPool(ctx context.Context, cl *client, accessValidity time.Duration) (*fixture, error) {
	fx := &fixture{}
	var pool struct{ UserPool struct{ Id string } }
	if err := cl.call(ctx, "CreateUserPool", map[string]any{
		"PoolName": fmt.Sprintf("cognate-load-%d", time.Now().UnixNano()),
	}, &pool); err != nil {
		return nil, err
	}
	fx.poolID = pool.UserPool.Id
	var app struct{ UserPoolClient struct{ ClientId string } }
	in := map[string]any{
		"UserPoolId":            fx.poolID,
		"ClientName":            "cognate-load",
		"ExplicitAuthFlows":     []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		"EnableTokenRevocation": true,
	}
	if accessValidity > 0 {
		m := int(accessValidity / time.Minute)
		in["AccessTokenValidity"], in["IdTokenValidity"] = m, m
		in["TokenValidityUnits"] = map[string]string{"AccessToken": "minutes", "IdToken": "minutes"}
	}
	if err := cl.call(ctx, "CreateUserPoolClient", in, &app); err != nil {
		return fx, err
	}
	fx.clientID = app.UserPoolClient.ClientId
	if fx.poolID == "" || fx.clientID == "" {
		return fx, fmt.Errorf("empty pool or client id in the answers (pool %q, client %q)", fx.poolID, fx.clientID)
	}
	return fx, nil
}

func signIn(ctx context.Context, cl *client, clientID, username string) (session, error) {
	var out authResult
	if err := cl.call(ctx, "InitiateAuth", map[string]any{
		"ClientId": clientID, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": username, "PASSWORD": loadPassword},
	}, &out); err != nil {
		return session{}, err
	}
	r := out.AuthenticationResult
	if r == nil || r.AccessToken == "" || r.RefreshToken == "" {
		return session{}, fmt.Errorf("InitiateAuth for %s: no tokens in the answer (challenge %q)", username, out.ChallengeName)
	}
	return session{accessToken: r.AccessToken, refreshToken: r.RefreshToken}, nil
}

// checkRevoked proves that the revoke run did revoke: a refresh with a few of
// the revoked tokens must now be refused.
func checkRevoked(ctx context.Context, cl *client, fx *fixture) error {
	n := min(3, fx.revoked)
	for i := range n {
		err := cl.call(ctx, "InitiateAuth", map[string]any{
			"ClientId": fx.clientID, "AuthFlow": "REFRESH_TOKEN_AUTH",
			"AuthParameters": map[string]string{"REFRESH_TOKEN": fx.revokeTokens[i]},
		}, nil)
		var ae *apiError
		if err == nil {
			return fmt.Errorf("refresh token %d was revoked (200) but still refreshes", i)
		}
		if !asAPIError(err, &ae) || !strings.Contains(ae.body, "NotAuthorizedException") {
			return fmt.Errorf("refresh with revoked token %d: want NotAuthorizedException, got %v", i, err)
		}
	}
	fmt.Printf("revoke: checked that %d revoked refresh tokens are refused\n", n)
	return nil
}

// checkSignedOut proves that the globalsignout run did sign out: GetUser
// with a few of the used access tokens must now be refused.
func checkSignedOut(ctx context.Context, cl *client, fx *fixture) error {
	n := min(3, fx.signedOut)
	for i := range n {
		err := cl.call(ctx, "GetUser", map[string]any{"AccessToken": fx.gsoTokens[i]}, nil)
		var ae *apiError
		if err == nil {
			return fmt.Errorf("access token %d was signed out (200) but GetUser still accepts it", i)
		}
		if !asAPIError(err, &ae) || !strings.Contains(ae.body, "NotAuthorizedException") {
			return fmt.Errorf("GetUser with signed-out token %d: want NotAuthorizedException, got %v", i, err)
		}
	}
	fmt.Printf("globalsignout: checked that %d signed-out access tokens are refused by GetUser\n", n)
	return nil
}

func asAPIError(err error, out **apiError) bool {
	e, ok := err.(*apiError)
	if ok {
		*out = e
	}
	return ok
}

func teardown(ctx context.Context, cl *client, fx *fixture) error {
	if fx == nil || fx.poolID == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return cl.call(ctx, "DeleteUserPool", map[string]any{"UserPoolId": fx.poolID}, nil)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
