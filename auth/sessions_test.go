package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/auth/credstore"
)

// originJTI reads (without verifying) the origin_jti claim of a token.
func originJTI(t *testing.T, jwt string) string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		OriginJTI string `json:"origin_jti"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.OriginJTI
}

// TestListAndRevokeSessions: the signed-in user sees the sessions of both
// devices, this one marked current, and revoking the other device's ends
// its access and refresh tokens while this one keeps working; a session
// that is not the user's is a typed ResourceNotFoundException.
func TestListAndRevokeSessions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	here := e.client(t)
	defer here.Close()
	there := e.client(t, func(c *auth.Config) { c.Store = credstore.NewMemory() })
	defer there.Close()

	if _, err := here.ListSessions(ctx); !errors.Is(err, auth.ErrNotSignedIn) {
		t.Fatalf("ListSessions signed out: %v, want ErrNotSignedIn", err)
	}
	mine := e.signIn(t, here)
	r, err := there.SignIn(ctx, testUser, testPassword, auth.SignInOptions{AuthFlow: auth.AuthFlowUserPassword})
	if err != nil || !r.SignedIn {
		t.Fatalf("the other device's sign-in: %+v, %v", r, err)
	}
	theirs, err := there.FetchAuthSession(ctx, auth.FetchAuthSessionOptions{})
	if err != nil {
		t.Fatal(err)
	}

	sessions, err := here.ListSessions(ctx)
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(sessions) != 2 {
		t.Fatalf("ListSessions: %+v, want two sessions", sessions)
	}
	var current, other auth.Session
	for _, s := range sessions {
		if s.Current {
			current = s
		} else {
			other = s
		}
	}
	if current.ID != originJTI(t, mine.AccessToken) || other.ID != originJTI(t, theirs.Tokens.AccessToken) {
		t.Fatalf("sessions %+v: the current one is not this Client's", sessions)
	}
	if other.ClientID != e.clientID || other.SourceIP != "127.0.0.1" || other.UserAgent == "" ||
		time.Since(other.Created) > time.Minute || other.LastUsed.Before(other.Created) {
		t.Errorf("the other session lacks its metadata: %+v", other)
	}

	if err := here.RevokeSession(ctx, other.ID); err != nil {
		t.Fatalf("RevokeSession: %v", err)
	}
	if err := e.accessWorks(t, theirs.Tokens.AccessToken); !auth.IsServiceError(err, "NotAuthorizedException") {
		t.Errorf("the revoked session's access token: %v, want NotAuthorizedException", err)
	}
	if err := e.refreshWorks(t, testUser, theirs.Tokens.RefreshToken); !auth.IsServiceError(err, "NotAuthorizedException") {
		t.Errorf("the revoked session's refresh token: %v, want NotAuthorizedException", err)
	}
	if err := e.accessWorks(t, mine.AccessToken); err != nil {
		t.Errorf("this session after revoking the other: %v", err)
	}
	if sessions, err = here.ListSessions(ctx); err != nil || len(sessions) != 1 || !sessions[0].Current {
		t.Fatalf("after the revocation: %+v, %v", sessions, err)
	}

	err = here.RevokeSession(ctx, "00000000-0000-4000-8000-000000000000")
	var se *auth.ServiceError
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &se) || se.Code != "ResourceNotFoundException" || se.Operation != "RevokeSession" || !errors.As(err, &rnf) {
		t.Fatalf("RevokeSession of a stranger's id: %#v", err)
	}
	if err := here.RevokeSession(ctx, ""); !errors.Is(err, auth.ErrInvalidParameter) {
		t.Fatalf("RevokeSession without an id: %v", err)
	}

	// The server down: a network error, never a service error.
	e.srv.Stop()
	_, err = here.ListSessions(ctx)
	var ne *auth.NetworkError
	if !errors.As(err, &ne) {
		t.Fatalf("ListSessions with the server down: %#v, want a *NetworkError", err)
	}
}
