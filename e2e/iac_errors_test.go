package e2e

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// TestDomainRules: names unique across the server, one domain of each
// kind per pool, Cognito's answers for missing and malformed domains.
func TestDomainRules(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	p1, _, _ := s.NewPool(t)
	p2, _, _ := s.NewPool(t)
	create := func(pool, domain, cert string) error {
		in := &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(pool), Domain: aws.String(domain)}
		if cert != "" {
			in.CustomDomainConfig = &types.CustomDomainConfigType{CertificateArn: aws.String(cert)}
		}
		_, err := c.CreateUserPoolDomain(bg, in)
		return err
	}
	if err := create(p1, "shared", ""); err != nil {
		t.Fatal(err)
	}
	wantAPIError[*types.InvalidParameterException](t, create(p2, "shared", ""), "Domain already exists.")
	wantAPIError[*types.InvalidParameterException](t, create(p1, "second", ""), "User pool already has a domain configured.")
	if err := create(p1, "login.example.com", certArn); err != nil {
		t.Fatalf("a custom domain beside the prefix one: %v", err)
	}
	out, err := c.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: aws.String(p1)})
	if err != nil || aws.ToString(out.UserPool.Domain) != "shared" || aws.ToString(out.UserPool.CustomDomain) != "login.example.com" {
		t.Fatalf("DescribeUserPool domains: %v %v %v", err, out.UserPool.Domain, out.UserPool.CustomDomain)
	}
	d, err := c.DescribeUserPoolDomain(bg, &cip.DescribeUserPoolDomainInput{Domain: aws.String("login.example.com")})
	if err != nil || aws.ToString(d.DomainDescription.CustomDomainConfig.CertificateArn) != certArn {
		t.Fatalf("DescribeUserPoolDomain of the custom domain: %v %+v", err, d)
	}
	upd, err := c.UpdateUserPoolDomain(bg, &cip.UpdateUserPoolDomainInput{UserPoolId: aws.String(p1), Domain: aws.String("login.example.com"),
		CustomDomainConfig: &types.CustomDomainConfigType{CertificateArn: aws.String(certArn + "2")}, ManagedLoginVersion: aws.Int32(2)})
	if err != nil || aws.ToString(upd.CloudFrontDomain) == "" || aws.ToInt32(upd.ManagedLoginVersion) != 2 {
		t.Fatalf("UpdateUserPoolDomain: %v %+v", err, upd)
	}
	d, _ = c.DescribeUserPoolDomain(bg, &cip.DescribeUserPoolDomainInput{Domain: aws.String("login.example.com")})
	if aws.ToString(d.DomainDescription.CustomDomainConfig.CertificateArn) != certArn+"2" || aws.ToInt32(d.DomainDescription.ManagedLoginVersion) != 2 {
		t.Errorf("after UpdateUserPoolDomain: %+v", d.DomainDescription)
	}

	wantAPIError[*types.InvalidParameterException](t, create(p2, "Upper", ""), "")
	wantAPIError[*types.InvalidParameterException](t, create(p2, "my-cognito", ""), "Domain cannot contain reserved word: cognito")
	wantAPIError[*types.InvalidParameterException](t, create(p2, "auth.example.org", "not-an-arn"), "")
	_, err = c.CreateUserPoolDomain(bg, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String("us-east-1_missing"), Domain: aws.String("free")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "User pool us-east-1_missing does not exist.")
	_, err = c.DeleteUserPoolDomain(bg, &cip.DeleteUserPoolDomainInput{UserPoolId: aws.String(p2), Domain: aws.String("shared")})
	wantAPIError[*types.InvalidParameterException](t, err, "No such domain or user pool exists.")

	// Two pools race for one name: exactly one gets it.
	var won atomic.Int32
	var wg sync.WaitGroup
	for _, p := range []string{p2, p2, p1} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if create(p, "contested", "") == nil {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if won.Load() > 1 {
		t.Errorf("%d pools got one domain name", won.Load())
	}
}

// TestResourceServerRules: validation, paging and the answers for missing
// resource servers.
func TestResourceServerRules(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	pool, _, _ := s.NewPool(t)
	mk := func(id string, scopes ...string) error {
		in := &cip.CreateResourceServerInput{UserPoolId: aws.String(pool), Identifier: aws.String(id), Name: aws.String("rs " + id)}
		for _, sc := range scopes {
			in.Scopes = append(in.Scopes, types.ResourceServerScopeType{ScopeName: aws.String(sc), ScopeDescription: aws.String("d")})
		}
		_, err := c.CreateResourceServer(bg, in)
		return err
	}
	for i := range 5 {
		if err := mk(fmt.Sprintf("api%d", i), "read"); err != nil {
			t.Fatal(err)
		}
	}
	wantAPIError[*types.InvalidParameterException](t, mk("api0"), "")
	wantAPIError[*types.InvalidParameterException](t, mk("bad", "has/slash"), "")
	var got []string
	var next *string
	for {
		out, err := c.ListResourceServers(bg, &cip.ListResourceServersInput{UserPoolId: aws.String(pool), MaxResults: aws.Int32(2), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		for _, rs := range out.ResourceServers {
			got = append(got, aws.ToString(rs.Identifier))
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	if fmt.Sprint(got) != "[api0 api1 api2 api3 api4]" {
		t.Errorf("ListResourceServers paged: %v", got)
	}
	_, err := c.DescribeResourceServer(bg, &cip.DescribeResourceServerInput{UserPoolId: aws.String(pool), Identifier: aws.String("nope")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "")
	_, err = c.ListResourceServers(bg, &cip.ListResourceServersInput{UserPoolId: aws.String(pool), MaxResults: aws.Int32(51)})
	wantAPIError[*types.InvalidParameterException](t, err, "")
}

// TestTagRules: Cognito's limits and the answers for ARNs that name no
// pool of this server.
func TestTagRules(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	pool, _, _ := s.NewPool(t)
	arn := "arn:aws:cognito-idp:us-east-1:000000000000:userpool/" + pool
	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprintf("k%02d", i)] = "v"
	}
	if _, err := c.TagResource(bg, &cip.TagResourceInput{ResourceArn: aws.String(arn), Tags: many}); err != nil {
		t.Fatalf("50 tags: %v", err)
	}
	_, err := c.TagResource(bg, &cip.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"one-more": "v"}})
	wantAPIError[*types.InvalidParameterException](t, err, "The number of tags of a user pool cannot exceed 50.")
	_, err = c.TagResource(bg, &cip.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"aws:reserved": "v"}})
	wantAPIError[*types.InvalidParameterException](t, err, "")
	_, err = c.ListTagsForResource(bg, &cip.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_none")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "User pool us-east-1_none does not exist.")
	_, err = c.ListTagsForResource(bg, &cip.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:s3:::bucket-name-here")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "")
	_, err = c.ListTagsForResource(bg, &cip.ListTagsForResourceInput{ResourceArn: aws.String("not an arn")})
	wantAPIError[*types.InvalidParameterException](t, err, "")

	// Concurrent taggers lose nothing.
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.UntagResource(bg, &cip.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{fmt.Sprintf("k%02d", i)}}); err != nil {
				t.Errorf("UntagResource: %v", err)
			}
		}()
	}
	wg.Wait()
	out, err := c.ListTagsForResource(bg, &cip.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(out.Tags) != 40 {
		t.Errorf("after 10 concurrent untags: %v, %d tags, want 40", err, len(out.Tags))
	}
}

// TestUpdateUserPoolLambdaConfigRules: trigger ARNs must be Lambda
// functions, versioned triggers need a known LambdaVersion, custom senders
// a KMS key; what is refused leaves the pool as it was.
func TestUpdateUserPoolLambdaConfigRules(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	pool, _, _ := s.NewPool(t)
	update := func(l *types.LambdaConfigType) error {
		_, err := c.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: aws.String(pool), LambdaConfig: l})
		return err
	}
	if err := update(&types.LambdaConfigType{PreSignUp: aws.String(triggerArn)}); err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]*types.LambdaConfigType{
		"an SNS ARN":      {PreSignUp: aws.String("arn:aws:sns:us-east-1:123456789012:topic")},
		"not an ARN":      {PostConfirmation: aws.String("my-function")},
		"V9_0":            {PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaVersion: "V9_0", LambdaArn: aws.String(triggerArn)}},
		"sender, no KMS":  {CustomSMSSender: &types.CustomSMSLambdaVersionConfigType{LambdaVersion: "V1_0", LambdaArn: aws.String(triggerArn)}},
		"KMS not an ARN":  {KMSKeyID: aws.String("1234abcd-12ab-34cd-56ef-1234567890ab")},
		"two pre-tokens":  {PreTokenGeneration: aws.String(triggerArn), PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaVersion: "V1_0", LambdaArn: aws.String(pretokenArn)}},
		"email sender V2": {CustomEmailSender: &types.CustomEmailLambdaVersionConfigType{LambdaVersion: "V2_0", LambdaArn: aws.String(triggerArn)}, KMSKeyID: aws.String(kmsArn)},
	} {
		if err := update(l); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			wantAPIError[*types.InvalidParameterException](t, err, "")
		}
	}
	out, err := c.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: aws.String(pool)})
	if err != nil || out.UserPool.LambdaConfig == nil || aws.ToString(out.UserPool.LambdaConfig.PreSignUp) != triggerArn {
		t.Errorf("LambdaConfig after refused updates: %v %+v", err, out.UserPool.LambdaConfig)
	}
	// Left out, LambdaConfig goes back to its default: no triggers.
	if err := update(nil); err != nil {
		t.Fatal(err)
	}
	out, _ = c.DescribeUserPool(bg, &cip.DescribeUserPoolInput{UserPoolId: aws.String(pool)})
	if l := out.UserPool.LambdaConfig; l != nil && l.PreSignUp != nil {
		t.Errorf("LambdaConfig left out of UpdateUserPool kept %+v", l)
	}
	// V2_0 pre-token generation needs a feature plan above LITE.
	_, err = c.UpdateUserPool(bg, &cip.UpdateUserPoolInput{UserPoolId: aws.String(pool), UserPoolTier: types.UserPoolTierTypeLite,
		LambdaConfig: &types.LambdaConfigType{PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaVersion: "V2_0", LambdaArn: aws.String(triggerArn)}}})
	wantAPIError[*types.InvalidParameterException](t, err, "")
}
