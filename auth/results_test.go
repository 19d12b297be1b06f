package auth_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/auth"
)

// The three result types: SignedOutLocally, Err, type switch, errors.Is/As.
func TestSignOutResultTypes(t *testing.T) {
	const access, refresh = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ", "eyJjdHkiOiJKV1QifQ.a2V5LWtleS1rZXk.aXYtaXYtaXY.Y2lwaGVydGV4dA.dGFnLXRhZy10YWc"
	netErr := &auth.NetworkError{Operation: "GlobalSignOut", Err: errors.New("connection refused")}
	partial := auth.PartialSignOut{
		HostedUIError:      &auth.HostedUIError{URL: "https://auth.example/logout?client_id=x", Err: auth.ErrBrowserUnavailable},
		GlobalSignOutError: &auth.GlobalSignOutError{AccessToken: access, Err: netErr},
		RevokeTokenError:   &auth.RevokeTokenError{RefreshToken: refresh, Err: fmt.Errorf("%w: global sign-out failed", auth.ErrNotAttempted)},
	}
	failed := auth.FailedSignOut{Cause: &auth.HostedUIError{URL: "u", Err: auth.ErrUserCancelled}}

	for _, tc := range []struct {
		r       auth.SignOutResult
		local   bool
		errNil  bool
		matches []error
	}{
		{auth.CompleteSignOut{}, true, true, nil},
		{partial, true, false, []error{auth.ErrBrowserUnavailable, auth.ErrNotAttempted}},
		{failed, false, false, []error{auth.ErrUserCancelled}},
	} {
		if tc.r.SignedOutLocally() != tc.local || (tc.r.Err() == nil) != tc.errNil {
			t.Errorf("%T: SignedOutLocally=%v Err=%v", tc.r, tc.r.SignedOutLocally(), tc.r.Err())
		}
		for _, m := range tc.matches {
			if !errors.Is(tc.r.Err(), m) {
				t.Errorf("%T: Err() does not match %v", tc.r, m)
			}
		}
		switch r := tc.r.(type) {
		case auth.CompleteSignOut:
		case auth.PartialSignOut:
			var ne *auth.NetworkError
			if !errors.As(r.Err(), &ne) || ne.Operation != "GlobalSignOut" {
				t.Error("Partial Err() does not expose the NetworkError")
			}
			var ge *auth.GlobalSignOutError
			if !errors.As(r.Err(), &ge) || ge.AccessToken != access {
				t.Error("Partial Err() does not expose the GlobalSignOutError")
			}
		case auth.FailedSignOut:
		default:
			t.Errorf("unexpected type %T", r)
		}
		for _, s := range []string{fmt.Sprint(tc.r), fmt.Sprintf("%+v", tc.r), fmt.Sprintf("%#v", tc.r), fmt.Sprint(tc.r.Err())} {
			assertNoToken(t, "result text", s, access, refresh)
		}
	}
	// Only the non-nil step errors are joined.
	only := auth.PartialSignOut{RevokeTokenError: &auth.RevokeTokenError{RefreshToken: refresh, Err: errors.New("x")}}
	if got := only.Err().Error(); got != "auth: revoke refresh token: x" {
		t.Fatalf("Err() = %q", got)
	}
}

// Error texts that embed server messages are scrubbed of anything token-shaped.
func TestErrorStringsRedactTokens(t *testing.T) {
	jwt := "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiJhYmMiLCJleHAiOjF9.c2lnbmF0dXJlLWJ5dGVz"
	for _, err := range []error{
		&auth.ServiceError{Operation: "GlobalSignOut", Code: "NotAuthorizedException", Message: "bad token " + jwt},
		&auth.NetworkError{Operation: "RevokeToken", Err: errors.New("boom " + jwt)},
		&auth.GlobalSignOutError{AccessToken: jwt, Err: errors.New("echo " + jwt)},
		&auth.RevokeTokenError{RefreshToken: jwt, Err: errors.New("echo " + jwt)},
		&auth.HostedUIError{URL: "u", Err: errors.New(jwt)},
	} {
		for _, s := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%#v", err)} {
			if strings.Contains(s, jwt) || strings.Contains(s, "c2lnbmF0dXJlLWJ5dGVz") {
				t.Errorf("%T leaks a token: %s", err, s)
			}
		}
	}
	// Host names are not mistaken for tokens.
	e := &auth.NetworkError{Operation: "X", Err: errors.New("dial cognito-idp.us-east-1.amazonaws.com")}
	if !strings.Contains(e.Error(), "cognito-idp.us-east-1.amazonaws.com") {
		t.Fatalf("over-redacted: %s", e)
	}
}
