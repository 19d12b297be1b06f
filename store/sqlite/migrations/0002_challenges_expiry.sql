-- Abandoned challenges are purged by expiry.
CREATE INDEX challenges_expiry ON challenges (expires_at);
