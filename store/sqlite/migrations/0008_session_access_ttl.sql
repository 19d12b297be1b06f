-- The longest access/ID token life a family minted, in ms: the janitor
-- keeps a dead family that long after its end. Existing families take the
-- longest any client may set (one day).
ALTER TABLE sessions ADD COLUMN access_ttl INTEGER NOT NULL DEFAULT 86400000;
