package e2e

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/faultproxy"
	"github.com/cognate-dev/cognate/internal/testserver"
)

// TestAttackCodeExchangeOutlivesGlobalSignOut: an authorization code
// redeemed while a global sign-out commits must not give tokens that
// outlive the sign-out. Either the sign-out comes first (the exchange is
// refused) or the exchange does (the sign-out ends its tokens); tokens
// that work after both have answered fit neither order. The exchange
// checked the code's family, then inserted the session, which took the
// user's new sign-out generation: a sign-out between the two was lost.
// A slow network to PostgreSQL widens that window so that it is hit.
func TestAttackCodeExchangeOutlivesGlobalSignOut(t *testing.T) {
	dsn := testserver.PostgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := faultproxy.New(t, u.Host)
	u.Host = proxy.Addr()
	s := testserver.StartWith(t, testserver.Options{DB: u.String()})
	h := newHostedUI(t, s)
	s.NewUser(t, h.pool, "rita", password)

	const trials = 24
	exchanged, refused := 0, 0
	for trial := range trials {
		proxy.Slow(0)
		code, verifier := h.signIn("rita", password, nil)
		proxy.Slow(8 * time.Millisecond)
		type result struct {
			status int
			tk     tokens
		}
		done := make(chan result, 1)
		go func() {
			r, tk := h.tokenCall(url.Values{"grant_type": {"authorization_code"}, "client_id": {h.client}, "code": {code},
				"redirect_uri": {callbackURL}, "code_verifier": {verifier}}, "", "")
			done <- result{r.status, tk}
		}()
		// Aim the sign-out at different points of the exchange.
		time.Sleep(time.Duration(trial%8) * 12 * time.Millisecond)
		if _, err := s.Admin.AdminUserGlobalSignOut(bg, &cip.AdminUserGlobalSignOutInput{UserPoolId: &h.pool, Username: aws.String("rita")}); err != nil {
			t.Fatal(err)
		}
		r := <-done
		proxy.Slow(0)
		if r.status != http.StatusOK {
			refused++
			continue
		}
		exchanged++
		if _, err := getUser(s.Admin, r.tk.AccessToken); err == nil {
			t.Fatalf("trial %d: the code was redeemed while a global sign-out committed, and its access token still works after both answered", trial)
		}
	}
	t.Logf("%d exchanges succeeded (their tokens ended by the sign-out), %d were refused", exchanged, refused)
	if exchanged == 0 || refused == 0 {
		t.Fatalf("the sign-out never overlapped the exchange both ways (%d exchanged, %d refused): the test judged nothing", exchanged, refused)
	}
}
