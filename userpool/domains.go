package userpool

// User pool domains: a prefix domain (<prefix>.auth.<region>.amazoncognito.com)
// and a custom domain (with an ACM certificate), at most one of each per
// pool, each name unique across the server. The hosted UI answers on them
// (PoolForHost) as well as under /<poolId>/.

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/cognate-dev/cognate/store"
)

// Domain is a user pool domain as DescribeUserPoolDomain shows it.
type Domain struct {
	Domain                 string
	PoolID                 string
	CertificateArn         string // custom domains only
	CloudFrontDistribution string
	Version                string
	ManagedLoginVersion    int
	S3Bucket               string
	AccountID              string
}

// Custom reports whether d is a custom domain.
func (d *Domain) Custom() bool { return d.CertificateArn != "" }

// DomainInput is what CreateUserPoolDomain and UpdateUserPoolDomain take.
type DomainInput struct {
	PoolID              string
	Domain              string
	CertificateArn      string // set: a custom domain
	Custom              bool   // CustomDomainConfig was sent
	ManagedLoginVersion *int
}

var (
	prefixRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	labelRE  = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	arnRE    = regexp.MustCompile(`^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:[\w+=/,.@-]*:[0-9]*:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?$`)
)

const accountID = "000000000000" // the account of every ARN this server makes

func (s *Service) toDomain(d *store.Domain) *Domain {
	out := &Domain{Domain: d.Domain, PoolID: d.PoolID, CertificateArn: d.CertificateArn,
		CloudFrontDistribution: d.CloudFrontDistribution, Version: d.Version, ManagedLoginVersion: d.ManagedLoginVersion,
		AccountID: accountID}
	if !d.Custom() {
		out.S3Bucket = "aws-cognito-prod-" + s.region + "-assets"
	}
	return out
}

// checkDomainName validates a prefix (custom false) or a fully qualified
// custom domain name.
func checkDomainName(name string, custom bool) error {
	if name == "" {
		return required("domain")
	}
	if !custom {
		if len(name) > 63 || !prefixRE.MatchString(name) {
			return violation(Violation{Member: "domain", Rule: RuleLengthPattern, Value: name, Shown: true, Min: 1, Max: 63,
				Pattern: `^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$`})
		}
		for _, w := range []string{"aws", "amazon", "cognito"} {
			if strings.Contains(name, w) {
				return invalidf("Domain cannot contain reserved word: %s", w)
			}
		}
		return nil
	}
	labels := strings.Split(name, ".")
	if len(name) > 253 || len(labels) < 2 || net.ParseIP(name) != nil {
		return invalidf("The custom domain must be a fully qualified domain name, such as auth.example.com.")
	}
	for _, l := range labels {
		if !labelRE.MatchString(l) {
			return invalidf("The custom domain must be a fully qualified domain name, such as auth.example.com.")
		}
	}
	return nil
}

func checkCertificateArn(arn string) error {
	if len(arn) < 20 || len(arn) > 2048 || !arnRE.MatchString(arn) {
		return violation(Violation{Member: "customDomainConfig.certificateArn", Rule: RuleLengthPattern, Value: arn, Shown: true,
			Min: 20, Max: 2048, Pattern: `arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?`})
	}
	return nil
}

func checkManagedLoginVersion(v *int) (int, error) {
	if v == nil {
		return 1, nil
	}
	if *v != 1 && *v != 2 {
		return 0, invalidf("ManagedLoginVersion must be 1 (hosted UI) or 2 (managed login).")
	}
	return *v, nil
}

// cloudFrontName is the stand-in CloudFront distribution of a domain:
// stable, derived from the name.
func cloudFrontName(domain string) string {
	sum := sha256.Sum256([]byte(domain))
	return "d" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:8]))[:13] + ".cloudfront.net"
}

// CreateUserPoolDomain gives a pool a prefix or a custom domain.
func (s *Service) CreateUserPoolDomain(ctx context.Context, in DomainInput) (*Domain, error) {
	if _, err := s.pool(ctx, in.PoolID); err != nil {
		return nil, err
	}
	if in.Custom && in.CertificateArn == "" {
		return nil, required("customDomainConfig.certificateArn")
	}
	if err := checkDomainName(in.Domain, in.Custom); err != nil {
		return nil, err
	}
	if in.Custom {
		if err := checkCertificateArn(in.CertificateArn); err != nil {
			return nil, err
		}
	}
	mlv, err := checkManagedLoginVersion(in.ManagedLoginVersion)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	d := &store.Domain{Domain: in.Domain, PoolID: in.PoolID, CertificateArn: in.CertificateArn,
		CloudFrontDistribution: cloudFrontName(in.Domain), Version: now.Format("20060102150405"),
		ManagedLoginVersion: mlv, CreatedAt: now, UpdatedAt: now}
	if err := s.domains.CreateDomain(ctx, d); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, s.domainConflict(ctx, in.Domain)
		}
		if errors.Is(err, store.ErrNotFound) { // the pool went away meanwhile
			return nil, caused(KindNotFound, CausePoolNotFound, in.PoolID)
		}
		return nil, internal("create domain", err)
	}
	s.log.Info("user pool domain created", "pool", in.PoolID, "domain", in.Domain, "custom", in.Custom)
	return s.toDomain(d), nil
}

// domainConflict tells a taken name from a pool that has a domain of the
// kind already.
func (s *Service) domainConflict(ctx context.Context, name string) error {
	if _, err := s.domains.GetDomain(ctx, name); err == nil {
		return invalidf("Domain already exists.")
	}
	return invalidf("User pool already has a domain configured.")
}

// DescribeUserPoolDomain returns a domain, or nil when there is none of
// that name (Cognito answers an empty description, not an error).
func (s *Service) DescribeUserPoolDomain(ctx context.Context, name string) (*Domain, error) {
	if name == "" {
		return nil, required("domain")
	}
	d, err := s.domains.GetDomain(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, internal("get domain", err)
	}
	return s.toDomain(d), nil
}

// poolDomain loads a domain of the pool, or answers Cognito's error for
// a domain or pool that does not exist.
func (s *Service) poolDomain(ctx context.Context, poolID, name string) (*store.Domain, error) {
	if name == "" {
		return nil, required("domain")
	}
	if _, err := s.pool(ctx, poolID); err != nil {
		return nil, err
	}
	d, err := s.domains.GetDomain(ctx, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.PoolID != poolID) {
		return nil, invalidf("No such domain or user pool exists.")
	}
	if err != nil {
		return nil, internal("get domain", err)
	}
	return d, nil
}

// UpdateUserPoolDomain changes a custom domain's certificate and either
// kind's managed-login version.
func (s *Service) UpdateUserPoolDomain(ctx context.Context, in DomainInput) (*Domain, error) {
	d, err := s.poolDomain(ctx, in.PoolID, in.Domain)
	if err != nil {
		return nil, err
	}
	if in.Custom {
		if !d.Custom() {
			return nil, invalidf("CustomDomainConfig can only be given for a custom domain.")
		}
		if in.CertificateArn == "" {
			return nil, required("customDomainConfig.certificateArn")
		}
		if err := checkCertificateArn(in.CertificateArn); err != nil {
			return nil, err
		}
		d.CertificateArn = in.CertificateArn
	}
	if in.ManagedLoginVersion != nil {
		if d.ManagedLoginVersion, err = checkManagedLoginVersion(in.ManagedLoginVersion); err != nil {
			return nil, err
		}
	}
	now := s.now().UTC()
	d.UpdatedAt, d.Version = now, now.Format("20060102150405")
	if err := s.domains.UpdateDomain(ctx, d); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, invalidf("No such domain or user pool exists.")
		}
		return nil, internal("update domain", err)
	}
	return s.toDomain(d), nil
}

// DeleteUserPoolDomain deletes a pool's domain.
func (s *Service) DeleteUserPoolDomain(ctx context.Context, poolID, name string) error {
	if _, err := s.poolDomain(ctx, poolID, name); err != nil {
		return err
	}
	if err := s.domains.DeleteDomain(ctx, poolID, name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return invalidf("No such domain or user pool exists.")
		}
		return internal("delete domain", err)
	}
	s.log.Info("user pool domain deleted", "pool", poolID, "domain", name)
	return nil
}

// poolDomainNames returns the pool's prefix and custom domain names (empty
// where it has none), for DescribeUserPool.
func (s *Service) poolDomainNames(ctx context.Context, poolID string) (prefix, custom string, err error) {
	ds, err := s.domains.ListPoolDomains(ctx, poolID)
	if err != nil {
		return "", "", internal("list pool domains", err)
	}
	for _, d := range ds {
		if d.Custom() {
			custom = d.Domain
		} else {
			prefix = d.Domain
		}
	}
	return prefix, custom, nil
}

// PoolForHost returns the pool whose domain is host (a Host header, with
// or without a port): a prefix domain as
// <prefix>.auth.<region>.amazoncognito.com, or a custom domain. ok is false
// for any other host, IP addresses and localhost without a store read.
func (s *Service) PoolForHost(ctx context.Context, host string) (poolID string, ok bool, err error) {
	if h, _, splitErr := net.SplitHostPort(host); splitErr == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" || host == "localhost" || !strings.Contains(host, ".") || net.ParseIP(host) != nil || host == s.publicHost() {
		return "", false, nil
	}
	name, custom := host, true
	if p, found := strings.CutSuffix(host, ".auth."+s.region+".amazoncognito.com"); found {
		name, custom = p, false
	}
	d, err := s.domains.GetDomain(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, internal("get domain", err)
	}
	if d.Custom() != custom {
		return "", false, nil
	}
	return d.PoolID, true, nil
}

// publicHost is the host name of the public URL: requests for it are the
// pools' paths, never a domain (no store read on the common path).
func (s *Service) publicHost() string {
	u, err := url.Parse(s.issuer)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
