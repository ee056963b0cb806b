-- Accounts, sessions (refresh-token families), refresh tokens and API keys.
-- Secrets are stored as SHA-256 hex, passwords as PBKDF2 strings with their
-- parameters (edgepix_core::account).
CREATE TABLE IF NOT EXISTS users (
    id           TEXT    PRIMARY KEY,
    email        TEXT    NOT NULL UNIQUE,
    password     TEXT    NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('viewer', 'creator', 'admin')),
    plan         TEXT    NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro')),
    suspended_at INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS users_by_time ON users (created_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS sessions (
    id           TEXT    PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id),
    user_agent   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id, created_at DESC);

CREATE TABLE IF NOT EXISTS refresh_tokens (
    hash         TEXT    PRIMARY KEY CHECK (length(hash) = 64),
    session_id   TEXT    NOT NULL REFERENCES sessions (id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
);
CREATE INDEX IF NOT EXISTS refresh_by_session ON refresh_tokens (session_id);

CREATE TABLE IF NOT EXISTS api_keys (
    id           TEXT    PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id),
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    hash         TEXT    NOT NULL UNIQUE CHECK (length(hash) = 64),
    scopes       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX IF NOT EXISTS api_keys_by_user ON api_keys (user_id, created_at DESC);

-- Quotas count an owner's jobs per day.
CREATE INDEX IF NOT EXISTS jobs_by_owner_created ON jobs (owner, created_at);
