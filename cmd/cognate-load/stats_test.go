package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSummarizeLatencies(t *testing.T) {
	// 1..100 ms, shuffled: nearest rank gives p50 50, p90 90, p99 99.
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = time.Duration(i+1) * time.Millisecond
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(lat), func(i, j int) { lat[i], lat[j] = lat[j], lat[i] })
	s := summarizeLatencies(lat)
	want := latencyStats{n: 100, p50: 50 * time.Millisecond, p90: 90 * time.Millisecond, p99: 99 * time.Millisecond,
		max: 100 * time.Millisecond, mean: 50500 * time.Microsecond}
	if s != want {
		t.Fatalf("got %+v, want %+v", s, want)
	}
	// Two samples: p50 is the first, p99 the second.
	s = summarizeLatencies(ds(7, 3))
	if s.p50 != 3*time.Millisecond || s.p99 != 7*time.Millisecond || s.mean != 5*time.Millisecond {
		t.Fatalf("two samples: %+v", s)
	}
	// 200 samples: p99 is the 198th.
	lat = make([]time.Duration, 200)
	for i := range lat {
		lat[i] = time.Duration(200-i) * time.Millisecond
	}
	if s = summarizeLatencies(lat); s.p99 != 198*time.Millisecond || s.p50 != 100*time.Millisecond {
		t.Fatalf("200 samples: %+v", s)
	}
	if s := summarizeLatencies(nil); s != (latencyStats{}) || s.String() != "no samples" {
		t.Fatalf("empty: %+v %q", s, s)
	}
	if r := ratio(3*time.Millisecond, 2*time.Millisecond); r != 1.5 {
		t.Fatalf("ratio %v", r)
	}
	if r := ratio(time.Millisecond, 0); r != 0 {
		t.Fatalf("ratio over zero %v", r)
	}
}

func TestSummarizeVisibility(t *testing.T) {
	ms := time.Millisecond
	trials := []visTrial{
		{kind: visRevokeAccess, refused: true, delay: 1 * ms},
		{kind: visRevokeRefresh, refused: true, delay: 2 * ms},
		{kind: visGSOAccess, refused: true, stale: 3, delay: 30 * ms},
		{kind: visGSORefresh, stale: 100},
		{kind: visRevokeAccess, err: errors.New("boom")},
		{kind: visRevokeAccess, refused: true, delay: 3 * ms},
	}
	all := summarizeVisibility(trials, 0, true)
	if all.trials != 6 || all.errors != 1 || all.firstRefused != 3 || all.late != 1 || all.never != 1 || all.checked() != 5 ||
		len(all.delays) != 4 || len(all.lateDelays) != 1 || all.lateDelays[0] != 30*ms {
		t.Fatalf("all: %+v", all)
	}
	ra := summarizeVisibility(trials, visRevokeAccess, false)
	if ra.trials != 3 || ra.errors != 1 || ra.firstRefused != 2 || ra.checked() != 2 {
		t.Fatalf("revoke-access: %+v", ra)
	}
	for i, want := range []visKind{visRevokeAccess, visRevokeRefresh, visGSOAccess, visGSORefresh, visRevokeAccess} {
		if got := visKindOf(i); got != want {
			t.Fatalf("trial %d: kind %s, want %s", i, got, want)
		}
	}
	var out strings.Builder
	printVisibility(&out, trials, true)
	for _, want := range []string{"3 of 5 checked (60.00%); late 1, never within the timeout 1; trials with errors 1",
		"| all | 6 | 3 (60.00%) | 1 | 1 | 1 |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestVisibilityCheckPolls: B's 200s after the revocation are counted as
// stale until B refuses; a B that never refuses is given up on at the
// timeout; other answers are errors.
func TestVisibilityCheckPolls(t *testing.T) {
	var n, staleFor atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch i := n.Add(1); {
		case staleFor.Load() < 0:
			w.WriteHeader(http.StatusInternalServerError)
		case i <= staleFor.Load():
			_, _ = w.Write([]byte(`{"Username":"u"}`))
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"NotAuthorizedException","message":"Access Token has been revoked"}`))
		}
	}))
	defer srv.Close()
	r := &visRun{c: config{visTimeout: 300 * time.Millisecond}, b: newClient(srv.URL, 1), pollInterval: time.Millisecond}
	run := func(stale int64) visTrial {
		n.Store(0)
		staleFor.Store(stale)
		var tr visTrial
		r.check(context.Background(), &tr, time.Now(), "GetUser", []byte(`{}`))
		return tr
	}
	if tr := run(0); !tr.refused || tr.stale != 0 || tr.err != nil || tr.delay <= 0 {
		t.Fatalf("refused at once: %+v", tr)
	}
	if tr := run(3); !tr.refused || tr.stale != 3 || tr.err != nil || tr.delay < 3*time.Millisecond {
		t.Fatalf("refused after 3: %+v", tr)
	}
	start := time.Now()
	if tr := run(1 << 40); tr.refused || tr.stale == 0 || tr.err != nil {
		t.Fatalf("never refused: %+v", tr)
	}
	if el := time.Since(start); el < 300*time.Millisecond || el > 5*time.Second {
		t.Fatalf("gave up after %s, timeout 300ms", el)
	}
	if tr := run(-1); tr.err == nil || tr.refused {
		t.Fatalf("HTTP 500: %+v", tr)
	}
}
