-- Who may use the web UI and the API. Only hashes of secrets are stored:
-- argon2 PHC strings for passwords, SHA-256 (hex) for session and API tokens.
-- The person column is `user_name`, not `user`: `user` is a reserved word in
-- PostgreSQL, and both back ends keep the same column names.

CREATE TABLE users (
    name TEXT PRIMARY KEY NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('reviewer', 'owner', 'admin')),
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- A logged-in browser. `role` is the person's role at login; a changed
-- password ends every session of the person (the store deletes them).
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('reviewer', 'owner', 'admin')),
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_by_user ON sessions (user_name);

-- A machine's credential. Revoked tokens stay (the audit trail names them);
-- a name has at most one unrevoked token, so `token:<name>` names one machine.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('reviewer', 'owner', 'admin')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;

CREATE UNIQUE INDEX api_tokens_one_live_per_name ON api_tokens (name) WHERE revoked_at IS NULL;

-- The search page lists documents newest received first.
CREATE INDEX documents_by_received ON documents (received_at, id);
