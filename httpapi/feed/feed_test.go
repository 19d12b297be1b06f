package feed_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// These tests run the real server over loopback and revoke through the
// real aws-sdk-go-v2 client.

const password = "Passw0rd!"

// env is a server with a pool whose app client has a secret, and a user.
type env struct {
	t                    *testing.T
	s                    *testserver.Server
	admin                *cip.Client
	pool, client, secret string
}

func newEnv(t *testing.T, o testserver.Options) *env {
	t.Helper()
	s := testserver.StartWith(t, o)
	e := &env{t: t, s: s, admin: s.Admin}
	if len(o.AdminCredentials) > 0 {
		for id, secret := range o.AdminCredentials {
			e.admin = signedClient(s.URL, id, secret)
			s.Admin = e.admin
		}
	}
	e.pool, e.client, e.secret = s.NewPool(t, testserver.WithSecret())
	s.NewUser(t, e.pool, "alice", password)
	return e
}

func signedClient(url, akid, secret string) *cip.Client {
	return cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, Source: "test"}, nil
		})})
}

func (e *env) secretHash(name string) string {
	m := hmac.New(sha256.New, []byte(e.secret))
	m.Write([]byte(name + e.client))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signIn returns alice's tokens.
func (e *env) signIn() *types.AuthenticationResultType {
	e.t.Helper()
	out, err := e.s.Admin.InitiateAuth(context.Background(), &cip.InitiateAuthInput{ClientId: aws.String(e.client),
		AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "alice",
			"PASSWORD": password, "SECRET_HASH": e.secretHash("alice")}})
	if err != nil {
		e.t.Fatalf("InitiateAuth: %v", err)
	}
	return out.AuthenticationResult
}

// revoke revokes a fresh family of alice's and returns its id.
func (e *env) revoke() string {
	e.t.Helper()
	r := e.signIn()
	if _, err := e.s.Admin.RevokeToken(context.Background(), &cip.RevokeTokenInput{ClientId: aws.String(e.client),
		ClientSecret: aws.String(e.secret), Token: r.RefreshToken}); err != nil {
		e.t.Fatalf("RevokeToken: %v", err)
	}
	return familyOf(e.t, aws.ToString(r.AccessToken))
}

func familyOf(t *testing.T, access string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(access, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		OriginJTI string `json:"origin_jti"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.OriginJTI
}

// get sends a GET to the pool's path with the app client's Basic
// credentials (none when id is "").
func (e *env) get(path, id, secret string, hdr ...string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.s.URL+"/"+e.pool+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, body
}

// wantError checks an error answer's status and __type.
func wantError(t *testing.T, what string, resp *http.Response, body []byte, status int, typ string) {
	t.Helper()
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != status || e.Type != typ || e.Message == "" {
		t.Errorf("%s: %d %s, want %d %s", what, resp.StatusCode, body, status, typ)
	}
}

type event struct {
	Seq      int64  `json:"seq"`
	Kind     string `json:"kind"`
	ID       string `json:"id"`
	Sub      string `json:"sub"`
	ClientID string `json:"clientId"`
	Gen      *int64 `json:"gen"`
	Deleted  bool   `json:"deleted"`
	Reason   string `json:"reason"`
	At       int64  `json:"at"`
}

type page struct {
	Seq    int64   `json:"seq"`
	Events []event `json:"events"`
}

func (e *env) poll(after int64, wait int) page {
	e.t.Helper()
	resp, body := e.get(fmt.Sprintf("/revocations?after=%d&wait=%d", after, wait), e.client, e.secret)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("long poll: %d %s", resp.StatusCode, body)
	}
	var p page
	if err := json.Unmarshal(body, &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) sub(name string) string {
	e.t.Helper()
	u, err := e.admin.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(e.pool), Username: aws.String(name)})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range u.UserAttributes {
		if aws.ToString(a.Name) == "sub" {
			return aws.ToString(a.Value)
		}
	}
	e.t.Fatal("no sub")
	return ""
}

// TestEvents: revocations made through the SDK appear in the long poll,
// the snapshot and the family lookup with the protocol's fields.
func TestEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	ctx := context.Background()
	s := e.s
	aliceSub := e.sub("alice")
	s.NewUser(t, e.pool, "bob", password)
	bobSub := e.sub("bob")
	start := time.Now().Add(-time.Second).UnixMilli()
	fam := e.revoke()
	r := e.signIn()
	if _, err := s.Admin.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: r.AccessToken}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Admin.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: &e.pool, Username: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Admin.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: &e.pool, Username: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	c, err := s.Admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &e.pool, ClientName: aws.String("gone")})
	if err != nil {
		t.Fatal(err)
	}
	gone := aws.ToString(c.UserPoolClient.ClientId)
	if _, err := s.Admin.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: &e.pool, ClientId: &gone}); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(time.Second).UnixMilli()

	p := e.poll(0, 0)
	if p.Seq != 5 || len(p.Events) != 5 {
		t.Fatalf("long poll: %+v", p)
	}
	gen := func(g int64) *int64 { return &g }
	want := []event{
		{Seq: 1, Kind: "family", ID: fam, Sub: aliceSub, ClientID: e.client, Reason: "revoked"},
		{Seq: 2, Kind: "user", ID: aliceSub, Gen: gen(1), Reason: "signed-out"},
		{Seq: 3, Kind: "user", ID: aliceSub, Gen: gen(2), Reason: "user-disabled"},
		{Seq: 4, Kind: "user", ID: bobSub, Deleted: true, Reason: "user-deleted"},
		{Seq: 5, Kind: "client", ID: gone, Reason: "client-deleted"},
	}
	for i, w := range want {
		g := p.Events[i]
		if g.At < start || g.At > end {
			t.Errorf("event %d at %d, not within [%d, %d]", i, g.At, start, end)
		}
		g.At = 0
		if fmt.Sprint(g.Gen) != fmt.Sprint(w.Gen) && (g.Gen == nil || w.Gen == nil || *g.Gen != *w.Gen) {
			t.Errorf("event %d: gen %v, want %v", i, g.Gen, w.Gen)
		}
		g.Gen, w.Gen = nil, nil
		if g != w {
			t.Errorf("event %d: %+v, want %+v", i, g, w)
		}
	}
	if p := e.poll(3, 0); p.Seq != 5 || len(p.Events) != 2 || p.Events[0].Seq != 4 {
		t.Errorf("long poll after 3: %+v", p)
	}
	if p := e.poll(5, 0); p.Seq != 5 || len(p.Events) != 0 {
		t.Errorf("long poll at the head with wait=0: %+v", p)
	}

	resp, body := e.get("/revocations/snapshot", e.client, e.secret)
	var snap struct {
		PoolID string  `json:"poolId"`
		Seq    int64   `json:"seq"`
		Events []event `json:"events"`
	}
	if err := json.Unmarshal(body, &snap); err != nil || resp.StatusCode != 200 {
		t.Fatalf("snapshot: %d %s", resp.StatusCode, body)
	}
	var seqs []int64
	for _, ev := range snap.Events {
		seqs = append(seqs, ev.Seq)
	}
	if snap.PoolID != e.pool || snap.Seq != 5 || fmt.Sprint(seqs) != "[1 3 4 5]" {
		t.Errorf("snapshot: %s %d %v", snap.PoolID, snap.Seq, seqs)
	}

	resp, body = e.get("/revocations/families/"+fam, e.client, e.secret)
	var f map[string]any
	if err := json.Unmarshal(body, &f); err != nil || resp.StatusCode != 200 {
		t.Fatalf("family: %d %s", resp.StatusCode, body)
	}
	if f["id"] != fam || f["sub"] != aliceSub || f["clientId"] != e.client || f["gen"] != float64(0) || f["revoked"] != "revoked" {
		t.Errorf("family: %v", f)
	}
	live := familyOf(t, aws.ToString(r.AccessToken)) // ended by the sign-out, not revoked itself
	resp, body = e.get("/revocations/families/"+live, e.client, e.secret)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"revoked":""`) || !strings.Contains(string(body), `"gen":0`) {
		t.Errorf("a family ended by sign-out: %d %s", resp.StatusCode, body)
	}
	resp, body = e.get("/revocations/families/nope", e.client, e.secret)
	wantError(t, "an unknown family", resp, body, 404, "ResourceNotFoundException")

	// Bad parameters.
	for _, q := range []string{"?after=-1", "?after=x", "?wait=61", "?wait=-1", "?wait=1.5"} {
		resp, body := e.get("/revocations"+q, e.client, e.secret)
		wantError(t, q, resp, body, 400, "InvalidParameterException")
	}
	resp, body = e.get("/revocations?after=6&wait=0", e.client, e.secret)
	wantError(t, "after beyond the head", resp, body, 410, "ExpiredSequenceException")
	// A missing pool (dev mode, no credentials).
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/us-east-1_missing/revocations/snapshot", nil)
	mresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	mbody, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	wantError(t, "a missing pool", mresp, mbody, 404, "ResourceNotFoundException")
}

// sse is an open event stream.
type sse struct {
	t      *testing.T
	resp   *http.Response
	lines  chan string
	cancel context.CancelFunc
}

// openSSE opens the pool's stream with the app client's credentials.
func (e *env) openSSE(hdr ...string) *sse {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.s.URL+"/"+e.pool+"/revocations", nil)
	req.SetBasicAuth(e.client, e.secret)
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		cancel()
		e.t.Fatalf("stream: %d %s", resp.StatusCode, b)
	}
	st := &sse{t: e.t, resp: resp, lines: make(chan string, 1000), cancel: cancel}
	go func() {
		defer close(st.lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			st.lines <- sc.Text()
		}
	}()
	e.t.Cleanup(st.close)
	return st
}

func (st *sse) close() {
	st.cancel()
	st.resp.Body.Close()
}

// next reads the next event (skipping comments), within d.
func (st *sse) next(d time.Duration) (event, bool) {
	st.t.Helper()
	timeout := time.After(d)
	var id, name, data string
	for {
		select {
		case line, ok := <-st.lines:
			if !ok {
				return event{}, false
			}
			switch {
			case strings.HasPrefix(line, ":"):
			case strings.HasPrefix(line, "id: "):
				id = line[4:]
			case strings.HasPrefix(line, "event: "):
				name = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = line[6:]
			case line == "" && data != "":
				var ev event
				if err := json.Unmarshal([]byte(data), &ev); err != nil {
					st.t.Fatalf("event data %q: %v", data, err)
				}
				if name != "revocation" || id != strconv.FormatInt(ev.Seq, 10) {
					st.t.Fatalf("event %q id %q for seq %d", name, id, ev.Seq)
				}
				return ev, true
			}
		case <-timeout:
			st.t.Fatalf("no event within %v", d)
		}
	}
}

// TestSSEResume: a stream delivers events as they happen; reconnecting
// with Last-Event-ID resumes right after the last one received, with no gap
// and no duplicate, including what happened in between.
func TestSSEResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{})
	st := e.openSSE()
	var got []int64
	for range 3 {
		start := time.Now()
		e.revoke()
		ev, ok := st.next(5 * time.Second)
		if !ok {
			t.Fatal("stream ended")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("event %d took %v", ev.Seq, d)
		}
		got = append(got, ev.Seq)
	}
	st.close()
	for range 3 {
		e.revoke() // while disconnected
	}
	st = e.openSSE("Last-Event-ID", strconv.FormatInt(got[len(got)-1], 10))
	for range 3 {
		ev, ok := st.next(5 * time.Second)
		if !ok {
			t.Fatal("stream ended")
		}
		got = append(got, ev.Seq)
	}
	e.revoke()
	ev, _ := st.next(5 * time.Second)
	got = append(got, ev.Seq)
	if fmt.Sprint(got) != "[1 2 3 4 5 6 7]" {
		t.Errorf("seqs received: %v", got)
	}
	// after= works the same; Last-Event-ID wins over it.
	st2 := e.openSSE("Last-Event-ID", "5")
	if ev, _ := st2.next(5 * time.Second); ev.Seq != 6 {
		t.Errorf("Last-Event-ID 5: first event %d", ev.Seq)
	}
}

// TestLongPollPrompt: a long poll waiting at the head answers as soon as a
// revocation commits.
func TestLongPollPrompt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{FeedPoll: time.Hour}) // only this process's wake-up can be fast
	type result struct {
		p   page
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		resp, body := e.get("/revocations?after=0&wait=30", e.client, e.secret)
		var p page
		err := json.Unmarshal(body, &p)
		if resp.StatusCode != 200 {
			err = fmt.Errorf("%d %s", resp.StatusCode, body)
		}
		done <- result{p, err, time.Now()}
	}()
	time.Sleep(300 * time.Millisecond)
	committed := time.Now()
	e.revoke()
	select {
	case r := <-done:
		if r.err != nil || r.p.Seq != 1 || len(r.p.Events) != 1 {
			t.Fatalf("long poll: %+v, %v", r.p, r.err)
		}
		if d := r.at.Sub(committed); d > time.Second {
			t.Errorf("the long poll answered %v after the revocation", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll did not answer")
	}
	// With nothing new, it answers after wait.
	start := time.Now()
	if p := e.poll(1, 1); p.Seq != 1 || len(p.Events) != 0 {
		t.Errorf("an idle long poll: %+v", p)
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
		t.Errorf("wait=1 answered after %v", d)
	}
}

// TestExpiredAfterPurge: once the janitor purged events, following from
// before them is 410.
func TestExpiredAfterPurge(t *testing.T) {
	t.Parallel()
	clock := testserver.NewClock(time.Now())
	e := newEnv(t, testserver.Options{Now: clock.Now})
	ctx := context.Background()
	for range 2 {
		if _, err := e.s.Admin.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: &e.pool,
			Username: aws.String("alice")}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(26 * time.Hour)
	if _, err := e.s.Admin.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: &e.pool,
		Username: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if c, err := e.s.Inner.Service.Purge(ctx); err != nil || c.Revocations != 2 {
		t.Fatalf("purge: %+v, %v", c, err)
	}
	resp, body := e.get("/revocations?after=0&wait=0", e.client, e.secret)
	wantError(t, "after=0", resp, body, 410, "ExpiredSequenceException")
	resp, body = e.get("/revocations?after=1&wait=0", e.client, e.secret)
	wantError(t, "after=1", resp, body, 410, "ExpiredSequenceException")
	resp, body = e.get("/revocations", e.client, e.secret, "Accept", "text/event-stream", "Last-Event-ID", "1")
	wantError(t, "a stream from 1", resp, body, 410, "ExpiredSequenceException")
	if p := e.poll(2, 0); p.Seq != 3 || len(p.Events) != 1 {
		t.Errorf("after=2: %+v", p)
	}
}

// TestAuth: with admin credentials, the feed wants a confidential client of
// the pool with its secret, or an admin SigV4 signature.
func TestAuth(t *testing.T) {
	t.Parallel()
	const akid, adminSecret = "AKIDFEEDTEST", "feed-test-admin-secret"
	e := newEnv(t, testserver.Options{AdminCredentials: map[string]string{akid: adminSecret}})
	ctx := context.Background()
	pub, err := e.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &e.pool, ClientName: aws.String("public")})
	if err != nil {
		t.Fatal(err)
	}
	pubID := aws.ToString(pub.UserPoolClient.ClientId)
	p2, err := e.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("other")})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := e.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: p2.UserPool.Id,
		ClientName: aws.String("other"), GenerateSecret: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/revocations?wait=0", "/revocations/snapshot", "/revocations/families/x"} {
		for _, c := range []struct{ what, id, secret string }{
			{"no credentials", "", ""},
			{"a public client", pubID, ""},
			{"a wrong secret", e.client, e.secret + "x"},
			{"another pool's client", aws.ToString(c2.UserPoolClient.ClientId), aws.ToString(c2.UserPoolClient.ClientSecret)},
		} {
			resp, body := e.get(path, c.id, c.secret)
			wantError(t, path+": "+c.what, resp, body, 401, "NotAuthorizedException")
			if resp.Header.Get("WWW-Authenticate") != `Basic realm="cognate"` {
				t.Errorf("%s: %s: WWW-Authenticate %q", path, c.what, resp.Header.Get("WWW-Authenticate"))
			}
		}
	}
	if resp, body := e.get("/revocations/snapshot", e.client, e.secret); resp.StatusCode != 200 {
		t.Errorf("the confidential client: %d %s", resp.StatusCode, body)
	}

	signed := func(secret string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, e.s.URL+"/"+e.pool+"/revocations/snapshot", nil)
		req.Header.Set("X-Amz-Target", "Cognate.RevocationFeed")
		empty := sha256.Sum256(nil)
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}, req,
			hex.EncodeToString(empty[:]), "cognito-idp", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := signed(adminSecret)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("SigV4: %d %s", resp.StatusCode, body)
	}
	resp = signed("wrong")
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	wantError(t, "SigV4 with a wrong secret", resp, body, 401, "NotAuthorizedException")
}

// TestStreamsEndOnShutdown: a limit on open streams answers 503 past it;
// keepalives flow on an idle stream; shutting the server down ends its
// streams at once (well within the shutdown grace).
func TestStreamsEndOnShutdown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testserver.Options{FeedMaxStreams: 1, FeedKeepalive: 100 * time.Millisecond})
	st := e.openSSE()
	resp, body := e.get("/revocations?wait=0", e.client, e.secret)
	wantError(t, "past the stream limit", resp, body, 503, "ServiceUnavailableException")
	keepalive := time.After(5 * time.Second)
wait:
	for {
		select {
		case line := <-st.lines:
			if line == ": keepalive" {
				break wait
			}
		case <-keepalive:
			t.Fatal("no keepalive")
		}
	}
	start := time.Now()
	stopped := make(chan struct{})
	go func() { e.s.Stop(); close(stopped) }()
	for line := range st.lines {
		_ = line
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the stream ended %v after the shutdown began", d)
	}
	<-stopped
}

// TestStreamOutlivesServerTimeouts: a stream stays open past the server's
// 30-second read and write timeouts and its per-request deadline.
func TestStreamOutlivesServerTimeouts(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 35 s")
	}
	t.Parallel()
	e := newEnv(t, testserver.Options{RequestTimeout: time.Second, FeedKeepalive: 5 * time.Second})
	st := e.openSSE()
	time.Sleep(35 * time.Second)
	e.revoke()
	if ev, ok := st.next(5 * time.Second); !ok || ev.Seq != 1 {
		t.Fatalf("after 35 s: %+v, %v", ev, ok)
	}
}
