package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// testClock is a settable clock for the server.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestCognitoMessagesPinned pins, through aws-sdk-go-v2 against the real
// server, the exception and the exact message of every refusal whose text
// clients may match on and that no other test pins.
func TestCognitoMessagesPinned(t *testing.T) {
	clk := &testClock{t: time.Now()}
	s := testserver.StartWith(t, testserver.Options{Now: clk.Now})
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t, testserver.WithAccessTokenValidity(5*time.Minute),
		testserver.WithRefreshTokenValidity(time.Hour))
	_, confID, confSecret := s.NewPool(t, testserver.WithSecret())
	s.NewUser(t, poolID, "mia", password)

	t.Run("missing pool and client", func(t *testing.T) {
		_, err := c.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: aws.String("us-east-1_Missing00")})
		wantAPIError[*types.ResourceNotFoundException](t, err, "User pool us-east-1_Missing00 does not exist.")
		_, err = c.DescribeUserPoolClient(bg, &cip.DescribeUserPoolClientInput{UserPoolId: &poolID,
			ClientId: aws.String("nosuchclient00000000000000")})
		wantAPIError[*types.ResourceNotFoundException](t, err, "User pool client nosuchclient00000000000000 does not exist.")
	})

	t.Run("client secrets", func(t *testing.T) {
		tk := signIn(t, c, clientID, "mia", password).AuthenticationResult
		_, err := c.GetTokensFromRefreshToken(bg, &cip.GetTokensFromRefreshTokenInput{ClientId: &confID,
			ClientSecret: aws.String("wrong"), RefreshToken: tk.RefreshToken})
		wantAPIError[*types.NotAuthorizedException](t, err, "Client "+confID+" is configured with secret but secret was not received or is invalid")
		_, err = c.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &confID, Token: tk.RefreshToken})
		wantAPIError[*types.UnauthorizedException](t, err, "Client "+confID+" is configured with secret but secret was not received or is invalid")
		// A public client refuses a secret (hash) instead of ignoring it.
		_, err = c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
			AuthParameters: map[string]string{"USERNAME": "mia", "PASSWORD": password, "SECRET_HASH": "aGFzaA=="}})
		wantAPIError[*types.InvalidParameterException](t, err, "Client "+clientID+" is not configured for secret but secret hash was received")
		_, err = c.GetTokensFromRefreshToken(bg, &cip.GetTokensFromRefreshTokenInput{ClientId: &clientID,
			ClientSecret: aws.String(confSecret), RefreshToken: tk.RefreshToken})
		wantAPIError[*types.InvalidParameterException](t, err, "Client "+clientID+" is not configured for secret but secret was received")
	})

	t.Run("confirmation codes", func(t *testing.T) {
		_, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String("noah"), Password: aws.String(password)})
		if err != nil {
			t.Fatal(err)
		}
		code := devCode(t, s, poolID, "noah")
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		_, err = c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String("noah"), ConfirmationCode: &wrong})
		wantAPIError[*types.CodeMismatchException](t, err, "Invalid verification code provided, please try again.")
		clk.Advance(24 * time.Hour)
		_, err = c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String("noah"), ConfirmationCode: &code})
		wantAPIError[*types.ExpiredCodeException](t, err, "Invalid code provided, please request a code again.")
	})

	t.Run("expiry", func(t *testing.T) {
		tk := signIn(t, c, clientID, "mia", password).AuthenticationResult
		clk.Advance(5 * time.Minute)
		_, err := getUser(c, *tk.AccessToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Access Token has expired")
		clk.Advance(55 * time.Minute)
		_, err = refresh(c, clientID, *tk.RefreshToken)
		wantAPIError[*types.NotAuthorizedException](t, err, "Refresh Token has expired")
	})

	t.Run("temporary password", func(t *testing.T) {
		if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("liam"),
			TemporaryPassword: aws.String("Temp-Passw0rd!"), MessageAction: types.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(8 * 24 * time.Hour) // past the default 7 days
		_, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
			AuthParameters: map[string]string{"USERNAME": "liam", "PASSWORD": "Temp-Passw0rd!"}})
		wantAPIError[*types.NotAuthorizedException](t, err, "Temporary password has expired and must be reset by an administrator.")
	})

	t.Run("SRP clock skew", func(t *testing.T) {
		cl, ch := srpChallenge(t, c, clientID, poolID, "mia")
		ans := srpAnswer(t, cl, poolID, password, ch, clk.Now().Add(-10*time.Minute))
		_, err := c.RespondToAuthChallenge(bg, &cip.RespondToAuthChallengeInput{ClientId: &clientID,
			ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: ans, Session: ch.Session})
		wantAPIError[*types.NotAuthorizedException](t, err, "TIMESTAMP is too far from the server's time.")
	})

	t.Run("validation", func(t *testing.T) {
		_, err := c.ListUsers(bg, &cip.ListUsersInput{UserPoolId: &poolID, Limit: aws.Int32(61)})
		wantAPIError[*types.InvalidParameterException](t, err,
			"1 validation error detected: Value '61' at 'limit' failed to satisfy constraint: Member must have value between 0 and 60")
		_, err = c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("ava"),
			MessageAction: "SHOUT"})
		wantAPIError[*types.InvalidParameterException](t, err,
			"1 validation error detected: Value 'SHOUT' at 'messageAction' failed to satisfy constraint: Member must satisfy enum value set: [RESEND, SUPPRESS]")
		_, err = c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("x"),
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{"ALLOW_MAGIC"}})
		wantAPIError[*types.InvalidParameterException](t, err,
			"1 validation error detected: Value '[ALLOW_MAGIC]' at 'explicitAuthFlows' failed to satisfy constraint: Member must satisfy enum value set")
		_, err = c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("bad name!")})
		wantAPIError[*types.InvalidParameterException](t, err,
			`1 validation error detected: Value at 'poolName' failed to satisfy constraint: Member must have length between 1 and 128 and match [\w\s+=,.@-]+`)
		_, err = c.GetUser(bg, &cip.GetUserInput{AccessToken: aws.String("")})
		wantAPIError[*types.InvalidParameterException](t, err, "")
	})

	// The schema's model constraints are reported all together, one
	// violation after another, as Cognito does.
	t.Run("schema validation", func(t *testing.T) {
		attr := func(name string, typ types.AttributeDataType) types.SchemaAttributeType {
			return types.SchemaAttributeType{Name: aws.String(name), AttributeDataType: typ}
		}
		_, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("schema"),
			Schema: []types.SchemaAttributeType{attr("", types.AttributeDataTypeString)}})
		wantAPIError[*types.InvalidParameterException](t, err,
			"2 validation errors detected: Value '' at 'schema.1.member.name' failed to satisfy constraint: Member must have length greater than or equal to 1; "+
				`Value '' at 'schema.1.member.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+`)
		_, err = c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("schema"),
			Schema: []types.SchemaAttributeType{{Name: aws.String("email"), Required: aws.Bool(true)}, attr("phone_number_verified", types.AttributeDataTypeBoolean)}})
		wantAPIError[*types.InvalidParameterException](t, err,
			"1 validation error detected: Value 'phone_number_verified' at 'schema.2.member.name' failed to satisfy constraint: Member must have length less than or equal to 20")
		_, err = c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("schema"),
			Schema: []types.SchemaAttributeType{attr("x", "string")}})
		wantAPIError[*types.InvalidParameterException](t, err,
			"1 validation error detected: Value 'string' at 'schema.1.member.attributeDataType' failed to satisfy constraint: Member must satisfy enum value set: [Boolean, Number, String, DateTime]")
		many := make([]types.SchemaAttributeType, 51)
		for i := range many {
			many[i] = attr(fmt.Sprintf("a%d", i), types.AttributeDataTypeString)
		}
		_, err = c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("schema"), Schema: many})
		wantAPIError[*types.InvalidParameterException](t, err,
			"1 validation error detected: Value at 'schema' failed to satisfy constraint: Member must have length less than or equal to 50")
		_, err = c.AddCustomAttributes(bg, &cip.AddCustomAttributesInput{UserPoolId: &poolID,
			CustomAttributes: []types.SchemaAttributeType{attr(strings.Repeat("x", 21), types.AttributeDataTypeString)}})
		wantAPIError[*types.InvalidParameterException](t, err,
			"1 validation error detected: Value 'xxxxxxxxxxxxxxxxxxxxx' at 'customAttributes.1.member.name' failed to satisfy constraint: Member must have length less than or equal to 20")
		_, err = c.AddCustomAttributes(bg, &cip.AddCustomAttributesInput{UserPoolId: &poolID, CustomAttributes: many[:26]})
		wantAPIError[*types.InvalidParameterException](t, err,
			"1 validation error detected: Value at 'customAttributes' failed to satisfy constraint: Member must have length less than or equal to 25")
	})
}
