package verify

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// The benchmarks verify a real access token of a real server, next to the
// raw RS256 check (SHA-256 and RSA-2048 PKCS#1 v1.5) in the same run:
//
//	go test -run '^$' -bench . -benchmem ./verify/
func benchSetup(b *testing.B) (env, tokens, *Verifier) {
	b.Helper()
	e := newEnv(b)
	tok := e.signIn(b)
	v := e.newVerifier(b, Config{Feed: FeedRequired, Logger: discardLogger()})
	waitFollowing(b, v)
	mustVerify(b, v, tok.access)
	return e, tok, v
}

func BenchmarkRawRS256(b *testing.B) {
	_, tok, v := benchSetup(b)
	t, _ := splitJWS(tok.access)
	kid, _ := parseHeader(t.header)
	pub, err := v.jwks.key(context.Background(), kid)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := verifyRS256(t, pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyUncached: every check, the signature cache emptied before
// each call.
func BenchmarkVerifyUncached(b *testing.B) {
	_, tok, v := benchSetup(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		v.cache.reset()
		if _, err := v.Verify(ctx, tok.access); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCached: a token verified before (the usual case: a client
// sends its token many times): a hash, a map hit, the revocation rule.
func BenchmarkVerifyCached(b *testing.B) {
	_, tok, v := benchSetup(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok.access); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCachedParallel(b *testing.B) {
	_, tok, v := benchSetup(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(ctx, tok.access); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifyCachedSignedOutUser: the user signed out once before this
// sign-in, so the rule compares generations (the family's from the lookup
// cache).
func BenchmarkVerifyCachedSignedOutUser(b *testing.B) {
	e, old, v := benchSetup(b)
	if _, err := e.srv.Admin.GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: aws.String(old.access)}); err != nil {
		b.Fatal(err)
	}
	eventually(b, v, old.access, ErrRevoked, revocationLimit)
	tok := e.signIn(b)
	mustVerify(b, v, tok.access)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok.access); err != nil {
			b.Fatal(err)
		}
	}
}
