-- Cognate PostgreSQL schema, version 9: store/sqlite's migration 0012
-- (each user's MFA settings, a document owned by userpool; NULL when the
-- user never set any). The conventions of 0001_init.sql hold.
ALTER TABLE users ADD COLUMN mfa BYTEA;
