package verify

import "errors"

// Sentinel errors, wrapped by every error Verify returns. None of them ever
// carries any part of a token, so they are safe to log.
var (
	// ErrMissing: no token was presented (Middleware only).
	ErrMissing = errors.New("verify: no bearer token")
	// ErrMalformed: not a compact JWS with a JSON header and claims of the
	// expected types, or too large.
	ErrMalformed = errors.New("verify: malformed token")
	// ErrSignature: the algorithm is not RS256, the kid is not in the
	// issuer's JWKS, or the signature does not verify.
	ErrSignature = errors.New("verify: invalid signature")
	// ErrIssuer: the token was issued by another pool or server.
	ErrIssuer = errors.New("verify: wrong issuer")
	// ErrTokenUse: an access token where an ID token is wanted, or the reverse.
	ErrTokenUse = errors.New("verify: wrong token use")
	// ErrClient: the token's client_id (access) or aud (ID) is not an allowed app client.
	ErrClient = errors.New("verify: wrong app client")
	// ErrExpired: exp is past, beyond the leeway.
	ErrExpired = errors.New("verify: token expired")
	// ErrNotYetValid: nbf or iat is in the future, beyond the leeway.
	ErrNotYetValid = errors.New("verify: token not yet valid")
	// ErrRevoked: the revocation feed says the token is revoked.
	ErrRevoked = errors.New("verify: token revoked")
	// ErrStale: the verifier cannot tell whether the token is revoked: its
	// view of the feed is older than Config.MaxStaleness, the first snapshot
	// has not arrived (FeedRequired), or a family lookup failed.
	ErrStale = errors.New("verify: revocation state unavailable")
	// ErrUnavailable: the issuer's JWKS could not be fetched.
	ErrUnavailable = errors.New("verify: signing keys unavailable")
	// ErrScope: an authentic token lacks a scope or group the route requires
	// (Middleware only).
	ErrScope = errors.New("verify: insufficient scope")
	// ErrClosed: Verify was called after Close.
	ErrClosed = errors.New("verify: verifier closed")
)
