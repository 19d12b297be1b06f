package awsjson

// The operations infrastructure-as-code tools call beside the pool's own:
// domains, resource servers, tags and the signing certificate.

import (
	"context"

	"github.com/cognate-dev/cognate/userpool"
)

type customDomainConfig struct {
	CertificateArn string `json:"CertificateArn"`
}

type domainIn struct {
	UserPoolID          string              `json:"UserPoolId"`
	Domain              string              `json:"Domain"`
	CustomDomainConfig  *customDomainConfig `json:"CustomDomainConfig"`
	ManagedLoginVersion *int                `json:"ManagedLoginVersion"`
	Routing             map[string]any      `json:"Routing"` // accepted, not acted on
}

func (in *domainIn) input() userpool.DomainInput {
	out := userpool.DomainInput{PoolID: in.UserPoolID, Domain: in.Domain, ManagedLoginVersion: in.ManagedLoginVersion}
	if in.CustomDomainConfig != nil {
		out.Custom, out.CertificateArn = true, in.CustomDomainConfig.CertificateArn
	}
	return out
}

// domainOut is CreateUserPoolDomain's and UpdateUserPoolDomain's answer:
// CloudFrontDomain for custom domains only, as Cognito.
func domainOut(d *userpool.Domain, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	out := struct {
		CloudFrontDomain    string `json:"CloudFrontDomain,omitempty"`
		ManagedLoginVersion int    `json:"ManagedLoginVersion"`
	}{ManagedLoginVersion: d.ManagedLoginVersion}
	if d.Custom() {
		out.CloudFrontDomain = d.CloudFrontDistribution
	}
	return out, nil
}

type domainDescription struct {
	UserPoolID             string              `json:"UserPoolId,omitempty"`
	AWSAccountID           string              `json:"AWSAccountId,omitempty"`
	Domain                 string              `json:"Domain,omitempty"`
	S3Bucket               string              `json:"S3Bucket,omitempty"`
	CloudFrontDistribution string              `json:"CloudFrontDistribution,omitempty"`
	Version                string              `json:"Version,omitempty"`
	Status                 string              `json:"Status,omitempty"`
	CustomDomainConfig     *customDomainConfig `json:"CustomDomainConfig,omitempty"`
	ManagedLoginVersion    int                 `json:"ManagedLoginVersion,omitempty"`
}

type resourceServerIn struct {
	UserPoolID string                         `json:"UserPoolId"`
	Identifier string                         `json:"Identifier"`
	Name       string                         `json:"Name"`
	Scopes     []userpool.ResourceServerScope `json:"Scopes"`
}

func (in *resourceServerIn) input() userpool.ResourceServer {
	return userpool.ResourceServer{PoolID: in.UserPoolID, Identifier: in.Identifier, Name: in.Name, Scopes: in.Scopes}
}

type resourceServerType struct {
	UserPoolID string                         `json:"UserPoolId"`
	Identifier string                         `json:"Identifier"`
	Name       string                         `json:"Name"`
	Scopes     []userpool.ResourceServerScope `json:"Scopes"`
}

func rsOut(rs *userpool.ResourceServer) *resourceServerType {
	scopes := rs.Scopes
	if scopes == nil {
		scopes = []userpool.ResourceServerScope{}
	}
	return &resourceServerType{UserPoolID: rs.PoolID, Identifier: rs.Identifier, Name: rs.Name, Scopes: scopes}
}

func rsResult(rs *userpool.ResourceServer, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]any{"ResourceServer": rsOut(rs)}, nil
}

// iacOperations are the operations on domains, resource servers, tags and
// the signing certificate.
func iacOperations() map[string]operation {
	return map[string]operation{
		"CreateUserPoolDomain": op(true, func(ctx context.Context, s *userpool.Service, in *domainIn) (any, error) {
			return domainOut(s.CreateUserPoolDomain(ctx, in.input()))
		}),
		"UpdateUserPoolDomain": op(true, func(ctx context.Context, s *userpool.Service, in *domainIn) (any, error) {
			return domainOut(s.UpdateUserPoolDomain(ctx, in.input()))
		}),
		"DescribeUserPoolDomain": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			Domain string `json:"Domain"`
		}) (any, error) {
			d, err := s.DescribeUserPoolDomain(ctx, in.Domain)
			if err != nil {
				return nil, err
			}
			out := domainDescription{} // a missing domain: an empty description, as Cognito
			if d != nil {
				out = domainDescription{UserPoolID: d.PoolID, AWSAccountID: d.AccountID, Domain: d.Domain, S3Bucket: d.S3Bucket,
					CloudFrontDistribution: d.CloudFrontDistribution, Version: d.Version, Status: "ACTIVE",
					ManagedLoginVersion: d.ManagedLoginVersion}
				if d.Custom() {
					out.CustomDomainConfig = &customDomainConfig{CertificateArn: d.CertificateArn}
				}
			}
			return map[string]any{"DomainDescription": out}, nil
		}),
		"DeleteUserPoolDomain": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID string `json:"UserPoolId"`
			Domain     string `json:"Domain"`
		}) (any, error) {
			return empty(s.DeleteUserPoolDomain(ctx, in.UserPoolID, in.Domain))
		}),
		"CreateResourceServer": op(true, func(ctx context.Context, s *userpool.Service, in *resourceServerIn) (any, error) {
			return rsResult(s.CreateResourceServer(ctx, in.input()))
		}),
		"UpdateResourceServer": op(true, func(ctx context.Context, s *userpool.Service, in *resourceServerIn) (any, error) {
			return rsResult(s.UpdateResourceServer(ctx, in.input()))
		}),
		"DescribeResourceServer": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID string `json:"UserPoolId"`
			Identifier string `json:"Identifier"`
		}) (any, error) {
			return rsResult(s.DescribeResourceServer(ctx, in.UserPoolID, in.Identifier))
		}),
		"DeleteResourceServer": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			UserPoolID string `json:"UserPoolId"`
			Identifier string `json:"Identifier"`
		}) (any, error) {
			return empty(s.DeleteResourceServer(ctx, in.UserPoolID, in.Identifier))
		}),
		"ListResourceServers": op(true, func(ctx context.Context, s *userpool.Service, in *paging) (any, error) {
			list, next, err := s.ListResourceServers(ctx, in.UserPoolID, in.MaxResults, in.NextToken)
			if err != nil {
				return nil, err
			}
			out := struct {
				ResourceServers []*resourceServerType `json:"ResourceServers"`
				NextToken       string                `json:"NextToken,omitempty"`
			}{ResourceServers: []*resourceServerType{}, NextToken: next}
			for _, rs := range list {
				out.ResourceServers = append(out.ResourceServers, rsOut(rs))
			}
			return out, nil
		}),
		"TagResource": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			ResourceArn string            `json:"ResourceArn"`
			Tags        map[string]string `json:"Tags"`
		}) (any, error) {
			return empty(s.TagResource(ctx, in.ResourceArn, in.Tags))
		}),
		"UntagResource": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			ResourceArn string   `json:"ResourceArn"`
			TagKeys     []string `json:"TagKeys"`
		}) (any, error) {
			return empty(s.UntagResource(ctx, in.ResourceArn, in.TagKeys))
		}),
		"ListTagsForResource": op(true, func(ctx context.Context, s *userpool.Service, in *struct {
			ResourceArn string `json:"ResourceArn"`
		}) (any, error) {
			tags, err := s.ListTagsForResource(ctx, in.ResourceArn)
			if err != nil {
				return nil, err
			}
			return map[string]any{"Tags": tags}, nil
		}),
		"GetSigningCertificate": op(true, func(ctx context.Context, s *userpool.Service, in *poolRef) (any, error) {
			cert, err := s.GetSigningCertificate(ctx, in.UserPoolID)
			if err != nil {
				return nil, err
			}
			return map[string]any{"Certificate": cert}, nil
		}),
	}
}
