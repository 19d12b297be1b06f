-- Sessions you can see: the address and user agent each session was signed
-- in (and last refreshed) from.
ALTER TABLE sessions ADD COLUMN source_ip  TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';

-- The audit trail (store.Audit): sign-ins, refreshes, sign-outs,
-- revocations, password changes and administrators' actions. Times in Unix
-- ms. Events go with their pool, not with their user.
CREATE TABLE audit_events (
    id         TEXT    NOT NULL PRIMARY KEY,
    pool_id    TEXT    NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    username   TEXT    NOT NULL DEFAULT '',
    sub        TEXT    NOT NULL DEFAULT '',
    client_id  TEXT    NOT NULL DEFAULT '',
    session_id TEXT    NOT NULL DEFAULT '',
    source_ip  TEXT    NOT NULL DEFAULT '',
    user_agent TEXT    NOT NULL DEFAULT '',
    outcome    TEXT    NOT NULL DEFAULT '',
    reason     TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;

-- A pool's events newest first, and a user's.
CREATE INDEX audit_events_pool ON audit_events (pool_id, at, id);
CREATE INDEX audit_events_user ON audit_events (pool_id, username, at, id);
-- The janitor's purge by age.
CREATE INDEX audit_events_at ON audit_events (at);
