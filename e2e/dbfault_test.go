package e2e

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/internal/testserver"
)

// faultProxy is a TCP proxy in front of the database that can cut every
// connection and refuse new ones (the database "goes away"), or stop
// passing bytes while keeping the connections open (a network partition:
// the database stops answering), and then heal.
type faultProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	down   bool
	paused bool
	// latency delays every chunk of bytes, each way (a slow network to
	// the database): it widens races between requests.
	latency time.Duration
	healed  *sync.Cond
	conns   map[net.Conn]struct{}
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.healed = sync.NewCond(&p.mu)
	t.Cleanup(func() { ln.Close(); p.cut(); p.restore() })
	go p.serve()
	return p
}

func (p *faultProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *faultProxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	go func() { p.copy(up, c); up.Close() }()
	p.copy(c, up)
	c.Close()
}

// copy passes bytes from src to dst, holding them while paused.
func (p *faultProxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			for p.paused {
				p.healed.Wait()
			}
			latency := p.latency
			p.mu.Unlock()
			time.Sleep(latency)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// pause stops passing bytes (connections stay open, new ones are accepted
// and hang) until restore.
func (p *faultProxy) pause() {
	p.mu.Lock()
	p.paused = true
	p.mu.Unlock()
}

// slow delays every chunk by d, each way.
func (p *faultProxy) slow(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// cut closes every connection and refuses new ones until restore.
func (p *faultProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *faultProxy) restore() {
	p.mu.Lock()
	p.down, p.paused = false, false
	p.healed.Broadcast()
	p.mu.Unlock()
}

// rawCall sends one JSON 1.1 call and returns the status and body.
func rawCall(t *testing.T, base, op string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

// TestDatabaseOutage: while PostgreSQL is away every call answers
// InternalErrorException (HTTP 500, saying nothing of the database), no
// revocation is acknowledged, /ready fails and /health says why; when it
// returns the server serves again by itself, and a revocation then holds.
func TestDatabaseOutage(t *testing.T) {
	dsn := testserver.PostgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newFaultProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	s := testserver.StartWith(t, testserver.Options{DB: u.String()})
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "olga", password)
	out := signIn(t, s.Admin, clientID, "olga", password)
	access, refreshTok := aws.ToString(out.AuthenticationResult.AccessToken), aws.ToString(out.AuthenticationResult.RefreshToken)

	proxy.cut()
	for _, call := range []struct {
		op   string
		body map[string]any
	}{
		{"GetUser", map[string]any{"AccessToken": access}},
		{"RevokeToken", map[string]any{"ClientId": clientID, "Token": refreshTok}},
		{"InitiateAuth", map[string]any{"ClientId": clientID, "AuthFlow": "USER_PASSWORD_AUTH",
			"AuthParameters": map[string]string{"USERNAME": "olga", "PASSWORD": password}}},
		{"DescribeUserPool", map[string]any{"UserPoolId": poolID}},
	} {
		status, v := rawCall(t, s.URL, call.op, call.body)
		msg, _ := v["message"].(string)
		if status != http.StatusInternalServerError || v["__type"] != "InternalErrorException" {
			t.Fatalf("%s with the database away: %d %v, want 500 InternalErrorException", call.op, status, v)
		}
		for _, leak := range []string{"SQL", "sql", "postgres", "pgx", "dial", "127.0.0.1", "goroutine", ".go:"} {
			if strings.Contains(msg, leak) {
				t.Fatalf("%s: the message shows %q: %q", call.op, leak, msg)
			}
		}
	}
	waitUntil(t, "/ready to fail", func() bool {
		resp, err := http.Get(s.URL + "/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	resp, err := http.Get(s.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		OK       bool `json:"ok"`
		Database struct {
			OK bool `json:"ok"`
		} `json:"database"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !h.OK || h.Database.OK {
		t.Fatalf("/health with the database away: %d %+v", resp.StatusCode, h)
	}

	proxy.restore()
	waitUntil(t, "the server to serve again", func() bool {
		_, err := getUser(s.Admin, access)
		return err == nil
	})
	// The RevokeToken refused during the outage was not acknowledged, so
	// the session is alive; revoked now, it stays revoked.
	if _, err := refresh(s.Admin, clientID, refreshTok); err != nil {
		t.Fatalf("refresh after the outage (the revocation was refused, not half-done): %v", err)
	}
	if _, err := s.Admin.RevokeToken(bg, &cip.RevokeTokenInput{ClientId: &clientID, Token: &refreshTok}); err != nil {
		t.Fatal(err)
	}
	if _, err := refresh(s.Admin, clientID, refreshTok); err == nil {
		t.Fatal("a token revoked after the outage still refreshes")
	}
	waitUntil(t, "/ready to pass", func() bool {
		resp, err := http.Get(s.URL + "/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// TestDatabaseStopsAnswering: a database that keeps its connections open
// and stops answering (a partition) fails requests after the request
// timeout with InternalErrorException instead of holding them, and the
// server serves again once it answers.
func TestDatabaseStopsAnswering(t *testing.T) {
	dsn := testserver.PostgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newFaultProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	const timeout = time.Second
	s := testserver.StartWith(t, testserver.Options{DB: u.String(), RequestTimeout: timeout})
	poolID, clientID, _ := s.NewPool(t)
	s.NewUser(t, poolID, "pia", password)
	out := signIn(t, s.Admin, clientID, "pia", password)
	access := aws.ToString(out.AuthenticationResult.AccessToken)

	proxy.pause()
	for _, op := range []string{"GetUser", "RevokeToken"} {
		body := map[string]any{"AccessToken": access}
		if op == "RevokeToken" {
			body = map[string]any{"ClientId": clientID, "Token": aws.ToString(out.AuthenticationResult.RefreshToken)}
		}
		start := time.Now()
		status, v := rawCall(t, s.URL, op, body)
		if status != http.StatusInternalServerError || v["__type"] != "InternalErrorException" {
			t.Fatalf("%s with the database not answering: %d %v, want 500 InternalErrorException", op, status, v)
		}
		if d := time.Since(start); d < timeout || d > 10*timeout {
			t.Fatalf("%s failed after %v, want about the request timeout (%v)", op, d, timeout)
		}
	}
	proxy.restore()
	// The RevokeToken answered 500 may still commit once the partition
	// heals (its bytes were in flight): a 500 promises nothing either way,
	// only a 200 promises the commit. So "serving" is an answer either way.
	waitUntil(t, "the server to serve again", func() bool {
		_, err := getUser(s.Admin, access)
		var api interface{ ErrorCode() string }
		return err == nil || (errors.As(err, &api) && api.ErrorCode() == "NotAuthorizedException")
	})
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
