-- Redeemed authorization codes, kept until they would have expired, so that
-- a replayed code revokes the token family its first redemption started.
CREATE TABLE used_auth_codes (
    id         TEXT NOT NULL PRIMARY KEY,
    pool_id    TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    expires_at INTEGER
) WITHOUT ROWID;

CREATE INDEX used_auth_codes_session ON used_auth_codes (session_id);
CREATE INDEX used_auth_codes_pool ON used_auth_codes (pool_id);
CREATE INDEX used_auth_codes_expiry ON used_auth_codes (expires_at);
