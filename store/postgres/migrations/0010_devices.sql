-- Cognate PostgreSQL schema, version 10: store/sqlite's migration 0013
-- (remembered devices). The conventions of 0001_init.sql hold.
CREATE TABLE devices (
    pool_id            TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    device_key         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    user_sub           TEXT COLLATE "C" NOT NULL,
    group_key          TEXT COLLATE "C" NOT NULL,
    name               TEXT             NOT NULL DEFAULT '',
    remembered         BOOLEAN          NOT NULL DEFAULT FALSE,
    salt               BYTEA            NOT NULL,
    verifier           BYTEA            NOT NULL,
    created_at         BIGINT,
    last_modified      BIGINT,
    last_authenticated BIGINT,
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE ON UPDATE CASCADE
);

-- ListDevices, and the child side of the users foreign key.
CREATE INDEX devices_user ON devices (pool_id, user_sub, device_key);
