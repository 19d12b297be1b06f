-- The OIDC nonce of an authorization request, echoed in the ID token.
ALTER TABLE auth_codes ADD COLUMN nonce TEXT NOT NULL DEFAULT '';
