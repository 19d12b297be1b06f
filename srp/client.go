package srp

import "math/big"

// Client is the SDK's side of one SRP exchange: it holds the secret
// ephemeral a and the public A. Create one per sign-in attempt with
// [NewClient], send [Client.A] as SRP_A, then derive the key from the
// PASSWORD_VERIFIER challenge with [Client.Key].
//
// A Client is safe for concurrent use; its methods do not modify it.
type Client struct {
	a, bigA *big.Int
}

// NewClient draws a random a and computes A = g^a mod N, drawing again in the
// (astronomically unlikely) case A mod N == 0.
func NewClient() (*Client, error) {
	for {
		a, err := randomExponent()
		if err != nil {
			return nil, err
		}
		if c := newClientWithA(a); c != nil {
			return c, nil
		}
	}
}

// newClientWithA builds a client from a chosen a; it returns nil when
// A mod N == 0.
func newClientWithA(a *big.Int) *Client {
	bigA := new(big.Int).Exp(groupG, a, groupN)
	if bigA.Sign() == 0 {
		return nil
	}
	return &Client{a: new(big.Int).Set(a), bigA: bigA}
}

// A returns the SRP_A authentication parameter: A in lowercase hex without
// padding, as amazon-cognito-identity-js and Amplify send it
// (A.toString(16)).
func (c *Client) A() string {
	return c.bigA.Text(16)
}

// Key derives the 16-byte session key from the server's challenge
// parameters SRP_B (bHex) and SALT (saltHex), both read as hex integers, and
// the user's credentials. poolName is [PoolName] of the pool id and
// userIDForSRP is the USER_ID_FOR_SRP challenge parameter. It refuses a
// malformed B or B mod N == 0 (ErrInvalidB), a malformed salt
// (ErrInvalidSalt) and u == 0 (ErrZeroU).
func (c *Client) Key(poolName, userIDForSRP, password, bHex, saltHex string) ([]byte, error) {
	b, ok := parseHex(bHex)
	if !ok {
		return nil, ErrInvalidB
	}
	bModN := new(big.Int).Mod(b, groupN)
	if bModN.Sign() == 0 {
		return nil, ErrInvalidB
	}
	salt, ok := parseHex(saltHex)
	if !ok {
		return nil, ErrInvalidSalt
	}
	u, err := computeU(c.bigA, b)
	if err != nil {
		return nil, err
	}
	x := computeX(poolName, userIDForSRP, password, salt)
	// base = (B - k*g^x) mod N, kept non-negative.
	base := new(big.Int).Exp(groupG, x, groupN)
	base.Mul(base, groupK)
	base.Sub(bModN, base)
	base.Mod(base, groupN)
	// exp = a + u*x
	exp := new(big.Int).Mul(u, x)
	exp.Add(exp, c.a)
	sv := new(big.Int).Exp(base, exp, groupN)
	return deriveKey(sv, u), nil
}
