-- Cognate PostgreSQL schema, version 5: store/sqlite's migration 0009
-- (leases). The conventions of 0001_init.sql hold.
--
-- Named leases (store.Leases): which replica runs a background job such as
-- the janitor. One row per lease name, written by a single conditional
-- upsert (INSERT ... ON CONFLICT DO UPDATE ... WHERE), never held by an
-- advisory lock or a connection, so that the same SQL serves PostgreSQL-
-- compatible distributed engines; expires_at is in Unix ms. Releasing a
-- lease deletes its row. A logged table: it is written about once a
-- minute, and a lease that survives a crash or a failover only delays the
-- next run until it expires.
CREATE TABLE leases (
    name       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    holder     TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT           NOT NULL
);
