-- Remembered devices (store.Devices): the SRP verifier of each device a
-- user confirmed. Times in Unix ms. A device goes with its user.
CREATE TABLE devices (
    pool_id            TEXT    NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    device_key         TEXT    NOT NULL,
    user_sub           TEXT    NOT NULL,
    group_key          TEXT    NOT NULL,
    name               TEXT    NOT NULL DEFAULT '',
    remembered         INTEGER NOT NULL DEFAULT 0,
    salt               BLOB    NOT NULL,
    verifier           BLOB    NOT NULL,
    created_at         INTEGER,
    last_modified      INTEGER,
    last_authenticated INTEGER,
    PRIMARY KEY (device_key),
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE ON UPDATE CASCADE
) WITHOUT ROWID;

-- ListDevices, and the child side of the users foreign key.
CREATE INDEX devices_user ON devices (pool_id, user_sub, device_key);
