package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// result is one operation's run.
type result struct {
	op          string
	concurrency int
	elapsed     time.Duration
	ok          int
	errors      int
	cut         int // in flight at the deadline, cancelled: neither ok nor error
	latencies   []time.Duration
	errSamples  map[string]int
	note        string
	cpu         cpuDelta
	// endpoints and perEndpoint: where the requests went, when there were
	// several endpoints.
	endpoints   []string
	perEndpoint []endpointCount
}

func (r *result) total() int { return r.ok + r.errors }

func (r *result) errorRate() float64 {
	if r.total() == 0 {
		return 1
	}
	return float64(r.errors) / float64(r.total())
}

// rate is completed requests (ok or not) per second.
func (r *result) rate() float64 { return float64(r.total()) / r.elapsed.Seconds() }

// percentile is the nearest-rank percentile of the successful requests' latencies.
func (r *result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies))*p/100+0.5) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

// opSpec says how to build and check one operation's requests.
type opSpec struct {
	target string
	// bodies are cycled through (refresh, getuser), or each used once (revoke).
	bodies [][]byte
	once   bool
	// marks must all appear in a 200 answer.
	marks [][]byte
}

func spec(op string, fx *fixture) (*opSpec, error) {
	enc := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err) // maps of strings always encode
		}
		return b
	}
	s := &opSpec{}
	switch op {
	case "refresh":
		s.target = "InitiateAuth"
		s.marks = [][]byte{[]byte(`"AccessToken":"ey`), []byte(`"IdToken":"ey`)}
		for _, ss := range fx.sessions {
			s.bodies = append(s.bodies, enc(map[string]any{"ClientId": fx.clientID, "AuthFlow": "REFRESH_TOKEN_AUTH",
				"AuthParameters": map[string]string{"REFRESH_TOKEN": ss.refreshToken}}))
		}
	case "getuser":
		s.target = "GetUser"
		s.marks = [][]byte{[]byte(`"Username":"load-user-`)}
		for _, ss := range fx.sessions {
			s.bodies = append(s.bodies, enc(map[string]string{"AccessToken": ss.accessToken}))
		}
	case "revoke":
		s.target = "RevokeToken"
		s.once = true
		for _, t := range fx.revokeTokens {
			s.bodies = append(s.bodies, enc(map[string]string{"ClientId": fx.clientID, "Token": t}))
		}
	case "globalsignout":
		// One access token of a distinct user each: a GlobalSignOut ends
		// every session of its user, so a second token of the same user
		// would be refused.
		s.target = "GlobalSignOut"
		s.once = true
		for _, t := range fx.gsoTokens {
			s.bodies = append(s.bodies, enc(map[string]string{"AccessToken": t}))
		}
	default:
		return nil, fmt.Errorf("unknown op %q", op)
	}
	if len(s.bodies) == 0 {
		return nil, errors.New("no tokens to use")
	}
	return s, nil
}

// drive runs op for c.duration (revoke, globalsignout: or until its tokens
// run out) from c.concurrency workers spread over the endpoints, after a
// short unrecorded warm-up for the ops that can repeat requests.
func drive(ctx context.Context, cls []*client, c config, fx *fixture, op string) (*result, error) {
	s, err := spec(op, fx)
	if err != nil {
		return nil, err
	}
	if !s.once {
		w := loop(ctx, cls, c.spread, s, c.concurrency, min(time.Second, c.duration/5))
		if w.errors > 0 {
			fmt.Printf("%s: warm-up had %d errors in %d requests: %v\n", op, w.errors, w.total(), w.errSamples)
		}
	}
	r := loop(ctx, cls, c.spread, s, c.concurrency, c.duration)
	r.op = op
	if s.once {
		if op == "revoke" {
			fx.revoked = r.ok
		} else {
			fx.signedOut = r.ok
		}
		if r.total()+r.cut >= len(s.bodies) {
			r.note = fmt.Sprintf("all %d pre-minted tokens used after %.2fs", len(s.bodies), r.elapsed.Seconds())
		} else {
			r.note = fmt.Sprintf("%d of %d pre-minted tokens used", r.total(), len(s.bodies))
		}
	}
	return r, nil
}

type workerStats struct {
	ok, errors, cut int
	lat             []time.Duration
	samples         map[string]int
	perEndpoint     []endpointCount
}

// loop sends s's requests from workers goroutines for d (or, for "once"
// specs, until the bodies run out), spread over the clients' endpoints.
func loop(parent context.Context, cls []*client, m spread, s *opSpec, workers int, d time.Duration) *result {
	ctx, cancel := context.WithTimeout(parent, d)
	defer cancel()
	var next atomic.Int64 // the next body for "once" specs
	stats := make([]workerStats, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &stats[w]
			st.lat = make([]time.Duration, 0, 1<<14)
			st.samples = map[string]int{}
			st.perEndpoint = make([]endpointCount, len(cls))
			hdr := http.Header{
				"Content-Type": {"application/x-amz-json-1.1"},
				"X-Amz-Target": {targetPrefix + s.target},
			}
			var buf bytes.Buffer
			i := w // cycle through the bodies from a per-worker offset
			for k := 0; ctx.Err() == nil; k++ {
				e := endpointFor(m, w, k, len(cls))
				cl, ec := cls[e], &st.perEndpoint[e]
				var body []byte
				if s.once {
					j := int(next.Add(1) - 1)
					if j >= len(s.bodies) {
						return
					}
					body = s.bodies[j]
				} else {
					body = s.bodies[i%len(s.bodies)]
					i += workers
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.url, bytes.NewReader(body))
				if err != nil {
					panic(err) // a fixed, valid URL
				}
				req.Header = hdr
				t0 := time.Now()
				resp, err := cl.http.Do(req)
				if err == nil {
					buf.Reset()
					_, err = io.Copy(&buf, resp.Body)
					resp.Body.Close()
				}
				lat := time.Since(t0)
				switch {
				case err != nil && ctx.Err() != nil:
					st.cut++ // the deadline cancelled it
				case err != nil:
					st.errors++
					ec.errors++
					st.samples["transport: "+truncate(err.Error(), 120)]++
				case resp.StatusCode != http.StatusOK:
					st.errors++
					ec.errors++
					st.samples[fmt.Sprintf("HTTP %d: %s", resp.StatusCode, truncate(buf.String(), 160))]++
				case !hasAll(buf.Bytes(), s.marks):
					st.errors++
					ec.errors++
					st.samples["unexpected 200 body: "+truncate(buf.String(), 160)]++
				default:
					st.ok++
					ec.ok++
					st.lat = append(st.lat, lat)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := &result{concurrency: workers, elapsed: elapsed, errSamples: map[string]int{}, perEndpoint: make([]endpointCount, len(cls))}
	for _, cl := range cls {
		r.endpoints = append(r.endpoints, cl.endpoint())
	}
	for _, st := range stats {
		for e, n := range st.perEndpoint {
			r.perEndpoint[e].ok += n.ok
			r.perEndpoint[e].errors += n.errors
		}
		r.ok += st.ok
		r.errors += st.errors
		r.cut += st.cut
		r.latencies = append(r.latencies, st.lat...)
		for k, v := range st.samples {
			r.errSamples[k] += v
		}
	}
	slices.Sort(r.latencies)
	return r
}

func hasAll(b []byte, marks [][]byte) bool {
	for _, m := range marks {
		if !bytes.Contains(b, m) {
			return false
		}
	}
	return true
}

func (r *result) print(w io.Writer) {
	fmt.Fprintf(w, "%s: %d requests in %.2fs from %d workers: %.0f req/s; latency p50 %s p90 %s p99 %s max %s; errors %d (%.3f%%), cut at deadline %d\n",
		r.op, r.total(), r.elapsed.Seconds(), r.concurrency, r.rate(), ms(r.percentile(50)), ms(r.percentile(90)),
		ms(r.percentile(99)), ms(r.percentile(100)), r.errors, 100*r.errorRate(), r.cut)
	if r.note != "" {
		fmt.Fprintf(w, "%s: %s\n", r.op, r.note)
	}
	if len(r.endpoints) > 1 {
		fmt.Fprintf(w, "%s: per endpoint:", r.op)
		for i, e := range r.endpoints {
			n := r.perEndpoint[i]
			fmt.Fprintf(w, " %s %d requests (%d errors)", e, n.ok+n.errors, n.errors)
			if i < len(r.endpoints)-1 {
				fmt.Fprint(w, ",")
			}
		}
		fmt.Fprintln(w)
	}
	if r.cpu.ok {
		fmt.Fprintf(w, "%s: %s\n", r.op, r.cpu)
		if r.cpu.hasServer && r.total() > 0 {
			db := ""
			if r.cpu.hasDB {
				db = fmt.Sprintf(", database backends %.0fµs", 1e6*r.cpu.db/r.rate())
			}
			fmt.Fprintf(w, "%s: CPU per request: server %.0fµs%s, load generator %.0fµs\n", r.op,
				1e6*r.cpu.server/r.rate(), db, 1e6*r.cpu.self/r.rate())
		}
	}
	keys := make([]string, 0, len(r.errSamples))
	for k := range r.errSamples {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return r.errSamples[keys[i]] > r.errSamples[keys[j]] })
	for i, k := range keys {
		if i == 5 {
			fmt.Fprintf(w, "%s:   ... %d more kinds of error\n", r.op, len(keys)-5)
			break
		}
		fmt.Fprintf(w, "%s:   %6d × %s\n", r.op, r.errSamples[k], k)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func printMarkdown(w io.Writer, results []*result, rsaRuns []*rsaResult) {
	// The signing bound is taken from the faster raw measurement: the
	// stricter comparison.
	var bound float64
	for _, r := range rsaRuns {
		bound = max(bound, r.signRate/2)
	}
	db := false
	for _, r := range results {
		db = db || r.cpu.hasDB
	}
	fmt.Fprintln(w)
	if db {
		fmt.Fprintln(w, "| op | requests/s | p50 | p99 | errors | CPU: server / database / load gen / other (cores) | server CPU per request | database CPU per request | notes |")
		fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |")
	} else {
		fmt.Fprintln(w, "| op | requests/s | p50 | p99 | errors | CPU: server / load gen / other (cores) | server CPU per request | notes |")
		fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |")
	}
	for _, r := range results {
		note := r.note
		if r.op == "refresh" && bound > 0 {
			note = fmt.Sprintf("%.0f%% of the signing bound (%.0f/s)", 100*r.rate()/bound, bound)
		}
		use, per, dbPer := "n/a", "n/a", "n/a"
		if r.cpu.ok && r.cpu.hasServer {
			use = fmt.Sprintf("%.2f / %.2f / %.2f", r.cpu.server, r.cpu.self, r.cpu.other())
			if db {
				use = fmt.Sprintf("%.2f / %.2f / %.2f / %.2f", r.cpu.server, r.cpu.db, r.cpu.self, r.cpu.other())
			}
			if r.total() > 0 {
				per = fmt.Sprintf("%.0fµs", 1e6*r.cpu.server/r.rate())
				dbPer = fmt.Sprintf("%.0fµs", 1e6*r.cpu.db/r.rate())
			}
		}
		if db {
			fmt.Fprintf(w, "| %s | %.0f | %s | %s | %d / %d | %s | %s | %s | %s |\n", r.op, r.rate(), ms(r.percentile(50)), ms(r.percentile(99)),
				r.errors, r.total(), use, per, dbPer, note)
		} else {
			fmt.Fprintf(w, "| %s | %.0f | %s | %s | %d / %d | %s | %s | %s |\n", r.op, r.rate(), ms(r.percentile(50)), ms(r.percentile(99)),
				r.errors, r.total(), use, per, note)
		}
	}
	printEndpointMarkdown(w, results)
	if len(rsaRuns) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| raw RSA-2048 PKCS#1 v1.5 SHA-256 | goroutines | sign/s | verify/s | signing bound (sign/2) | CPU: load gen / other (cores) | sign/s per core obtained |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | --- | ---: |")
	for _, r := range rsaRuns {
		use, per := "n/a", "n/a"
		if r.cpu.ok {
			use = fmt.Sprintf("%.2f / %.2f", r.cpu.self, max(0, r.cpu.machine-r.cpu.self))
			if r.cpu.self > 0 {
				per = fmt.Sprintf("%.0f", r.signPerCore)
			}
		}
		fmt.Fprintf(w, "| %s the load, %s | %d | %.0f | %.0f | %.0f | %s | %s |\n", r.when, r.duration, r.workers, r.signRate,
			r.verifyRate, r.signRate/2, use, per)
	}
}

// printEndpointMarkdown tabulates each op's requests per endpoint, when
// there were several.
func printEndpointMarkdown(w io.Writer, results []*result) {
	if len(results) == 0 || len(results[0].endpoints) < 2 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "| op |")
	for _, e := range results[0].endpoints {
		fmt.Fprintf(w, " %s |", e)
	}
	fmt.Fprint(w, "\n| --- |")
	for range results[0].endpoints {
		fmt.Fprint(w, " ---: |")
	}
	fmt.Fprintln(w)
	for _, r := range results {
		fmt.Fprintf(w, "| %s |", r.op)
		for _, n := range r.perEndpoint {
			fmt.Fprintf(w, " %d (%d errors) |", n.ok+n.errors, n.errors)
		}
		fmt.Fprintln(w)
	}
}
