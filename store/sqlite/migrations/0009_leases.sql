-- Named leases (store.Leases): which server runs a background job such as
-- the janitor. One row per lease name, written by a single conditional
-- upsert; expires_at is in Unix ms. Releasing a lease deletes its row.
CREATE TABLE leases (
    name       TEXT    NOT NULL PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
