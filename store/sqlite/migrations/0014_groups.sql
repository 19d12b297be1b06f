-- Groups of a pool's users (store.Groups) and their memberships. Times in
-- Unix ms; precedence NULL when the group has none. A membership names its
-- user by sub and goes with its user, its group and its pool.
CREATE TABLE user_groups (
    pool_id     TEXT    NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    precedence  INTEGER,
    role_arn    TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER,
    updated_at  INTEGER,
    PRIMARY KEY (pool_id, name)
) WITHOUT ROWID;

CREATE TABLE group_members (
    pool_id    TEXT NOT NULL,
    group_name TEXT NOT NULL,
    user_sub   TEXT NOT NULL,
    PRIMARY KEY (pool_id, group_name, user_sub),
    FOREIGN KEY (pool_id, group_name) REFERENCES user_groups (pool_id, name) ON DELETE CASCADE,
    FOREIGN KEY (pool_id, user_sub) REFERENCES users (pool_id, sub) ON DELETE CASCADE ON UPDATE CASCADE
) WITHOUT ROWID;

-- A user's groups (ListGroupsForUser, the minting path), and the child side
-- of the users foreign key.
CREATE INDEX group_members_user ON group_members (pool_id, user_sub, group_name);
