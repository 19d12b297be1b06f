package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// BenchmarkProxy: one GET through `cognate proxy`'s handler (verification
// with a cached signature, then the reverse proxy) against the same GET
// straight to the upstream, both over loopback with keep-alive:
//
//	go test -run '^$' -bench Proxy -benchmem ./cmd/cognate/
func BenchmarkProxy(b *testing.B) {
	e := newProxyEnv(b)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer upstream.Close()
	target, _ := url.Parse(upstream.URL)
	front := httptest.NewServer(proxyHandler(e.verifier(b), target, slog.New(slog.DiscardHandler)))
	defer front.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	get := func(b *testing.B, base string) {
		req, _ := http.NewRequest("GET", base+"/orders", nil)
		req.Header.Set("Authorization", "Bearer "+e.access)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			get(b, upstream.URL)
		}
	})
	b.Run("proxy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			get(b, front.URL)
		}
	})
}
