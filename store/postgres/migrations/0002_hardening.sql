-- Cognate PostgreSQL schema, version 2: store/sqlite's migration 0006
-- (hardening), plus the throttle table that store/sqlite keeps in memory.
-- Optimistic concurrency on users, one-time codes in their own table with
-- attempt counts, and what the janitor needs to delete dead token families.
-- The conventions of 0001_init.sql hold.

-- UpdateUser is a compare-and-set on version; BumpSignOutGen increments it too.
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
-- When sign_out_gen last moved (NULL: never): the families it ended can be
-- purged once every access token they minted has expired.
ALTER TABLE users ADD COLUMN signed_out_at BIGINT;
CREATE INDEX users_signed_out ON users (signed_out_at) WHERE signed_out_at IS NOT NULL;

-- One-time codes (sign-up confirmation, password reset, attribute
-- verification), at most one per user and purpose. The primary key also
-- serves the foreign key's child side (DeleteUser's cascade, UpdateUser's
-- sub change); deleting the pool cascades through the users.
CREATE TABLE codes (
    pool_id    TEXT COLLATE "C" NOT NULL,
    user_sub   TEXT COLLATE "C" NOT NULL,
    purpose    TEXT COLLATE "C" NOT NULL,
    code       TEXT             NOT NULL,
    data       BYTEA,
    attempts   INTEGER          NOT NULL DEFAULT 0,
    created_at BIGINT,
    expires_at BIGINT,
    PRIMARY KEY (pool_id, user_sub, purpose),
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX codes_expiry ON codes (expires_at);

-- Pending sign-up codes move to the codes table; code_expires_at keeps only
-- the temporary-password deadline.
INSERT INTO codes (pool_id, user_sub, purpose, code, attempts, created_at, expires_at)
    SELECT pool_id, sub, 'signup', code, 0, updated_at, code_expires_at
    FROM users WHERE status = 'UNCONFIRMED' AND code <> '';
UPDATE users SET code_expires_at = NULL
    WHERE status <> 'FORCE_CHANGE_PASSWORD' AND code_expires_at IS NOT NULL;
ALTER TABLE users RENAME COLUMN code_expires_at TO temp_password_expires_at;
ALTER TABLE users DROP COLUMN code;

-- The janitor finds dead families by expiry and by revocation time (and, for
-- global sign-outs, through users_signed_out and sessions_user).
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

-- Sign-in throttle state, shared by every replica: UpdateThrottle locks a
-- key's row for its read-modify-write. The table is UNLOGGED on purpose:
-- store.Throttles need not be durable, so its writes (one per sign-in
-- attempt) generate no WAL. The price: PostgreSQL empties an unlogged table
-- after a crash (not after a clean shutdown), and standbys do not have its
-- contents, so a failover also starts every throttle afresh.
--
-- The key is BYTEA, not TEXT: throttle keys join their parts with NUL bytes
-- (user\x00pool\x00name), which TEXT refuses. Keys are stored as their
-- bytes, unencoded.
CREATE UNLOGGED TABLE throttles (
    key        BYTEA   NOT NULL PRIMARY KEY,
    count      INTEGER NOT NULL DEFAULT 0,
    until      BIGINT,
    since      BIGINT,
    updated_at BIGINT
);
-- PurgeThrottles deletes by age.
CREATE INDEX throttles_updated ON throttles (updated_at);
