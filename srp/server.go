package srp

import (
	"fmt"
	"math/big"
)

// Server is the user pool's side of one SRP exchange. It holds the secret
// ephemeral b, the public B and the user's verifier v.
//
// It holds the secret b: derive the key as soon as A is known (Cognito's
// clients send A with InitiateAuth) and keep only the key, on the server.
//
// A Server is safe for concurrent use; its methods do not modify it.
type Server struct {
	b, bigB, v *big.Int
}

// NewServer starts an exchange for a user with the given verifier (see
// [Verifier]): it draws a random b and computes B = (k*v + g^b) mod N,
// drawing again in the (astronomically unlikely) case B mod N == 0.
func NewServer(verifier *big.Int) (*Server, error) {
	if verifier == nil || verifier.Sign() <= 0 || verifier.Cmp(groupN) >= 0 {
		return nil, fmt.Errorf("srp: verifier out of range")
	}
	for {
		b, err := randomExponent()
		if err != nil {
			return nil, err
		}
		if s := newServerWithB(verifier, b); s != nil {
			return s, nil
		}
	}
}

// newServerWithB builds a server from a chosen b; it returns nil when
// B mod N == 0.
func newServerWithB(v, b *big.Int) *Server {
	bigB := new(big.Int).Mul(groupK, v)
	bigB.Add(bigB, new(big.Int).Exp(groupG, b, groupN))
	bigB.Mod(bigB, groupN)
	if bigB.Sign() == 0 {
		return nil
	}
	return &Server{b: new(big.Int).Set(b), bigB: bigB, v: new(big.Int).Set(v)}
}

// B returns a copy of the server's public value B.
func (s *Server) B() *big.Int {
	return new(big.Int).Set(s.bigB)
}

// BHex returns B as the SRP_B challenge parameter: lowercase hex without
// padding.
func (s *Server) BHex() string {
	return s.bigB.Text(16)
}

// Key derives the 16-byte session key from the client's A, given as the hex
// string clients send as SRP_A (any case, leading zeros allowed, no sign or
// prefix). It refuses malformed input and A mod N == 0 with ErrInvalidA, and
// u == 0 with ErrZeroU. The client proves it holds the same key with the
// password claim signature; check it with [VerifySignature].
func (s *Server) Key(aHex string) ([]byte, error) {
	a, ok := parseHex(aHex)
	if !ok {
		return nil, ErrInvalidA
	}
	aModN := new(big.Int).Mod(a, groupN)
	if aModN.Sign() == 0 {
		return nil, ErrInvalidA
	}
	// u hashes A as the client sent (and hashed) it.
	u, err := computeU(a, s.bigB)
	if err != nil {
		return nil, err
	}
	// S = (A * v^u)^b mod N
	base := new(big.Int).Exp(s.v, u, groupN)
	base.Mul(base, aModN)
	base.Mod(base, groupN)
	sv := new(big.Int).Exp(base, s.b, groupN)
	return deriveKey(sv, u), nil
}
