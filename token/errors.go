package token

import (
	"errors"
	"fmt"
)

// Sentinel errors returned (wrapped) by Verify, OpenRefresh and friends. Test
// for them with errors.Is. No error produced by this package ever contains any
// part of the token it was given, so errors are safe to log.
var (
	// ErrMalformed: the input is not a well-formed token of the expected shape
	// (wrong segment count, bad base64url, bad JSON, too large, or, for refresh
	// tokens, anything that does not authenticate).
	ErrMalformed = errors.New("token: malformed")
	// ErrSignature: the JWS signature does not verify, the algorithm is not
	// RS256, or the kid is unknown.
	ErrSignature = errors.New("token: invalid signature")
	// ErrExpired: the token is authentic but exp <= now.
	ErrExpired = errors.New("token: expired")
	// ErrWrongUse: an authentic token of another kind (for example an ID token
	// where an access token is wanted).
	ErrWrongUse = errors.New("token: wrong token use")
	// ErrIssuer: an authentic token whose iss is not this key set's issuer.
	ErrIssuer = errors.New("token: wrong issuer")
)

// Wrapped errors are built once so that rejecting hostile input allocates
// nothing and every message is a fixed string (never token content).
var (
	errTooLarge      = fmt.Errorf("%w: token too large", ErrMalformed)
	errSegments      = fmt.Errorf("%w: wrong number of segments", ErrMalformed)
	errHeaderB64     = fmt.Errorf("%w: header is not base64url", ErrMalformed)
	errHeaderJSON    = fmt.Errorf("%w: header is not a JSON object", ErrMalformed)
	errHeaderCrit    = fmt.Errorf("%w: critical header parameters are not supported", ErrMalformed)
	errPayloadB64    = fmt.Errorf("%w: payload is not base64url", ErrMalformed)
	errClaimsJSON    = fmt.Errorf("%w: claims are not a valid JSON object", ErrMalformed)
	errAlg           = fmt.Errorf("%w: algorithm is not RS256", ErrSignature)
	errKid           = fmt.Errorf("%w: unknown key id", ErrSignature)
	errSigEncoding   = fmt.Errorf("%w: signature is not canonical base64url", ErrSignature)
	errSigVerify     = fmt.Errorf("%w: signature does not verify", ErrSignature)
	errKeyUse        = fmt.Errorf("%w: signed with a key of another use", ErrWrongUse)
	errTokenUse      = fmt.Errorf("%w: token_use claim does not match", ErrWrongUse)
	errWantUse       = fmt.Errorf("%w: wanted use must be %q or %q", ErrWrongUse, UseAccess, UseID)
	errIssuerClaim   = fmt.Errorf("%w: iss claim does not match", ErrIssuer)
	errExpiredClaim  = fmt.Errorf("%w: exp is not after now", ErrExpired)
	errRefreshShape  = fmt.Errorf("%w: not a refresh token", ErrMalformed)
	errRefreshAuth   = fmt.Errorf("%w: refresh token does not authenticate", ErrMalformed)
	errRefreshHandle = fmt.Errorf("%w: refresh token payload is invalid", ErrMalformed)
)
