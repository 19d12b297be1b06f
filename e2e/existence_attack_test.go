package e2e

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/message"
)

// TestAttackForgotPasswordExistenceOracle: with PreventUserExistenceErrors,
// ForgotPassword for an unknown user answered a constant destination
// ("x***@x***") and was never refused by the sending limit, while a real
// user's destination is their own and the sixth code in an hour is refused:
// both told who exists. An unknown name must get a destination of the same
// shape, stable across calls and varying between names, and the same
// sending limit.
func TestAttackForgotPasswordExistenceOracle(t *testing.T) {
	s := testserver.Start(t)
	c := noRetries(s.URL)
	poolID, clientID, _ := s.NewPool(t, testserver.WithPreventUserExistenceErrors())
	// Codes go by e-mail, so a real user's and a decoy's medium agree.
	if _, err := s.Admin.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: &poolID,
		AccountRecoverySetting: &types.AccountRecoverySettingType{RecoveryMechanisms: []types.RecoveryOptionType{
			{Name: types.RecoveryOptionNameTypeVerifiedEmail, Priority: aws.Int32(1)}}}}); err != nil {
		t.Fatal(err)
	}
	newRealUser(t, s, poolID)
	forgot := func(name string) (string, string) {
		out, err := c.ForgotPassword(bg, &cip.ForgotPasswordInput{ClientId: &clientID, Username: aws.String(name)})
		if err != nil {
			if isAPIError(err, "LimitExceededException") {
				return "", "LimitExceededException"
			}
			t.Fatalf("ForgotPassword(%s): %v", name, err)
		}
		d := out.CodeDeliveryDetails
		if d == nil || d.DeliveryMedium != types.DeliveryMediumTypeEmail || d.AttributeName == nil || *d.AttributeName != "email" {
			t.Fatalf("ForgotPassword(%s): delivery %+v", name, d)
		}
		return aws.ToString(d.Destination), ""
	}

	// The destination of an unknown name has a real one's shape, is the
	// same at every call and is not one constant for every unknown name.
	seen := map[string]bool{}
	for _, name := range []string{"ghost-1", "ghost-2", "ghost-3", "ghost-4", "ghost-5", "ghost-6"} {
		a, _ := forgot(name)
		b, _ := forgot(name)
		if a != b {
			t.Errorf("%s: the destination changed between calls (%q, %q)", name, a, b)
		}
		if len(a) != len("m***@e***") || a[1:5] != "***@" || a[6:] != "***" {
			t.Errorf("%s: destination %q has not the shape of a real one (m***@e***)", name, a)
		}
		seen[a] = true
	}
	if len(seen) < 2 {
		t.Errorf("every unknown name got the same destination %v: it marks the unknown", seen)
	}

	// The sending limit answers the same for both.
	for _, name := range []string{"real", "ghost-limit"} {
		var got []string
		for range 6 {
			_, code := forgot(name)
			got = append(got, code)
		}
		if got[4] != "" || got[5] != "LimitExceededException" {
			t.Errorf("%s: answers %q; want five deliveries, then LimitExceededException", name, got)
		}
	}
}

// TestAttackUserAuthCodeSendLimit: with PreventUserExistenceErrors, a
// USER_AUTH sign-in that asks for an e-mail code is refused once the
// user's sign-in codes for the hour are used up (LimitExceededException),
// but an unknown name's decoy challenge was never refused: the refusal
// told real users from unknown ones. The decoy counts against the name's
// own limit.
func TestAttackUserAuthCodeSendLimit(t *testing.T) {
	s := testserver.Start(t)
	c := noRetries(s.URL)
	poolID, _ := userAuthPool(t, s)
	hidden, err := s.Admin.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("hidden"),
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
		ExplicitAuthFlows:          []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(hidden.UserPoolClient.ClientId)
	for _, name := range []string{"uma", "ghost"} {
		var refusedAt int
		for i := 1; i <= 25 && refusedAt == 0; i++ {
			out, err := userAuth(c, clientID, map[string]string{"USERNAME": name, "PREFERRED_CHALLENGE": "EMAIL_OTP"})
			switch {
			case isAPIError(err, "LimitExceededException"):
				refusedAt = i
			case err != nil:
				t.Fatalf("%s, code %d: %v", name, i, err)
			case out.ChallengeName != types.ChallengeNameTypeEmailOtp:
				t.Fatalf("%s, code %d: challenge %s", name, i, out.ChallengeName)
			}
		}
		if refusedAt != 21 {
			t.Errorf("%s: first refused at code %d, want 21 (twenty sign-in codes an hour)", name, refusedAt)
		}
	}
}

// TestAttackConfirmForgotPasswordOracle: with PreventUserExistenceErrors,
// ConfirmForgotPassword answered an unknown name CodeMismatchException
// always, but a real user ExpiredCodeException when no reset was pending,
// and LimitExceededException after five wrong codes: one call told who
// exists. An unknown name now answers as a real user does, before and
// after a ForgotPassword.
func TestAttackConfirmForgotPasswordOracle(t *testing.T) {
	s := testserver.Start(t)
	c := noRetries(s.URL)
	poolID, clientID, _ := s.NewPool(t, testserver.WithPreventUserExistenceErrors())
	newRealUser(t, s, poolID)
	answers := func(name string) []string {
		var out []string
		confirm := func(code string) {
			_, err := c.ConfirmForgotPassword(bg, &cip.ConfirmForgotPasswordInput{ClientId: &clientID, Username: aws.String(name),
				ConfirmationCode: aws.String(code), Password: aws.String("New-Passw0rd!")})
			var code2 string
			for _, want := range []string{"CodeMismatchException", "ExpiredCodeException", "LimitExceededException"} {
				if isAPIError(err, want) {
					code2 = want
				}
			}
			if code2 == "" {
				t.Fatalf("%s: ConfirmForgotPassword: %v", name, err)
			}
			out = append(out, code2)
		}
		confirm("123456") // nothing pending
		if _, err := c.ForgotPassword(bg, &cip.ForgotPasswordInput{ClientId: &clientID, Username: aws.String(name)}); err != nil {
			t.Fatalf("%s: ForgotPassword: %v", name, err)
		}
		wrong := "123456"
		if outboxCode(t, s, poolID, "mail@example.com", message.KindForgotPassword) == wrong {
			wrong = "654321"
		}
		for range 6 {
			confirm(wrong)
		}
		return out
	}
	real, ghost := answers("real"), answers("ghost")
	want := []string{"ExpiredCodeException", "CodeMismatchException", "CodeMismatchException", "CodeMismatchException",
		"CodeMismatchException", "CodeMismatchException", "LimitExceededException"}
	if !slices.Equal(real, want) {
		t.Fatalf("a real user's answers %q, want %q", real, want)
	}
	if !slices.Equal(ghost, real) {
		t.Errorf("an unknown name's answers %q differ from a real user's %q", ghost, real)
	}
}

// TestAttackDecoyCodeLifetime: the janitor forgot an unknown name's decoy
// reset code with stale throttle state, 30 minutes after the
// ForgotPassword, so that a wrong code then answered ExpiredCodeException
// where a real user's (valid for an hour) answers CodeMismatchException.
// A decoy now lives exactly as long as the code it imitates, the janitor
// running, a wrong attempt in between included.
func TestAttackDecoyCodeLifetime(t *testing.T) {
	clk := testserver.NewClock(time.Now().Truncate(time.Second))
	s := testserver.StartWith(t, testserver.Options{Now: clk.Now})
	c := noRetries(s.URL)
	poolID, clientID, _ := s.NewPool(t, testserver.WithPreventUserExistenceErrors())
	newRealUser(t, s, poolID)
	for _, name := range []string{"real", "ghost"} {
		if _, err := c.ForgotPassword(bg, &cip.ForgotPasswordInput{ClientId: &clientID, Username: aws.String(name)}); err != nil {
			t.Fatalf("%s: ForgotPassword: %v", name, err)
		}
	}
	wrong := "123456"
	if outboxCode(t, s, poolID, "mail@example.com", message.KindForgotPassword) == wrong {
		wrong = "654321"
	}
	// answers is what a wrong code gets for each name after the janitor ran.
	answers := func() []string {
		t.Helper()
		if _, err := s.Inner.Service.Purge(bg); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, name := range []string{"real", "ghost"} {
			_, err := c.ConfirmForgotPassword(bg, &cip.ConfirmForgotPasswordInput{ClientId: &clientID, Username: aws.String(name),
				ConfirmationCode: aws.String(wrong), Password: aws.String("New-Passw0rd!")})
			var api smithy.APIError
			if !errors.As(err, &api) {
				t.Fatalf("%s: ConfirmForgotPassword: %v", name, err)
			}
			out = append(out, api.ErrorCode())
		}
		return out
	}
	for _, step := range []struct {
		after time.Duration
		want  string
	}{
		{10 * time.Minute, "CodeMismatchException"},
		{35 * time.Minute, "CodeMismatchException"}, // 45 minutes in: past the throttle retention
		{14 * time.Minute, "CodeMismatchException"}, // 59 minutes in: past the retention after the last attempt
		{2 * time.Minute, "ExpiredCodeException"},   // 61 minutes in
	} {
		clk.Advance(step.after)
		if got := answers(); got[0] != step.want || got[1] != got[0] {
			t.Fatalf("after %v more: real %s, unknown name %s; want both %s", step.after, got[0], got[1], step.want)
		}
	}
}

// newRealUser creates the user "real", e-mail mail@example.com verified,
// whose answers an unknown name's must match.
func newRealUser(t *testing.T, s *testserver.Server, poolID string) {
	t.Helper()
	if _, err := s.Admin.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("real"),
		MessageAction: types.MessageActionTypeSuppress, TemporaryPassword: aws.String(password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("mail@example.com")},
			{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
}
