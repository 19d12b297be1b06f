package main

// Several endpoints: -endpoint takes a comma-separated list of servers
// (replicas of one store, no balancer in front). The set-up runs on the
// first; the measured requests are spread over all of them (-spread).

import (
	"errors"
	"fmt"
	"strings"
)

// parseEndpoints splits -endpoint's comma-separated list, checks that every
// entry is a loopback http(s) URL and refuses empty entries and duplicates
// (a trailing slash does not make a URL different).
func parseEndpoints(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			return nil, fmt.Errorf("-endpoint: empty entry in %q", s)
		}
		if err := checkLoopback(e); err != nil {
			return nil, err
		}
		key := strings.TrimRight(e, "/")
		if seen[key] {
			return nil, fmt.Errorf("-endpoint: %s given twice", key)
		}
		seen[key] = true
		out = append(out, key)
	}
	return out, nil
}

// spread says how a worker's requests are spread over the endpoints.
type spread int

const (
	// spreadRoundRobin: worker w sends its k-th request to endpoint
	// (w+k) mod n, as a round-robin balancer would; every endpoint gets the
	// same number of requests give or take one per worker, so the slowest
	// replica sets the pace.
	spreadRoundRobin spread = iota
	// spreadPinned: worker w sends all its requests to endpoint w mod n,
	// like clients that each stick to one replica; a faster replica answers
	// more requests.
	spreadPinned
)

func parseSpread(s string) (spread, error) {
	switch s {
	case "round-robin", "rr":
		return spreadRoundRobin, nil
	case "pinned", "pin":
		return spreadPinned, nil
	}
	return 0, fmt.Errorf("-spread: want round-robin or pinned, got %q", s)
}

func (m spread) String() string {
	if m == spreadPinned {
		return "pinned"
	}
	return "round-robin"
}

// endpointFor is the endpoint (0 <= i < n) of worker w's k-th request (k
// from 0).
func endpointFor(m spread, w, k, n int) int {
	if n <= 1 {
		return 0
	}
	if m == spreadPinned {
		return w % n
	}
	return (w + k) % n
}

// newClients makes one client (connection pool) per endpoint.
func newClients(endpoints []string, conns int) []*client {
	cls := make([]*client, len(endpoints))
	for i, e := range endpoints {
		cls[i] = newClient(e, conns)
	}
	return cls
}

// endpointCount is one endpoint's share of an operation's requests.
type endpointCount struct {
	ok, errors int
}

// errOneEndpoint refuses several endpoints where an op drives only one.
var errOneEndpoint = errors.New("drives one endpoint: give -endpoint a single URL")
