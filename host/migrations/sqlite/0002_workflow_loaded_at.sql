-- When each workflow was stored (Unix seconds, the system clock: a fact of the host's
-- operation, not of any directive's time), for `GET /v1/workflows`. Set by a trigger, so
-- every way of storing one records it in the same transaction; NULL for workflows
-- stored before this column existed.
ALTER TABLE workflows ADD COLUMN loaded_at INTEGER;

CREATE TRIGGER workflows_loaded_at AFTER INSERT ON workflows
BEGIN
    UPDATE workflows SET loaded_at = CAST(strftime('%s', 'now') AS INTEGER)
    WHERE hash = new.hash;
END;
