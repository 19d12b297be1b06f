package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMintSessionsPerUserCap: many workers, but never more than
// maxInFlightPerUser sign-ins of one user at a time (the server would start
// a lockout at the fifth); sessions come back in the order of the names;
// a failed sign-in is retried.
func TestMintSessionsPerUserCap(t *testing.T) {
	var mu sync.Mutex
	inFlight, maxPerUser := map[string]int{}, map[string]int{}
	total, maxTotal, calls := 0, 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			AuthFlow       string
			AuthParameters map[string]string
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.AuthFlow != "USER_PASSWORD_AUTH" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		u := in.AuthParameters["USERNAME"]
		mu.Lock()
		calls++
		n := calls
		inFlight[u]++
		total++
		maxPerUser[u] = max(maxPerUser[u], inFlight[u])
		maxTotal = max(maxTotal, total)
		mu.Unlock()
		time.Sleep(3 * time.Millisecond)
		mu.Lock()
		inFlight[u]--
		total--
		mu.Unlock()
		if n == 7 { // one transient failure
			http.Error(w, `{"__type":"InternalErrorException"}`, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, `{"AuthenticationResult":{"AccessToken":"%s-%d","IdToken":"x","RefreshToken":"r-%d"}}`, u, n, n)
	}))
	defer srv.Close()
	var names []string
	for i := range 60 {
		names = append(names, []string{"ann", "bob", "ann", "ann", "cy"}[i%5])
	}
	m := &minter{cl: newClient(srv.URL, 16), mode: mintPassword, clientID: "c"}
	out, err := mintSessions(context.Background(), m, names, 16, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(names) {
		t.Fatalf("%d sessions for %d names", len(out), len(names))
	}
	for i, s := range out {
		if !strings.HasPrefix(s.accessToken, names[i]+"-") || s.refreshToken == "" {
			t.Fatalf("session %d is %+v, want one of %s", i, s, names[i])
		}
	}
	for u, n := range maxPerUser {
		if n > maxInFlightPerUser {
			t.Errorf("%s: %d sign-ins in flight at once", u, n)
		}
	}
	if maxTotal <= maxInFlightPerUser {
		t.Errorf("at most %d sign-ins in flight in all: the users were not signed in in parallel", maxTotal)
	}
	if calls != len(names)+1 {
		t.Errorf("%d calls for %d sign-ins and one retry", calls, len(names))
	}
	for in, want := range map[string]mintMode{"srp": mintSRP, "password": mintPassword} {
		if got, err := parseMint(in); err != nil || got != want {
			t.Errorf("parseMint(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := parseMint("admin"); err == nil {
		t.Error("parseMint(admin) accepted")
	}
}
