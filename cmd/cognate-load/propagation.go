package main

// -op propagation: how long after a revocation's 200 does a resource server
// refuse the revoked token? A verify.Verifier follows the pool's revocation
// feed (from the last of -endpoint: with two replicas, the feed of the one
// that did not revoke) while -prop-trials revocations are made one after
// the other on the first endpoint, in turn a RevokeToken of a pre-minted
// session and a GlobalSignOut of a freshly signed-in user. Each trial
// verifies the token first (accepted), revokes, and from the moment the
// 200 is read asks the verifier again every -prop-poll until it answers
// verify.ErrRevoked; that delay is the propagation time.
//
// -op feed-fanout: the feed's cost with many followers. -subscribers
// server-sent-event streams are opened on the pool's feed, then
// -prop-trials RevokeToken calls are made at -rate per second (default 20);
// every delivery of every event to every subscriber is timed from the
// revocation's 200, and the server's CPU and memory are reported.

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/verify"
)

// feedReader makes a confidential app client of the pool, whose credentials
// read the revocation feed.
func feedReader(ctx context.Context, cl *client, poolID string) (id, secret string, err error) {
	var out struct {
		UserPoolClient struct{ ClientId, ClientSecret string }
	}
	if err := cl.call(ctx, "CreateUserPoolClient", map[string]any{"UserPoolId": poolID, "ClientName": "cognate-load-feed",
		"GenerateSecret": true}, &out); err != nil {
		return "", "", err
	}
	return out.UserPoolClient.ClientId, out.UserPoolClient.ClientSecret, nil
}

// issuerOf reads the iss claim of a token minted by the server.
func issuerOf(jwt string) (string, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var c struct{ Iss string }
	if err := json.Unmarshal(b, &c); err != nil {
		return "", err
	}
	return c.Iss, nil
}

// familyOf reads the origin_jti claim of a token.
func familyOf(jwt string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return ""
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		OriginJTI string `json:"origin_jti"`
	}
	_ = json.Unmarshal(b, &c)
	return c.OriginJTI
}

// propFixture is a pool, its app client, a feed reader and pre-minted
// sessions of -users users.
type propFixture struct {
	*fixture
	feedID, feedSecret string
	issuer             string
	sessions           []session
	gsoUsers           []string
}

func propSetup(ctx context.Context, cl *client, c config, withGSO bool) (*propFixture, error) {
	fx, err := createPool(ctx, cl, 0)
	if err != nil {
		return &propFixture{fixture: fx}, err
	}
	pf := &propFixture{fixture: fx}
	if pf.feedID, pf.feedSecret, err = feedReader(ctx, cl, fx.poolID); err != nil {
		return pf, err
	}
	var users []string
	for i := range c.users {
		users = append(users, fmt.Sprintf("load-prop-r-%03d", i))
		if withGSO {
			pf.gsoUsers = append(pf.gsoUsers, fmt.Sprintf("load-prop-g-%03d", i))
		}
	}
	if err := createUsers(ctx, cl, fx.poolID, fx.clientID, append(slices.Clone(users), pf.gsoUsers...), c.mintConc, "setup"); err != nil {
		return pf, err
	}
	names := make([]string, c.propTrials)
	for i := range names {
		names[i] = users[i%len(users)]
	}
	m := &minter{cl: cl, mode: c.mint, poolID: fx.poolID, clientID: fx.clientID}
	if pf.sessions, err = mintSessions(ctx, m, names, c.mintConc, "setup"); err != nil {
		return pf, err
	}
	pf.issuer, err = issuerOf(pf.sessions[0].accessToken)
	return pf, err
}

// durations summarizes delays.
func durations(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	p := func(q float64) time.Duration { return s[int(q*float64(len(s)-1))] }
	return fmt.Sprintf("p50 %s, p90 %s, p99 %s, max %s (n=%d)", ms(p(0.5)), ms(p(0.9)), ms(p(0.99)), ms(s[len(s)-1]), len(s))
}

func runPropagation(c config) error {
	if c.propTrials < 1 || c.propPoll <= 0 {
		return errors.New("-prop-trials and -prop-poll must be positive")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cls := newClients(c.endpoints, c.mintConc+2)
	a := cls[0]
	fmt.Printf("cognate-load: op propagation, revoke on %s, feed from %s, %d trials, poll %s, GOMAXPROCS %d, NumCPU %d, %s\n",
		a.endpoint(), cls[len(cls)-1].endpoint(), c.propTrials, c.propPoll, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())
	t0 := time.Now()
	pf, err := propSetup(ctx, a, c, true)
	defer func() {
		if !c.keep {
			_ = teardown(context.Background(), a, pf.fixture)
		}
	}()
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	issuer := pf.issuer
	if len(cls) > 1 { // follow the other replica's feed: same pool, same store
		issuer = cls[len(cls)-1].endpoint() + "/" + pf.poolID
	}
	fmt.Printf("propagation: setup: pool %s, %d sessions (%.1fs)\n", pf.poolID, len(pf.sessions), time.Since(t0).Seconds())
	v, err := verify.New(verify.Config{Issuer: pf.issuer, ClientIDs: []string{pf.clientID}, Feed: verify.FeedRequired,
		FeedClientID: pf.feedID, FeedClientSecret: pf.feedSecret, HTTPClient: feedHTTPClient(issuer, pf.issuer)})
	if err != nil {
		return err
	}
	defer v.Close()

	var revokeDelays, gsoDelays []time.Duration
	var failures int
	for i := range c.propTrials {
		if err := ctx.Err(); err != nil {
			return err
		}
		gso := i%2 == 1
		var token string
		var op string
		var body []byte
		if gso {
			s, err := signIn(ctx, a, pf.clientID, pf.gsoUsers[(i/2)%len(pf.gsoUsers)])
			if err != nil {
				return fmt.Errorf("trial %d: %w", i, err)
			}
			token, op, body = s.accessToken, "GlobalSignOut", mustJSON(map[string]string{"AccessToken": s.accessToken})
		} else {
			s := pf.sessions[i]
			token, op, body = s.accessToken, "RevokeToken", mustJSON(map[string]string{"ClientId": pf.clientID, "Token": s.refreshToken})
		}
		if _, err := v.Verify(ctx, token); err != nil {
			return fmt.Errorf("trial %d: the verifier refused a live token: %w", i, err)
		}
		if _, err := ok200(ctx, a, op, body); err != nil {
			return fmt.Errorf("trial %d: %w", i, err)
		}
		acked := time.Now()
		for {
			_, err := v.Verify(ctx, token)
			if errors.Is(err, verify.ErrRevoked) {
				break
			}
			if err != nil {
				return fmt.Errorf("trial %d: the verifier answered %w", i, err)
			}
			if time.Since(acked) > 10*time.Second {
				failures++
				break
			}
			time.Sleep(c.propPoll)
		}
		if gso {
			gsoDelays = append(gsoDelays, time.Since(acked))
		} else {
			revokeDelays = append(revokeDelays, time.Since(acked))
		}
	}
	all := append(slices.Clone(revokeDelays), gsoDelays...)
	fmt.Printf("propagation: RevokeToken → verifier refuses: %s\n", durations(revokeDelays))
	fmt.Printf("propagation: GlobalSignOut → verifier refuses: %s\n", durations(gsoDelays))
	fmt.Printf("propagation: all: %s\n", durations(all))
	if failures > 0 {
		return fmt.Errorf("%d revocations were not refused within 10 s", failures)
	}
	return nil
}

// feedHTTPClient sends the verifier's requests for issuer (the tokens' iss)
// to feedBase instead, when they differ: a verifier following replica B
// while A, the issuer, revokes.
func feedHTTPClient(feedIssuer, issuer string) *http.Client {
	if feedIssuer == issuer {
		return nil
	}
	rt := http.DefaultTransport.(*http.Transport).Clone()
	return &http.Client{Transport: rewriteHost{from: issuer, to: feedIssuer, next: rt}}
}

type rewriteHost struct {
	from, to string
	next     http.RoundTripper
}

func (r rewriteHost) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL.String()
	if strings.HasPrefix(u, r.from) {
		nu, err := req.URL.Parse(r.to + strings.TrimPrefix(u, r.from))
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.URL, req.Host = nu, nu.Host
	}
	return r.next.RoundTrip(req)
}

func runFeedFanout(c config) error {
	if c.propTrials < 1 || c.subscribers < 1 {
		return errors.New("-prop-trials and -subscribers must be positive")
	}
	rate := c.rate
	if rate <= 0 {
		rate = 20
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cl := newClient(c.endpoints[0], c.mintConc+2)
	fmt.Printf("cognate-load: op feed-fanout, %s, %d subscribers, %d revocations at %.0f/s, GOMAXPROCS %d, NumCPU %d, %s\n",
		cl.endpoint(), c.subscribers, c.propTrials, rate, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())
	pf, err := propSetup(ctx, cl, c, false)
	defer func() {
		if !c.keep {
			_ = teardown(context.Background(), cl, pf.fixture)
		}
	}()
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	feed := pf.issuer + "/revocations"
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(pf.feedID+":"+pf.feedSecret))
	var snap struct{ Seq int64 }
	if err := getJSON(ctx, feed+"/snapshot", auth, &snap); err != nil {
		return err
	}

	// acks[family] is when its revocation's 200 was read.
	var acksMu sync.Mutex
	acks := map[string]time.Time{}
	var delMu sync.Mutex
	var delays []time.Duration
	var delivered atomic.Int64
	subCtx, cancelSubs := context.WithCancel(ctx)
	defer cancelSubs()
	tr := &http.Transport{MaxIdleConnsPerHost: c.subscribers, MaxConnsPerHost: 0, DisableCompression: true}
	hc := &http.Client{Transport: tr}
	var opened sync.WaitGroup
	var wg sync.WaitGroup
	var openErr atomic.Value
	for range c.subscribers {
		opened.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			once := sync.OnceFunc(opened.Done)
			defer once()
			req, _ := http.NewRequestWithContext(subCtx, http.MethodGet, fmt.Sprintf("%s?after=%d", feed, snap.Seq), nil)
			req.Header.Set("Accept", "text/event-stream")
			req.Header.Set("Authorization", auth)
			resp, err := hc.Do(req)
			if err != nil {
				openErr.Store(err)
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				openErr.Store(fmt.Errorf("feed: HTTP %d", resp.StatusCode))
				return
			}
			once()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				data, ok := strings.CutPrefix(sc.Text(), "data: ")
				if !ok {
					continue
				}
				at := time.Now()
				var ev struct{ ID string }
				if json.Unmarshal([]byte(data), &ev) != nil {
					continue
				}
				acksMu.Lock()
				acked, known := acks[ev.ID]
				acksMu.Unlock()
				if !known { // the event arrived before the 200 was read
					acked = at
				}
				delMu.Lock()
				delays = append(delays, at.Sub(acked))
				delMu.Unlock()
				delivered.Add(1)
			}
		}()
	}
	opened.Wait()
	if err, _ := openErr.Load().(error); err != nil {
		return fmt.Errorf("opening the subscribers: %w", err)
	}
	fmt.Printf("feed-fanout: %d subscribers connected\n", c.subscribers)
	before := sampleCPU(c.watch())
	rssBefore := rssOf(c.serverPID)
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for i, s := range pf.sessions {
		<-tick.C
		fam := familyOf(s.accessToken)
		body := mustJSON(map[string]string{"ClientId": pf.clientID, "Token": s.refreshToken})
		if _, err := ok200(ctx, cl, "RevokeToken", body); err != nil {
			return fmt.Errorf("revocation %d: %w", i, err)
		}
		acksMu.Lock()
		acks[fam] = time.Now()
		acksMu.Unlock()
	}
	want := int64(len(pf.sessions) * c.subscribers)
	deadline := time.Now().Add(10 * time.Second)
	for delivered.Load() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	after := sampleCPU(c.watch())
	rssAfter := rssOf(c.serverPID)
	cancelSubs()
	wg.Wait()
	delMu.Lock()
	defer delMu.Unlock()
	fmt.Printf("feed-fanout: %d of %d deliveries; commit-to-delivery %s\n", delivered.Load(), want, durations(delays))
	fmt.Printf("feed-fanout: CPU during the revocations: %s\n", cpuUse(before, after))
	if rssBefore > 0 {
		fmt.Printf("feed-fanout: server RSS %.1f MiB with the subscribers connected (%.1f MiB after the revocations)\n",
			float64(rssBefore)/(1<<20), float64(rssAfter)/(1<<20))
	}
	if delivered.Load() < want {
		return fmt.Errorf("%d deliveries missing", want-delivered.Load())
	}
	return nil
}

// getJSON GETs url with the given Authorization and decodes a 200 answer.
func getJSON(ctx context.Context, url, auth string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d: %s", url, resp.StatusCode, truncate(string(b), 200))
	}
	return json.Unmarshal(b, out)
}

// rssOf is pid's resident set in bytes (0 without a pid or when unreadable).
func rssOf(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	rss, _ := readRSS(pid)
	return rss
}
