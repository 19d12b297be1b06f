-- The revocation feed (store.Revocations). revocation_feeds holds one row
-- per pool that ever revoked anything: seq is the pool's last event number
-- (incremented in the transaction that appends the event) and floor the
-- highest purged one. revocation_events holds the retained events; at is in
-- Unix ms. Both go with their pool.
CREATE TABLE revocation_feeds (
    pool_id TEXT    NOT NULL PRIMARY KEY REFERENCES pools(id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    floor   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE revocation_events (
    pool_id   TEXT    NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    id        TEXT    NOT NULL,
    sub       TEXT    NOT NULL DEFAULT '',
    client_id TEXT    NOT NULL DEFAULT '',
    gen       INTEGER NOT NULL DEFAULT 0,
    deleted   INTEGER NOT NULL DEFAULT 0,
    reason    TEXT    NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (pool_id, seq)
) WITHOUT ROWID;

CREATE INDEX revocation_events_at ON revocation_events (at);
