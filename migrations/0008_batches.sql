-- Safe-blur batches: up to 100 analysis jobs started together, with
-- aggregate progress (docs/safe-blur.md).
CREATE TABLE IF NOT EXISTS batches (
    id          TEXT    PRIMARY KEY,
    owner       TEXT    NOT NULL,
    size        INTEGER NOT NULL CHECK (size BETWEEN 1 AND 100),
    created_at  INTEGER NOT NULL
);
ALTER TABLE jobs ADD COLUMN batch_id TEXT;
CREATE INDEX IF NOT EXISTS jobs_by_batch ON jobs (batch_id);
