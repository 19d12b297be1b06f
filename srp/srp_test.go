package srp

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustBig(t testing.TB, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatalf("bad hex %q", s)
	}
	return n
}

func mustBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestJSVectors checks both sides against transcripts of the real
// amazon-cognito-identity-js client (see jsvectors_test.go).
func TestJSVectors(t *testing.T) {
	for _, vec := range jsVectors {
		t.Run(vec.name, func(t *testing.T) {
			pool := PoolName(vec.poolID)
			salt := mustBytes(t, vec.saltRaw)
			wantKey := mustBytes(t, vec.key)
			secret, err := base64.StdEncoding.DecodeString(vec.secretBlock)
			if err != nil {
				t.Fatal(err)
			}

			v := Verifier(pool, vec.userIDForSRP, vec.password, salt)
			if v.Text(16) != vec.verifier {
				t.Fatalf("verifier mismatch:\n got %s\nwant %s", v.Text(16), vec.verifier)
			}
			if got := SaltHex(salt); got != vec.saltSent {
				t.Fatalf("SaltHex = %s, want %s", got, vec.saltSent)
			}

			srv := newServerWithB(v, mustBig(t, vec.smallB))
			if srv.BHex() != vec.srpB {
				t.Fatalf("B mismatch:\n got %s\nwant %s", srv.BHex(), vec.srpB)
			}
			cli := newClientWithA(mustBig(t, vec.smallA))
			if cli.A() != vec.srpA {
				t.Fatalf("A mismatch:\n got %s\nwant %s", cli.A(), vec.srpA)
			}

			// Server: the key the library derived, and its signature verifies.
			key, err := srv.Key(vec.srpA)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(key, wantKey) {
				t.Fatalf("server key %x, want %x", key, wantKey)
			}
			if !VerifySignature(key, pool, vec.userIDForSRP, secret, vec.timestamp, vec.signature) {
				t.Fatal("server rejects the library's signature")
			}
			// SRP_A in upper case or with leading zeros is the same number.
			for _, a := range []string{strings.ToUpper(vec.srpA), "0000" + vec.srpA} {
				if key, err := srv.Key(a); err != nil || !bytes.Equal(key, wantKey) {
					t.Fatalf("Key(%.12s...) = %x, %v", a, key, err)
				}
			}

			// Client: same key whether SALT comes padded or as the raw hex.
			for _, saltHex := range []string{vec.saltSent, vec.saltRaw} {
				key, err := cli.Key(pool, vec.userIDForSRP, vec.password, vec.srpB, saltHex)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(key, wantKey) {
					t.Fatalf("client key %x (SALT %s), want %x", key, saltHex, wantKey)
				}
			}
			if got := Signature(wantKey, pool, vec.userIDForSRP, secret, vec.timestamp); got != vec.signature {
				t.Fatalf("Signature = %s, want %s", got, vec.signature)
			}

			// The library's timestamp parses and formats back identically.
			ts, err := ParseTimestamp(vec.timestamp)
			if err != nil {
				t.Fatal(err)
			}
			if FormatTimestamp(ts) != vec.timestamp {
				t.Fatalf("FormatTimestamp(ParseTimestamp(%q)) = %q", vec.timestamp, FormatTimestamp(ts))
			}
		})
	}
}

// naive is a deliberately separate, string-based implementation written from
// the formulas, sharing no code with the package.
type naive struct{ n, g, k *big.Int }

const naiveN = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"

func newNaive() *naive {
	n, _ := new(big.Int).SetString(naiveN, 16)
	z := &naive{n: n, g: big.NewInt(2)}
	z.k = z.hexHashInt(z.padHex(z.n) + z.padHex(z.g))
	return z
}

func (z *naive) padHex(n *big.Int) string {
	s := n.Text(16)
	if len(s)%2 == 1 {
		s = "0" + s
	}
	if strings.ContainsRune("89abcdef", rune(s[0])) {
		s = "00" + s
	}
	return s
}

func (z *naive) hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func (z *naive) hexHashInt(hexStr string) *big.Int {
	b, err := hex.DecodeString(hexStr)
	if err != nil {
		panic(err)
	}
	n, _ := new(big.Int).SetString(z.hashHex(b), 16)
	return n
}

func (z *naive) x(pool, user, pw, saltHex string) *big.Int {
	salt, _ := new(big.Int).SetString(saltHex, 16)
	return z.hexHashInt(z.padHex(salt) + z.hashHex([]byte(pool+user+":"+pw)))
}

func (z *naive) hkdf(ikm, salt []byte) []byte {
	ext := hmac.New(sha256.New, salt)
	ext.Write(ikm)
	prk := ext.Sum(nil)
	exp := hmac.New(sha256.New, prk)
	exp.Write([]byte("Caldera Derived Key\x01"))
	return exp.Sum(nil)[:16]
}

func (z *naive) key(s, u *big.Int) []byte {
	ikm, _ := hex.DecodeString(z.padHex(s))
	salt, _ := hex.DecodeString(z.padHex(u))
	return z.hkdf(ikm, salt)
}

func (z *naive) mod(a *big.Int) *big.Int {
	return new(big.Int).Mod(a, z.n)
}

// run performs an exchange with fixed a and b and returns A, B, the client's
// key and the server's key.
func (z *naive) run(pool, user, pw, saltHex string, a, b *big.Int) (aHex, bHex string, ck, sk []byte) {
	x := z.x(pool, user, pw, saltHex)
	v := new(big.Int).Exp(z.g, x, z.n)
	A := new(big.Int).Exp(z.g, a, z.n)
	B := z.mod(new(big.Int).Add(new(big.Int).Mul(z.k, v), new(big.Int).Exp(z.g, b, z.n)))
	u := z.hexHashInt(z.padHex(A) + z.padHex(B))
	// client: (B - k*g^x)^(a + u*x)
	base := z.mod(new(big.Int).Sub(B, new(big.Int).Mul(z.k, new(big.Int).Exp(z.g, x, z.n))))
	cs := new(big.Int).Exp(base, new(big.Int).Add(a, new(big.Int).Mul(u, x)), z.n)
	// server: (A * v^u)^b
	ss := new(big.Int).Exp(z.mod(new(big.Int).Mul(A, new(big.Int).Exp(v, u, z.n))), b, z.n)
	return A.Text(16), B.Text(16), z.key(cs, u), z.key(ss, u)
}

func (z *naive) signature(key []byte, pool, user, secretB64, ts string) string {
	secret, _ := base64.StdEncoding.DecodeString(secretB64)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(pool + user))
	m.Write(secret)
	m.Write([]byte(ts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func seeded(seed string, n int) *big.Int {
	var out []byte
	for i := 0; len(out) < n; i++ {
		s := sha256.Sum256([]byte(fmt.Sprintf("%s:%d", seed, i)))
		out = append(out, s[:]...)
	}
	return new(big.Int).SetBytes(out[:n])
}

// TestIndependentVector compares the package with the naive implementation
// on fixed inputs, including the password claim signature.
func TestIndependentVector(t *testing.T) {
	z := newNaive()
	cases := []struct{ pool, user, pw, salt string }{
		{"AbC", "user-1", "Passw0rd!", "8f00112233445566778899aabbccddee"},
		{"AbC", "user-2", "x", "00112233445566778899aabbccddeeff"},
		{"XyZ123", "ünïcode", "密码🔑", "0000f0112233445566778899aabbccdd"},
		{"P", "u", "", "7f"},
	}
	for i, c := range cases {
		a := seeded(fmt.Sprintf("a%d", i), 128)
		b := seeded(fmt.Sprintf("b%d", i), 256)
		aHex, bHex, ck, sk := z.run(c.pool, c.user, c.pw, c.salt, a, b)
		if !bytes.Equal(ck, sk) {
			t.Fatalf("case %d: naive client and server disagree", i)
		}
		srv := newServerWithB(Verifier(c.pool, c.user, c.pw, mustBytes(t, c.salt)), b)
		cli := newClientWithA(a)
		if srv.BHex() != bHex || cli.A() != aHex {
			t.Fatalf("case %d: public values differ from the naive ones", i)
		}
		gotS, err := srv.Key(aHex)
		if err != nil {
			t.Fatal(err)
		}
		gotC, err := cli.Key(c.pool, c.user, c.pw, bHex, SaltHex(mustBytes(t, c.salt)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gotS, sk) || !bytes.Equal(gotC, ck) {
			t.Fatalf("case %d: keys %x / %x, naive %x", i, gotS, gotC, sk)
		}
		secret := base64.StdEncoding.EncodeToString(seeded(fmt.Sprintf("sb%d", i), 48).Bytes())
		ts := "Mon Nov 3 08:10:29 UTC 2026"
		want := z.signature(sk, c.pool, c.user, secret, ts)
		raw, _ := base64.StdEncoding.DecodeString(secret)
		if got := Signature(gotS, c.pool, c.user, raw, ts); got != want {
			t.Fatalf("case %d: Signature = %s, naive %s", i, got, want)
		}
		if !VerifySignature(gotS, c.pool, c.user, raw, ts, want) {
			t.Fatalf("case %d: VerifySignature rejects the naive signature", i)
		}
	}
	// k itself, as the JS clients compute it (hash of the decoded
	// concatenation of the hex strings).
	if groupK.Cmp(z.k) != 0 {
		t.Fatalf("k = %x, naive %x", groupK, z.k)
	}
}

// testSalts returns salts covering the encoding edge cases plus random ones.
func testSalts(t *testing.T, random int) [][]byte {
	salts := [][]byte{
		mustBytes(t, "ff00112233445566778899aabbccddee"), // high first nibble
		mustBytes(t, "80000000000000000000000000000000"),
		mustBytes(t, "00112233445566778899aabbccddeeff"), // leading zero byte
		mustBytes(t, "0000a0112233445566778899aabbccdd"), // zeros, then high nibble
		mustBytes(t, "000f0000000000000000000000000001"),
		make([]byte, 16), // all zero
		{0x05},
	}
	for range random {
		s, err := NewSalt()
		if err != nil {
			t.Fatal(err)
		}
		salts = append(salts, s)
	}
	return salts
}

func TestClientServerAgree(t *testing.T) {
	random := 40
	if testing.Short() {
		random = 5
	}
	z := newNaive()
	for i, salt := range testSalts(t, random) {
		pool := fmt.Sprintf("Pool%d", i)
		user := fmt.Sprintf("user-%d-%x", i, mrand.Uint64())
		pw := fmt.Sprintf("pw-%x-ü-%d", mrand.Uint64(), i)
		srv, err := NewServer(Verifier(pool, user, pw, salt))
		if err != nil {
			t.Fatal(err)
		}
		cli, err := NewClient()
		if err != nil {
			t.Fatal(err)
		}
		sk, err := srv.Key(cli.A())
		if err != nil {
			t.Fatal(err)
		}
		// Both the SALT the server sends and the raw hex (as a careless
		// server might send it) work for integer-parsing clients.
		for _, saltHex := range []string{SaltHex(salt), hex.EncodeToString(salt)} {
			ck, err := cli.Key(pool, user, pw, srv.BHex(), saltHex)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ck, sk) {
				t.Fatalf("salt %x (SALT %s): client key %x, server key %x", salt, saltHex, ck, sk)
			}
		}
		// SaltHex is already in padHex form, so clients that pad the SALT
		// string itself (pycognito) hash the same bytes.
		if sh := SaltHex(salt); z.padHex(mustBig(t, sh)) != sh {
			t.Fatalf("SaltHex(%x) = %s is not canonical", salt, sh)
		}
		ts := FormatTimestamp(time.Now())
		secret := []byte(fmt.Sprintf("secret-%d", i))
		sig := Signature(sk, pool, user, secret, ts)
		if !VerifySignature(sk, pool, user, secret, ts, sig) {
			t.Fatal("signature does not verify")
		}
	}
}

func TestSaltHex(t *testing.T) {
	for in, want := range map[string]string{
		"c3a1":     "00c3a1",
		"00c3a1":   "00c3a1",
		"005a1f":   "5a1f",
		"00000f01": "0f01",
		"0000":     "00",
		"":         "00",
		"7f":       "7f",
		"80":       "0080",
	} {
		if got := SaltHex(mustBytes(t, in)); got != want {
			t.Errorf("SaltHex(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestPadHexMatchesNaive(t *testing.T) {
	z := newNaive()
	vals := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(0x7f), big.NewInt(0x80), big.NewInt(0xf), big.NewInt(0x100), groupN, groupG}
	for range 200 {
		b := make([]byte, mrand.IntN(40))
		for i := range b {
			b[i] = byte(mrand.Uint32())
		}
		vals = append(vals, new(big.Int).SetBytes(b))
	}
	for _, v := range vals {
		if padHex(v) != z.padHex(v) {
			t.Fatalf("padHex(%x) = %s, naive %s", v, padHex(v), z.padHex(v))
		}
	}
}

func TestWrongPassword(t *testing.T) {
	salt := mustBytes(t, "9a00112233445566778899aabbccddee")
	srv, err := NewServer(Verifier("Pool", "user", "right password", salt))
	if err != nil {
		t.Fatal(err)
	}
	cli, err := NewClient()
	if err != nil {
		t.Fatal(err)
	}
	sk, err := srv.Key(cli.A())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ pool, user, pw string }{
		{"Pool", "user", "wrong password"},
		{"Pool", "user", "right passwor"},
		{"Pool", "other", "right password"},
		{"Pool2", "user", "right password"},
	} {
		ck, err := cli.Key(tc.pool, tc.user, tc.pw, srv.BHex(), SaltHex(salt))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(ck, sk) {
			t.Fatalf("%+v: same key as the right password", tc)
		}
		ts := FormatTimestamp(time.Now())
		sig := Signature(ck, tc.pool, tc.user, []byte("block"), ts)
		if VerifySignature(sk, "Pool", "user", []byte("block"), ts, sig) {
			t.Fatalf("%+v: signature verifies", tc)
		}
	}
}

func TestServerRefusesBadA(t *testing.T) {
	srv, err := NewServer(Verifier("P", "u", "p", []byte{1, 2, 3}))
	if err != nil {
		t.Fatal(err)
	}
	n := groupN.Text(16)
	bad := []string{
		"0", "00", "0000", n, strings.ToUpper(n), "00" + n,
		new(big.Int).Lsh(groupN, 1).Text(16),             // 2N
		new(big.Int).Mul(groupN, big.NewInt(5)).Text(16), // 5N
		"", "-1", "+1", "0x12", "12 34", "xyz", "1_0", "१२", // malformed
		strings.Repeat("1", maxHexLen+1), // oversized
	}
	for _, a := range bad {
		if key, err := srv.Key(a); !errors.Is(err, ErrInvalidA) || key != nil {
			t.Errorf("Key(%.20q) = %x, %v; want ErrInvalidA", a, key, err)
		}
	}
	// A = N+1 is not 0 mod N and is accepted.
	if _, err := srv.Key(new(big.Int).Add(groupN, big.NewInt(1)).Text(16)); err != nil {
		t.Errorf("Key(N+1): %v", err)
	}
}

func TestClientRefusesBadInput(t *testing.T) {
	cli, err := NewClient()
	if err != nil {
		t.Fatal(err)
	}
	n := groupN.Text(16)
	for _, b := range []string{"0", "00", n, new(big.Int).Lsh(groupN, 1).Text(16), "", "-5", "zz", strings.Repeat("a", maxHexLen+1)} {
		if key, err := cli.Key("P", "u", "p", b, "01"); !errors.Is(err, ErrInvalidB) || key != nil {
			t.Errorf("Key(B=%.20q) = %x, %v; want ErrInvalidB", b, key, err)
		}
	}
	for _, s := range []string{"", "0x01", "-1", "g0"} {
		if key, err := cli.Key("P", "u", "p", "1234", s); !errors.Is(err, ErrInvalidSalt) || key != nil {
			t.Errorf("Key(SALT=%q) = %x, %v; want ErrInvalidSalt", s, key, err)
		}
	}
}

func TestNewServerRefusesBadVerifier(t *testing.T) {
	for _, v := range []*big.Int{nil, big.NewInt(0), big.NewInt(-1), groupN} {
		if _, err := NewServer(v); err == nil {
			t.Errorf("NewServer(%v) succeeded", v)
		}
	}
}

func TestBIsACopy(t *testing.T) {
	srv, err := NewServer(Verifier("P", "u", "p", []byte{0x80, 1}))
	if err != nil {
		t.Fatal(err)
	}
	srv.B().SetInt64(0)
	if srv.B().Sign() == 0 {
		t.Fatal("B() exposes internal state")
	}
}

func TestPoolName(t *testing.T) {
	for in, want := range map[string]string{
		"us-east-1_AbC":     "AbC",
		"eu-west-1_xY12zZ":  "xY12zZ",
		"local_a_b":         "a",
		"nounderscore":      "nounderscore",
		"us-east-1_":        "",
		"_lead":             "lead",
		"ap-southeast-2_Ab": "Ab",
	} {
		if got := PoolName(in); got != want {
			t.Errorf("PoolName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewSalt(t *testing.T) {
	a, err := NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 16 || len(b) != 16 || bytes.Equal(a, b) {
		t.Fatalf("NewSalt: %x %x", a, b)
	}
}

func TestVerifySignatureMalformed(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 16)
	ts := "Mon Nov 3 08:10:29 UTC 2026"
	sig := Signature(key, "P", "u", []byte{1, 2}, ts)
	if !VerifySignature(key, "P", "u", []byte{1, 2}, ts, sig) {
		t.Fatal("good signature rejected")
	}
	raw, _ := base64.StdEncoding.DecodeString(sig)
	for _, s := range []string{
		"", "!!!!", sig[:len(sig)-1], sig + "A", strings.TrimRight(sig, "="),
		base64.StdEncoding.EncodeToString(raw[:31]),
		base64.URLEncoding.EncodeToString(append(raw, 0)),
	} {
		if VerifySignature(key, "P", "u", []byte{1, 2}, ts, s) {
			t.Errorf("VerifySignature accepted %q", s)
		}
	}
	// Every input is covered by the MAC.
	for _, alt := range []func() bool{
		func() bool { return VerifySignature(key[:15], "P", "u", []byte{1, 2}, ts, sig) },
		func() bool { return VerifySignature(key, "Q", "u", []byte{1, 2}, ts, sig) },
		func() bool { return VerifySignature(key, "P", "v", []byte{1, 2}, ts, sig) },
		func() bool { return VerifySignature(key, "P", "u", []byte{1, 3}, ts, sig) },
		func() bool { return VerifySignature(key, "P", "u", []byte{1, 2}, ts+" ", sig) },
	} {
		if alt() {
			t.Error("signature verifies with a changed input")
		}
	}
}

func TestTimestamp(t *testing.T) {
	cases := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 3, 8, 10, 29, 0, time.UTC), "Tue Nov 3 08:10:29 UTC 2026"},
		{time.Date(2026, 11, 23, 8, 10, 29, 0, time.UTC), "Mon Nov 23 08:10:29 UTC 2026"},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "Fri Jan 1 00:00:00 UTC 2027"},
		{time.Date(2026, 2, 9, 23, 59, 59, 999_999_999, time.UTC), "Mon Feb 9 23:59:59 UTC 2026"},
		// Converted to UTC: 01:30 on the 1st in UTC+2 is 23:30 the day before.
		{time.Date(2026, 3, 1, 1, 30, 0, 0, time.FixedZone("X", 2*3600)), "Sat Feb 28 23:30:00 UTC 2026"},
	}
	for _, c := range cases {
		if got := FormatTimestamp(c.t); got != c.want {
			t.Errorf("FormatTimestamp(%v) = %q, want %q", c.t, got, c.want)
		}
		p, err := ParseTimestamp(c.want)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Equal(c.t.Truncate(time.Second)) || p.Location() != time.UTC {
			t.Errorf("ParseTimestamp(%q) = %v", c.want, p)
		}
	}
	want := time.Date(2026, 11, 3, 8, 10, 29, 0, time.UTC)
	for _, s := range []string{
		"Tue Nov 3 08:10:29 UTC 2026",
		"Tue Nov 03 08:10:29 UTC 2026",
		"Tue Nov  3 08:10:29 UTC 2026",
		"Mon Nov 3 08:10:29 UTC 2026", // wrong weekday is tolerated, as in Java's lenient parsing
	} {
		p, err := ParseTimestamp(s)
		if err != nil || !p.Equal(want) {
			t.Errorf("ParseTimestamp(%q) = %v, %v", s, p, err)
		}
	}
	for _, s := range []string{
		"", "Tue Nov 3 08:10:29 GMT 2026", "Tue Nov 3 08:10:29 2026", "Tue Nov 3 8:10:29 UTC 2026x",
		"Tue Nov 3 08:10:29 UTC 2026 ", "Tue Nov 32 08:10:29 UTC 2026", "2026-11-03T08:10:29Z",
		"Xyz Nov 3 08:10:29 UTC 2026",
	} {
		if _, err := ParseTimestamp(s); err == nil {
			t.Errorf("ParseTimestamp(%q) succeeded", s)
		}
	}
	// Round trip over random instants.
	for range 1000 {
		tm := time.Unix(mrand.Int64N(4_102_444_800), 0).UTC() // 1970..2100
		s := FormatTimestamp(tm)
		p, err := ParseTimestamp(s)
		if err != nil || !p.Equal(tm) {
			t.Fatalf("round trip %v -> %q -> %v, %v", tm, s, p, err)
		}
		if strings.Contains(s, "  ") || strings.Contains(s, " 0"+fmt.Sprint(tm.Day())+" ") {
			t.Fatalf("day is padded in %q", s)
		}
	}
}

// TestConcurrentUse exercises shared Server and Client values under -race.
func TestConcurrentUse(t *testing.T) {
	salt := []byte{0xde, 0xad}
	srv, err := NewServer(Verifier("P", "u", "pw", salt))
	if err != nil {
		t.Fatal(err)
	}
	cli, err := NewClient()
	if err != nil {
		t.Fatal(err)
	}
	want, err := srv.Key(cli.A())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			sk, err1 := srv.Key(cli.A())
			ck, err2 := cli.Key("P", "u", "pw", srv.BHex(), SaltHex(salt))
			if err1 != nil || err2 != nil || !bytes.Equal(sk, want) || !bytes.Equal(ck, want) {
				t.Errorf("concurrent keys differ: %v %v", err1, err2)
			}
		})
	}
	wg.Wait()
}

func BenchmarkServerSignIn(b *testing.B) {
	salt := mustBytes(b, "c3a1f0e2d4b6a8091a2b3c4d5e6f7081")
	v := Verifier("Pool", "user", "password", salt)
	cli, err := NewClient()
	if err != nil {
		b.Fatal(err)
	}
	ts := FormatTimestamp(time.Now())
	secret := []byte("secret block")
	// A well-formed but wrong claim: verifying it costs the same as verifying
	// a right one (decode, HMAC, constant-time compare).
	claim := base64.StdEncoding.EncodeToString(make([]byte, sha256.Size))
	for b.Loop() {
		srv, err := NewServer(v)
		if err != nil {
			b.Fatal(err)
		}
		key, err := srv.Key(cli.A())
		if err != nil {
			b.Fatal(err)
		}
		if VerifySignature(key, "Pool", "user", secret, ts, claim) {
			b.Fatal("bogus signature verified")
		}
	}
}

func BenchmarkVerifier(b *testing.B) {
	salt := mustBytes(b, "c3a1f0e2d4b6a8091a2b3c4d5e6f7081")
	for b.Loop() {
		Verifier("Pool", "user", "password", salt)
	}
}

func BenchmarkClientKey(b *testing.B) {
	salt := mustBytes(b, "c3a1f0e2d4b6a8091a2b3c4d5e6f7081")
	srv, err := NewServer(Verifier("Pool", "user", "password", salt))
	if err != nil {
		b.Fatal(err)
	}
	cli, err := NewClient()
	if err != nil {
		b.Fatal(err)
	}
	bHex, saltHex := srv.BHex(), SaltHex(salt)
	for b.Loop() {
		if _, err := cli.Key("Pool", "user", "password", bHex, saltHex); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewClient(b *testing.B) {
	for b.Loop() {
		if _, err := NewClient(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDecoyVerifier(t *testing.T) {
	a, b := DecoyVerifier([]byte("seed-a")), DecoyVerifier([]byte("seed-b"))
	if a.Cmp(DecoyVerifier([]byte("seed-a"))) != 0 {
		t.Fatal("DecoyVerifier is not deterministic")
	}
	if a.Cmp(b) == 0 {
		t.Fatal("two seeds gave one decoy")
	}
	for _, v := range []*big.Int{a, b} {
		if v.Cmp(big.NewInt(2)) < 0 || v.Cmp(groupN) >= 0 {
			t.Fatalf("decoy %x is out of [2, N)", v)
		}
		// A server works with it as with a real verifier.
		srv, err := NewServer(v)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := NewClient()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Key(cl.A()); err != nil {
			t.Fatalf("Key with a decoy verifier: %v", err)
		}
	}
}
