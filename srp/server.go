package srp

import (
	"encoding/binary"
	"fmt"
	"math/big"
)

// Server is the user pool's side of one SRP exchange. It holds the secret
// ephemeral b, the public B and the user's verifier v.
//
// Between InitiateAuth (which sends B) and RespondToAuthChallenge (which
// brings A and the password claim) the state can be persisted with
// [Server.Marshal] and restored with [UnmarshalServer]. The state contains the
// secret b: keep it on the server, or encrypt and authenticate it if it has
// to travel.
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

// stateVersion tags the Marshal format.
const stateVersion = 1

// Marshal serializes the server state (b, B and v) so that the exchange can
// be resumed by [UnmarshalServer]. The encoding is a version byte followed by
// b, B and v, each as a big-endian 16-bit length and that many big-endian
// bytes. The result contains the secret b.
func (s *Server) Marshal() []byte {
	out := []byte{stateVersion}
	for _, n := range []*big.Int{s.b, s.bigB, s.v} {
		nb := n.Bytes()
		out = binary.BigEndian.AppendUint16(out, uint16(len(nb)))
		out = append(out, nb...)
	}
	return out
}

// UnmarshalServer restores a server state produced by [Server.Marshal]. It
// checks the encoding and that every value is in range; errors wrap
// ErrInvalidState.
func UnmarshalServer(data []byte) (*Server, error) {
	if len(data) < 1 || data[0] != stateVersion {
		return nil, fmt.Errorf("%w: unknown version", ErrInvalidState)
	}
	rest := data[1:]
	var vals [3]*big.Int
	for i := range vals {
		if len(rest) < 2 {
			return nil, fmt.Errorf("%w: truncated", ErrInvalidState)
		}
		n := int(binary.BigEndian.Uint16(rest))
		rest = rest[2:]
		if n > len(rest) {
			return nil, fmt.Errorf("%w: truncated", ErrInvalidState)
		}
		vals[i] = new(big.Int).SetBytes(rest[:n])
		rest = rest[n:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: trailing data", ErrInvalidState)
	}
	for _, n := range vals {
		if n.Sign() == 0 || n.Cmp(groupN) >= 0 {
			return nil, fmt.Errorf("%w: value out of range", ErrInvalidState)
		}
	}
	return &Server{b: vals[0], bigB: vals[1], v: vals[2]}, nil
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
