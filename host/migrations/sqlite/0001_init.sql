-- The host's storage. The journal is the truth; snapshots and `instances.next_timer`
-- are caches of it that `directrix serve check` proves equal to a full replay.

-- Small facts of the host itself: the virtual clock's anchor.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- Workflows by content hash: the RON text (what follow-ups and reloads need) and the
-- compiled bytes (what the WebAssembly runtime loads).
CREATE TABLE workflows (
    hash     TEXT PRIMARY KEY NOT NULL,
    source   TEXT NOT NULL,
    compiled BLOB NOT NULL
) STRICT;

-- `version` is the journal's length: every append checks it (optimistic concurrency).
CREATE TABLE instances (
    id         INTEGER PRIMARY KEY NOT NULL,
    workflow   TEXT NOT NULL REFERENCES workflows (hash),
    next_timer INTEGER,
    version    INTEGER NOT NULL
) STRICT;

CREATE INDEX instances_next_timer ON instances (next_timer) WHERE next_timer IS NOT NULL;

-- One row per core `Input` (its JSON form), `seq` = its index in the core's journal.
CREATE TABLE journal (
    instance        INTEGER NOT NULL REFERENCES instances (id),
    seq             INTEGER NOT NULL,
    input           TEXT NOT NULL,
    actor           TEXT,
    idempotency_key TEXT,
    PRIMARY KEY (instance, seq)
) STRICT, WITHOUT ROWID;

-- The latest snapshot of an instance, covering journal rows `0 .. seq`.
CREATE TABLE snapshots (
    instance INTEGER PRIMARY KEY NOT NULL REFERENCES instances (id),
    seq      INTEGER NOT NULL,
    state    BLOB NOT NULL
) STRICT;

-- The effects outbox: `id` is the stable event id a portal resumes from.
CREATE TABLE effects (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    instance INTEGER NOT NULL REFERENCES instances (id),
    seq      INTEGER NOT NULL,
    record   TEXT NOT NULL
) STRICT;

-- The first answer to each (agency, Idempotency-Key), and what was asked.
CREATE TABLE idempotency (
    agency       TEXT NOT NULL,
    key          TEXT NOT NULL,
    instance     INTEGER NOT NULL REFERENCES instances (id),
    request_hash TEXT NOT NULL,
    response     TEXT NOT NULL,
    PRIMARY KEY (agency, key)
) STRICT, WITHOUT ROWID;

-- Only the SHA-256 of a token is kept. `agency` is NULL for an admin token.
CREATE TABLE tokens (
    hash   TEXT PRIMARY KEY NOT NULL,
    agency TEXT,
    admin  INTEGER NOT NULL
) STRICT;
