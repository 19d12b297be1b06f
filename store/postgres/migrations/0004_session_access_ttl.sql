-- Cognate PostgreSQL schema, version 4: store/sqlite's migration 0008
-- (session access TTL). The conventions of 0001_init.sql hold.
--
-- The longest access/ID token life a family minted, in ms: the janitor
-- keeps a dead family that long after its end. Existing families take the
-- longest any client may set (one day).
ALTER TABLE sessions ADD COLUMN access_ttl BIGINT NOT NULL DEFAULT 86400000;
