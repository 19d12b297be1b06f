package e2e

import (
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/srp"
)

// srpSignIn runs USER_SRP_AUTH with our client-side SRP and returns the
// challenge answer it would send, so tests can tamper with it.
func srpChallenge(t *testing.T, c *cip.Client, clientID, poolID, username string) (*srp.Client, *cip.InitiateAuthOutput) {
	t.Helper()
	cl, err := srp.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserSrpAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": username, "SRP_A": cl.A()}})
	if err != nil {
		t.Fatal(err)
	}
	if out.ChallengeName != types.ChallengeNameTypePasswordVerifier {
		t.Fatalf("challenge %s", out.ChallengeName)
	}
	for _, k := range []string{"SALT", "SRP_B", "SECRET_BLOCK", "USERNAME", "USER_ID_FOR_SRP"} {
		if out.ChallengeParameters[k] == "" {
			t.Fatalf("challenge lacks %s: %v", k, out.ChallengeParameters)
		}
	}
	return cl, out
}

func srpAnswer(t *testing.T, cl *srp.Client, poolID, password string, ch *cip.InitiateAuthOutput, at time.Time) map[string]string {
	t.Helper()
	p := ch.ChallengeParameters
	key, err := cl.Key(srp.PoolName(poolID), p["USER_ID_FOR_SRP"], password, p["SRP_B"], p["SALT"])
	if err != nil {
		t.Fatal(err)
	}
	block, _ := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	ts := srp.FormatTimestamp(at)
	return map[string]string{"USERNAME": p["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"], "TIMESTAMP": ts,
		"PASSWORD_CLAIM_SIGNATURE": srp.Signature(key, srp.PoolName(poolID), p["USER_ID_FOR_SRP"], block, ts)}
}

// TestSRPSignIn: Cognito's SRP variant end to end, with its failure modes.
func TestSRPSignIn(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "lena", password)
	respond := func(ans map[string]string) (*cip.RespondToAuthChallengeOutput, error) {
		return c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID,
			ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: ans})
	}

	cl, ch := srpChallenge(t, c, clientID, poolID, "lena")
	ans := srpAnswer(t, cl, poolID, password, ch, time.Now())
	out, err := respond(ans)
	if err != nil {
		t.Fatal(err)
	}
	if out.AuthenticationResult == nil || out.AuthenticationResult.RefreshToken == nil {
		t.Fatal("SRP sign-in returned no tokens")
	}
	if _, err := getUser(c, *out.AuthenticationResult.AccessToken); err != nil {
		t.Fatal(err)
	}
	// Replaying the same answer: the challenge is single use.
	_, err = respond(ans)
	wantAPIError[*types.NotAuthorizedException](t, err, "Invalid session for the user, session is expired.")

	// Wrong password.
	cl, ch = srpChallenge(t, c, clientID, poolID, "lena")
	_, err = respond(srpAnswer(t, cl, poolID, "Not-the-passw0rd", ch, time.Now()))
	wantAPIError[*types.NotAuthorizedException](t, err, "Incorrect username or password.")

	// A timestamp far from the server's clock.
	cl, ch = srpChallenge(t, c, clientID, poolID, "lena")
	_, err = respond(srpAnswer(t, cl, poolID, password, ch, time.Now().Add(-time.Hour)))
	wantAPIError[*types.NotAuthorizedException](t, err, "")

	// An invalid A.
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserSrpAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "lena", "SRP_A": "0"}})
	wantAPIError[*types.InvalidParameterException](t, err, "")

	// Unknown users: LEGACY reveals, ENABLED hides behind a challenge that fails like a wrong password.
	_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserSrpAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": "ghost", "SRP_A": cl.A()}})
	wantAPIError[*types.UserNotFoundException](t, err, "User does not exist.")
	hidePool, hideClient, _ := s.NewPool(t, testserver.WithPreventUserExistenceErrors())
	cl, ch = srpChallenge(t, c, hideClient, hidePool, "ghost")
	_, err = c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &hideClient,
		ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: srpAnswer(t, cl, hidePool, password, ch, time.Now())})
	wantAPIError[*types.NotAuthorizedException](t, err, "Incorrect username or password.")

	// An expired challenge (AuthSessionValidity, 3 minutes by default).
	clock := testserver.NewClock(time.Now())
	s2 := testserver.StartWith(t, testserver.Options{Now: clock.Now})
	pool2, client2, _ := s2.NewPool(t)
	s2.NewUser(t, pool2, "lena", password)
	cl, ch = srpChallenge(t, s2.Admin, client2, pool2, "lena")
	clock.Advance(4 * time.Minute)
	_, err = s2.Admin.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: aws.String(client2),
		ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: srpAnswer(t, cl, pool2, password, ch, clock.Now())})
	wantAPIError[*types.NotAuthorizedException](t, err, "Invalid session for the user, session is expired.")
}

// TestManyDevicesSignInAtOnce: a user signing in on 16 devices at the same
// moment — by password and by SRP, after two wrong passwords — is never
// refused: only failures count toward a lockout.
func TestManyDevicesSignInAtOnce(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "dora", password)
	for range 2 {
		if _, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
			AuthParameters: map[string]string{"USERNAME": "dora", "PASSWORD": "wrong-Passw0rd!"}}); err == nil {
			t.Fatal("a wrong password was accepted")
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			if i%2 == 0 {
				_, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
					AuthParameters: map[string]string{"USERNAME": "dora", "PASSWORD": password}})
				errs <- err
				return
			}
			cl, err := srp.NewClient()
			if err != nil {
				errs <- err
				return
			}
			ch, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserSrpAuth, ClientId: &clientID,
				AuthParameters: map[string]string{"USERNAME": "dora", "SRP_A": cl.A()}})
			if err != nil {
				errs <- err
				return
			}
			p := ch.ChallengeParameters
			key, err := cl.Key(srp.PoolName(poolID), p["USER_ID_FOR_SRP"], password, p["SRP_B"], p["SALT"])
			if err != nil {
				errs <- err
				return
			}
			block, _ := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
			ts := srp.FormatTimestamp(time.Now())
			_, err = c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID,
				ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: map[string]string{
					"USERNAME": p["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"], "TIMESTAMP": ts,
					"PASSWORD_CLAIM_SIGNATURE": srp.Signature(key, srp.PoolName(poolID), p["USER_ID_FOR_SRP"], block, ts)}})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("one of 16 concurrent right sign-ins: %v", err)
		}
	}
}
