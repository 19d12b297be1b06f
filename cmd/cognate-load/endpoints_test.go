package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseEndpoints(t *testing.T) {
	for in, want := range map[string][]string{
		"http://127.0.0.1:9229":                                {"http://127.0.0.1:9229"},
		"http://127.0.0.1:9229/":                               {"http://127.0.0.1:9229"},
		"http://127.0.0.1:1,http://127.0.0.1:2":                {"http://127.0.0.1:1", "http://127.0.0.1:2"},
		" http://127.0.0.1:1/ , http://localhost:2 ":           {"http://127.0.0.1:1", "http://localhost:2"},
		"http://127.0.0.1:1,http://127.0.0.2:1,http://[::1]:3": {"http://127.0.0.1:1", "http://127.0.0.2:1", "http://[::1]:3"},
	} {
		got, err := parseEndpoints(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("parseEndpoints(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", ",", "http://127.0.0.1:1,", "http://127.0.0.1:1,,http://127.0.0.1:2",
		"http://127.0.0.1:1,http://127.0.0.1:1/", "http://127.0.0.1:1,http://10.0.0.1:1", "http://example.com"} {
		if got, err := parseEndpoints(bad); err == nil {
			t.Errorf("parseEndpoints(%q) = %q, accepted", bad, got)
		}
	}
}

func TestEndpointFor(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5} {
		for _, workers := range []int{1, 2, 7, 32} {
			// Round-robin: every worker cycles through all endpoints, and
			// over whole cycles each endpoint gets the same share.
			counts := make([]int, n)
			for w := range workers {
				for k := range 10 * n {
					e := endpointFor(spreadRoundRobin, w, k, n)
					if e < 0 || e >= n {
						t.Fatalf("n %d: endpoint %d", n, e)
					}
					if k > 0 && e != (endpointFor(spreadRoundRobin, w, k-1, n)+1)%n {
						t.Fatalf("n %d worker %d: request %d to %d does not follow %d", n, w, k, e, endpointFor(spreadRoundRobin, w, k-1, n))
					}
					counts[e]++
				}
			}
			for e, c := range counts {
				if c != 10*workers {
					t.Errorf("round-robin n %d workers %d: endpoint %d got %d, want %d", n, workers, e, c, 10*workers)
				}
			}
			// Workers start on different endpoints.
			if workers >= n && n > 1 {
				first := map[int]bool{}
				for w := range workers {
					first[endpointFor(spreadRoundRobin, w, 0, n)] = true
				}
				if len(first) != n {
					t.Errorf("round-robin n %d: first requests go to %d endpoints", n, len(first))
				}
			}
			// Pinned: worker w always to w mod n.
			for w := range workers {
				for k := range 5 {
					if e := endpointFor(spreadPinned, w, k, n); e != w%n {
						t.Fatalf("pinned n %d worker %d request %d: endpoint %d", n, w, k, e)
					}
				}
			}
		}
	}
	for in, want := range map[string]spread{"round-robin": spreadRoundRobin, "rr": spreadRoundRobin, "pinned": spreadPinned} {
		if got, err := parseSpread(in); err != nil || got != want {
			t.Errorf("parseSpread(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := parseSpread("random"); err == nil {
		t.Error("parseSpread(random) accepted")
	}
}

// TestLoopSpreadsOverEndpoints: the measured loop sends to every endpoint
// and counts each one's requests and errors apart.
func TestLoopSpreadsOverEndpoints(t *testing.T) {
	var hits [2]atomic.Int64
	srv := func(i int, fail bool) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[i].Add(1)
			if fail {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			_, _ = w.Write([]byte(`{"Username":"load-user-001"}`))
		}))
	}
	a, b := srv(0, false), srv(1, true)
	defer a.Close()
	defer b.Close()
	s, err := spec("getuser", &fixture{sessions: []session{{accessToken: "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	cls := []*client{newClient(a.URL, 4), newClient(b.URL, 4)}
	r := loop(context.Background(), cls, spreadRoundRobin, s, 4, 300*time.Millisecond)
	if !slices.Equal(r.endpoints, []string{a.URL, b.URL}) {
		t.Fatalf("endpoints %q", r.endpoints)
	}
	pa, pb := r.perEndpoint[0], r.perEndpoint[1]
	if pa.ok == 0 || pa.errors != 0 || pb.ok != 0 || pb.errors == 0 {
		t.Fatalf("per endpoint %+v %+v", pa, pb)
	}
	if pa.ok != r.ok || pb.errors != r.errors {
		t.Fatalf("per endpoint %+v %+v, totals ok %d errors %d", pa, pb, r.ok, r.errors)
	}
	// Round-robin: within one request per worker of each other.
	if d := pa.ok - pb.errors; d < -4 || d > 4 {
		t.Fatalf("round-robin: %d vs %d requests", pa.ok, pb.errors)
	}
	if int64(pa.ok) > hits[0].Load() || int64(pb.errors) > hits[1].Load() {
		t.Fatalf("counted more than the servers saw: %+v %+v, hits %d %d", pa, pb, hits[0].Load(), hits[1].Load())
	}

	// Pinned, one worker: everything to the first endpoint.
	r = loop(context.Background(), cls, spreadPinned, s, 1, 100*time.Millisecond)
	if r.perEndpoint[0].ok == 0 || r.perEndpoint[1].ok+r.perEndpoint[1].errors != 0 {
		t.Fatalf("pinned: %+v", r.perEndpoint)
	}
}

// TestGlobalSignOutSpec: one request per pre-minted access token, each
// used once.
func TestGlobalSignOutSpec(t *testing.T) {
	s, err := spec("globalsignout", &fixture{gsoTokens: []string{"t1", "t2"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.target != "GlobalSignOut" || !s.once || len(s.bodies) != 2 || string(s.bodies[1]) != `{"AccessToken":"t2"}` {
		t.Fatalf("spec %+v", s)
	}
	if _, err := spec("globalsignout", &fixture{}); err == nil {
		t.Fatal("spec without tokens accepted")
	}
}

func TestParsePIDs(t *testing.T) {
	for in, want := range map[string][]int{"": nil, " ": nil, "12": {12}, "12, 34": {12, 34}} {
		if got, err := parsePIDs(in); err != nil || !slices.Equal(got, want) {
			t.Errorf("parsePIDs(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"x", "1,", "0", "-3", "1,,2"} {
		if _, err := parsePIDs(bad); err == nil {
			t.Errorf("parsePIDs(%q) accepted", bad)
		}
	}
}

func TestIsBackendOf(t *testing.T) {
	for title, want := range map[string]bool{
		"postgres: 15/main: postgres cognate_bench_x 127.0.0.1(50418) idle\x00":   true,
		"postgres: postgres cognate_bench_x 127.0.0.1(50418) idle":                true,
		"postgres: 15/main: postgres cognate_bench_x 127.0.0.1(1) SELECT\x00\x00": true,
		"postgres: 15/main: postgres cognate_bench_xy 127.0.0.1(50418) idle":      false,
		"postgres: 15/main: postgres other 127.0.0.1(50418) idle":                 false,
		"postgres: 15/main: walwriter ":                                           false,
		"/usr/lib/postgresql/15/bin/postgres\x00-D\x00cognate_bench_x":            false,
		"cognate serve --db postgres://x/cognate_bench_x":                         false,
	} {
		if got := isBackendOf(title, "cognate_bench_x"); got != want {
			t.Errorf("isBackendOf(%q) = %v", title, got)
		}
	}
}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-endpoint", "http://127.0.0.1:1,http://127.0.0.1:2", "-spread", "pinned", "-server-pid", "5,6",
		"-mint", "password", "-op", "gso-latency", "-sessions", "50"})
	if err != nil {
		t.Fatal(err)
	}
	if c.spread != spreadPinned || c.mint != mintPassword || !slices.Equal(c.serverPIDs, []int{5, 6}) || c.serverPID != 5 ||
		c.sessions != 50 || c.gsoCalls != 200 || c.visTrials != 1000 || c.gsoUsers != 3000 {
		t.Fatalf("config %+v", c)
	}
	for _, bad := range [][]string{{"-spread", "x"}, {"-mint", "x"}, {"-server-pid", "x"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
	// Several endpoints are refused where an op drives one.
	c, err = parseFlags([]string{"-endpoint", "http://127.0.0.1:1,http://127.0.0.1:2", "-op", "soak"})
	if err != nil {
		t.Fatal(err)
	}
	if err := run(c); err == nil || !strings.Contains(err.Error(), "one endpoint") {
		t.Fatalf("soak on two endpoints: %v", err)
	}
}
