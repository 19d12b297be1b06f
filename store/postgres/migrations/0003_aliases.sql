-- Cognate PostgreSQL schema, version 3: store/sqlite's migration 0007
-- (sign-in aliases). The conventions of 0001_init.sql hold.
--
-- Sign-in aliases: attribute values that sign a user in in place of the
-- username (UsernameAttributes, or verified AliasAttributes), normalized by
-- userpool. NULL when the user has none. They are looked up by equality and
-- compared byte for byte, like the other identifiers, hence COLLATE "C".
-- Each is unique per pool: the partial unique indexes enforce it (a second
-- user taking a held alias is a unique violation, store.ErrConflict) and
-- serve GetUserByAlias, whose "column = value" implies "IS NOT NULL".
ALTER TABLE users ADD COLUMN alias_email TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN alias_phone TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN alias_preferred TEXT COLLATE "C";
CREATE UNIQUE INDEX users_alias_email ON users (pool_id, alias_email) WHERE alias_email IS NOT NULL;
CREATE UNIQUE INDEX users_alias_phone ON users (pool_id, alias_phone) WHERE alias_phone IS NOT NULL;
CREATE UNIQUE INDEX users_alias_preferred ON users (pool_id, alias_preferred) WHERE alias_preferred IS NOT NULL;
