package e2e

import (
	"encoding/json"
	"testing"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// TestDomainWithAWSCLI: the AWS CLI creates, describes and deletes a prefix
// and a custom domain.
func TestDomainWithAWSCLI(t *testing.T) {
	t.Parallel() // see requireAWSCLI
	requireAWSCLI(t)
	s := testserver.Start(t)
	poolID, _, _ := s.NewPool(t)
	run := func(args ...string) map[string]any {
		t.Helper()
		out, err := awsCLI(t, s.URL, args...)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if out != "" {
			if err := json.Unmarshal([]byte(out), &m); err != nil {
				t.Fatalf("%s: %q is not JSON", args[0], out)
			}
		}
		return m
	}
	run("create-user-pool-domain", "--user-pool-id", poolID, "--domain", "cli-prefix")
	out := run("create-user-pool-domain", "--user-pool-id", poolID, "--domain", "auth.cli.example",
		"--custom-domain-config", "CertificateArn="+certArn)
	if cf, _ := out["CloudFrontDomain"].(string); cf == "" {
		t.Errorf("create-user-pool-domain of a custom domain: %v, want a CloudFrontDomain", out)
	}
	desc, _ := run("describe-user-pool-domain", "--domain", "cli-prefix")["DomainDescription"].(map[string]any)
	if desc["Status"] != "ACTIVE" || desc["UserPoolId"] != poolID || desc["Domain"] != "cli-prefix" {
		t.Errorf("describe-user-pool-domain: %v", desc)
	}
	desc, _ = run("describe-user-pool-domain", "--domain", "auth.cli.example")["DomainDescription"].(map[string]any)
	if cfg, _ := desc["CustomDomainConfig"].(map[string]any); cfg["CertificateArn"] != certArn {
		t.Errorf("describe-user-pool-domain of the custom domain: %v", desc)
	}
	run("delete-user-pool-domain", "--user-pool-id", poolID, "--domain", "cli-prefix")
	if desc, _ := run("describe-user-pool-domain", "--domain", "cli-prefix")["DomainDescription"].(map[string]any); len(desc) != 0 {
		t.Errorf("describe-user-pool-domain after delete: %v, want an empty description", desc)
	}
}
