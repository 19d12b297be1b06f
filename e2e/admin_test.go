package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

func secretHash(secret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// TestClientSecret: a client with a secret needs SECRET_HASH on every call, and the secret on RevokeToken.
func TestClientSecret(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID, secret := s.NewPool(t, testserver.WithSecret())
	if len(secret) < 24 || len(secret) > 64 {
		t.Fatalf("generated secret has %d characters", len(secret))
	}
	s.NewUser(t, poolID, "jack", password)
	params := map[string]string{"USERNAME": "jack", "PASSWORD": password}
	_, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: &clientID, AuthParameters: params})
	wantAPIError[*types.NotAuthorizedException](t, err, "Unable to verify secret hash for client "+clientID)
	params["SECRET_HASH"] = secretHash("wrong", "jack", clientID)
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: &clientID, AuthParameters: params})
	wantAPIError[*types.NotAuthorizedException](t, err, "Unable to verify secret hash for client "+clientID)
	params["SECRET_HASH"] = secretHash(secret, "jack", clientID)
	out, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: &clientID, AuthParameters: params})
	if err != nil {
		t.Fatal(err)
	}
	r := out.AuthenticationResult
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: &clientID,
		AuthParameters: map[string]string{"REFRESH_TOKEN": *r.RefreshToken, "SECRET_HASH": secretHash(secret, "jack", clientID)}})
	if err != nil {
		t.Fatalf("refresh with SECRET_HASH: %v", err)
	}
	_, err = c.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &clientID, Token: r.RefreshToken})
	wantAPIError[*types.UnauthorizedException](t, err, "")
	_, err = c.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &clientID, Token: r.RefreshToken, ClientSecret: aws.String(secret)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: &clientID,
		AuthParameters: map[string]string{"REFRESH_TOKEN": *r.RefreshToken, "SECRET_HASH": secretHash(secret, "jack", clientID)}})
	wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has been revoked")
}

// TestNewPasswordRequired: AdminCreateUser → NEW_PASSWORD_REQUIRED → tokens; a weak new password keeps the challenge.
func TestNewPasswordRequired(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	u, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("kate"),
		TemporaryPassword: aws.String("Temp0rary!"), MessageAction: types.MessageActionTypeSuppress})
	if err != nil {
		t.Fatal(err)
	}
	if u.User.UserStatus != types.UserStatusTypeForceChangePassword {
		t.Fatalf("status %s", u.User.UserStatus)
	}
	out, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "kate", "PASSWORD": "Temp0rary!"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired || out.Session == nil || out.AuthenticationResult != nil {
		t.Fatalf("got %+v, want NEW_PASSWORD_REQUIRED", out)
	}
	if out.ChallengeParameters["USER_ID_FOR_SRP"] != "kate" {
		t.Fatalf("challenge parameters %v", out.ChallengeParameters)
	}
	respond := func(pw string) (*cip.RespondToAuthChallengeOutput, error) {
		return c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID, ChallengeName: types.ChallengeNameTypeNewPasswordRequired,
			Session: out.Session, ChallengeResponses: map[string]string{"USERNAME": "kate", "NEW_PASSWORD": pw}})
	}
	_, err = respond("weak")
	wantAPIError[*types.InvalidPasswordException](t, err, "")
	done, err := respond("N3w-Passw0rd!")
	if err != nil {
		t.Fatalf("second try with the same session: %v", err)
	}
	if done.AuthenticationResult == nil || done.AuthenticationResult.RefreshToken == nil {
		t.Fatal("no tokens after NEW_PASSWORD_REQUIRED")
	}
	// The session is single use.
	_, err = respond("Other-Passw0rd!")
	wantAPIError[*types.NotAuthorizedException](t, err, "Invalid session for the user, session is expired.")
	signIn(t, c, clientID, "kate", "N3w-Passw0rd!")
	g, _ := c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("kate")})
	if g.UserStatus != types.UserStatusTypeConfirmed {
		t.Fatalf("status after new password: %s", g.UserStatus)
	}
}

// TestAdminAndSelfService covers the rest of the management surface.
func TestAdminAndSelfService(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	for i := 0; i < 5; i++ {
		s.NewUser(t, poolID, fmt.Sprintf("user%d", i), password)
	}
	// ListUsers pages and filters.
	var names []string
	var token *string
	for {
		out, err := c.ListUsers(bg, &cip.ListUsersInput{UserPoolId: &poolID, Limit: aws.Int32(2), PaginationToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.Username))
		}
		if out.PaginationToken == nil {
			break
		}
		token = out.PaginationToken
	}
	if fmt.Sprint(names) != "[user0 user1 user2 user3 user4]" {
		t.Fatalf("paged users = %v", names)
	}
	f, err := c.ListUsers(bg, &cip.ListUsersInput{UserPoolId: &poolID, Filter: aws.String(`email = "user3@example.com"`)})
	if err != nil || len(f.Users) != 1 || aws.ToString(f.Users[0].Username) != "user3" {
		t.Fatalf("filter: %v %v", f, err)
	}

	// AdminInitiateAuth needs ADMIN_USER_PASSWORD_AUTH and the pool id.
	a, err := c.AdminInitiateAuth(bg, &cip.AdminInitiateAuthInput{UserPoolId: &poolID, ClientId: &clientID, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "user0", "PASSWORD": password}})
	if err != nil || a.AuthenticationResult == nil {
		t.Fatalf("AdminInitiateAuth: %v", err)
	}

	// ChangePassword, then the old password fails and the new one works.
	r := signIn(t, c, clientID, "user1", password).AuthenticationResult
	_, err = c.ChangePassword(bg, &cip.ChangePasswordInput{AccessToken: r.AccessToken, PreviousPassword: aws.String("Wrong-0ne!"), ProposedPassword: aws.String("Chang3d-pass!")})
	wantAPIError[*types.NotAuthorizedException](t, err, "Incorrect username or password.")
	if _, err := c.ChangePassword(bg, &cip.ChangePasswordInput{AccessToken: r.AccessToken, PreviousPassword: aws.String(password), ProposedPassword: aws.String("Chang3d-pass!")}); err != nil {
		t.Fatal(err)
	}
	signIn(t, c, clientID, "user1", "Chang3d-pass!")

	// DeleteUser with the user's own token: the user and their sessions are gone.
	r2 := signIn(t, c, clientID, "user2", password).AuthenticationResult
	if _, err := c.DeleteUser(bg, &cip.DeleteUserInput{AccessToken: r2.AccessToken}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("user2")})
	wantAPIError[*types.UserNotFoundException](t, err, "User does not exist.")
	_, err = refresh(c, clientID, *r2.RefreshToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "")

	r3 := signIn(t, c, clientID, "user3", password)
	// UpdateUserPoolClient replaces the whole configuration.
	if _, err := c.UpdateUserPoolClient(bg, &cip.UpdateUserPoolClientInput{UserPoolId: &poolID, ClientId: &clientID, AccessTokenValidity: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	d, _ := c.DescribeUserPoolClient(bg, &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: &clientID})
	if aws.ToInt32(d.UserPoolClient.AccessTokenValidity) != 2 || len(d.UserPoolClient.ExplicitAuthFlows) != 3 {
		t.Fatalf("after update: validity %d flows %v (want defaults back)", aws.ToInt32(d.UserPoolClient.AccessTokenValidity), d.UserPoolClient.ExplicitAuthFlows)
	}
	lc, err := c.ListUserPoolClients(bg, &cip.ListUserPoolClientsInput{UserPoolId: &poolID})
	if err != nil || len(lc.UserPoolClients) != 1 {
		t.Fatalf("ListUserPoolClients: %v %v", lc, err)
	}

	// Deleting the client ends its sessions; deleting the pool ends everything.
	if _, err := c.DeleteUserPoolClient(bg, &cip.DeleteUserPoolClientInput{UserPoolId: &poolID, ClientId: &clientID}); err != nil {
		t.Fatal(err)
	}
	_, err = getUser(c, *r3.AuthenticationResult.AccessToken)
	wantAPIError[*types.NotAuthorizedException](t, err, "")
	if _, err := c.DeleteUserPool(bg, &cip.DeleteUserPoolInput{UserPoolId: &poolID}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
	wantAPIError[*types.ResourceNotFoundException](t, err, "")
}

// TestSignInThrottle: repeated wrong passwords lock the user out for a while,
// over USER_PASSWORD_AUTH and SRP alike.
func TestSignInThrottle(t *testing.T) {
	clock := testserver.NewClock(time.Now())
	s := testserver.StartWith(t, testserver.Options{Now: clock.Now})
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "mona", password)
	s.NewUser(t, poolID, "nick", password)
	try := func(user, pw string) error {
		_, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: &clientID,
			AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pw}})
		return err
	}
	for i := 0; i < 4; i++ {
		wantAPIError[*types.NotAuthorizedException](t, try("mona", "Wrong-passw0rd"), "Incorrect username or password.")
	}
	// The fifth failure is a wrong SRP proof: both flows count.
	cl, ch := srpChallenge(t, c, clientID, poolID, "mona")
	_, err := c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID,
		ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: srpAnswer(t, cl, poolID, "Wrong-passw0rd", ch, clock.Now())})
	wantAPIError[*types.NotAuthorizedException](t, err, "Incorrect username or password.")

	wantAPIError[*types.NotAuthorizedException](t, try("mona", password), "Password attempts exceeded")
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserSrpAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "mona", "SRP_A": cl.A()}})
	wantAPIError[*types.NotAuthorizedException](t, err, "Password attempts exceeded")
	if err := try("nick", password); err != nil {
		t.Fatalf("another user is not locked out: %v", err)
	}
	clock.Advance(5*time.Minute + time.Second)
	if err := try("mona", password); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
