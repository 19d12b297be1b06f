-- Cognate PostgreSQL schema, version 8: store/sqlite's migration 0011
-- (session client metadata, the audit trail). The conventions of
-- 0001_init.sql hold.
ALTER TABLE sessions ADD COLUMN source_ip  TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';

CREATE TABLE audit_events (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    pool_id    TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    at         BIGINT           NOT NULL,
    type       TEXT COLLATE "C" NOT NULL,
    username   TEXT COLLATE "C" NOT NULL DEFAULT '',
    sub        TEXT COLLATE "C" NOT NULL DEFAULT '',
    client_id  TEXT COLLATE "C" NOT NULL DEFAULT '',
    session_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    source_ip  TEXT             NOT NULL DEFAULT '',
    user_agent TEXT             NOT NULL DEFAULT '',
    outcome    TEXT             NOT NULL DEFAULT '',
    reason     TEXT             NOT NULL DEFAULT ''
);

CREATE INDEX audit_events_pool ON audit_events (pool_id, at, id);
CREATE INDEX audit_events_user ON audit_events (pool_id, username, at, id);
CREATE INDEX audit_events_at ON audit_events (at);
