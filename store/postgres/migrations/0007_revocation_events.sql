-- Cognate PostgreSQL schema, version 7: store/sqlite's migration 0010
-- (the revocation feed). The conventions of 0001_init.sql hold.
--
-- revocation_feeds holds one row per pool that ever revoked anything: seq is
-- the pool's last event number and floor the highest purged one. Every
-- revocation increments seq with an UPDATE (an upsert for the first) in its
-- own transaction, so the row lock serializes a pool's writers until they
-- commit: event numbers are gap-free and in commit order across replicas.
-- revocation_events holds the retained events; at is in Unix ms. Both go
-- with their pool.
CREATE TABLE revocation_feeds (
    pool_id TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES pools(id) ON DELETE CASCADE,
    seq     BIGINT           NOT NULL,
    floor   BIGINT           NOT NULL DEFAULT 0
);

CREATE TABLE revocation_events (
    pool_id   TEXT COLLATE "C" NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
    seq       BIGINT           NOT NULL,
    kind      TEXT             NOT NULL,
    id        TEXT COLLATE "C" NOT NULL,
    sub       TEXT COLLATE "C" NOT NULL DEFAULT '',
    client_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    gen       BIGINT           NOT NULL DEFAULT 0,
    deleted   BOOLEAN          NOT NULL DEFAULT false,
    reason    TEXT             NOT NULL,
    at        BIGINT           NOT NULL,
    PRIMARY KEY (pool_id, seq)
);

CREATE INDEX revocation_events_at ON revocation_events (at);
