-- Token revocation, stored refusals, and the per-instance key lookup.

-- When a token was made and when it was revoked (epoch seconds; NULL: made before these
-- columns, or not revoked). A revoked token's row stays so `--list` can show it.
ALTER TABLE tokens ADD COLUMN created INTEGER;
ALTER TABLE tokens ADD COLUMN revoked INTEGER;

-- The HTTP status of the first answer: a refused act's answer is kept under its key too.
ALTER TABLE idempotency ADD COLUMN status INTEGER NOT NULL DEFAULT 200;

-- A loaded instance keeps the keys used on it in memory, read by this index.
CREATE INDEX idempotency_instance ON idempotency (instance);

-- Bumped by every revocation: a running server compares it at most once a second and
-- forgets the tokens it cached when it changed.
INSERT INTO meta (key, value) VALUES ('tokens_version', '0') ON CONFLICT (key) DO NOTHING;
