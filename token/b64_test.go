package token

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// strictRef is the reference decoder: encoding/base64 in strict mode, which
// still skips CR and LF, so those are refused separately.
func strictRef(s string) ([]byte, bool) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return b, err == nil
}

func checkB64(t *testing.T, s string) {
	t.Helper()
	want, wantOK := strictRef(s)
	got, ok := appendB64([]byte("prefix"), s)
	if ok != wantOK {
		t.Fatalf("%q: ok=%v, encoding/base64 says %v", s, ok, wantOK)
	}
	if ok && !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatalf("%q: got %x, want %x", s, got, want)
	}
}

func TestAppendB64(t *testing.T) {
	for n := range 40 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*37 + n)
		}
		enc := base64.RawURLEncoding.EncodeToString(b)
		checkB64(t, enc)
		if got, ok := appendB64(nil, enc); !ok || !bytes.Equal(got, b) {
			t.Errorf("round trip of %d bytes failed", n)
		}
		// Every non-canonical last character must be refused.
		if len(enc) > 0 {
			for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
				checkB64(t, enc[:len(enc)-1]+string(c))
			}
		}
	}
	for _, s := range []string{"", "A", "AA", "AAA", "AAAA", "AAAAA", "AB==", "AB", "AQ", "A+", "A/", "AA\n", "A\nA", "AA=", " AA", "AA\x00", "\xff\xff", "Zm9v", "Zm9", "Zm8"} {
		checkB64(t, s)
	}
	var exact [3]byte
	if !decodeB64Exact(exact[:], "Zm9v") || string(exact[:]) != "foo" {
		t.Error("decodeB64Exact(Zm9v)")
	}
	if decodeB64Exact(exact[:], "Zm8") || decodeB64Exact(exact[:], "Zm9vZm9v") {
		t.Error("decodeB64Exact accepted a wrong length")
	}
}

// FuzzB64: appendB64 agrees with encoding/base64's strict decoder.
func FuzzB64(f *testing.F) {
	for _, s := range []string{"", "Zm9v", "Zm9", "Zm8", "AB", "AQ", "A\nA", "_-_-"} {
		f.Add(s)
	}
	f.Fuzz(checkB64)
}
