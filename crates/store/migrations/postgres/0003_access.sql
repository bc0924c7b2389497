-- Who may use the web UI and the API. Only hashes of secrets are stored:
-- argon2 PHC strings for passwords, SHA-256 (hex) for session and API tokens.
-- The person column is `user_name`, not `user`: `user` is a reserved word here.

CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('reviewer', 'owner', 'admin')),
    password_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- A logged-in browser. `role` is the person's role at login; a changed
-- password ends every session of the person (the store deletes them).
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('reviewer', 'owner', 'admin')),
    csrf TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX sessions_by_user ON sessions (user_name);

-- A machine's credential. Revoked tokens stay (the audit trail names them);
-- a name has at most one unrevoked token, so `token:<name>` names one machine.
CREATE TABLE api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('reviewer', 'owner', 'admin')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE UNIQUE INDEX api_tokens_one_live_per_name ON api_tokens (name) WHERE revoked_at IS NULL;

-- The search page lists documents newest received first.
CREATE INDEX documents_by_received ON documents (received_at, id);
