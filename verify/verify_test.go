package verify

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestVerifyAcceptsFreshTokens(t *testing.T) {
	e := newEnv(t)
	tok := e.signIn(t)
	v := e.newVerifier(t, Config{TokenUse: AnyToken, Feed: FeedOff})
	c := mustVerify(t, v, tok.access)
	if c.TokenUse != "access" || c.Username != "alice" || c.ClientID != e.client || c.Sub == "" ||
		c.OriginJTI == "" || !c.HasScope("aws.cognito.signin.user.admin") || c.ExpiresAt.Before(time.Now()) {
		t.Fatalf("access claims = %+v", c)
	}
	c = mustVerify(t, v, tok.id)
	if c.TokenUse != "id" || c.Username != "alice" || c.ClientID != e.client || c.Raw["email"] != "alice@example.com" {
		t.Fatalf("id claims = %+v", c)
	}
	// Cached: the same answer again.
	if c2 := mustVerify(t, v, tok.id); c2.Sub != c.Sub {
		t.Fatalf("cached claims differ: %+v", c2)
	}
}

func TestVerifyTokenUse(t *testing.T) {
	e := newEnv(t)
	tok := e.signIn(t)
	access := e.newVerifier(t, Config{Feed: FeedOff})
	if _, err := access.Verify(context.Background(), tok.id); !errors.Is(err, ErrTokenUse) {
		t.Fatalf("ID token to an access verifier: %v", err)
	}
	id := e.newVerifier(t, Config{TokenUse: IDTokens, Feed: FeedOff})
	if _, err := id.Verify(context.Background(), tok.access); !errors.Is(err, ErrTokenUse) {
		t.Fatalf("access token to an ID verifier: %v", err)
	}
	mustVerify(t, id, tok.id)
}

// forge re-signs header and claims with key (RS256) and returns the token.
func forge(t *testing.T, header, claims map[string]any, sign func(input string) []byte) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign(input))
}

func headerOf(t *testing.T, token string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestVerifyRefusesForgeries(t *testing.T) {
	e := newEnv(t)
	tok := e.signIn(t)
	v := e.newVerifier(t, Config{Feed: FeedOff})
	mustVerify(t, v, tok.access)
	hdr, claims := headerOf(t, tok.access), payloadOf(t, tok.access)
	kid := hdr["kid"].(string)

	// The issuer's public key, as an attacker reads it from the JWKS.
	resp, err := http.Get(e.issuer() + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	keys, err := parseJWKS(body)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(keys[kid])
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rs256 := func(k *rsa.PrivateKey) func(string) []byte {
		return func(in string) []byte {
			d := sha256.Sum256([]byte(in))
			sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
			if err != nil {
				t.Fatal(err)
			}
			return sig
		}
	}
	hs256 := func(key []byte) func(string) []byte {
		return func(in string) []byte { m := hmac.New(sha256.New, key); m.Write([]byte(in)); return m.Sum(nil) }
	}
	parts := strings.Split(tok.access, ".")
	elevated := map[string]any{}
	for k, val := range claims {
		elevated[k] = val
	}
	elevated["username"] = "root"
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(must(json.Marshal(elevated))) + "." + parts[2]

	cases := map[string]struct {
		token string
		want  error
	}{
		"alg none": {parts[0][:0] + base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"`+kid+`"}`)) +
			"." + parts[1] + ".", ErrMalformed},
		"alg none with a signature": {forge(t, map[string]any{"alg": "none", "kid": kid}, claims,
			func(string) []byte { return []byte("x") }), ErrSignature},
		"HS256 keyed with the public key (PEM)": {forge(t, map[string]any{"alg": "HS256", "kid": kid}, claims, hs256(pubPEM)), ErrSignature},
		"HS256 keyed with the public key (DER)": {forge(t, map[string]any{"alg": "HS256", "kid": kid}, claims, hs256(der)), ErrSignature},
		"RS256 with another key":                {forge(t, map[string]any{"alg": "RS256", "kid": kid}, claims, rs256(other)), ErrSignature},
		"RS256 with an unknown kid":             {forge(t, map[string]any{"alg": "RS256", "kid": "nope"}, claims, rs256(other)), ErrSignature},
		"RS512":                                 {forge(t, map[string]any{"alg": "RS512", "kid": kid}, claims, rs256(other)), ErrSignature},
		"tampered payload":                      {tampered, ErrSignature},
		"garbage":                               {"not.a.token", ErrMalformed},
		"two segments":                          {parts[0] + "." + parts[1], ErrMalformed},
		"crit header":                           {forge(t, map[string]any{"alg": "RS256", "kid": kid, "crit": []string{"exp"}}, claims, rs256(other)), ErrMalformed},
		"oversized":                             {strings.Repeat("a", MaxTokenSize+1), ErrMalformed},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tc.token)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %+v, %v; want %v", c, err, tc.want)
			}
			if strings.Contains(err.Error(), tc.token) || strings.Contains(err.Error(), parts[2]) {
				t.Fatalf("the error shows the token: %v", err)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestVerifyRefusesExpiredAndFutureTokens(t *testing.T) {
	e := newEnv(t)
	tok := e.signIn(t)
	clock := &settableClock{}
	v := e.newVerifier(t, Config{Feed: FeedOff, Now: clock.now, Leeway: 5 * time.Second})
	mustVerify(t, v, tok.access)
	// Cognito's default validity is an hour; the leeway is 5 s.
	clock.advance(time.Hour)
	mustVerify(t, v, tok.access)
	clock.advance(6 * time.Second)
	if _, err := v.Verify(context.Background(), tok.access); !errors.Is(err, ErrExpired) {
		t.Fatalf("an expired token (cached): %v", err)
	}
	fresh := e.newVerifier(t, Config{Feed: FeedOff, Now: clock.now, Leeway: 5 * time.Second})
	if _, err := fresh.Verify(context.Background(), tok.access); !errors.Is(err, ErrExpired) {
		t.Fatalf("an expired token: %v", err)
	}
	early := &settableClock{}
	early.advance(-time.Minute)
	past := e.newVerifier(t, Config{Feed: FeedOff, Now: early.now, Leeway: 5 * time.Second})
	if _, err := past.Verify(context.Background(), tok.access); !errors.Is(err, ErrNotYetValid) {
		t.Fatalf("a token issued in the future: %v", err)
	}
}

func TestVerifyRefusesOtherPoolsAndClients(t *testing.T) {
	e := newEnv(t)
	other := newEnvOn(t, e.srv)
	v := e.newVerifier(t, Config{Feed: FeedOff})
	if _, err := v.Verify(context.Background(), other.signIn(t).access); !errors.Is(err, ErrSignature) && !errors.Is(err, ErrIssuer) {
		t.Fatalf("another pool's token: %v", err)
	}
	// A verifier of the other pool that knows its keys still refuses on iss.
	ov := other.newVerifier(t, Config{Feed: FeedOff, ClientIDs: []string{}})
	if _, err := ov.Verify(context.Background(), e.signIn(t).access); err == nil {
		t.Fatal("the other pool's verifier accepted this pool's token")
	}

	// Another app client of the same pool.
	second := e
	second.client = newClient(t, e)
	tok := second.signIn(t)
	if _, err := v.Verify(context.Background(), tok.access); !errors.Is(err, ErrClient) {
		t.Fatalf("another client's access token: %v", err)
	}
	idv := e.newVerifier(t, Config{Feed: FeedOff, TokenUse: IDTokens})
	if _, err := idv.Verify(context.Background(), tok.id); !errors.Is(err, ErrClient) {
		t.Fatalf("another client's ID token: %v", err)
	}
	anyClient := e.newVerifier(t, Config{Feed: FeedOff, ClientIDs: []string{}})
	mustVerify(t, anyClient, tok.access)
}

func TestVerifyUnknownKidRefetchIsRateLimited(t *testing.T) {
	e := newEnv(t)
	tok := e.signIn(t)
	counter := &countingTransport{}
	clock := &settableClock{}
	v := e.newVerifier(t, Config{Feed: FeedOff, Now: clock.now, HTTPClient: &http.Client{Transport: counter}})
	mustVerify(t, v, tok.access)
	if n := counter.count("/jwks.json"); n != 1 {
		t.Fatalf("%d JWKS fetches after the first Verify, want 1", n)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	claims := payloadOf(t, tok.access)
	unknown := func(kid string) string {
		return forge(t, map[string]any{"alg": "RS256", "kid": kid}, claims, func(in string) []byte {
			d := sha256.Sum256([]byte(in))
			sig, _ := rsa.SignPKCS1v15(rand.Reader, other, crypto.SHA256, d[:])
			return sig
		})
	}
	for i := range 20 {
		if _, err := v.Verify(context.Background(), unknown("kid-"+string(rune('a'+i)))); !errors.Is(err, ErrSignature) {
			t.Fatalf("unknown kid: %v", err)
		}
	}
	if n := counter.count("/jwks.json"); n != 1 {
		t.Fatalf("%d JWKS fetches within the interval, want 1", n)
	}
	clock.advance(DefaultJWKSInterval + time.Second)
	for range 5 {
		_, _ = v.Verify(context.Background(), unknown("another"))
	}
	if n := counter.count("/jwks.json"); n != 2 {
		t.Fatalf("%d JWKS fetches after the interval, want 2", n)
	}
}

func TestVerifyJWKSOnlyIssuer(t *testing.T) {
	// FeedOff, and FeedAuto on an issuer without a feed, check signatures only
	// and never ask for the feed.
	e := newEnv(t)
	tok := e.signIn(t)
	counter := &countingTransport{}
	v := e.newVerifier(t, Config{Feed: FeedOff, HTTPClient: &http.Client{Transport: counter}})
	mustVerify(t, v, tok.access)
	if n := counter.count("/revocations/snapshot"); n != 0 {
		t.Fatalf("FeedOff asked for the feed %d times", n)
	}
	// Amazon Cognito issuers have no feed: auto turns it off.
	cfg, err := Config{Issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC"}.normalize()
	if err != nil || cfg.Feed != FeedOff {
		t.Fatalf("an amazonaws.com issuer: feed %v, %v", cfg.Feed, err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no issuer":            {},
		"not a URL":            {Issuer: "us-east-1_AbC"},
		"secret without id":    {Issuer: "http://x/p", FeedClientSecret: "s"},
		"negative staleness":   {Issuer: "http://x/p", MaxStaleness: -1},
		"unknown token use":    {Issuer: "http://x/p", TokenUse: 7},
		"unknown feed setting": {Issuer: "http://x/p", Feed: 9},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}
