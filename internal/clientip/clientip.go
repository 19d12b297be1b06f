// Package clientip tells the address of the client behind an HTTP request.
// Behind a load balancer or reverse proxy the TCP peer is the proxy; the
// client is named in X-Forwarded-For or Forwarded, headers any client can
// also send. They are believed only when the peer is a trusted proxy, and
// then only as far as the chain of trusted proxies goes: the client is the
// rightmost address that is not itself a trusted proxy.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds client addresses. The zero value trusts no proxy: the
// client is always the TCP peer.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that believes forwarding headers from peers in
// trusted.
func New(trusted []netip.Prefix) *Resolver { return &Resolver{trusted: trusted} }

// ParsePrefixes reads a comma-separated list of CIDR prefixes or single
// addresses (e.g. "10.0.0.0/8,192.0.2.7").
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("clientip: %q is neither an address nor a CIDR prefix", f)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("clientip: %q is neither an address nor a CIDR prefix", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (r *Resolver) isTrusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP returns the client's address for r, as text.
func (r *Resolver) ClientIP(req *http.Request) string {
	peer := peerAddr(req.RemoteAddr)
	if !peer.IsValid() {
		return req.RemoteAddr
	}
	if r == nil || !r.isTrusted(peer) {
		return peer.String()
	}
	hops := forwardedFor(req.Header)
	// Walk from the nearest hop back: the first address that is not a
	// trusted proxy is the client (addresses before it could be forged).
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			break // garbage: stop believing the chain here
		}
		client = a.Unmap()
		if !r.isTrusted(client) {
			break
		}
	}
	return client.String()
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// forwardedFor lists the hop addresses of the request, oldest first, from
// Forwarded (RFC 7239) when present, else X-Forwarded-For.
func forwardedFor(h http.Header) []string {
	var hops []string
	if fwd := h.Values("Forwarded"); len(fwd) > 0 {
		for _, line := range fwd {
			for _, elem := range strings.Split(line, ",") {
				for _, pair := range strings.Split(elem, ";") {
					k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if !ok || !strings.EqualFold(k, "for") {
						continue
					}
					v = strings.Trim(v, `"`)
					if strings.HasPrefix(v, "[") { // [2001:db8::1]:port
						if end := strings.Index(v, "]"); end > 0 {
							v = v[1:end]
						}
					} else if host, _, err := net.SplitHostPort(v); err == nil {
						v = host
					}
					hops = append(hops, v)
				}
			}
		}
		return hops
	}
	for _, line := range h.Values("X-Forwarded-For") {
		for _, a := range strings.Split(line, ",") {
			hops = append(hops, strings.TrimSpace(a))
		}
	}
	return hops
}
