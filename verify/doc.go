// Package verify checks Cognito-style access and ID tokens in a resource
// server: the RS256 signature against the issuer's JWKS, the issuer, the
// token use, the app client, the times, and — against Cognate — the
// revocation feed, so that a token revoked by RevokeToken, GlobalSignOut,
// AdminDisableUser, a password reset or a deleted user or app client is
// refused within a second.
//
// A Verifier imports no server package: it speaks only HTTP, as any resource
// server in any language could (docs/revocation-feed.md is the protocol).
//
//	v, err := verify.New(verify.Config{
//		Issuer:    "http://127.0.0.1:9229/us-east-1_LocalDev01",
//		ClientIDs: []string{"cognatedemowebclient000001"},
//	})
//	if err != nil { ... }
//	defer v.Close()
//	http.Handle("GET /hello", v.Middleware(hello, verify.RequireScopes("openid")))
//
// Errors returned by Verify wrap one of the sentinel errors below (test them
// with errors.Is) and never contain any part of the token.
package verify
