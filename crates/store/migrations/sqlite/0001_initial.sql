-- Times are INTEGER microseconds since the Unix epoch (UTC): they compare and
-- sort as numbers, which SQLite's text timestamps of varying precision do not.

-- Raw documents, content-addressed: the key is the lowercase hex SHA-256.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),
    size INTEGER NOT NULL,
    bytes BLOB NOT NULL
) STRICT;

CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sender TEXT,
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    received_at INTEGER NOT NULL,
    meta TEXT NOT NULL,
    state TEXT NOT NULL,
    claimed_by TEXT,
    lease_until INTEGER,
    decision TEXT,
    outcome TEXT,
    updated_at INTEGER NOT NULL,
    -- Receiving the same bytes again from the same source is the same document.
    UNIQUE (source, sha256)
) STRICT;

CREATE INDEX documents_by_state ON documents (state, id);

-- The audit trail: append-only, enforced by the triggers below.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    document_id INTEGER REFERENCES documents (id),
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    details TEXT NOT NULL
) STRICT;

CREATE INDEX events_by_document ON events (document_id, id);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

-- The outbox: one row per write to a target; the key makes the write idempotent.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    target TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER,
    UNIQUE (target, idempotency_key)
) STRICT;

CREATE INDEX deliveries_due ON deliveries (target, status, next_attempt_at, id);
