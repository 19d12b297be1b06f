-- Hosted UI: browser sessions (the login cookie) and authorization codes.
-- Both are keyed by a SHA-256 of the secret the browser or the client holds;
-- the secret itself is never stored.

CREATE TABLE web_sessions (
    id         TEXT    NOT NULL PRIMARY KEY,
    pool_id    TEXT    NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    user_sub   TEXT    NOT NULL,
    user_gen   INTEGER NOT NULL,
    created_at INTEGER,
    expires_at INTEGER,
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE ON UPDATE CASCADE
) WITHOUT ROWID;

-- The child side of the users foreign key (DeleteUser's cascade).
CREATE INDEX web_sessions_user ON web_sessions (pool_id, user_sub);
-- Expired sessions are purged by expiry.
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

CREATE TABLE auth_codes (
    id                    TEXT    NOT NULL PRIMARY KEY,
    pool_id               TEXT    NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    client_id             TEXT    NOT NULL,
    user_sub              TEXT    NOT NULL,
    user_gen              INTEGER NOT NULL,
    redirect_uri          TEXT    NOT NULL,
    scopes                TEXT    NOT NULL,
    code_challenge        TEXT    NOT NULL,
    code_challenge_method TEXT    NOT NULL,
    auth_time             INTEGER,
    expires_at            INTEGER,
    FOREIGN KEY (pool_id, client_id) REFERENCES clients (pool_id, id) ON DELETE CASCADE,
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE ON UPDATE CASCADE
) WITHOUT ROWID;

-- The child sides of the clients and users foreign keys.
CREATE INDEX auth_codes_client ON auth_codes (pool_id, client_id);
CREATE INDEX auth_codes_user ON auth_codes (pool_id, user_sub);
CREATE INDEX auth_codes_expiry ON auth_codes (expires_at);
