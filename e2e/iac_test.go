package e2e

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/trigger/triggertest"
)

const (
	triggerArn  = "arn:aws:lambda:us-east-1:123456789012:function:pre-sign-up"
	pretokenArn = "arn:aws:lambda:us-east-1:123456789012:function:pre-token:live"
	kmsArn      = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	certArn     = "arn:aws:acm:us-east-1:123456789012:certificate/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
)

// hostGet makes a GET of path on the server with the Host header host (a
// pool's domain) and returns the status, the Location header and the body.
func hostGet(t *testing.T, s *testserver.Server, host, path string, cookies ...*http.Cookie) (int, string, string, []*http.Cookie) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for _, c := range cookies {
		req.AddCookie(c)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET %s (Host %s): %v", path, host, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b), resp.Cookies()
}

// clientCredentials asks the token endpoint (at Host host, or the pool's
// path when host is empty) for a client_credentials token.
func clientCredentials(t *testing.T, s *testserver.Server, poolID, host, id, secret, scope string) (int, map[string]any) {
	t.Helper()
	path := "/" + poolID + "/oauth2/token"
	if host != "" {
		path = "/oauth2/token"
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestInfrastructureToolSequence runs the calls Terraform's aws provider or
// CloudFormation make to create, read back, update and destroy a pool with
// an app client, a domain, a resource server, a group, triggers and tags,
// and checks what each read returns.
func TestInfrastructureToolSequence(t *testing.T) {
	// The pool's functions exist and agree to everything: with V3_0, pre
	// token generation runs on client_credentials too.
	agree := func(_ context.Context, ev json.RawMessage) (any, error) {
		return triggertest.Respond(ev, map[string]any{})
	}
	lambda := triggertest.Start(t, map[string]triggertest.Func{"pre-sign-up": agree, "pre-token": agree})
	s := testserver.StartWith(t, testserver.Options{Triggers: lambda.Invoker()})
	c := s.Admin

	// Create the pool as a tool does: triggers, schema, tags, everything.
	lambdaCfg := &types.LambdaConfigType{PreSignUp: aws.String(triggerArn), PostConfirmation: aws.String(triggerArn),
		PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaVersion: types.PreTokenGenerationLambdaVersionTypeV20,
			LambdaArn: aws.String(pretokenArn)},
		CustomEmailSender: &types.CustomEmailLambdaVersionConfigType{LambdaVersion: types.CustomEmailSenderLambdaVersionTypeV10,
			LambdaArn: aws.String(triggerArn)}, KMSKeyID: aws.String(kmsArn)}
	created, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("iac-pool"), LambdaConfig: lambdaCfg,
		UsernameAttributes:     []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		Schema: []types.SchemaAttributeType{{Name: aws.String("tenant"), AttributeDataType: types.AttributeDataTypeString,
			Mutable: aws.Bool(true), StringAttributeConstraints: &types.StringAttributeConstraintsType{MinLength: aws.String("1"), MaxLength: aws.String("64")}}},
		UserPoolTags: map[string]string{"env": "test", "team": "identity"},
		UserPoolTier: types.UserPoolTierTypePlus, DeletionProtection: types.DeletionProtectionTypeInactive})
	if err != nil {
		t.Fatalf("CreateUserPool: %v", err)
	}
	poolID, arn := aws.ToString(created.UserPool.Id), aws.ToString(created.UserPool.Arn)
	if arn != "arn:aws:cognito-idp:us-east-1:000000000000:userpool/"+poolID {
		t.Fatalf("pool ARN %q", arn)
	}

	d, err := c.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.UserPool.LambdaConfig, lambdaCfg) {
		t.Errorf("LambdaConfig read back %+v, want %+v", d.UserPool.LambdaConfig, lambdaCfg)
	}
	if d.UserPool.UserPoolTier != types.UserPoolTierTypePlus || d.UserPool.UserPoolTags["team"] != "identity" ||
		d.UserPool.Domain != nil || d.UserPool.CustomDomain != nil {
		t.Errorf("DescribeUserPool: tier %q tags %v domain %v", d.UserPool.UserPoolTier, d.UserPool.UserPoolTags, d.UserPool.Domain)
	}
	if !slices.ContainsFunc(d.UserPool.SchemaAttributes, func(a types.SchemaAttributeType) bool { return aws.ToString(a.Name) == "custom:tenant" }) {
		t.Errorf("schema lacks custom:tenant")
	}

	list, err := c.ListUserPools(bg, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(list.UserPools, func(p types.UserPoolDescriptionType) bool { return aws.ToString(p.Id) == poolID }); i < 0 ||
		aws.ToString(list.UserPools[i].LambdaConfig.PreSignUp) != triggerArn {
		t.Errorf("ListUserPools does not show the pool's LambdaConfig")
	}

	// The app client names a custom scope: refused until a resource server declares it.
	clientIn := &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("machine"), GenerateSecret: true,
		AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials}, AllowedOAuthFlowsUserPoolClient: true,
		AllowedOAuthScopes: []string{"https://api.example.com/read"}}
	_, err = c.CreateUserPoolClient(bg, clientIn)
	wantAPIError[*types.ScopeDoesNotExistException](t, err, "Invalid scope requested: https://api.example.com/read")

	dom, err := c.CreateUserPoolDomain(bg, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(poolID), Domain: aws.String("iac-test")})
	if err != nil {
		t.Fatalf("CreateUserPoolDomain: %v", err)
	}
	if dom.CloudFrontDomain != nil || aws.ToInt32(dom.ManagedLoginVersion) != 1 {
		t.Errorf("CreateUserPoolDomain of a prefix: %+v", dom)
	}
	dd, err := c.DescribeUserPoolDomain(bg, &cip.DescribeUserPoolDomainInput{Domain: aws.String("iac-test")})
	if err != nil {
		t.Fatal(err)
	}
	if desc := dd.DomainDescription; desc.Status != types.DomainStatusTypeActive || aws.ToString(desc.UserPoolId) != poolID ||
		aws.ToString(desc.Domain) != "iac-test" || !strings.HasSuffix(aws.ToString(desc.CloudFrontDistribution), ".cloudfront.net") ||
		aws.ToString(desc.Version) == "" || desc.CustomDomainConfig != nil {
		t.Errorf("DescribeUserPoolDomain: %+v", desc)
	}

	rs, err := c.CreateResourceServer(bg, &cip.CreateResourceServerInput{UserPoolId: aws.String(poolID),
		Identifier: aws.String("https://api.example.com"), Name: aws.String("api"),
		Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("Read things")}}})
	if err != nil {
		t.Fatalf("CreateResourceServer: %v", err)
	}
	if aws.ToString(rs.ResourceServer.UserPoolId) != poolID || len(rs.ResourceServer.Scopes) != 1 {
		t.Errorf("CreateResourceServer: %+v", rs.ResourceServer)
	}
	client, err := c.CreateUserPoolClient(bg, clientIn)
	if err != nil {
		t.Fatalf("CreateUserPoolClient with a declared scope: %v", err)
	}
	clientID, secret := aws.ToString(client.UserPoolClient.ClientId), aws.ToString(client.UserPoolClient.ClientSecret)

	if _, err := c.CreateGroup(bg, &cip.CreateGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String("admins"),
		Precedence: aws.Int32(1)}); err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}

	tags, err := c.ListTagsForResource(bg, &cip.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tags.Tags, map[string]string{"env": "test", "team": "identity"}) {
		t.Errorf("ListTagsForResource: %v", tags.Tags)
	}

	// Updates: the pool (a new trigger set, settings left out go back to defaults), the client, the resource server, tags.
	lambda2 := &types.LambdaConfigType{PreAuthentication: aws.String(triggerArn),
		PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaVersion: types.PreTokenGenerationLambdaVersionTypeV30,
			LambdaArn: aws.String(pretokenArn)}, PreTokenGeneration: aws.String(pretokenArn)}
	if _, err := c.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: aws.String(poolID), LambdaConfig: lambda2,
		MfaConfiguration: types.UserPoolMfaTypeOff, DeletionProtection: types.DeletionProtectionTypeActive,
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		UserPoolTier:           types.UserPoolTierTypeEssentials,
		Policies:               &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(12)}}}); err != nil {
		t.Fatalf("UpdateUserPool: %v", err)
	}
	if _, err := c.UpdateUserPoolClient(bg, &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID),
		ClientName: aws.String("machine-2"), AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthScopes: []string{"https://api.example.com/read", "https://api.example.com/write"}}); err == nil {
		t.Fatalf("UpdateUserPoolClient with an undeclared scope succeeded")
	}
	if _, err := c.UpdateResourceServer(bg, &cip.UpdateResourceServerInput{UserPoolId: aws.String(poolID),
		Identifier: aws.String("https://api.example.com"), Name: aws.String("api v2"),
		Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("Read")},
			{ScopeName: aws.String("write"), ScopeDescription: aws.String("Write")}}}); err != nil {
		t.Fatalf("UpdateResourceServer: %v", err)
	}
	if _, err := c.UpdateUserPoolClient(bg, &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID),
		ClientName: aws.String("machine-2"), AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthScopes: []string{"https://api.example.com/read", "https://api.example.com/write"}}); err != nil {
		t.Fatalf("UpdateUserPoolClient: %v", err)
	}
	if _, err := c.TagResource(bg, &cip.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"env": "prod", "owner": "me"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := c.UntagResource(bg, &cip.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team", "absent"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}

	// Read everything back.
	d, err = c.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatal(err)
	}
	p := d.UserPool
	if !reflect.DeepEqual(p.LambdaConfig, lambda2) {
		t.Errorf("LambdaConfig after UpdateUserPool %+v, want %+v", p.LambdaConfig, lambda2)
	}
	if p.DeletionProtection != types.DeletionProtectionTypeActive || p.UserPoolTier != types.UserPoolTierTypeEssentials ||
		aws.ToInt32(p.Policies.PasswordPolicy.MinimumLength) != 12 || aws.ToString(p.Domain) != "iac-test" ||
		!reflect.DeepEqual(p.UserPoolTags, map[string]string{"env": "prod", "owner": "me"}) ||
		len(p.UsernameAttributes) != 1 || p.EmailConfiguration == nil || p.EmailConfiguration.EmailSendingAccount != types.EmailSendingAccountTypeCognitoDefault {
		t.Errorf("DescribeUserPool after the updates: protection %q tier %q domain %v tags %v usernames %v",
			p.DeletionProtection, p.UserPoolTier, aws.ToString(p.Domain), p.UserPoolTags, p.UsernameAttributes)
	}
	rd, err := c.DescribeResourceServer(bg, &cip.DescribeResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String("https://api.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(rd.ResourceServer.Name) != "api v2" || len(rd.ResourceServer.Scopes) != 2 {
		t.Errorf("DescribeResourceServer: %+v", rd.ResourceServer)
	}
	cd, err := c.DescribeUserPoolClient(bg, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(cd.UserPoolClient.ClientName) != "machine-2" || len(cd.UserPoolClient.AllowedOAuthScopes) != 2 {
		t.Errorf("DescribeUserPoolClient: %+v", cd.UserPoolClient)
	}
	cert, err := c.GetSigningCertificate(bg, &cip.GetSigningCertificateInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatal(err)
	}
	der, err := base64.StdEncoding.DecodeString(aws.ToString(cert.Certificate))
	if err != nil {
		t.Fatalf("certificate is not base64: %v", err)
	}
	x, err := x509.ParseCertificate(der)
	if err != nil || x.Subject.CommonName != poolID {
		t.Fatalf("certificate: %v %v", err, x)
	}

	// A client_credentials token with a custom scope, at the pool's path and on its domain.
	host := "iac-test.auth.us-east-1.amazoncognito.com"
	for _, h := range []string{"", host, strings.ToUpper(host) + ":443"} {
		st, tk := clientCredentials(t, s, poolID, h, clientID, secret, "https://api.example.com/write")
		if st != 200 {
			t.Fatalf("client_credentials (Host %q): %d %v", h, st, tk)
		}
		if got := claims(t, tk["access_token"].(string))["scope"]; got != "https://api.example.com/write" {
			t.Errorf("scope claim %v", got)
		}
	}
	if n := len(lambda.Calls("pre-token")); n < 3 {
		t.Errorf("the V3_0 pre token generation function ran %d times for 3 client_credentials grants", n)
	}
	st, tk := clientCredentials(t, s, poolID, "", clientID, secret, "")
	if st != 200 || claims(t, tk["access_token"].(string))["scope"] != "https://api.example.com/read https://api.example.com/write" {
		t.Errorf("client_credentials without scope: %d %v", st, tk)
	}
	if st, _ := clientCredentials(t, s, poolID, "", clientID, secret, "https://api.example.com/admin"); st != 400 {
		t.Errorf("client_credentials with a scope not allowed: %d", st)
	}

	// The hosted UI and the discovery answer on the domain.
	status, _, body, _ := hostGet(t, s, host, "/.well-known/openid-configuration")
	if status != 200 || !strings.Contains(body, `"issuer":"`+s.URL+"/"+poolID+`"`) {
		t.Errorf("discovery on the domain: %d %s", status, body)
	}
	if status, _, body, _ = hostGet(t, s, host, "/.well-known/jwks.json"); status != 200 || !strings.Contains(body, `"keys"`) {
		t.Errorf("JWKS on the domain: %d %s", status, body)
	}
	if status, _, _, _ = hostGet(t, s, "other.auth.us-east-1.amazoncognito.com", "/.well-known/jwks.json"); status != 404 {
		t.Errorf("JWKS on an unknown domain: %d, want 404", status)
	}

	// DeleteUserPool refuses while the domain exists (and while deletion protection is on).
	_, err = c.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: aws.String(poolID), LambdaConfig: lambda2,
		DeletionProtection: types.DeletionProtectionTypeInactive, AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteUserPool(bg, &cip.DeleteUserPoolInput{UserPoolId: aws.String(poolID)})
	wantAPIError[*types.InvalidParameterException](t, err, "User pool cannot be deleted. It has a domain configured that should be deleted first.")

	// Destroy, in the tool's order.
	if _, err := c.DeleteResourceServer(bg, &cip.DeleteResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String("https://api.example.com")}); err != nil {
		t.Fatal(err)
	}
	if st, _ := clientCredentials(t, s, poolID, "", clientID, secret, ""); st != 400 {
		t.Errorf("client_credentials after the resource server's deletion: %d, want 400 (no scope left)", st)
	}
	if _, err := c.DeleteUserPoolDomain(bg, &cip.DeleteUserPoolDomainInput{UserPoolId: aws.String(poolID), Domain: aws.String("iac-test")}); err != nil {
		t.Fatal(err)
	}
	dd, err = c.DescribeUserPoolDomain(bg, &cip.DescribeUserPoolDomainInput{Domain: aws.String("iac-test")})
	if err != nil || dd.DomainDescription == nil || dd.DomainDescription.Status != "" || dd.DomainDescription.Domain != nil {
		t.Errorf("DescribeUserPoolDomain of a deleted domain: %v %+v", err, dd)
	}
	if status, _, _, _ = hostGet(t, s, host, "/.well-known/jwks.json"); status != 404 {
		t.Errorf("JWKS on a deleted domain: %d, want 404", status)
	}
	if _, err := c.DeleteUserPoolClient(bg, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteGroup(bg, &cip.DeleteGroupInput{UserPoolId: aws.String(poolID), GroupName: aws.String("admins")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteUserPool(bg, &cip.DeleteUserPoolInput{UserPoolId: aws.String(poolID)}); err != nil {
		t.Fatalf("DeleteUserPool: %v", err)
	}
	_, err = c.ListTagsForResource(bg, &cip.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	wantAPIError[*types.ResourceNotFoundException](t, err, "User pool "+poolID+" does not exist.")
}
