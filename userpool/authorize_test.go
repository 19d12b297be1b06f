package userpool

import (
	"fmt"
	"strings"
	"testing"
)

func TestGrantScopes(t *testing.T) {
	c := &Client{Config: ClientConfig{AllowedOAuthScopes: []string{"openid", "email", "aws.cognito.signin.user.admin", "api/read"}}}
	for _, tc := range []struct {
		req, want string
		ok        bool
	}{
		{"", "openid email aws.cognito.signin.user.admin api/read", true},
		{"openid openid email", "openid email", true},
		{"api/read", "api/read", true},
		{"email", "", false},
		{"phone openid", "", false},
	} {
		got, err := grantScopes(c, tc.req)
		if (err == nil) != tc.ok || (tc.ok && fmt.Sprint(got) != fmt.Sprint(strings.Fields(tc.want))) {
			t.Errorf("grantScopes(%q) = %v, %v; want %q ok=%v", tc.req, got, err, tc.want, tc.ok)
		}
	}
}
