package e2e

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// cognitoStandardAttributes is the order in which Cognito lists a new
// pool's standard attributes.
var cognitoStandardAttributes = []string{"sub", "name", "given_name", "family_name", "middle_name", "nickname",
	"preferred_username", "profile", "picture", "website", "email", "email_verified", "gender", "birthdate",
	"zoneinfo", "locale", "phone_number", "phone_number_verified", "address", "updated_at"}

// TestSchemaThroughSDK: the schema a pool declares is the one the SDK reads
// back and the one every write is held to, and the ID token carries the
// verified flags as booleans.
func TestSchemaThroughSDK(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	p, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("schema"),
		UsernameAttributes: []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
		Schema: []types.SchemaAttributeType{{Name: aws.String("tier"), AttributeDataType: types.AttributeDataTypeString,
			Mutable: aws.Bool(true), StringAttributeConstraints: &types.StringAttributeConstraintsType{MinLength: aws.String("1"), MaxLength: aws.String("8")}}}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(p.UserPool.Id)
	names := func(attrs []types.SchemaAttributeType) []string {
		var n []string
		for _, a := range attrs {
			n = append(n, aws.ToString(a.Name))
		}
		return n
	}
	wantNames := append(append([]string{}, cognitoStandardAttributes...), "custom:tier")
	if got := names(p.UserPool.SchemaAttributes); !slices.Equal(got, wantNames) {
		t.Fatalf("CreateUserPool SchemaAttributes = %v, want %v", got, wantNames)
	}
	if _, err := c.AddCustomAttributes(bg, &cip.AddCustomAttributesInput{UserPoolId: &poolID, CustomAttributes: []types.SchemaAttributeType{
		{Name: aws.String("score"), AttributeDataType: types.AttributeDataTypeNumber, Mutable: aws.Bool(true)}}}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: &poolID})
	if err != nil {
		t.Fatal(err)
	}
	wantNames = append(wantNames, "custom:score")
	if got := names(d.UserPool.SchemaAttributes); !slices.Equal(got, wantNames) {
		t.Fatalf("DescribeUserPool SchemaAttributes = %v, want %v", got, wantNames)
	}
	for _, a := range d.UserPool.SchemaAttributes {
		switch aws.ToString(a.Name) {
		case "email":
			if a.AttributeDataType != types.AttributeDataTypeString || !aws.ToBool(a.Mutable) || aws.ToBool(a.Required) {
				t.Fatalf("email: %+v", a)
			}
		case "sub":
			if aws.ToBool(a.Mutable) || !aws.ToBool(a.Required) {
				t.Fatalf("sub: %+v", a)
			}
		case "custom:tier":
			if a.StringAttributeConstraints == nil || aws.ToString(a.StringAttributeConstraints.MaxLength) != "8" {
				t.Fatalf("custom:tier: %+v", a)
			}
		}
	}

	create := func(attrs ...types.AttributeType) error {
		_, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("val@example.com"),
			MessageAction: types.MessageActionTypeSuppress, UserAttributes: attrs})
		return err
	}
	attr := func(n, v string) types.AttributeType {
		return types.AttributeType{Name: aws.String(n), Value: aws.String(v)}
	}
	for _, bad := range [][]types.AttributeType{
		{attr("custom:undeclared", "x")},
		{attr("phone_number", "0400000000")},
		{attr("custom:tier", "far-too-long")},
		{attr("custom:score", "many")},
	} {
		var ipe *types.InvalidParameterException
		if err := create(bad...); err == nil || !errors.As(err, &ipe) {
			t.Fatalf("AdminCreateUser with %s=%s: %v, want InvalidParameterException", aws.ToString(bad[0].Name), aws.ToString(bad[0].Value), err)
		}
	}
	if err := create(attr("email_verified", "true"), attr("custom:tier", "gold"), attr("custom:score", "42"), attr("phone_number", "+61400000000")); err != nil {
		t.Fatal(err)
	}

	cl, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(bg, &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("val@example.com"),
		Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	out := signIn(t, c, aws.ToString(cl.UserPoolClient.ClientId), "val@example.com", password)
	id := claims(t, aws.ToString(out.AuthenticationResult.IdToken))
	if v, ok := id["phone_number_verified"]; ok && v != false {
		t.Fatalf("phone_number_verified = %#v, want absent or the boolean false", v)
	}
	if id["email_verified"] != true || id["custom:tier"] != "gold" || id["email"] != "val@example.com" {
		t.Fatalf("ID token claims: %v", id)
	}
	if _, ok := id["cognito:username"].(string); !ok || id["cognito:username"] == "val@example.com" {
		t.Fatalf("an e-mail pool's username is generated: cognito:username = %v", id["cognito:username"])
	}
}
