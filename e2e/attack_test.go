package e2e

// Regression tests for what an outside attack on the server found. Each
// reproduces the attack against the real server over HTTP and checks that it
// no longer works.

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/internal/testserver"
	"github.com/cognate-dev/cognate/userpool"

	_ "modernc.org/sqlite" // to count rows in the server's database file
)

// slowHash makes argon2id take tens of milliseconds under -race, as the
// production parameters do without it, so that races around hashing are
// as wide as an attacker finds them.
var slowHash = userpool.HashParams{Time: 2, Memory: 8192, Threads: 1}

// noRetries is an SDK client that does not retry: the SDK retries throttling
// refusals (TooManyRequestsException, LimitExceededException) with backoff,
// which would count each attack try three times and slow the tests down.
func noRetries(url string) *cip.Client {
	return cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: aws.AnonymousCredentials{},
		RetryMaxAttempts: 1})
}

func isAPIError(err error, code string) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == code
}

func apiMessage(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorMessage()
	}
	return ""
}

// TestAttackChangePasswordLosesToAdmin: a ChangePassword in flight (it
// hashes for tens of milliseconds) used to write the whole user back,
// undoing an AdminDisableUser (29 of 30 trials) or an AdminSetUserPassword
// (30 of 30) that committed meanwhile.
func TestAttackChangePasswordLosesToAdmin(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{Hash: slowHash})
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	race := func(name string, admin func() error) error {
		s.NewUser(t, poolID, name, password)
		tk := signIn(t, c, clientID, name, password).AuthenticationResult
		done := make(chan error, 1)
		go func() {
			_, err := c.ChangePassword(bg, &cip.ChangePasswordInput{AccessToken: tk.AccessToken,
				PreviousPassword: aws.String(password), ProposedPassword: aws.String("Changed-Passw0rd!")})
			done <- err
		}()
		time.Sleep(20 * time.Millisecond) // ChangePassword is checking the old password
		if err := admin(); err != nil {
			t.Fatal(err)
		}
		return <-done
	}
	for trial := range 8 {
		name := fmt.Sprintf("disabled-%d", trial)
		_ = race(name, func() error {
			_, err := c.AdminDisableUser(bg, &cip.AdminDisableUserInput{UserPoolId: &poolID, Username: &name})
			return err
		})
		u, err := c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: &name})
		if err != nil {
			t.Fatal(err)
		}
		if u.Enabled {
			t.Fatalf("trial %d: the user is enabled again: a racing ChangePassword undid AdminDisableUser", trial)
		}
	}
	for trial := range 8 {
		name := fmt.Sprintf("reset-%d", trial)
		_ = race(name, func() error {
			_, err := c.AdminSetUserPassword(bg, &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: &name,
				Password: aws.String("Admin-Set-Passw0rd!"), Permanent: true})
			return err
		})
		if _, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
			AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": "Admin-Set-Passw0rd!"}}); err != nil {
			t.Fatalf("trial %d: the admin's password does not work (%v): a racing ChangePassword undid it", trial, err)
		}
	}
}

// TestAttackConfirmationCodeGuessing: ConfirmSignUp accepted 20,000 wrong
// codes in 2.2 s and then the right one. Now a code dies after a few tries.
func TestAttackConfirmationCodeGuessing(t *testing.T) {
	s := testserver.Start(t)
	c := noRetries(s.URL)
	poolID, clientID, _ := s.NewPool(t)
	if _, err := c.SignUp(bg, &cip.SignUpInput{ClientId: &clientID, Username: aws.String("vic"), Password: aws.String(password)}); err != nil {
		t.Fatal(err)
	}
	code := devCode(t, s, poolID, "vic")
	confirm := func(guess string) error {
		_, err := c.ConfirmSignUp(bg, &cip.ConfirmSignUpInput{ClientId: &clientID, Username: aws.String("vic"), ConfirmationCode: &guess})
		return err
	}
	var wrong []string
	for i := 0; len(wrong) < 12; i++ {
		if g := fmt.Sprintf("%06d", i); g != code {
			wrong = append(wrong, g)
		}
	}
	for i, g := range wrong {
		err := confirm(g)
		if i < userpool.MaxCodeAttempts {
			wantAPIError[*types.CodeMismatchException](t, err, "Invalid verification code provided, please try again.")
		} else {
			wantAPIError[*types.LimitExceededException](t, err, "Attempt limit exceeded, please try after some time.")
		}
	}
	wantAPIError[*types.LimitExceededException](t, confirm(code), "Attempt limit exceeded, please try after some time.")
	u, err := c.AdminGetUser(bg, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("vic")})
	if err != nil || u.UserStatus != types.UserStatusTypeUnconfirmed {
		t.Fatalf("after guessing: %v, %v; want the user still unconfirmed", u, err)
	}
}

// TestAttackConcurrentGuesses: 32 concurrent wrong passwords all got
// checked although the limit is 5.
func TestAttackConcurrentGuesses(t *testing.T) {
	s := testserver.Start(t)
	c := noRetries(s.URL)
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "kim", password)
	var checked atomic.Int32
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			_, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
				AuthParameters: map[string]string{"USERNAME": "kim", "PASSWORD": "guess"}})
			switch {
			case apiMessage(err) == "Incorrect username or password.":
				checked.Add(1)
			case apiMessage(err) == "Password attempts exceeded", isAPIError(err, "TooManyRequestsException"):
				// refused without a check: the user is locked out, or the address
			default:
				t.Errorf("guess: %v", err)
			}
		})
	}
	wg.Wait()
	if n := checked.Load(); n > 5 {
		t.Fatalf("%d of 32 concurrent guesses were checked, want at most 5", n)
	}
}

// TestAttackLockoutLocksTheUserOut: five wrong passwords used to lock the
// real user out for five minutes. Now the lockout starts at about a second
// and doubles.
func TestAttackLockoutLocksTheUserOut(t *testing.T) {
	clk := testserver.NewClock(time.Now())
	s := testserver.StartWith(t, testserver.Options{Now: clk.Now})
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "lee", password)
	try := func(pw string) error {
		_, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
			AuthParameters: map[string]string{"USERNAME": "lee", "PASSWORD": pw}})
		return err
	}
	for range 5 {
		wantAPIError[*types.NotAuthorizedException](t, try("wrong"), "Incorrect username or password.")
	}
	wantAPIError[*types.NotAuthorizedException](t, try(password), "Password attempts exceeded")
	clk.Advance(time.Second)
	if err := try(password); err != nil {
		t.Fatalf("the real user a second after five failures: %v", err)
	}
}

// TestAttackAPIAddressLimit: the API had no per-address limit (4,246
// guesses a minute from one address, spread over users).
func TestAttackAPIAddressLimit(t *testing.T) {
	s := testserver.Start(t)
	c := noRetries(s.URL)
	poolID, clientID, _ := s.NewPool(t)
	refused := 0
	for i := range 30 {
		name := fmt.Sprintf("spray-%02d", i)
		s.NewUser(t, poolID, name, password)
		_, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
			AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": "guess"}})
		if isAPIError(err, "TooManyRequestsException") {
			refused++
		}
	}
	if want := 30 - userpool.DefaultSignInLimits.PerAddress; refused != want {
		t.Fatalf("%d of 30 guesses from one address refused, want %d", refused, want)
	}
}

// TestAttackChangePasswordGuessing: ChangePassword accepted unlimited wrong
// current passwords — a stolen access token was a password oracle.
func TestAttackChangePasswordGuessing(t *testing.T) {
	s := testserver.Start(t)
	c := noRetries(s.URL)
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "max", password)
	tk := signIn(t, c, clientID, "max", password).AuthenticationResult
	change := func(prev string) error {
		_, err := c.ChangePassword(bg, &cip.ChangePasswordInput{AccessToken: tk.AccessToken, PreviousPassword: &prev,
			ProposedPassword: aws.String("Changed-Passw0rd!")})
		return err
	}
	for i := range 5 {
		wantAPIError[*types.NotAuthorizedException](t, change(fmt.Sprintf("guess-%d", i)), "Incorrect username or password.")
	}
	wantAPIError[*types.NotAuthorizedException](t, change(password), "Password attempts exceeded")
}

// TestAttackHostedUIBehindProxy: the hosted UI counted failures per TCP
// peer, so behind a load balancer 20 failures blocked every user. With the
// proxy trusted, failures count per client.
func TestAttackHostedUIBehindProxy(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	attacker, victim := newHostedUI(t, s), (*hostedUI)(nil)
	victim = &hostedUI{t: t, s: s, pool: attacker.pool, client: attacker.client, hc: forwardedFor(newBrowser(), "198.51.100.7")}
	attacker.hc = forwardedFor(attacker.hc, "203.0.113.66")
	s.NewUser(t, attacker.pool, "vera", password)
	_, challenge := pkce()
	action, csrf := attacker.openLogin(attacker.authorizeURL(challenge, nil))
	for i := range 25 {
		_ = attacker.submitLogin(action, csrf, fmt.Sprintf("nobody-%d", i), "guess")
	}
	if r := attacker.submitLogin(action, csrf, "vera", password); r.status != http.StatusTooManyRequests {
		t.Fatalf("the attacker's address after 25 failures: %d, want 429", r.status)
	}
	action, csrf = victim.openLogin(victim.authorizeURL(challenge, nil))
	if r := victim.submitLogin(action, csrf, "vera", password); r.status != http.StatusSeeOther {
		t.Fatalf("another client behind the same proxy: %d %q, want a sign-in", r.status, r.body)
	}
}

// forwardedFor makes a browser's requests arrive through a proxy that names
// the client ip in X-Forwarded-For.
func forwardedFor(hc *http.Client, ip string) *http.Client {
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("X-Forwarded-For", ip)
		return base.RoundTrip(r)
	})
	return hc
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestAttackUserExistenceOracle: with PreventUserExistenceErrors the
// lockout message appeared only for real users, and the SRP salt was stable
// only for real users.
func TestAttackUserExistenceOracle(t *testing.T) {
	s := testserver.Start(t)
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t, testserver.WithPreventUserExistenceErrors())
	s.NewUser(t, poolID, "real", password)
	for _, name := range []string{"real", "ghost"} {
		var msgs []string
		for range 6 {
			_, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
				AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": "guess"}})
			msgs = append(msgs, apiMessage(err))
		}
		if msgs[4] != "Incorrect username or password." || msgs[5] != "Password attempts exceeded" {
			t.Errorf("%s: messages %q, want five refusals then the lockout", name, msgs)
		}
	}
	salt := func(name string) string {
		_, ch := srpChallenge(t, c, clientID, poolID, name)
		return ch.ChallengeParameters["SALT"]
	}
	for _, name := range []string{"Real-Two", "ghost-two"} {
		if name == "Real-Two" {
			s.NewUser(t, poolID, name, password)
		}
		if a, b := salt(name), salt(name); a != b {
			t.Errorf("%s: the SRP salt changed between two sign-ins (%s, %s)", name, a, b)
		}
	}
}

// TestAttackSRPTiming: SRP's first step told real from unknown users by its
// timing in 87% of tries. Measured here over 200 tries of each, interleaved:
// a classifier that calls a try "unknown user" when it is slower than the
// median of all tries must do no better than chance.
func TestAttackSRPTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("statistical timing test")
	}
	s := testserver.StartWith(t, testserver.Options{SignInLimits: userpool.SignInLimits{FreeAttempts: 1 << 20, PerAddress: 1 << 20}})
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t, testserver.WithPreventUserExistenceErrors())
	s.NewUser(t, poolID, "timed", password)
	const tries = 200
	var real, unknown []time.Duration
	measure := func(name string) time.Duration {
		start := time.Now()
		srpChallenge(t, c, clientID, poolID, name)
		return time.Since(start)
	}
	for i := range 10 { // warm up both paths
		measure("timed")
		measure(fmt.Sprintf("warm-%d", i))
	}
	for i := range tries {
		real = append(real, measure("timed"))
		unknown = append(unknown, measure(fmt.Sprintf("ghost-%d", i)))
	}
	all := append(append([]time.Duration{}, real...), unknown...)
	med := median(all)
	right := 0
	for _, d := range real {
		if d <= med {
			right++
		}
	}
	for _, d := range unknown {
		if d > med {
			right++
		}
	}
	acc := float64(right) / float64(2*tries)
	t.Logf("real median %v, unknown median %v, classifier accuracy %.1f%%", median(real), median(unknown), 100*acc)
	if acc > 0.62 {
		t.Fatalf("timing tells real from unknown users in %.1f%% of tries (chance: 50%%)", 100*acc)
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration{}, ds...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}

// TestAttackDeadOnArrivalTokens: a sign-in in flight while GlobalSignOut
// commits returned tokens that were already revoked (82 of 98 trials).
// A trial counts when the global sign-out returned well before the sign-in
// did — while the sign-in was still checking the password (argon2id made
// slow enough here, about 100 ms, that most trials overlap even when the
// global sign-out is slowed by a loaded machine), before its session existed.
func TestAttackDeadOnArrivalTokens(t *testing.T) {
	s := testserver.StartWith(t, testserver.Options{Hash: userpool.HashParams{Time: 8, Memory: 16384, Threads: 1}})
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "dora", password)
	counted := 0
	for trial := range 12 {
		type result struct {
			tk  *types.AuthenticationResultType
			end time.Duration
		}
		done := make(chan result, 1)
		start := time.Now()
		go func() {
			out, err := c.InitiateAuth(bg, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
				AuthParameters: map[string]string{"USERNAME": "dora", "PASSWORD": password}})
			if err != nil {
				t.Errorf("trial %d: sign-in: %v", trial, err)
				done <- result{}
				return
			}
			done <- result{out.AuthenticationResult, time.Since(start)}
		}()
		time.Sleep(10 * time.Millisecond) // the sign-in is checking the password
		if _, err := c.AdminUserGlobalSignOut(bg, &cip.AdminUserGlobalSignOutInput{UserPoolId: &poolID, Username: aws.String("dora")}); err != nil {
			t.Fatal(err)
		}
		signedOut := time.Since(start)
		r := <-done
		if r.tk == nil || signedOut > r.end-40*time.Millisecond {
			continue // no overlap to judge
		}
		counted++
		if _, err := getUser(c, *r.tk.AccessToken); err != nil {
			t.Fatalf("trial %d: the global sign-out returned %v before the sign-in did, and the tokens the sign-in returned are dead: %v",
				trial, r.end-signedOut, err)
		}
	}
	if counted < 4 {
		t.Fatalf("only %d of 12 trials overlapped a global sign-out with a sign-in's password check", counted)
	}
}

// TestAttackDataGrowsForever: dead session rows were never deleted (7,786
// of 7,828 rows dead after a 3-minute soak). The janitor deletes families
// that can never be used again.
func TestAttackDataGrowsForever(t *testing.T) {
	clk := testserver.NewClock(time.Now())
	s := testserver.StartWith(t, testserver.Options{Now: clk.Now})
	c := s.Admin
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "gus", password)
	var keep *types.AuthenticationResultType
	for i := range 20 {
		tk := signIn(t, c, clientID, "gus", password).AuthenticationResult
		switch {
		case i == 19:
			keep = tk
		case i%2 == 0:
			if _, err := c.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &clientID, Token: tk.RefreshToken}); err != nil {
				t.Fatal(err)
			}
		}
		if i == 15 {
			if _, err := c.AdminUserGlobalSignOut(bg, &cip.AdminUserGlobalSignOutInput{UserPoolId: &poolID, Username: aws.String("gus")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := countRows(t, s.DBPath, "sessions"); n != 20 {
		t.Fatalf("%d session rows, want 20", n)
	}
	clk.Advance(25 * time.Hour) // every access token of the dead families has expired
	if _, err := s.Inner.Service.Purge(bg); err != nil {
		t.Fatal(err)
	}
	// Left: the families signed in after the global sign-out and not revoked.
	if n := countRows(t, s.DBPath, "sessions"); n != 2 {
		t.Fatalf("%d session rows after the janitor, want the 2 live ones", n)
	}
	if _, err := getUser(c, *keep.AccessToken); err == nil || !strings.Contains(apiMessage(err), "expired") {
		t.Fatalf("a live family's day-old access token: %v, want expired", err)
	}
	if _, err := refresh(c, clientID, *keep.RefreshToken); err != nil {
		t.Fatalf("a live family survives the janitor: %v", err)
	}
}

func countRows(t *testing.T, dbPath, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAttackPlantedLoginCookie: the sign-in form's CSRF check compared the
// form field with a cookie value the server reused whatever it was, so a
// planted cookie (from a sibling subdomain, say) chose the token.
func TestAttackPlantedLoginCookie(t *testing.T) {
	s := testserver.Start(t)
	h := newHostedUI(t, s)
	s.NewUser(t, h.pool, "pat", password)
	_, challenge := pkce()
	login := h.url("/login?" + mustQuery(h.authorizeURL(challenge, nil)))
	planted := strings.Repeat("A", 43)
	u, _ := url.Parse(s.URL + "/" + h.pool + "/")
	h.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "cognate-csrf", Value: planted, Path: "/" + h.pool + "/"}})
	r := h.postForm(login, url.Values{"username": {"pat"}, "password": {password}, "_csrf": {planted}}, "", "")
	if r.status != http.StatusForbidden {
		t.Fatalf("a form with a planted cookie and the same token: %d, want 403", r.status)
	}
	// A form posted from another site is refused too, whatever it carries
	// (and the browser then needs a fresh form).
	action, csrf := h.openLogin(h.authorizeURL(challenge, nil))
	req, _ := http.NewRequest(http.MethodPost, s.URL+action, strings.NewReader(url.Values{"username": {"pat"},
		"password": {password}, "_csrf": {csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if r := h.do(req); r.status != http.StatusForbidden {
		t.Fatalf("a cross-site POST: %d, want 403", r.status)
	}
	action, csrf = h.openLogin(h.authorizeURL(challenge, nil))
	if r := h.submitLogin(action, csrf, "pat", password); r.status != http.StatusSeeOther {
		t.Fatalf("the real form: %d %q", r.status, r.body)
	}
}

func mustQuery(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	return u.RawQuery
}

// TestAttackSignUpMemory: 256 concurrent unauthenticated SignUps took the
// server from 36 MiB to 4.8 GiB (argon2id takes about 19 MiB per hash in
// flight). Password hashing is now bounded; past the bound the server
// answers TooManyRequestsException, and real users still sign in after.
func TestAttackSignUpMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the production hash parameters")
	}
	p := startBinary(t, t.TempDir())
	c := testserver.NewClient(p.url)
	pool, err := c.CreateUserPool(bg, &cip.CreateUserPoolInput{PoolName: aws.String("burst")})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := c.CreateUserPoolClient(bg, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(cl.UserPoolClient.ClientId)
	var busy, ok atomic.Int32
	var wg sync.WaitGroup
	for i := range 256 {
		wg.Go(func() {
			body := fmt.Sprintf(`{"ClientId":%q,"Username":"burst-%d","Password":"Passw0rd!"}`, clientID, i)
			req, _ := http.NewRequest(http.MethodPost, p.url+"/", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.SignUp")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("SignUp: %v", err)
				return
			}
			res.Body.Close()
			switch {
			case res.StatusCode == http.StatusOK:
				ok.Add(1)
			case res.Header.Get("x-amzn-ErrorType") == "TooManyRequestsException:":
				busy.Add(1)
			default:
				t.Errorf("SignUp: %d %s", res.StatusCode, res.Header.Get("x-amzn-ErrorType"))
			}
		})
	}
	wg.Wait()
	hwm := peakRSS(t, p.cmd.Process.Pid)
	t.Logf("256 concurrent SignUps: %d created, %d refused as busy; server peak RSS %d MiB", ok.Load(), busy.Load(), hwm>>20)
	if hwm > 400<<20 {
		t.Fatalf("server peak RSS %d MiB, want under 400 MiB", hwm>>20)
	}
	if ok.Load() == 0 {
		t.Fatal("no SignUp got through")
	}
	// A legitimate user still signs in.
	if _, err := c.AdminCreateUser(bg, &cip.AdminCreateUserInput{UserPoolId: pool.UserPool.Id, Username: aws.String("legit"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(bg, &cip.AdminSetUserPasswordInput{UserPoolId: pool.UserPool.Id, Username: aws.String("legit"),
		Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	signIn(t, c, clientID, "legit", password)
}

// peakRSS reads a process's peak resident set size (VmHWM) in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err == nil {
				return kb << 10
			}
		}
	}
	t.Fatal("VmHWM not found")
	return 0
}
