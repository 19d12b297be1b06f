package userpool

// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP):
// HMAC-SHA1, six digits, 30-second steps, as every authenticator app and
// Cognito's software tokens use them.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"time"
)

// TOTP parameters.
const (
	totpStep      = 30 * time.Second
	totpDigits    = 6
	totpSkew      = 1  // steps accepted either side of the current one
	totpSecretLen = 20 // bytes: 32 base32 characters
)

// totpEncoding is base32 without padding, as Cognito's SecretCode.
var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTOTPSecret returns a new random secret.
func newTOTPSecret() ([]byte, error) {
	b := make([]byte, totpSecretLen)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, nil
}

// hotp is RFC 4226's HOTP value of counter under key, with digits digits.
func hotp(key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	v %= mod
	out := make([]byte, digits)
	for i := digits - 1; i >= 0; i-- {
		out[i] = byte('0' + v%10)
		v /= 10
	}
	return string(out)
}

// totpStepAt is the time step of t.
func totpStepAt(t time.Time) int64 { return t.Unix() / int64(totpStep/time.Second) }

// checkTOTP looks for code among the steps around now (±totpSkew), newer
// than lastStep (a step is accepted only once), and returns the step it
// matched. replayed is true when the code matched only a used step. Every
// candidate is compared, in constant time.
func checkTOTP(secret []byte, code string, now time.Time, lastStep int64) (step int64, ok, replayed bool) {
	if len(code) != totpDigits {
		return 0, false, false
	}
	cur := totpStepAt(now)
	for s := cur - totpSkew; s <= cur+totpSkew; s++ {
		if s < 0 {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(hotp(secret, uint64(s), totpDigits)), []byte(code)) == 1 {
			if s <= lastStep {
				replayed = true
				continue
			}
			if !ok {
				step, ok = s, true
			}
		}
	}
	return step, ok, replayed && !ok
}

// sealSecret encrypts a software-token secret with AES-256-GCM under key,
// bound to the user (aad), so that the store never holds it in the clear.
func sealSecret(key, secret, aad []byte) ([]byte, error) {
	aead, err := secretAEAD(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, secret, aad), nil
}

// openSecret decrypts what sealSecret sealed.
func openSecret(key, sealed, aad []byte) ([]byte, error) {
	aead, err := secretAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("sealed secret too short")
	}
	return aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], aad)
}

func secretAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
