-- Raw documents, content-addressed: the key is the lowercase hex SHA-256.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    size BIGINT NOT NULL,
    bytes BYTEA NOT NULL
);

CREATE TABLE documents (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sender TEXT,
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    received_at TIMESTAMPTZ NOT NULL,
    meta JSONB NOT NULL,
    state TEXT NOT NULL,
    claimed_by TEXT,
    lease_until TIMESTAMPTZ,
    decision JSONB,
    outcome JSONB,
    updated_at TIMESTAMPTZ NOT NULL,
    -- Receiving the same bytes again from the same source is the same document.
    UNIQUE (source, sha256)
);

CREATE INDEX documents_by_state ON documents (state, id);

-- The audit trail: append-only, enforced by the trigger below.
CREATE TABLE events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    document_id BIGINT REFERENCES documents (id),
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    details JSONB NOT NULL
);

CREATE INDEX events_by_document ON events (document_id, id);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END;
$$;

CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

-- The outbox: one row per write to a target; the key makes the write idempotent.
CREATE TABLE deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id BIGINT NOT NULL REFERENCES documents (id),
    target TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    payload JSONB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ,
    UNIQUE (target, idempotency_key)
);

CREATE INDEX deliveries_due ON deliveries (target, status, next_attempt_at, id);
