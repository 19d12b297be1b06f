-- Cognate SQLite schema, version 1.
--
-- Conventions (keep them when adding migrations; store/postgres mirrors them):
--   * times are Unix milliseconds (UTC) in INTEGER columns; NULL is the zero time.
--   * opaque documents (settings, challenge data, key material) are BLOBs and
--     round-trip byte for byte.
--   * text ordering is SQLite's BINARY collation (byte order), which equals
--     Go's string ordering and PostgreSQL's COLLATE "C".
--   * children reference their parents with ON DELETE CASCADE, so deleting a
--     pool, a client or a user is one statement and therefore one transaction.

CREATE TABLE pools (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    settings   BLOB,
    created_at INTEGER,
    updated_at INTEGER
) WITHOUT ROWID;

CREATE TABLE clients (
    id         TEXT    NOT NULL PRIMARY KEY,
    pool_id    TEXT    NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    secret     TEXT    NOT NULL,
    settings   BLOB,
    created_at INTEGER,
    updated_at INTEGER,
    UNIQUE (pool_id, id)
) WITHOUT ROWID;

CREATE TABLE users (
    pool_id         TEXT    NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    username        TEXT    NOT NULL,
    sub             TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    enabled         INTEGER NOT NULL,
    attributes      TEXT    NOT NULL, -- JSON object of string to string
    password_hash   TEXT    NOT NULL,
    srp_salt        TEXT    NOT NULL,
    srp_verifier    TEXT    NOT NULL,
    code            TEXT    NOT NULL,
    code_expires_at INTEGER,
    sign_out_gen    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER,
    updated_at      INTEGER,
    PRIMARY KEY (pool_id, username),
    UNIQUE (pool_id, sub)
) WITHOUT ROWID;

CREATE TABLE sessions (
    id          TEXT    NOT NULL PRIMARY KEY,
    pool_id     TEXT    NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    client_id   TEXT    NOT NULL,
    user_sub    TEXT    NOT NULL,
    username    TEXT    NOT NULL,
    user_gen    INTEGER NOT NULL,
    auth_time   INTEGER,
    created_at  INTEGER,
    last_used   INTEGER,
    expires_at  INTEGER,
    refresh_gen INTEGER NOT NULL DEFAULT 0,
    rotated_at  INTEGER,
    revoked_at  INTEGER,
    revoked     TEXT    NOT NULL DEFAULT '',
    device_key  TEXT    NOT NULL DEFAULT '',
    scopes      TEXT    NOT NULL DEFAULT '',
    source      TEXT    NOT NULL DEFAULT '',
    FOREIGN KEY (pool_id, client_id) REFERENCES clients (pool_id, id) ON DELETE CASCADE,
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE ON UPDATE CASCADE
) WITHOUT ROWID;

-- ListUserSessions, and the child side of the users foreign key.
CREATE INDEX sessions_user ON sessions (pool_id, user_sub, created_at);
-- The child side of the clients foreign key (DeleteClient's cascade).
CREATE INDEX sessions_client ON sessions (pool_id, client_id);

CREATE TABLE challenges (
    id         TEXT    NOT NULL PRIMARY KEY,
    pool_id    TEXT    NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    client_id  TEXT    NOT NULL,
    username   TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    data       BLOB,
    expires_at INTEGER
) WITHOUT ROWID;

CREATE INDEX challenges_pool ON challenges (pool_id);

CREATE TABLE keys (
    id         TEXT    NOT NULL PRIMARY KEY,
    pool_id    TEXT    NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    key_use    TEXT    NOT NULL,
    private    BLOB    NOT NULL,
    created_at INTEGER,
    retired_at INTEGER
) WITHOUT ROWID;

CREATE INDEX keys_pool ON keys (pool_id, created_at);
