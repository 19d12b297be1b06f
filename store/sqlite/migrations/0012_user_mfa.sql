-- Multi-factor authentication: each user's MFA settings (enabled factors,
-- the preferred one, the sealed software-token secret), a JSON document
-- owned by userpool; NULL when the user never set any.
ALTER TABLE users ADD COLUMN mfa BLOB;
