package verify

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// TestFeedBasicAuth: on a server with admin credentials the feed is read
// with an app client's id and secret (HTTP Basic); none, a wrong secret or
// a public client are refused, and FeedRequired then refuses every token.
func TestFeedBasicAuth(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{AdminCredentials: map[string]string{"AKIDFEEDTEST": "feed-test-secret"}})
	admin := cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDFEEDTEST", "feed-test-secret", "")})
	ctx := context.Background()
	p, err := admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("feed-auth")})
	if err != nil {
		t.Fatal(err)
	}
	pool := aws.ToString(p.UserPool.Id)
	client := func(secret bool) (string, string) {
		c, err := admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(pool),
			ClientName: aws.String("c"), GenerateSecret: secret, EnableTokenRevocation: aws.Bool(true),
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
				types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(c.UserPoolClient.ClientId), aws.ToString(c.UserPoolClient.ClientSecret)
	}
	public, _ := client(false)
	reader, readerSecret := client(true)
	if _, err := admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(pool), Username: aws.String("alice"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(pool),
		Username: aws.String("alice"), Password: aws.String(testPassword), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	e := env{srv: s, pool: pool, client: public, user: "alice"}
	tok := e.signIn(t)

	for name, cfg := range map[string]Config{
		"no credentials":    {},
		"a wrong secret":    {FeedClientID: reader, FeedClientSecret: readerSecret + "x"},
		"a public client":   {FeedClientID: public, FeedClientSecret: "anything"},
		"an unknown client": {FeedClientID: "nosuchclient", FeedClientSecret: "anything"},
	} {
		cfg.Feed, cfg.InitialWait = FeedRequired, 300*time.Millisecond
		v := e.newVerifier(t, cfg)
		if _, err := v.Verify(ctx, tok.access); !errors.Is(err, ErrStale) {
			t.Errorf("%s: Verify = %v, want ErrStale", name, err)
		}
	}
	v := e.newVerifier(t, Config{Feed: FeedRequired, FeedClientID: reader, FeedClientSecret: readerSecret})
	waitFollowing(t, v)
	mustVerify(t, v, tok.access)
	if _, err := s.Admin.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(public), Token: aws.String(tok.refresh)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, v, tok.access, ErrRevoked, revocationLimit)
}
