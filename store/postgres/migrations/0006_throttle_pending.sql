-- A user's sign-in checks claimed and not yet reported (store.Throttle.Pending).
ALTER TABLE throttles ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
