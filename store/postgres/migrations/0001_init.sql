-- Cognate PostgreSQL schema, version 1: store/sqlite's schema after its
-- migrations 0001 to 0005, in one step.
--
-- Conventions (keep them when adding migrations; they mirror store/sqlite's):
--   * times are Unix milliseconds (UTC) in BIGINT columns; NULL is the zero
--     time.
--   * opaque documents (settings, challenge data, key material) are BYTEA and
--     round-trip byte for byte. Never JSONB: it re-encodes documents.
--   * user attributes are a JSON object in a TEXT column, not JSONB (which
--     rejects \u0000 and reorders keys).
--   * every identifier column is TEXT COLLATE "C": byte order, which equals
--     Go's string ordering and SQLite's BINARY collation, whatever the
--     database's default collation. Parents and children use the same
--     collation, so foreign keys compare bytes too.
--   * children reference their parents with ON DELETE CASCADE, so deleting a
--     pool, a client or a user is one statement and therefore one
--     transaction. PostgreSQL does not index the referencing side of a
--     foreign key by itself: every such side has an index below.
--   * no schema names: the tables live in the first schema of the
--     connection's search_path.

CREATE TABLE pools (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name       TEXT             NOT NULL,
    settings   BYTEA,
    created_at BIGINT,
    updated_at BIGINT
);

CREATE TABLE clients (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    pool_id    TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    name       TEXT             NOT NULL,
    secret     TEXT             NOT NULL,
    settings   BYTEA,
    created_at BIGINT,
    updated_at BIGINT,
    -- Referenced by sessions and auth_codes; also serves ListClients.
    UNIQUE (pool_id, id)
);

CREATE TABLE users (
    pool_id         TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    username        TEXT COLLATE "C" NOT NULL,
    sub             TEXT COLLATE "C" NOT NULL,
    status          TEXT             NOT NULL,
    enabled         BOOLEAN          NOT NULL,
    attributes      TEXT             NOT NULL, -- JSON object of string to string
    password_hash   TEXT             NOT NULL,
    srp_salt        TEXT             NOT NULL,
    srp_verifier    TEXT             NOT NULL,
    code            TEXT             NOT NULL,
    code_expires_at BIGINT,
    sign_out_gen    BIGINT           NOT NULL DEFAULT 0,
    created_at      BIGINT,
    updated_at      BIGINT,
    PRIMARY KEY (pool_id, username),
    UNIQUE (pool_id, sub)
);

CREATE TABLE sessions (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    pool_id     TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    client_id   TEXT COLLATE "C" NOT NULL,
    user_sub    TEXT COLLATE "C" NOT NULL,
    username    TEXT COLLATE "C" NOT NULL,
    user_gen    BIGINT           NOT NULL,
    auth_time   BIGINT,
    created_at  BIGINT,
    last_used   BIGINT,
    expires_at  BIGINT,
    refresh_gen BIGINT           NOT NULL DEFAULT 0,
    rotated_at  BIGINT,
    revoked_at  BIGINT,
    revoked     TEXT             NOT NULL DEFAULT '',
    device_key  TEXT             NOT NULL DEFAULT '',
    scopes      TEXT             NOT NULL DEFAULT '',
    source      TEXT             NOT NULL DEFAULT '',
    FOREIGN KEY (pool_id, client_id) REFERENCES clients (pool_id, id) ON DELETE CASCADE,
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE ON UPDATE CASCADE
);

-- The child sides of the users and clients foreign keys (DeleteUser's and
-- DeleteClient's cascades, UpdateUser's sub change); the second also serves
-- DeletePool's.
CREATE INDEX sessions_user ON sessions (pool_id, user_sub);
CREATE INDEX sessions_client ON sessions (pool_id, client_id);

CREATE TABLE challenges (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    pool_id    TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    client_id  TEXT COLLATE "C" NOT NULL,
    username   TEXT COLLATE "C" NOT NULL,
    name       TEXT             NOT NULL,
    data       BYTEA,
    expires_at BIGINT
);

CREATE INDEX challenges_pool ON challenges (pool_id);
-- Abandoned challenges are purged by expiry.
CREATE INDEX challenges_expiry ON challenges (expires_at);

CREATE TABLE keys (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    pool_id    TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    key_use    TEXT             NOT NULL,
    private    BYTEA            NOT NULL,
    created_at BIGINT,
    retired_at BIGINT
);

-- ListKeys: oldest first, the zero time (NULL) oldest of all, as in SQLite.
CREATE INDEX keys_pool ON keys (pool_id, created_at NULLS FIRST, id);

-- Hosted UI: browser sessions (the login cookie) and authorization codes.
-- Both are keyed by a SHA-256 of the secret the browser or the client holds;
-- the secret itself is never stored.

CREATE TABLE web_sessions (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    pool_id    TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    user_sub   TEXT COLLATE "C" NOT NULL,
    user_gen   BIGINT           NOT NULL,
    created_at BIGINT,
    expires_at BIGINT,
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX web_sessions_user ON web_sessions (pool_id, user_sub);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

CREATE TABLE auth_codes (
    id                    TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    pool_id               TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    client_id             TEXT COLLATE "C" NOT NULL,
    user_sub              TEXT COLLATE "C" NOT NULL,
    user_gen              BIGINT           NOT NULL,
    redirect_uri          TEXT             NOT NULL,
    scopes                TEXT             NOT NULL,
    code_challenge        TEXT             NOT NULL,
    code_challenge_method TEXT             NOT NULL,
    auth_time             BIGINT,
    expires_at            BIGINT,
    nonce                 TEXT             NOT NULL DEFAULT '', -- the OIDC nonce, echoed in the ID token
    FOREIGN KEY (pool_id, client_id) REFERENCES clients (pool_id, id) ON DELETE CASCADE,
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX auth_codes_client ON auth_codes (pool_id, client_id);
CREATE INDEX auth_codes_user ON auth_codes (pool_id, user_sub);
CREATE INDEX auth_codes_expiry ON auth_codes (expires_at);

-- Redeemed authorization codes, kept until they would have expired, so that
-- a replayed code revokes the token family its first redemption started.
CREATE TABLE used_auth_codes (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    pool_id    TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    expires_at BIGINT
);

CREATE INDEX used_auth_codes_session ON used_auth_codes (session_id);
CREATE INDEX used_auth_codes_pool ON used_auth_codes (pool_id);
CREATE INDEX used_auth_codes_expiry ON used_auth_codes (expires_at);
