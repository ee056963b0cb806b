-- Background jobs (safe-blur analysis first), per owner.
CREATE TABLE IF NOT EXISTS jobs (
    id          TEXT    PRIMARY KEY,
    owner       TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('analyze')),
    asset_id    TEXT    NOT NULL CHECK (length(asset_id) = 64),
    status      TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    progress    REAL    NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
    error       TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_owner_time ON jobs (owner, created_at DESC);

-- The latest analysis of each owner's asset: which job wrote it (its
-- version: a re-analysis changes it) and with which model.
CREATE TABLE IF NOT EXISTS analyses (
    owner       TEXT    NOT NULL,
    asset_id    TEXT    NOT NULL,
    job_id      TEXT    NOT NULL,
    model       TEXT    NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    analyzed_at INTEGER NOT NULL,
    PRIMARY KEY (owner, asset_id)
);

-- Its detections, replaced as a whole by each analysis.
CREATE TABLE IF NOT EXISTS detections (
    owner       TEXT    NOT NULL,
    asset_id    TEXT    NOT NULL,
    idx         INTEGER NOT NULL,
    class       TEXT    NOT NULL,
    score       REAL    NOT NULL,
    x           INTEGER NOT NULL,
    y           INTEGER NOT NULL,
    w           INTEGER NOT NULL,
    h           INTEGER NOT NULL,
    model       TEXT    NOT NULL,
    job_id      TEXT    NOT NULL,
    PRIMARY KEY (owner, asset_id, idx)
);
