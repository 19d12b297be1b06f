package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go"
	"github.com/spf13/pflag"
)

// defaultEndpoint is where the commands look for Cognate when neither
// --endpoint nor $COGNATE_ENDPOINT says otherwise.
const defaultEndpoint = "http://127.0.0.1:9229"

// connFlags are the flags that say which service the commands talk to and
// as whom.
type connFlags struct {
	endpoint string
	region   string
	profile  string
	output   string
}

func addConnFlags(f *pflag.FlagSet) *connFlags {
	c := &connFlags{}
	f.StringVar(&c.endpoint, "endpoint", "",
		`the user-pool API: a Cognate URL, or "aws" for Amazon Cognito (default: $COGNATE_ENDPOINT, else `+defaultEndpoint+`)`)
	f.StringVar(&c.region, "region", "", "the region (default: the AWS configuration's, e.g. $AWS_REGION; for Cognate else us-east-1)")
	f.StringVar(&c.profile, "profile", "", "the AWS shared-configuration profile to take credentials and region from (default: $AWS_PROFILE)")
	addOutputFlag(f, &c.output)
	return c
}

// target is the resolved service.
type target struct {
	// endpoint is the base URL; "" for Amazon Cognito.
	endpoint string
	region   string
}

// aws reports whether the target is Amazon Cognito.
func (t target) aws() bool { return t.endpoint == "" }

// resolveEndpoint applies the flag, then $COGNATE_ENDPOINT, then the
// default. "aws" (or an explicitly empty flag) is Amazon Cognito.
func (c *connFlags) resolveEndpoint(changed bool) (string, error) {
	e, set := c.endpoint, changed
	if !set {
		e, set = os.LookupEnv("COGNATE_ENDPOINT")
	}
	if !set {
		e = defaultEndpoint
	}
	if e == "" || strings.EqualFold(e, "aws") {
		return "", nil
	}
	u, err := url.Parse(e)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usagef(`--endpoint %q: want an http(s) URL or "aws"`, e)
	}
	return strings.TrimRight(e, "/"), nil
}

var poolRegionRE = regexp.MustCompile(`^([a-z0-9-]+)_[0-9a-zA-Z]+$`)

// client builds the user-pool API client. poolID, when known, gives the
// region if nothing else does. Against Cognate, when no AWS credentials are
// configured the calls are sent unsigned (dev mode needs none), and the
// EC2 instance-metadata service is never asked.
func (c *connFlags) client(ctx context.Context, f *pflag.FlagSet, poolID string) (*cip.Client, target, error) {
	if err := checkOutput(c.output); err != nil {
		return nil, target{}, err
	}
	endpoint, err := c.resolveEndpoint(f.Changed("endpoint"))
	if err != nil {
		return nil, target{}, err
	}
	t := target{endpoint: endpoint}
	var opts []func(*config.LoadOptions) error
	if c.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.profile))
	}
	if c.region != "" {
		opts = append(opts, config.WithRegion(c.region))
	}
	if !t.aws() {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, target{}, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		if m := poolRegionRE.FindStringSubmatch(poolID); m != nil {
			cfg.Region = m[1]
		} else if !t.aws() {
			cfg.Region = "us-east-1"
		} else {
			return nil, target{}, usagef("no region: set --region, $AWS_REGION or the profile's region")
		}
	}
	t.region = cfg.Region
	if !t.aws() {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := cfg.Credentials.Retrieve(cctx)
		cancel()
		if err != nil {
			cfg.Credentials = aws.AnonymousCredentials{}
		}
	}
	client := cip.NewFromConfig(cfg, func(o *cip.Options) {
		if !t.aws() {
			o.BaseEndpoint = aws.String(t.endpoint)
		}
	})
	return client, t, nil
}

// apiErr describes a failed call: the service's error name and message,
// or the transport failure; nil when err is nil.
func apiErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: %s: %s", op, ae.ErrorCode(), ae.ErrorMessage())
	}
	return fmt.Errorf("%s: %w", op, err)
}
