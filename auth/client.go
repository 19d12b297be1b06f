package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/cognate-dev/cognate/auth/credstore"
)

// Client signs one user at a time in and out of one app client of a user pool.
//
// All its operations are serialized: each waits for the one before it (or for
// its context to end). It is safe for concurrent use. Create it with New: the
// methods of a zero Client (or a nil *Client) fail at once with
// ErrNotConfigured. Close ends its background work; afterwards its methods fail
// with ErrClosed.
type Client struct {
	cfg   Config
	key   credstore.Key
	store credstore.Store
	cip   *cip.Client
	hc    *http.Client // for the hosted UI's token endpoint
	log   *slog.Logger
	now   func() time.Time

	// sem is the operation lock: one token, taken by every operation.
	sem chan struct{}
	// pending is the sign-in waiting for a challenge answer; guarded by sem.
	pending *pendingSignIn
	// webBrowser is the browser of the last SignInWithWebUI, for the sign-out
	// step when none is configured; guarded by sem.
	webBrowser Browser

	events *hub

	// life is cancelled (cause ErrClosed) by Close; every operation's context
	// is tied to it.
	life    context.Context
	endLife context.CancelCauseFunc
	closed  atomic.Bool
	// transport is the Transport New built (nil with Config.HTTPClient); Close
	// closes its idle connections.
	transport *http.Transport

	// mu guards webCancel and signOutsWaiting, which SignOut uses without the
	// operation lock.
	mu sync.Mutex
	// webCancel cancels the browser wait of the SignInWithWebUI in progress
	// (nil when none is waiting for the browser).
	webCancel context.CancelCauseFunc
	// signOutsWaiting counts SignOut calls waiting for the operation lock; a
	// SignInWithWebUI does not start waiting for the browser while one does.
	signOutsWaiting int
	// auto is the auto sign-in SignUp armed (nil when none); guarded by mu.
	auto *autoSignIn
}

// New validates cfg and returns a Client. It does no network I/O.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	httpClient := cfg.HTTPClient
	var transport *http.Transport
	if httpClient == nil {
		dialer := &net.Dialer{Timeout: cfg.Timeouts.Connect, KeepAlive: 30 * time.Second}
		transport = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   cfg.Timeouts.Connect,
			ResponseHeaderTimeout: cfg.Timeouts.Request,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          10,
			MaxIdleConnsPerHost:   10,
			IdleConnTimeout:       90 * time.Second,
		}
		httpClient = &http.Client{Timeout: cfg.Timeouts.Request, Transport: transport}
	}
	opts := cip.Options{
		Region:      cfg.Region,
		Credentials: aws.AnonymousCredentials{},
		HTTPClient:  ownedBodyClient{httpClient},
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = cfg.MaxAttempts
			o.MaxBackoff = 2 * time.Second
		}),
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	life, endLife := context.WithCancelCause(context.Background())
	c := &Client{
		cfg:       cfg,
		key:       credstore.Key{UserPoolID: cfg.UserPoolID, ClientID: cfg.ClientID},
		store:     cfg.Store,
		cip:       cip.New(opts),
		hc:        httpClient,
		log:       cfg.Logger,
		now:       cfg.Now,
		sem:       make(chan struct{}, 1),
		events:    &hub{log: cfg.Logger},
		life:      life,
		endLife:   endLife,
		transport: transport,
	}
	return c, nil
}

// Close ends the Client's background work: it cancels the operation in
// progress and those waiting for it (a SignInWithWebUI or hosted-UI sign-out
// waiting for the browser stops waiting and closes its loopback listener; a
// network call is abandoned), ends every subscription (no callback is called
// after the one running, if any, returns; their goroutines exit), and closes
// the idle connections of the HTTP client New built (not those of a
// Config.HTTPClient, which the caller owns). It does not wait for the
// cancelled operations, which return promptly with an error matching
// ErrClosed; nor does it touch the credential store: a signed-in user stays
// signed in for the next Client.
//
// After Close every method fails with ErrClosed (SignOut with a FailedSignOut
// carrying it) and Subscribe registers nothing. Closing again returns
// ErrClosed. Close forgets an armed auto sign-in's password. The SDK has no
// background timers (but the one that forgets that password after
// AutoSignInWindow): tokens are refreshed by FetchAuthSession when they are
// about to expire.
func (c *Client) Close() error {
	if c == nil || c.sem == nil {
		return ErrNotConfigured
	}
	if !c.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	c.endLife(ErrClosed)
	c.dropAutoSignIn()
	c.events.close()
	if c.transport != nil {
		c.transport.CloseIdleConnections()
	}
	c.log.Debug("auth: client closed")
	return nil
}

// ownedBodyClient sends the SDK's requests with a body net/http owns: an
// in-memory copy of the serialized request, which nothing else closes.
//
// smithy-go closes the body it passes to Do as soon as Do returns, that is when
// the answer's headers have arrived, and once closed its WriteTo returns
// io.EOF. net/http writes a body it does not know to be in memory straight to
// the connection, then reads it once more to check for extra bytes (through
// WriteTo). When the answer's headers arrived before that last read (the
// writer goroutine was descheduled: a loaded machine), the read fails and
// net/http closes the connection while the caller is still reading the answer:
// "failed to decode response body ... use of closed network connection". A
// *bytes.Reader body is one net/http knows; reading it again cannot fail.
// GetBody stays unset, as before: http.Client then never follows a 307 or 308
// redirect, which would send the body (passwords, tokens) on to another URL.
type ownedBodyClient struct{ hc cip.HTTPClient }

func (o ownedBodyClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return o.hc.Do(req)
	}
	body, err := io.ReadAll(req.Body)
	if cerr := req.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("auth: reading the request body: %w", err)
	}
	r := req.WithContext(req.Context()) // a shallow copy: req stays the caller's
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return o.hc.Do(r)
}

// CognitoClient returns the underlying aws-sdk-go-v2 client (nil for a Client
// not created with New), configured like the
// Client (region, endpoint, anonymous credentials, timeouts, retryer). It is the
// escape hatch for what the SDK does not wrap, such as retrying a remote
// sign-out step with the tokens a PartialSignOut carries:
//
//	case auth.PartialSignOut:
//		if e := r.RevokeTokenError; e != nil {
//			_, err := client.CognitoClient().RevokeToken(ctx, &cognitoidentityprovider.RevokeTokenInput{
//				Token:    aws.String(e.RefreshToken),
//				ClientId: aws.String(clientID),
//			})
//			...
//		}
//
// The client has no per-call timeout of its own: bound ctx. It keeps working
// after Close.
func (c *Client) CognitoClient() *cip.Client {
	if c == nil {
		return nil
	}
	return c.cip
}

// UserPoolID returns the configured user pool id ("" for a Client not created
// with New).
func (c *Client) UserPoolID() string {
	if c == nil {
		return ""
	}
	return c.cfg.UserPoolID
}

// ClientID returns the configured app client id ("" for a Client not created
// with New).
func (c *Client) ClientID() string {
	if c == nil {
		return ""
	}
	return c.cfg.ClientID
}

// usable reports why c cannot run an operation, if it cannot.
func (c *Client) usable() error {
	switch {
	case c == nil || c.sem == nil:
		return ErrNotConfigured
	case c.closed.Load():
		return ErrClosed
	}
	return nil
}

// begin starts an operation: it checks that c is usable, treats a nil ctx as
// context.Background(), ties ctx to c's life (Close cancels it, with cause
// ErrClosed) and takes the operation lock. The returned end releases both; it
// must be called when the operation is over.
func (c *Client) begin(ctx context.Context) (context.Context, func(), error) {
	if err := c.usable(); err != nil {
		return nil, nil, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(c.life, func() { cancel(ErrClosed) })
	release := func() {
		stop()
		cancel(nil)
	}
	if err := c.lock(ctx); err != nil {
		release()
		return nil, nil, err
	}
	if c.closed.Load() { // closed while this operation waited
		c.unlock()
		release()
		return nil, nil, ErrClosed
	}
	return ctx, func() {
		c.unlock()
		release()
	}, nil
}

// lock takes the operation lock, or fails when ctx ends first.
func (c *Client) lock(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("auth: waiting for another operation of this client: %w", interruption(ctx))
	}
}

func (c *Client) unlock() { <-c.sem }

// interruption is why ctx ended: ErrClosed when Close ended it, else ctx.Err().
func interruption(ctx context.Context) error {
	if errors.Is(context.Cause(ctx), ErrClosed) {
		return ErrClosed
	}
	return ctx.Err()
}

// cancelWebSignIn cancels the SignInWithWebUI waiting for the browser, if
// any, and counts a SignOut waiting for the operation lock until the returned
// function is called.
func (c *Client) cancelWebSignIn() (done func()) {
	c.mu.Lock()
	c.signOutsWaiting++
	if c.webCancel != nil {
		c.webCancel(ErrSignInCancelled)
		c.webCancel = nil
	}
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		c.signOutsWaiting--
		c.mu.Unlock()
	}
}

// call runs one API call with the operation timeout and classifies its error.
func (c *Client) call(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeouts.Operation)
	defer cancel()
	start := c.now()
	err := classify(op, fn(ctx))
	if ne, ok := err.(*NetworkError); ok && errors.Is(context.Cause(ctx), ErrClosed) {
		ne.Err = fmt.Errorf("%w (%w)", ErrClosed, ne.Err)
	}
	if err != nil {
		c.log.Debug("auth: API call failed", "op", op, "err", err.Error(), "elapsed", c.now().Sub(start))
	} else {
		c.log.Debug("auth: API call", "op", op, "elapsed", c.now().Sub(start))
	}
	return err
}

// callOp runs one Cognito operation through c.call: op(ctx, in) with the
// operation timeout, its error classified. It is a function, not a method,
// because methods cannot have type parameters.
func callOp[In, Out any](ctx context.Context, c *Client, name string,
	op func(context.Context, In, ...func(*cip.Options)) (Out, error), in In) (Out, error) {
	var out Out
	err := c.call(ctx, name, func(ctx context.Context) error {
		var err error
		out, err = op(ctx, in)
		return err
	})
	return out, err
}

// secretHash returns SECRET_HASH for username, or "" when no secret is set.
func (c *Client) secretHash(username string) string {
	if c.cfg.ClientSecret == "" {
		return ""
	}
	return SecretHash(username, c.cfg.ClientID, c.cfg.ClientSecret)
}

// SecretHash computes Cognito's SECRET_HASH: Base64(HMAC-SHA256(key=clientSecret,
// msg=username+clientID)).
func SecretHash(username, clientID, clientSecret string) string {
	m := hmac.New(sha256.New, []byte(clientSecret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// loadSession reads the stored record (with the lock held).
func (c *Client) loadRecord() (credstore.Record, error) {
	rec, err := safeLoad(c.store, c.key)
	if err != nil {
		return rec, fmt.Errorf("auth: reading the credential store: %w", err)
	}
	return rec, nil
}

func safeLoad(s credstore.Store, k credstore.Key) (rec credstore.Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("credential store panicked: %v", p)
		}
	}()
	return s.Load(k)
}

func safeSave(s credstore.Store, k credstore.Key, rec credstore.Record) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("credential store panicked: %v", p)
		}
	}()
	return s.Save(k, rec)
}

func (c *Client) emit(t EventType, username string) {
	c.log.Debug("auth: event", "type", string(t), "username", username)
	c.events.emit(Event{Type: t, Username: username, Time: c.now()})
}
