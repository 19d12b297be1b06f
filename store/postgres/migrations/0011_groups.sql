-- Cognate PostgreSQL schema, version 11: store/sqlite's migration 0014
-- (groups and their memberships). The conventions of 0001_init.sql hold.
CREATE TABLE user_groups (
    pool_id     TEXT COLLATE "C" NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    name        TEXT COLLATE "C" NOT NULL,
    description TEXT             NOT NULL DEFAULT '',
    precedence  BIGINT,
    role_arn    TEXT             NOT NULL DEFAULT '',
    created_at  BIGINT,
    updated_at  BIGINT,
    PRIMARY KEY (pool_id, name)
);

CREATE TABLE group_members (
    pool_id    TEXT COLLATE "C" NOT NULL,
    group_name TEXT COLLATE "C" NOT NULL,
    user_sub   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (pool_id, group_name, user_sub),
    FOREIGN KEY (pool_id, group_name) REFERENCES user_groups (pool_id, name) ON DELETE CASCADE,
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE ON UPDATE CASCADE
);

-- A user's groups (ListGroupsForUser, the minting path), and the child side
-- of the users foreign key.
CREATE INDEX group_members_user ON group_members (pool_id, user_sub, group_name);
