package verify

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/cognate-dev/cognate/internal/faultproxy"
)

// feedThrough returns an HTTP client that sends the feed's requests
// (paths with /revocations) through p and everything else straight on.
func feedThrough(p *faultproxy.Proxy) *http.Client {
	return feedThroughCounting(p, &countingTransport{})
}

// feedThroughCounting is feedThrough, counting the feed's requests in c.
func feedThroughCounting(p *faultproxy.Proxy, c *countingTransport) *http.Client {
	c.next = &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, p.Addr())
	}}
	return &http.Client{Transport: splitTransport{feed: c, rest: http.DefaultTransport}}
}

type splitTransport struct{ feed, rest http.RoundTripper }

func (s splitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "/revocations") {
		return s.feed.RoundTrip(r)
	}
	return s.rest.RoundTrip(r)
}
