-- Pet pixel games (docs/games.md). A game is made by a job of kind 'game',
-- so the jobs table's kind check widens: SQLite cannot alter a CHECK, so
-- the table is rebuilt with the same rows and indexes.
CREATE TABLE jobs_new (
    id          TEXT    PRIMARY KEY,
    owner       TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('analyze', 'game')),
    asset_id    TEXT    NOT NULL CHECK (length(asset_id) = 64),
    status      TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    progress    REAL    NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
    error       TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    batch_id    TEXT
);
INSERT INTO jobs_new (id, owner, kind, asset_id, status, progress, error, attempts, created_at, updated_at, batch_id)
    SELECT id, owner, kind, asset_id, status, progress, error, attempts, created_at, updated_at, batch_id FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX IF NOT EXISTS jobs_by_owner_time ON jobs (owner, created_at DESC);
CREATE INDEX IF NOT EXISTS jobs_by_owner_created ON jobs (owner, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_batch ON jobs (batch_id);

CREATE TABLE IF NOT EXISTS games (
    code         TEXT    PRIMARY KEY CHECK (length(code) = 12),
    owner        TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    theme        TEXT    NOT NULL CHECK (theme IN ('garden', 'house', 'beach', 'space', 'park')),
    difficulty   TEXT    NOT NULL CHECK (difficulty IN ('easy', 'normal', 'hard')),
    level_count  INTEGER NOT NULL CHECK (level_count BETWEEN 1 AND 10),
    -- The level generator's seed: a u64 as decimal text (JavaScript
    -- numbers would round it).
    seed         TEXT    NOT NULL,
    asset_id     TEXT    NOT NULL CHECK (length(asset_id) = 64),
    job_id       TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'ready', 'failed')),
    -- Pipeline stage times, JSON `[{"stage": ..., "ms": ...}]`.
    stages       TEXT    NOT NULL DEFAULT '[]',
    plays        INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    ready_at     INTEGER
);
CREATE INDEX IF NOT EXISTS games_by_owner_time ON games (owner, created_at DESC);
CREATE INDEX IF NOT EXISTS games_by_status_time ON games (status, created_at DESC);
