-- Hardening: optimistic concurrency on users, one-time codes in their own
-- table with attempt counts, and what the janitor needs to delete dead
-- token families.

-- UpdateUser is a compare-and-set on version; BumpSignOutGen increments it too.
ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
-- When sign_out_gen last moved: families it ended can be purged once every
-- access token they minted has expired.
ALTER TABLE users ADD COLUMN signed_out_at INTEGER;
CREATE INDEX users_signed_out ON users (signed_out_at) WHERE signed_out_at IS NOT NULL;

-- One-time codes, at most one per user and purpose.
CREATE TABLE codes (
    pool_id    TEXT    NOT NULL,
    user_sub   TEXT    NOT NULL,
    purpose    TEXT    NOT NULL,
    code       TEXT    NOT NULL,
    data       BLOB,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER,
    expires_at INTEGER,
    PRIMARY KEY (pool_id, user_sub, purpose),
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE ON UPDATE CASCADE
) WITHOUT ROWID;
CREATE INDEX codes_expiry ON codes (expires_at);

-- Pending sign-up codes move to the codes table; code_expires_at keeps only
-- the temporary-password deadline.
INSERT INTO codes (pool_id, user_sub, purpose, code, attempts, created_at, expires_at)
    SELECT pool_id, sub, 'signup', code, 0, updated_at, code_expires_at
    FROM users WHERE status = 'UNCONFIRMED' AND code != '';
UPDATE users SET code_expires_at = NULL WHERE status != 'FORCE_CHANGE_PASSWORD';
ALTER TABLE users RENAME COLUMN code_expires_at TO temp_password_expires_at;
ALTER TABLE users DROP COLUMN code;

-- The janitor finds dead families by expiry and by revocation time.
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
