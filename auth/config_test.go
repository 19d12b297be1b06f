package auth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/auth"
)

func TestNew_ValidatesConfig(t *testing.T) {
	good := auth.Config{UserPoolID: "us-east-1_AbC123xyZ", ClientID: "abcdefghijklmnopqrstuvwxyz"}
	if _, err := auth.New(good); err != nil {
		t.Fatalf("minimal config: %v", err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*auth.Config)
		want string
	}{
		{"no pool", func(c *auth.Config) { c.UserPoolID = "" }, "UserPoolID is required"},
		{"bad pool", func(c *auth.Config) { c.UserPoolID = "nounderscore" }, "is not a user pool id"},
		{"no client", func(c *auth.Config) { c.ClientID = "" }, "ClientID is required"},
		{"bad client", func(c *auth.Config) { c.ClientID = "has space" }, "is not an app client id"},
		{"bad region", func(c *auth.Config) { c.Region = "US East" }, "is not a region name"},
		{"region mismatch on AWS", func(c *auth.Config) { c.Region = "eu-west-1" }, "belongs to region us-east-1, but Region is eu-west-1"},
		{"bad endpoint scheme", func(c *auth.Config) { c.Endpoint = "ftp://x" }, "scheme must be http or https"},
		{"endpoint without host", func(c *auth.Config) { c.Endpoint = "http://" }, "host is missing"},
		{"endpoint with query", func(c *auth.Config) { c.Endpoint = "http://x/?a=b" }, "must not have a query"},
		{"negative timeout", func(c *auth.Config) { c.Timeouts.Operation = -time.Second }, "Timeouts.Operation must not be negative"},
		{"too many attempts", func(c *auth.Config) { c.MaxAttempts = 50 }, "MaxAttempts"},
		{"secret with spaces", func(c *auth.Config) { c.ClientSecret = "a b" }, "ClientSecret is malformed"},
		{"hosted UI bad domain", func(c *auth.Config) {
			c.HostedUI = &auth.HostedUIConfig{Domain: "auth.example.com", SignOutRedirectURI: "myapp://out"}
		}, "HostedUI.Domain"},
		{"hosted UI relative redirect", func(c *auth.Config) {
			c.HostedUI = &auth.HostedUIConfig{Domain: "https://auth.example.com", SignOutRedirectURI: "/out"}
		}, "HostedUI.SignOutRedirectURI"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.mod(&cfg)
			_, err := auth.New(cfg)
			var ce *auth.ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want a ConfigError mentioning %q", err, tc.want)
			}
		})
	}
	// Every problem is reported at once.
	_, err := auth.New(auth.Config{})
	if err == nil || !strings.Contains(err.Error(), "UserPoolID is required") || !strings.Contains(err.Error(), "ClientID is required") {
		t.Fatalf("empty config: %v", err)
	}
	// The secret never appears in the error.
	cfg := good
	cfg.ClientSecret = "super secret value"
	if _, err := auth.New(cfg); err == nil || strings.Contains(err.Error(), "super") {
		t.Fatalf("secret leaked or accepted: %v", err)
	}
	// A custom endpoint may use another region label than the pool id.
	cfg = good
	cfg.Region, cfg.Endpoint = "local", "http://127.0.0.1:9229"
	if _, err := auth.New(cfg); err != nil {
		t.Fatalf("custom endpoint with own region: %v", err)
	}
}

func TestNew_RegionFromPoolID(t *testing.T) {
	c, err := auth.New(auth.Config{UserPoolID: "eu-central-1_XyZ", ClientID: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.CognitoClient().Options().Region; got != "eu-central-1" {
		t.Fatalf("region = %q", got)
	}
	if c.UserPoolID() != "eu-central-1_XyZ" || c.ClientID() != "abc" {
		t.Fatal("accessors")
	}
	if c.CognitoClient().Options().BaseEndpoint != nil {
		t.Fatal("BaseEndpoint set without an Endpoint")
	}
}
