package userpool

import (
	"bytes"
	"testing"
	"time"
)

// RFC 6238 appendix B, SHA-1 (8 digits), and the 6-digit values they end
// with.
func TestTOTPVectors(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	} {
		step := uint64(totpStepAt(time.Unix(v.unix, 0)))
		if got := hotp(key, step, 8); got != v.want {
			t.Errorf("T=%d: %s, want %s", v.unix, got, v.want)
		}
		if got := hotp(key, step, 6); got != v.want[2:] {
			t.Errorf("T=%d (6 digits): %s, want %s", v.unix, got, v.want[2:])
		}
	}
}

func TestCheckTOTP(t *testing.T) {
	key := []byte("12345678901234567890")
	now := time.Unix(1234567890, 0)
	cur := totpStepAt(now)
	for d := int64(-2); d <= 2; d++ {
		code := hotp(key, uint64(cur+d), 6)
		step, ok, _ := checkTOTP(key, code, now, 0)
		if want := d >= -1 && d <= 1; ok != want || (ok && step != cur+d) {
			t.Errorf("skew %d: ok %v step %d", d, ok, step)
		}
	}
	code := hotp(key, uint64(cur), 6)
	if _, ok, replayed := checkTOTP(key, code, now, cur); ok || !replayed {
		t.Errorf("a used step: ok %v replayed %v", ok, replayed)
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok, _ := checkTOTP(key, bad, now, 0); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSealSecret(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	secret := []byte("0123456789abcdefghij")
	sealed, err := sealSecret(key, secret, []byte("sub-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed secret holds the clear secret")
	}
	got, err := openSecret(key, sealed, []byte("sub-1"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open: %q, %v", got, err)
	}
	if _, err := openSecret(key, sealed, []byte("sub-2")); err == nil {
		t.Fatal("opened under another user")
	}
	if n := len(totpEncoding.EncodeToString(secret)); n != 32 {
		t.Fatalf("secret code length %d, want 32", n)
	}
}
