package userpool_test

import (
	"context"
	"testing"

	"github.com/cognate-dev/cognate/store"
	"github.com/cognate-dev/cognate/userpool"
)

// TestPoolForHost: which Host headers name a pool's domain, and that the
// public URL's host and IP literals cost no store read.
func TestPoolForHost(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.CreateUserPoolDomain(e.ctx(), userpool.DomainInput{PoolID: e.pool, Domain: "myprefix"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateUserPoolDomain(e.ctx(), userpool.DomainInput{PoolID: e.pool, Domain: "auth.example.com", Custom: true,
		CertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc"}); err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"myprefix.auth.us-east-1.amazoncognito.com":     true,
		"MyPrefix.auth.us-east-1.amazoncognito.com:443": true,
		"myprefix.auth.us-east-1.amazoncognito.com.":    true,
		"auth.example.com":                              true,
		"auth.example.com:8443":                         true,
		"myprefix.auth.eu-west-1.amazoncognito.com":     false, // another region
		"myprefix": false, // a prefix is no host
		"auth.example.com.auth.us-east-1.amazoncognito.com": false,
		"other.example.com": false,
		"127.0.0.1:9229":    false,
		"localhost:9229":    false,
		"idp.example.com":   false, // the public URL's host
	} {
		pool, ok, err := e.svc.PoolForHost(e.ctx(), host)
		if err != nil || ok != want || (ok && pool != e.pool) {
			t.Errorf("PoolForHost(%q) = %q, %v, %v; want ok=%v", host, pool, ok, err, want)
		}
	}
	if calls := e.st.take(); calls["GetDomain"] == 0 {
		t.Fatalf("domain lookups are not counted: %v", calls)
	}
	for _, host := range []string{"127.0.0.1", "[::1]:80", "localhost", "idp.example.com:443"} {
		if _, _, err := e.svc.PoolForHost(e.ctx(), host); err != nil {
			t.Fatal(err)
		}
	}
	if calls := e.st.take(); len(calls) != 0 {
		t.Errorf("PoolForHost of hosts that are never domains read the store: %v", calls)
	}
}

// GetDomain counts the domain reads of host routing.
func (s *countingStore) GetDomain(ctx context.Context, name string) (*store.Domain, error) {
	s.count("GetDomain")
	return s.Store.GetDomain(ctx, name)
}
