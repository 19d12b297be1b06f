package userpool

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/cognate-dev/cognate/srp"
	"github.com/cognate-dev/cognate/store"
)

// HashParams are argon2id parameters. The zero value means DefaultHashParams.
type HashParams struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultHashParams follow OWASP's argon2id minimum (19 MiB, 2 passes).
var DefaultHashParams = HashParams{Time: 2, Memory: 19 * 1024, Threads: 1}

func (p HashParams) orDefault() HashParams {
	if p.Time == 0 || p.Memory == 0 || p.Threads == 0 {
		return DefaultHashParams
	}
	return p
}

// hashPassword returns a PHC-format argon2id hash.
func hashPassword(password string, p HashParams) (string, error) {
	p = p.orDefault()
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// checkPassword compares in constant time; a malformed hash never matches.
func checkPassword(password, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var p HashParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false
	}
	if p.Memory == 0 || p.Memory > 1<<22 || p.Time == 0 || p.Time > 64 || p.Threads == 0 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is a hash no password matches, made with the service's cost:
// an unknown user costs a password check too, so timing does not tell who
// exists.
type dummyHash struct {
	once sync.Once
	hash string
}

// dummyPasswordHash returns the service's dummy hash.
func (s *Service) dummyPasswordHash() string {
	s.dummy.once.Do(func() {
		h, err := hashPassword(randomHex(16), s.hashParams)
		if err == nil {
			s.dummy.hash = h
		}
	})
	return s.dummy.hash
}

// checkPasswordPolicy enforces the pool's password policy.
func checkPasswordPolicy(p *Pool, password string) error {
	if password == "" {
		return violation(Violation{Member: "password", Rule: RuleRequired})
	}
	if len(password) > 256 {
		return violation(Violation{Member: "password", Rule: RuleMaxLength, Max: 256})
	}
	pp := p.Config.Policies.PasswordPolicy
	const prefix = "Password does not conform to policy: "
	if utf8.RuneCountInString(password) < pp.MinimumLength {
		return errorf(KindWeakPassword, prefix+"Password not long enough")
	}
	has := func(f func(rune) bool) bool { return strings.IndexFunc(password, f) >= 0 }
	if pp.RequireLowercase && !has(unicode.IsLower) {
		return errorf(KindWeakPassword, prefix+"Password must have lowercase characters")
	}
	if pp.RequireUppercase && !has(unicode.IsUpper) {
		return errorf(KindWeakPassword, prefix+"Password must have uppercase characters")
	}
	if pp.RequireNumbers && !has(unicode.IsDigit) {
		return errorf(KindWeakPassword, prefix+"Password must have numeric characters")
	}
	if pp.RequireSymbols && !has(func(r rune) bool { return strings.ContainsRune("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-", r) || r == ' ' }) {
		return errorf(KindWeakPassword, prefix+"Password must have symbol characters")
	}
	return nil
}

// passwordSecrets are what the store keeps of a password: its argon2id
// hash and its SRP salt and verifier.
type passwordSecrets struct {
	hash, srpSalt, srpVerifier string
}

// secrets derives a password's secrets for a user (the SRP verifier binds
// the username), within the hash gate. It is slow: call it before reading
// the row it will be written to, never in between.
func (s *Service) secrets(ctx context.Context, poolID, username, password string) (passwordSecrets, error) {
	h, err := s.hash(ctx, password)
	if err != nil {
		return passwordSecrets{}, err
	}
	salt, err := srp.NewSalt()
	if err != nil {
		return passwordSecrets{}, fmt.Errorf("srp salt: %w", err)
	}
	v := srp.Verifier(srp.PoolName(poolID), username, password, salt)
	return passwordSecrets{hash: h, srpSalt: srp.SaltHex(salt), srpVerifier: encodeVerifier(v)}, nil
}

// apply sets the secrets on a user row.
func (p passwordSecrets) apply(u *store.User) {
	u.PasswordHash, u.SRPSalt, u.SRPVerifier = p.hash, p.srpSalt, p.srpVerifier
}

// verifierPrefix marks a base64 SRP verifier. Hex (the older form, still
// read) made a user row too long for one SQLite page, so every user read on
// the access-token hot path paid an overflow-page read.
const verifierPrefix = "b64:"

func encodeVerifier(v *big.Int) string {
	return verifierPrefix + base64.RawStdEncoding.EncodeToString(v.Bytes())
}

func decodeVerifier(s string) (*big.Int, bool) {
	if rest, ok := strings.CutPrefix(s, verifierPrefix); ok {
		b, err := base64.RawStdEncoding.DecodeString(rest)
		if err != nil || len(b) == 0 {
			return nil, false
		}
		return new(big.Int).SetBytes(b), true
	}
	return new(big.Int).SetString(s, 16)
}
