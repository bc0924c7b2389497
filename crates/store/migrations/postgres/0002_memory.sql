-- The learning memory of each workflow (duplicates, quantity history, what
-- reviewers taught), one JSON snapshot per workflow. `version` is the
-- compare-and-set guard: a save names the version it read, and loses when
-- another process saved in between.
CREATE TABLE memories (
    workflow TEXT PRIMARY KEY,
    version BIGINT NOT NULL CHECK (version > 0),
    memory JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Outbox listings by status (review of dead letters) and by document (settling).
CREATE INDEX deliveries_by_status ON deliveries (status, id);
CREATE INDEX deliveries_by_document ON deliveries (document_id, id);
