package clientip

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted, err := ParsePrefixes("10.0.0.0/8, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	r := New(trusted)
	for _, tc := range []struct {
		name, peer string
		header     http.Header
		want       string
	}{
		{"no proxy", "198.51.100.4:5555", nil, "198.51.100.4"},
		{"an untrusted peer's header is ignored", "198.51.100.4:5555",
			http.Header{"X-Forwarded-For": {"203.0.113.9"}}, "198.51.100.4"},
		{"a trusted proxy", "10.1.2.3:80", http.Header{"X-Forwarded-For": {"203.0.113.9"}}, "203.0.113.9"},
		{"a chain of trusted proxies", "10.1.2.3:80",
			http.Header{"X-Forwarded-For": {"1.2.3.4, 203.0.113.9, 192.0.2.7"}}, "203.0.113.9"},
		{"a forged first hop is not believed", "10.1.2.3:80",
			http.Header{"X-Forwarded-For": {"6.6.6.6", "203.0.113.9"}}, "203.0.113.9"},
		{"Forwarded wins over X-Forwarded-For", "10.1.2.3:80",
			http.Header{"Forwarded": {`for="[2001:db8::1]:443";proto=https`}, "X-Forwarded-For": {"6.6.6.6"}}, "2001:db8::1"},
		{"Forwarded with a port", "10.1.2.3:80", http.Header{"Forwarded": {"for=203.0.113.9:1234"}}, "203.0.113.9"},
		{"garbage stops the chain", "10.1.2.3:80", http.Header{"X-Forwarded-For": {"not-an-ip"}}, "10.1.2.3"},
		{"IPv4-mapped peers", "[::ffff:10.1.2.3]:80", http.Header{"X-Forwarded-For": {"203.0.113.9"}}, "203.0.113.9"},
	} {
		req := &http.Request{RemoteAddr: tc.peer, Header: tc.header}
		if req.Header == nil {
			req.Header = http.Header{}
		}
		if got := r.ClientIP(req); got != tc.want {
			t.Errorf("%s: ClientIP = %q, want %q", tc.name, got, tc.want)
		}
	}
	var none *Resolver
	if got := none.ClientIP(&http.Request{RemoteAddr: "10.1.2.3:80", Header: http.Header{"X-Forwarded-For": {"1.1.1.1"}}}); got != "10.1.2.3" {
		t.Errorf("nil resolver: %q", got)
	}
	if _, err := ParsePrefixes("10.0.0.0/8,nope"); err == nil {
		t.Error("ParsePrefixes accepted garbage")
	}
}

// FuzzClientIP: hostile forwarding headers never panic and always yield a
// parseable address (or the peer as given).
func FuzzClientIP(f *testing.F) {
	trusted, _ := ParsePrefixes("10.0.0.0/8,::1/128")
	r := New(trusted)
	f.Add("10.0.0.1:80", "203.0.113.9, 10.0.0.2", "")
	f.Add("[::1]:80", "", `for="[2001:db8::1]:443";by=x, for=unknown`)
	f.Fuzz(func(t *testing.T, peer, xff, fwd string) {
		h := http.Header{}
		if xff != "" {
			h.Set("X-Forwarded-For", xff)
		}
		if fwd != "" {
			h.Set("Forwarded", fwd)
		}
		got := r.ClientIP(&http.Request{RemoteAddr: peer, Header: h})
		if got != peer {
			if _, err := netip.ParseAddr(got); err != nil {
				t.Fatalf("ClientIP(%q, %q, %q) = %q, not an address", peer, xff, fwd, got)
			}
		}
	})
}
