-- Sign-in aliases: attribute values that sign a user in in place of the
-- username (UsernameAttributes, or verified AliasAttributes), normalized by
-- userpool. NULL when the user has none; unique per pool.
ALTER TABLE users ADD COLUMN alias_email TEXT;
ALTER TABLE users ADD COLUMN alias_phone TEXT;
ALTER TABLE users ADD COLUMN alias_preferred TEXT;
CREATE UNIQUE INDEX users_alias_email ON users (pool_id, alias_email) WHERE alias_email IS NOT NULL;
CREATE UNIQUE INDEX users_alias_phone ON users (pool_id, alias_phone) WHERE alias_phone IS NOT NULL;
CREATE UNIQUE INDEX users_alias_preferred ON users (pool_id, alias_preferred) WHERE alias_preferred IS NOT NULL;
