-- The learning memory of each workflow (duplicates, quantity history, what
-- reviewers taught), one JSON snapshot per workflow. `version` is the
-- compare-and-set guard: a save names the version it read, and loses when
-- another process saved in between.
CREATE TABLE memories (
    workflow TEXT PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0),
    memory TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- Outbox listings by status (review of dead letters) and by document (settling).
CREATE INDEX deliveries_by_status ON deliveries (status, id);
CREATE INDEX deliveries_by_document ON deliveries (document_id, id);
