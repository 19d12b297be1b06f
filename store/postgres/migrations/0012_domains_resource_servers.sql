-- Cognate PostgreSQL schema, version 12: store/sqlite's migration 0015
-- (user pool domains and resource servers). The conventions of
-- 0001_init.sql hold.
CREATE TABLE domains (
    domain                   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    pool_id                  TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    custom                   BOOLEAN          NOT NULL,
    certificate_arn          TEXT             NOT NULL DEFAULT '',
    cloudfront_distribution  TEXT             NOT NULL DEFAULT '',
    version                  TEXT             NOT NULL DEFAULT '',
    managed_login_version    INTEGER          NOT NULL DEFAULT 0,
    created_at               BIGINT,
    updated_at               BIGINT,
    UNIQUE (pool_id, custom)
);

CREATE TABLE resource_servers (
    pool_id     TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    identifier  TEXT COLLATE "C" NOT NULL,
    name        TEXT             NOT NULL,
    scopes      BYTEA            NOT NULL,
    created_at  BIGINT,
    updated_at  BIGINT,
    PRIMARY KEY (pool_id, identifier)
);
