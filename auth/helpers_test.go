package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/auth"
	"github.com/cognate-dev/cognate/auth/credstore"
	"github.com/cognate-dev/cognate/internal/testserver"
)

const (
	testUser     = "alice"
	testPassword = "Corr3ct-Horse!"
	targetPrefix = "AWSCognitoIdentityProviderService."
)

// fault is what the proxy does instead of forwarding a call.
type fault struct {
	status int           // HTTP status of the error answer (400 when 0)
	code   string        // __type
	msg    string        // message
	delay  time.Duration // wait before answering (or forwarding when code is "")
	drop   bool          // close the connection without an answer
	hang   bool          // never answer (until the client gives up)
	// trickle forwards the call but sends the server's answer in two
	// halves, this far apart: the client reads the body from the network,
	// not from a buffer, while the time passes.
	trickle time.Duration
}

// recordedCall is one call the proxy saw.
type recordedCall struct {
	Op   string
	Body map[string]any
	Raw  []byte
	At   time.Time
}

// faultProxy is a reverse proxy in front of the real server that records every
// X-Amz-Target and fails the chosen ones.
type faultProxy struct {
	t      testing.TB
	URL    string
	mu     sync.Mutex
	calls  []recordedCall
	faults map[string]fault
	hooks  map[string]func() // run when an operation is seen, before forwarding
}

func newFaultProxy(t testing.TB, upstream string) *faultProxy {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{t: t, faults: map[string]fault{}, hooks: map[string]func(){}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = log.New(io.Discard, "", 0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		p.mu.Lock()
		p.calls = append(p.calls, recordedCall{Op: op, Body: m, Raw: body, At: time.Now()})
		f, hasFault := p.faults[op]
		hook := p.hooks[op]
		p.mu.Unlock()
		if hook != nil {
			hook()
		}
		if hasFault {
			if f.delay > 0 {
				select {
				case <-time.After(f.delay):
				case <-r.Context().Done():
					return
				}
			}
			switch {
			case f.hang:
				<-r.Context().Done()
				return
			case f.drop:
				hj, ok := w.(http.Hijacker)
				if !ok {
					panic("no hijacker")
				}
				conn, _, err := hj.Hijack()
				if err == nil {
					conn.Close()
				}
				return
			case f.trickle > 0:
				rp.ServeHTTP(&tricklingWriter{ResponseWriter: w, pause: f.trickle}, r)
				return
			case f.code != "":
				status := f.status
				if status == 0 {
					status = http.StatusBadRequest
				}
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.Header().Set("x-amzn-ErrorType", f.code+":")
				w.Header().Set("x-amzn-RequestId", "fault-injected")
				w.WriteHeader(status)
				_ = json.NewEncoder(w).Encode(map[string]string{"__type": f.code, "message": f.msg})
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// tricklingWriter splits the first body write in two halves, the second sent
// pause after the first.
type tricklingWriter struct {
	http.ResponseWriter
	pause time.Duration
	split bool
}

func (w *tricklingWriter) Write(b []byte) (int, error) {
	if w.split || len(b) < 2 {
		return w.ResponseWriter.Write(b)
	}
	w.split = true
	half := len(b) / 2
	n, err := w.ResponseWriter.Write(b[:half])
	if err != nil {
		return n, err
	}
	if err := http.NewResponseController(w.ResponseWriter).Flush(); err != nil {
		return n, err
	}
	time.Sleep(w.pause)
	m, err := w.ResponseWriter.Write(b[half:])
	return n + m, err
}

func (w *tricklingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// pausingDialer dials TCP connections whose writer pauses after writing a
// request body, as a loaded machine may deschedule net/http's writer goroutine
// between the body and its last read of it. The body goes through ReadFrom,
// net/http's path for request bodies it does not know to be in memory.
func pausingDialer(pause time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return pausingConn{TCPConn: c.(*net.TCPConn), pause: pause}, nil
	}
}

type pausingConn struct {
	*net.TCPConn
	pause time.Duration
}

func (c pausingConn) ReadFrom(r io.Reader) (int64, error) {
	n, err := c.TCPConn.ReadFrom(r)
	time.Sleep(c.pause)
	return n, err
}

func (p *faultProxy) fail(op string, f fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults[op] = f
}

func (p *faultProxy) heal(op string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.faults, op)
}

func (p *faultProxy) onCall(op string, fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hooks[op] = fn
}

// ops returns the operations seen so far, in order.
func (p *faultProxy) ops() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, len(p.calls))
	for i, c := range p.calls {
		out[i] = c.Op
	}
	return out
}

func (p *faultProxy) callsOf(op string) []recordedCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []recordedCall
	for _, c := range p.calls {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

func (p *faultProxy) count(op string) int { return len(p.callsOf(op)) }

func (p *faultProxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = nil
}

// env is a server, a pool with a user, a proxy in front and a store.
type env struct {
	srv      *testserver.Server
	proxy    *faultProxy
	poolID   string
	clientID string
	secret   string
	store    credstore.Store
}

func newEnv(t testing.TB, opts ...testserver.PoolOption) *env {
	t.Helper()
	return newEnvWith(t, testserver.Options{}, opts...)
}

func newEnvWith(t testing.TB, so testserver.Options, opts ...testserver.PoolOption) *env {
	t.Helper()
	srv := testserver.StartWith(t, so)
	pool, client, secret := srv.NewPool(t, opts...)
	srv.NewUser(t, pool, testUser, testPassword)
	return &env{srv: srv, proxy: newFaultProxy(t, srv.URL), poolID: pool, clientID: client, secret: secret, store: credstore.NewMemory()}
}

// config returns a Config aimed at the proxy, with short timeouts.
func (e *env) config() auth.Config {
	return auth.Config{
		Region:       e.srv.Region,
		UserPoolID:   e.poolID,
		ClientID:     e.clientID,
		ClientSecret: e.secret,
		Endpoint:     e.proxy.URL,
		Store:        e.store,
		Timeouts:     auth.Timeouts{Connect: time.Second, Request: 2 * time.Second, Operation: 3 * time.Second},
	}
}

func (e *env) client(t testing.TB, mod ...func(*auth.Config)) *auth.Client {
	t.Helper()
	cfg := e.config()
	for _, m := range mod {
		m(&cfg)
	}
	c, err := auth.New(cfg)
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	return c
}

func (e *env) key() credstore.Key { return credstore.Key{UserPoolID: e.poolID, ClientID: e.clientID} }

// session returns the stored session (nil when signed out).
func (e *env) session(t testing.TB) *credstore.Session {
	t.Helper()
	rec, err := e.store.Load(e.key())
	if err != nil {
		t.Fatalf("store.Load: %v", err)
	}
	return rec.Session
}

// signIn signs testUser in through c and returns the stored session.
func (e *env) signIn(t testing.TB, c *auth.Client) *credstore.Session {
	t.Helper()
	r, err := c.SignIn(context.Background(), testUser, testPassword, auth.SignInOptions{AuthFlow: auth.AuthFlowUserPassword})
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if !r.SignedIn {
		t.Fatalf("SignIn: not signed in: %+v", r)
	}
	s := e.session(t)
	if s == nil {
		t.Fatal("SignIn: no session stored")
	}
	return s
}

// refreshWorks asks the server (directly, not through the proxy) whether the
// refresh token still mints tokens.
func (e *env) refreshWorks(t testing.TB, username, refreshToken string) error {
	t.Helper()
	params := map[string]string{"REFRESH_TOKEN": refreshToken}
	if e.secret != "" {
		params["SECRET_HASH"] = auth.SecretHash(username, e.clientID, e.secret)
		params["USERNAME"] = username
	}
	_, err := e.srv.Admin.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(e.clientID), AuthParameters: params})
	return err
}

// accessWorks asks the server whether the access token is accepted (GetUser).
func (e *env) accessWorks(t testing.TB, accessToken string) error {
	t.Helper()
	_, err := e.srv.Admin.GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(accessToken)})
	return err
}

// eventLog records events from a subscription.
type eventLog struct {
	mu     sync.Mutex
	events []auth.Event
}

func record(c *auth.Client) *eventLog {
	l := &eventLog{}
	c.Subscribe(func(e auth.Event) {
		l.mu.Lock()
		l.events = append(l.events, e)
		l.mu.Unlock()
	})
	return l
}

func (l *eventLog) types() []auth.EventType {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]auth.EventType, len(l.events))
	for i, e := range l.events {
		out[i] = e.Type
	}
	return out
}

// waitFor waits until the log holds n events (or fails after 5 s) and returns
// their types; it then waits a little more to catch extra events.
func (l *eventLog) waitFor(t testing.TB, n int) []auth.EventType {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(l.types()) < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	got := l.types()
	if len(got) != n {
		t.Fatalf("events: got %v, want %d events", got, n)
	}
	return got
}

func eq[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// freeLoopbackPort returns a port that was free a moment ago.
func freeLoopbackPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// deadAddress returns an http URL where nothing listens.
func deadAddress(t testing.TB) string {
	return fmt.Sprintf("http://127.0.0.1:%d", freeLoopbackPort(t))
}

// blackhole returns an http URL that accepts connections and never answers.
// refusing returns the address of a port that refuses every connection, as a
// stopped server's does. The socket is bound but never listens, so the port
// cannot be taken by another test's server while this test runs.
func refusing(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}

func blackhole(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "http://" + ln.Addr().String()
}

// assertNoToken fails when s contains any of the tokens.
func assertNoToken(t testing.TB, what, s string, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		if tok == "" {
			continue
		}
		if strings.Contains(s, tok) {
			t.Errorf("%s contains a token: %q", what, s)
		}
		// A recognisable fragment of a token is a leak too.
		if len(tok) > 40 && strings.Contains(s, tok[len(tok)-30:]) {
			t.Errorf("%s contains part of a token", what)
		}
	}
}

// failingStore wraps a store and fails Save on demand.
type failingStore struct {
	credstore.Store
	mu       sync.Mutex
	failSave error
}

func (f *failingStore) Save(k credstore.Key, r credstore.Record) error {
	f.mu.Lock()
	err := f.failSave
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.Store.Save(k, r)
}

func (f *failingStore) setFail(err error) {
	f.mu.Lock()
	f.failSave = err
	f.mu.Unlock()
}

// fakeClock is a settable clock shared by the server and the client.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var errInjected = errors.New("injected store failure")

func bg() context.Context { return context.Background() }

func readDir(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names, err
}

// claimsOf returns the decoded payload of a JWT, as text.
func claimsOf(t testing.TB, jwt string) string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
