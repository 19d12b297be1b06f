-- User pool domains (store.Domains) and resource servers
-- (store.ResourceServers). Times in Unix ms. A domain name is unique across
-- the server; custom is 1 for a custom domain (with a certificate), and a
-- pool has at most one domain of each kind. Both go with their pool.
CREATE TABLE domains (
    domain                   TEXT    NOT NULL PRIMARY KEY,
    pool_id                  TEXT    NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    custom                   INTEGER NOT NULL,
    certificate_arn          TEXT    NOT NULL DEFAULT '',
    cloudfront_distribution  TEXT    NOT NULL DEFAULT '',
    version                  TEXT    NOT NULL DEFAULT '',
    managed_login_version    INTEGER NOT NULL DEFAULT 0,
    created_at               INTEGER,
    updated_at               INTEGER,
    UNIQUE (pool_id, custom)
) WITHOUT ROWID;

CREATE TABLE resource_servers (
    pool_id     TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    identifier  TEXT NOT NULL,
    name        TEXT NOT NULL,
    scopes      BLOB NOT NULL,
    created_at  INTEGER,
    updated_at  INTEGER,
    PRIMARY KEY (pool_id, identifier)
) WITHOUT ROWID;
