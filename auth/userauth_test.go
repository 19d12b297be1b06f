package auth_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/auth"
)

// userAuthEnv is an env whose pool allows e-mail codes as a first factor,
// whose client allows USER_AUTH, and whose user has a verified e-mail.
func userAuthEnv(t *testing.T) *env {
	e := newEnv(t)
	a := e.srv.Admin
	if _, err := a.UpdateUserPool(bg(), &cip.UpdateUserPoolInput{UserPoolId: aws.String(e.poolID), Policies: &types.UserPoolPolicyType{
		SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeEmailOtp}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UpdateUserPoolClient(bg(), &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String(e.clientID),
		EnableTokenRevocation: aws.Bool(true), ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserAuth,
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AdminUpdateUserAttributes(bg(), &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(e.poolID), Username: aws.String(testUser),
		UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) newestCode(t *testing.T) string {
	t.Helper()
	ms := e.srv.Outbox.List(e.poolID, testUser+"@example.com")
	if len(ms) == 0 {
		t.Fatal("no code sent")
	}
	return ms[0].Code
}

func TestUserAuth_PreferredEmailOTP(t *testing.T) {
	e := userAuthEnv(t)
	c := e.client(t)
	r, err := c.SignIn(bg(), testUser, "", auth.SignInOptions{AuthFlow: auth.AuthFlowUserAuth, PreferredChallenge: auth.AuthFactorEmailOTP})
	if err != nil || r.NextStep != auth.SignInStepConfirmWithEmailCode || r.CodeDeliveryDetails == nil || r.CodeDeliveryDetails.DeliveryMedium != "EMAIL" {
		t.Fatalf("SignIn: %+v %v", r, err)
	}
	if _, err := c.ConfirmSignIn(bg(), "x"+e.newestCode(t), auth.ConfirmSignInOptions{}); !auth.IsServiceError(err, "CodeMismatchException") {
		t.Fatalf("a wrong code: %v", err)
	}
	r, err = c.ConfirmSignIn(bg(), e.newestCode(t), auth.ConfirmSignInOptions{})
	if err != nil || !r.SignedIn {
		t.Fatalf("ConfirmSignIn: %+v %v", r, err)
	}
	if s := e.session(t); s == nil || s.Username != testUser {
		t.Fatalf("session: %+v", s)
	}
}

func TestUserAuth_FirstFactorSelection(t *testing.T) {
	e := userAuthEnv(t)
	c := e.client(t)
	for _, choice := range []auth.AuthFactor{auth.AuthFactorEmailOTP, auth.AuthFactorPassword, auth.AuthFactorPasswordSRP} {
		r, err := c.SignIn(bg(), testUser, "", auth.SignInOptions{AuthFlow: auth.AuthFlowUserAuth})
		if err != nil || r.NextStep != auth.SignInStepContinueWithFirstFactorSelection ||
			!eq(r.AvailableChallenges, []auth.AuthFactor{"PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"}) {
			t.Fatalf("SignIn: %+v %v", r, err)
		}
		r, err = c.ConfirmSignIn(bg(), string(choice), auth.ConfirmSignInOptions{})
		if err != nil {
			t.Fatalf("%s: %v", choice, err)
		}
		answer := testPassword
		if choice == auth.AuthFactorEmailOTP {
			if r.NextStep != auth.SignInStepConfirmWithEmailCode {
				t.Fatalf("%s: %+v", choice, r)
			}
			answer = e.newestCode(t)
		} else if r.NextStep != auth.SignInStepConfirmWithPassword {
			t.Fatalf("%s: %+v", choice, r)
		}
		r, err = c.ConfirmSignIn(bg(), answer, auth.ConfirmSignInOptions{})
		if err != nil || !r.SignedIn {
			t.Fatalf("%s: ConfirmSignIn: %+v %v", choice, r, err)
		}
		signOut(t, c)
	}
	// The preferred password factors go straight to the proof.
	for _, pref := range []auth.AuthFactor{auth.AuthFactorPassword, auth.AuthFactorPasswordSRP} {
		r, err := c.SignIn(bg(), testUser, testPassword, auth.SignInOptions{AuthFlow: auth.AuthFlowUserAuth, PreferredChallenge: pref})
		if err != nil || !r.SignedIn {
			t.Fatalf("%s: %+v %v", pref, r, err)
		}
		signOut(t, c)
	}
}
