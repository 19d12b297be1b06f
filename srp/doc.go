// Package srp implements the variant of SRP-6a that Amazon Cognito user pools
// use for the USER_SRP_AUTH flow, for both the server (the user pool) and the
// client (the SDK).
//
// The package is self-contained: it imports nothing from the rest of the
// repository, so that the server and the client SDK can share it.
//
// # Group and hash
//
// N is the 3072-bit prime of RFC 5054 (also RFC 3526 group 15) and g = 2.
// H is SHA-256. Whenever an integer is hashed it is first encoded with
// padHex: its big-endian magnitude as an even number of lowercase hex digits
// (at least "00"), with "00" prepended when the first nibble is 8 or more, so
// that the encoding reads as a positive two's-complement number. Hashing a
// concatenation of padHex strings means hashing the concatenation of the bytes
// they decode to, which is what the JavaScript clients
// (amazon-cognito-identity-js and Amplify) do.
//
//	k = H(padHex(N) || padHex(g))
//	x = H(padHex(salt) || hex(SHA-256(poolName || userIDForSRP || ":" || password)))
//	v = g^x mod N
//	B = (k*v + g^b) mod N                  (server)
//	A = g^a mod N                          (client)
//	u = H(padHex(A) || padHex(B))
//	S = (A * v^u)^b mod N                  (server)
//	S = (B - k*g^x)^(a + u*x) mod N        (client)
//	key = HKDF-SHA256(ikm = padHex(S), salt = padHex(u),
//	                  info = "Caldera Derived Key")[:16]
//
// poolName is the part of the user pool id after the underscore (see
// [PoolName]); userIDForSRP is the USER_ID_FOR_SRP challenge parameter.
//
// # Hex and salt conventions
//
// Clients parse SRP_B and SALT as big integers and send SRP_A as the
// unpadded lowercase hex of A (JavaScript's A.toString(16)). The salt enters x
// as padHex of the salt read as a big-endian integer, so leading zero bytes of
// the raw salt do not count and a salt whose first byte is 0x80 or more gets
// a "00" prefix. The server must therefore send SALT as [SaltHex] of the raw
// salt, which is exactly that padHex string: clients that parse SALT as an
// integer (amazon-cognito-identity-js, Amplify, this package's [Client]) and
// clients that pad the SALT string as they receive it (pycognito/warrant)
// then all hash the same bytes, and agree with [Verifier] computed from the
// raw salt bytes. The server sends SRP_B as [Server.BHex] (unpadded lowercase
// hex); [Server.Key] accepts SRP_A in any case, with or without leading zeros.
//
// # Password claim
//
// The client proves knowledge of the key with
//
//	PASSWORD_CLAIM_SIGNATURE = base64(HMAC-SHA256(key,
//	    poolName || userIDForSRP || base64decode(SECRET_BLOCK) || TIMESTAMP))
//
// where TIMESTAMP is formatted like "Mon Nov 3 08:10:29 UTC 2026" (see
// [FormatTimestamp]).
//
// # Side channels
//
// The arithmetic uses math/big, which is not constant time. Signature
// comparison is constant time.
package srp
