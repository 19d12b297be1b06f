package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// These tests replay attacks on SigV4-checked admin operations against the
// real server over loopback HTTP: every request is built and signed by the
// AWS SDK's own signer, the way a captured or forged request would be.

const (
	attackAKID   = "AKIDADMIN"
	attackSecret = "s3cr3t/Adm1n+Key"
	targetPrefix = "AWSCognitoIdentityProviderService."
)

// signedClient is an aws-sdk-go-v2 client that signs with the admin
// credentials for region.
func signedClient(url, region, akid, secret string) *cip.Client {
	return cip.New(cip.Options{Region: region, BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, Source: "test"}, nil
		})})
}

// startSigned runs a server that requires SigV4 on admin calls and gives
// back a correctly signed admin client, a pool and an enabled user "victim".
func startSigned(t *testing.T) (s *testserver.Server, admin *cip.Client, poolID string) {
	t.Helper()
	s = testserver.StartWith(t, testserver.Options{AdminCredentials: map[string]string{attackAKID: attackSecret}})
	admin = signedClient(s.URL, "us-east-1", attackAKID, attackSecret)
	p, err := admin.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("attack")})
	if err != nil {
		t.Fatalf("CreateUserPool with a correctly signed SDK client: %v", err)
	}
	poolID = aws.ToString(p.UserPool.Id)
	if _, err := admin.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("victim"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatalf("AdminCreateUser: %v", err)
	}
	return s, admin, poolID
}

// rawRequest is one hand-built request to the JSON API.
type rawRequest struct {
	target string
	body   string
	header http.Header
}

// rawResponse is the status and decoded error of a JSON API answer.
type rawResponse struct {
	status  int
	code    string
	message string
}

func (r rawResponse) String() string { return r.code + ": " + r.message }

// sign builds a POST to url with body, signs it with the SDK signer at the
// given time and region, and returns its headers. When signTarget is false
// the X-Amz-Target header is added only after signing, so the signature does
// not cover it (as a hand-rolled client might do).
func sign(t *testing.T, url, target, body, region, secret string, at time.Time, signTarget bool) http.Header {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if signTarget {
		req.Header.Set("X-Amz-Target", targetPrefix+target)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(bg, aws.Credentials{AccessKeyID: attackAKID, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), "cognito-idp", region, at); err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
	req.Header.Set("X-Amz-Target", targetPrefix+target)
	return req.Header
}

// send posts a hand-built request and decodes the answer.
func send(t *testing.T, url string, r rawRequest) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.header.Clone()
	req.Header.Set("X-Amz-Target", targetPrefix+r.target)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := rawResponse{status: resp.StatusCode}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &e)
		out.code, out.message = e.Type, e.Message
	}
	return out
}

func wantRefused(t *testing.T, what string, got rawResponse, code, msgPart string) {
	t.Helper()
	if got.status == http.StatusOK {
		t.Fatalf("%s: accepted (200), want %s", what, code)
	}
	if got.code != code || !strings.Contains(got.message, msgPart) {
		t.Fatalf("%s: got %d %s, want %s containing %q", what, got.status, got, code, msgPart)
	}
}

func userEnabled(t *testing.T, admin *cip.Client, poolID string) bool {
	t.Helper()
	u, err := admin.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("victim")})
	if err != nil {
		t.Fatalf("AdminGetUser: %v", err)
	}
	return u.Enabled
}

// TestSigV4AttackTargetReplay: a signature that does not cover X-Amz-Target
// was accepted, so a captured AdminGetUser could be replayed as
// AdminDisableUser (the two take the same body). Both must now be refused,
// and a full SDK signature replayed under another target must not verify.
func TestSigV4AttackTargetReplay(t *testing.T) {
	s, admin, poolID := startSigned(t)
	body := `{"UserPoolId":"` + poolID + `","Username":"victim"}`

	captured := sign(t, s.URL, "AdminGetUser", body, "us-east-1", attackSecret, time.Now(), false)
	if strings.Contains(captured.Get("Authorization"), "x-amz-target") {
		t.Fatal("test bug: the target was signed")
	}
	const missingTarget = "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."
	wantRefused(t, "AdminGetUser with an unsigned target", send(t, s.URL, rawRequest{"AdminGetUser", body, captured}),
		"IncompleteSignatureException", missingTarget)
	wantRefused(t, "replay as AdminDisableUser", send(t, s.URL, rawRequest{"AdminDisableUser", body, captured}),
		"IncompleteSignatureException", missingTarget)
	if !userEnabled(t, admin, poolID) {
		t.Fatal("the replayed signature disabled the user")
	}

	// What aws-sdk-go-v2 sends covers the target: a replay under another
	// target does not verify.
	full := sign(t, s.URL, "AdminGetUser", body, "us-east-1", attackSecret, time.Now(), true)
	if got := send(t, s.URL, rawRequest{"AdminGetUser", body, full}); got.status != http.StatusOK {
		t.Fatalf("the genuine signed AdminGetUser: %d %s", got.status, got)
	}
	wantRefused(t, "full signature replayed as AdminDisableUser", send(t, s.URL, rawRequest{"AdminDisableUser", body, full}),
		"InvalidSignatureException", "does not match the signature you provided")
	if !userEnabled(t, admin, poolID) {
		t.Fatal("the replayed signature disabled the user")
	}

	// Signed headers without host or x-amz-date are refused the same way.
	for _, tc := range []struct{ drop, msg string }{
		{"host", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{"x-amz-date", "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."},
	} {
		h := full.Clone()
		h.Set("Authorization", strings.Replace(h.Get("Authorization"), tc.drop+";", "", 1))
		h.Set("Authorization", strings.Replace(h.Get("Authorization"), ";"+tc.drop, "", 1))
		wantRefused(t, "signed headers without "+tc.drop, send(t, s.URL, rawRequest{"AdminGetUser", body, h}),
			"IncompleteSignatureException", tc.msg)
	}
}

// TestSigV4AttackOtherRegion: a signature scoped to another region than the
// server's is refused, whatever the region.
func TestSigV4AttackOtherRegion(t *testing.T) {
	s, _, _ := startSigned(t)
	for _, region := range []string{"eu-west-1", "us-west-2", "ap-southeast-2", "us-east-2", "cn-north-1", "x"} {
		c := signedClient(s.URL, region, attackAKID, attackSecret)
		_, err := c.ListUserPools(bg, &cip.ListUserPoolsInput{MaxResults: aws.Int32(5)})
		wantCode(t, err, "InvalidSignatureException", "Credential should be scoped to a valid region, not '"+region+"'.")
	}

	// A server in another region takes that region's signatures only.
	eu := testserver.StartWith(t, testserver.Options{Region: "eu-west-1", AdminCredentials: map[string]string{attackAKID: attackSecret}})
	if _, err := signedClient(eu.URL, "eu-west-1", attackAKID, attackSecret).ListUserPools(bg,
		&cip.ListUserPoolsInput{MaxResults: aws.Int32(5)}); err != nil {
		t.Fatalf("eu-west-1 server, eu-west-1 signature: %v", err)
	}
	_, err := signedClient(eu.URL, "us-east-1", attackAKID, attackSecret).ListUserPools(bg, &cip.ListUserPoolsInput{MaxResults: aws.Int32(5)})
	wantCode(t, err, "InvalidSignatureException", "Credential should be scoped to a valid region, not 'us-east-1'.")
}

// TestSigV4AttackStaleSignature: AWS's window is 5 minutes either way; a
// 6-minute-old signature (or one 6 minutes in the future) is refused.
func TestSigV4AttackStaleSignature(t *testing.T) {
	s, admin, poolID := startSigned(t)
	body := `{"UserPoolId":"` + poolID + `","Username":"victim"}`

	old := sign(t, s.URL, "AdminDisableUser", body, "us-east-1", attackSecret, time.Now().Add(-6*time.Minute), true)
	got := send(t, s.URL, rawRequest{"AdminDisableUser", body, old})
	wantRefused(t, "6-minute-old signature", got, "InvalidSignatureException", "Signature expired: "+old.Get("X-Amz-Date")+" is now earlier than ")
	if !regexp.MustCompile(`^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$`).MatchString(got.message) {
		t.Fatalf("message %q is not AWS's", got.message)
	}
	future := sign(t, s.URL, "AdminDisableUser", body, "us-east-1", attackSecret, time.Now().Add(6*time.Minute), true)
	wantRefused(t, "signature 6 minutes in the future", send(t, s.URL, rawRequest{"AdminDisableUser", body, future}),
		"InvalidSignatureException", "Signature not yet current: ")
	if !userEnabled(t, admin, poolID) {
		t.Fatal("a stale signature disabled the user")
	}
	// Within the window a slow client still gets through.
	recent := sign(t, s.URL, "AdminGetUser", body, "us-east-1", attackSecret, time.Now().Add(-4*time.Minute), true)
	if got := send(t, s.URL, rawRequest{"AdminGetUser", body, recent}); got.status != http.StatusOK {
		t.Fatalf("4-minute-old signature: %d %s", got.status, got)
	}
}

// TestSigV4AttackTamperedBody: the body is covered by the signature, and an
// x-amz-content-sha256 header, signed or not, must be the body's hash.
func TestSigV4AttackTamperedBody(t *testing.T) {
	s, admin, poolID := startSigned(t)
	body := `{"UserPoolId":"` + poolID + `","Username":"victim"}`

	// Signed for a read of another user, sent with the victim's name.
	h := sign(t, s.URL, "AdminDisableUser", `{"UserPoolId":"`+poolID+`","Username":"nobody"}`, "us-east-1", attackSecret, time.Now(), true)
	wantRefused(t, "tampered body", send(t, s.URL, rawRequest{"AdminDisableUser", body, h}),
		"InvalidSignatureException", "does not match the signature you provided")

	// A payload hash header that disagrees with the body is refused, even
	// when it was not signed.
	h = sign(t, s.URL, "AdminGetUser", body, "us-east-1", attackSecret, time.Now(), true)
	other := sha256.Sum256([]byte(`{"UserPoolId":"` + poolID + `","Username":"nobody"}`))
	h.Set("X-Amz-Content-Sha256", hex.EncodeToString(other[:]))
	wantRefused(t, "unsigned x-amz-content-sha256 of another body", send(t, s.URL, rawRequest{"AdminGetUser", body, h}),
		"InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.")
	h.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	wantRefused(t, "UNSIGNED-PAYLOAD", send(t, s.URL, rawRequest{"AdminGetUser", body, h}),
		"InvalidSignatureException", "x-amz-content-sha256")
	if !userEnabled(t, admin, poolID) {
		t.Fatal("a tampered request disabled the user")
	}
}

// TestSigV4SDKStillWorks: aws-sdk-go-v2 signing with the right key, service
// and region goes through, admin operations included; the wrong secret and
// an unknown key are refused.
func TestSigV4SDKStillWorks(t *testing.T) {
	_, admin, poolID := startSigned(t)
	if _, err := admin.AdminDisableUser(bg, &cip.AdminDisableUserInput{UserPoolId: &poolID, Username: aws.String("victim")}); err != nil {
		t.Fatalf("AdminDisableUser: %v", err)
	}
	if userEnabled(t, admin, poolID) {
		t.Fatal("AdminDisableUser did not disable")
	}
	s := admin.Options().BaseEndpoint
	_, err := signedClient(aws.ToString(s), "us-east-1", attackAKID, "wrong").ListUserPools(bg, &cip.ListUserPoolsInput{MaxResults: aws.Int32(5)})
	wantCode(t, err, "InvalidSignatureException", "")
	_, err = signedClient(aws.ToString(s), "us-east-1", "AKIDUNKNOWN", attackSecret).ListUserPools(bg, &cip.ListUserPoolsInput{MaxResults: aws.Int32(5)})
	wantCode(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")
}

// TestAdminAuthFailureLoggedWithoutSecrets: a refused admin call is logged at
// warn level with the reason and the access key id, never the secret or the
// signature.
func TestAdminAuthFailureLoggedWithoutSecrets(t *testing.T) {
	p := startBinary(t, t.TempDir(), "--admin-credentials", attackAKID+":"+attackSecret)
	body := `{"MaxResults":5}`
	h := sign(t, p.url, "ListUserPools", body, "us-east-1", "not-the-secret", time.Now(), true)
	got := send(t, p.url, rawRequest{"ListUserPools", body, h})
	wantRefused(t, "wrong secret", got, "InvalidSignatureException", "does not match")
	sig := h.Get("Authorization")[strings.Index(h.Get("Authorization"), "Signature=")+len("Signature="):]

	var line string
	deadline := time.Now().Add(5 * time.Second)
	for line == "" && time.Now().Before(deadline) {
		for _, l := range strings.Split(p.log(), "\n") {
			if strings.Contains(l, "level=WARN") && strings.Contains(l, "admin authentication failed") {
				line = l
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if line == "" {
		t.Fatalf("no warn-level log line for the refused admin call:\n%s", p.log())
	}
	for _, want := range []string{"access_key_id=" + attackAKID, "InvalidSignatureException"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %q: %s", want, line)
		}
	}
	for _, secret := range []string{attackSecret, "not-the-secret", sig} {
		if strings.Contains(p.log(), secret) {
			t.Errorf("the log contains %q:\n%s", secret, p.log())
		}
	}
}

// TestAdminCredentialsFile: the secret can come from a file, which must not
// be readable by group or others, or from the environment; neither shows in
// the process list or in --help.
func TestAdminCredentialsFile(t *testing.T) {
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "admin-credentials")
	if err := os.WriteFile(path, []byte("# admin keys\n"+attackAKID+":"+attackSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		out, code := runToExit(t, bin, nil, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--admin-credentials-file", path)
		if code == 0 || !strings.Contains(out, path) || !strings.Contains(out, "group or others") {
			t.Fatalf("mode %04o: exit %d, want a refusal naming %s and saying it is readable by group or others:\n%s", mode, code, path, out)
		}
		if strings.Contains(out, attackSecret) {
			t.Fatalf("the refusal shows the secret:\n%s", out)
		}
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		p := startBinary(t, t.TempDir(), "--admin-credentials-file", path)
		if _, err := signedClient(p.url, "us-east-1", attackAKID, attackSecret).ListUserPools(bg,
			&cip.ListUserPoolsInput{MaxResults: aws.Int32(5)}); err != nil {
			t.Fatalf("mode %04o: signed call with the file's key: %v", mode, err)
		}
		_, err := testserver.NewClient(p.url).ListUserPools(bg, &cip.ListUserPoolsInput{MaxResults: aws.Int32(5)})
		wantCode(t, err, "MissingAuthenticationTokenException", "")
		p.stop(t)
	}

	// From the environment: works, and --help does not print it as a default.
	t.Setenv("COGNATE_ADMIN_CREDENTIALS", attackAKID+":"+attackSecret)
	out, code := runToExit(t, bin, nil, "serve", "--help")
	if code != 0 || strings.Contains(out, attackSecret) {
		t.Fatalf("serve --help (exit %d) shows the secret from the environment:\n%s", code, out)
	}
	if !strings.Contains(out, "--admin-credentials-file") || !strings.Contains(out, "process list") {
		t.Fatalf("serve --help does not document --admin-credentials-file and the process-list exposure:\n%s", out)
	}
	p := startBinary(t, t.TempDir())
	if _, err := signedClient(p.url, "us-east-1", attackAKID, attackSecret).ListUserPools(bg,
		&cip.ListUserPoolsInput{MaxResults: aws.Int32(5)}); err != nil {
		t.Fatalf("signed call with the key from $COGNATE_ADMIN_CREDENTIALS: %v", err)
	}
	_, err = testserver.NewClient(p.url).ListUserPools(bg, &cip.ListUserPoolsInput{MaxResults: aws.Int32(5)})
	wantCode(t, err, "MissingAuthenticationTokenException", "")
	p.stop(t)
}

// runToExit runs bin with args (env added to the test's environment) and
// returns its combined output and exit code. A process still running after
// 30 s (e.g. a server that started when it should have refused) is killed
// and fails the test.
func runToExit(t *testing.T, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	b, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s %v still running after 30 s; output:\n%s", bin, args, b)
	}
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(b), ee.ExitCode()
		}
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return string(b), 0
}
