package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cognate-dev/cognate/httpapi/awsjson"
)

// TestSigV4EveryAdminOperation replays the SigV4 attacks on every
// administrative operation the server has — those added after the
// hardening too (groups, devices, MFA, AdminListUserAuthEvents, Cognate's
// own admin operations) — and on the revocation feed's SigV4 mode: no
// signature, a signature that does not cover X-Amz-Target, a captured
// AdminGetUser signature replayed under the operation's target, another
// region, and a 6-minute-old signature are each refused, and the user the
// body names is still there and enabled afterwards.
func TestSigV4EveryAdminOperation(t *testing.T) {
	s, admin, poolID := startSigned(t)
	body := `{"UserPoolId":"` + poolID + `","Username":"victim","GroupName":"g","DeviceKey":"k","ClientId":"c","SessionId":"x"}`
	signAt := func(method, path, target, body, region string, at time.Time, signTarget bool) *http.Request {
		req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		if signTarget {
			req.Header.Set("X-Amz-Target", target)
		}
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(bg, aws.Credentials{AccessKeyID: attackAKID, SecretAccessKey: attackSecret},
			req, hex.EncodeToString(sum[:]), "cognito-idp", region, at); err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Target", target)
		return req
	}
	do := func(req *http.Request) (int, string) {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var e struct {
			Type string `json:"__type"`
		}
		_ = json.Unmarshal(b, &e)
		return resp.StatusCode, e.Type
	}
	refusals := map[string]bool{"MissingAuthenticationTokenException": true, "InvalidSignatureException": true,
		"IncompleteSignatureException": true, "UnrecognizedClientException": true, "NotAuthorizedException": true}
	captured := signAt(http.MethodPost, "/", awsjson.TargetPrefix+"AdminGetUser", body, "us-east-1", time.Now(), true)

	// The operations an app calls unsigned, with a client id or a user's
	// token; every other one must be administrative. A new public
	// operation is added here only on purpose.
	public := map[string]bool{}
	for _, name := range strings.Fields(`AssociateSoftwareToken ChangePassword ConfirmDevice ConfirmForgotPassword
		ConfirmSignUp DeleteUser DeleteUserAttributes ForgetDevice ForgotPassword GetDevice GetTokensFromRefreshToken
		GetUser GetUserAttributeVerificationCode GetUserAuthFactors GlobalSignOut InitiateAuth ListDevices
		ResendConfirmationCode RespondToAuthChallenge RevokeToken SetUserMFAPreference SignUp UpdateDeviceStatus
		UpdateUserAttributes VerifySoftwareToken VerifyUserAttribute CognateService.ListSessions
		CognateService.RevokeSession`) {
		public[name] = true
	}
	n := 0
	for _, op := range awsjson.Operations() {
		if op.Admin == public[op.Name] {
			t.Errorf("%s: administrative %v, want %v", op.Name, op.Admin, !public[op.Name])
		}
		if !op.Admin {
			continue
		}
		n++
		target := op.Name
		if !op.Cognate {
			target = awsjson.TargetPrefix + op.Name
		}
		unsigned, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
		unsigned.Header.Set("X-Amz-Target", target)
		replayed, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
		replayed.Header = captured.Header.Clone()
		replayed.Header.Set("X-Amz-Target", target)
		for what, req := range map[string]*http.Request{
			"no signature":              unsigned,
			"X-Amz-Target not signed":   signAt(http.MethodPost, "/", target, body, "us-east-1", time.Now(), false),
			"AdminGetUser's signature":  replayed,
			"another region":            signAt(http.MethodPost, "/", target, body, "eu-west-1", time.Now(), true),
			"a 6-minute-old signature":  signAt(http.MethodPost, "/", target, body, "us-east-1", time.Now().Add(-6*time.Minute), true),
			"a signature of the future": signAt(http.MethodPost, "/", target, body, "us-east-1", time.Now().Add(6*time.Minute), true),
		} {
			if op.Name == "AdminGetUser" && what == "AdminGetUser's signature" {
				continue // the genuine request
			}
			status, code := do(req)
			if status != http.StatusBadRequest || !refusals[code] {
				t.Errorf("%s with %s: %d %s, want a signature refusal", op.Name, what, status, code)
			}
		}
	}
	if n < 40 {
		t.Fatalf("only %d administrative operations listed", n)
	}
	if !userEnabled(t, admin, poolID) {
		t.Fatal("a refused request changed the user")
	}

	// The revocation feed's SigV4 mode: the same verifier, the same rules.
	feed := "/" + poolID + "/revocations/snapshot"
	const feedTarget = "Cognate.RevocationFeed"
	if status, code := do(signAt(http.MethodGet, feed, feedTarget, "", "us-east-1", time.Now(), true)); status != http.StatusOK {
		t.Fatalf("a signed feed request: %d %s", status, code)
	}
	for what, req := range map[string]*http.Request{
		"X-Amz-Target not signed":  signAt(http.MethodGet, feed, feedTarget, "", "us-east-1", time.Now(), false),
		"another region":           signAt(http.MethodGet, feed, feedTarget, "", "eu-west-1", time.Now(), true),
		"a 6-minute-old signature": signAt(http.MethodGet, feed, feedTarget, "", "us-east-1", time.Now().Add(-6*time.Minute), true),
		"an admin call's signature replayed on the feed": func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, s.URL+feed, nil)
			r.Header = captured.Header.Clone()
			return r
		}(),
	} {
		if status, _ := do(req); status != http.StatusUnauthorized {
			t.Errorf("feed with %s: %d, want 401", what, status)
		}
	}
}
