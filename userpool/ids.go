package userpool

import (
	"crypto/rand"
	"math/big"

	"github.com/google/uuid"
)

const (
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	digits     = "0123456789"
)

// randomString draws n characters uniformly from alphabet with crypto/rand.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("userpool: crypto/rand failed: " + err.Error()) // the OS RNG failing is not recoverable
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// newPoolID makes an id shaped like Cognito's: <region>_<9 alphanumerics>.
func newPoolID(region string) string { return region + "_" + randomString(alnum, 9) }

// newClientID makes a 26-character lowercase alphanumeric client id.
func newClientID() string { return randomString(lowerAlnum, 26) }

// newClientSecret makes a 52-character secret, the length Cognito generates.
func newClientSecret() string { return randomString(lowerAlnum, 52) }

// newCode makes a 6-digit confirmation code.
func newCode() string { return randomString(digits, 6) }

func newUUID() string { return uuid.NewString() }
