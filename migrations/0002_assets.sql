-- Assets: one row per (owner, content id). The original lives once in R2 at
-- originals/{id}, shared by every owner who uploaded the same bytes.
CREATE TABLE IF NOT EXISTS assets (
    id          TEXT    NOT NULL CHECK (length(id) = 64),
    owner       TEXT    NOT NULL,
    width       INTEGER NOT NULL CHECK (width > 0),
    height      INTEGER NOT NULL CHECK (height > 0),
    format      TEXT    NOT NULL CHECK (format IN ('jpeg', 'png', 'gif', 'webp')),
    bytes       INTEGER NOT NULL CHECK (bytes > 0),
    orientation INTEGER NOT NULL DEFAULT 1 CHECK (orientation BETWEEN 1 AND 8),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (owner, id)
);

-- Listing a creator's assets newest first, with (created_at, id) cursors.
CREATE INDEX IF NOT EXISTS assets_by_owner_time ON assets (owner, created_at DESC, id DESC);
-- Serving /img/ by id, whoever owns it.
CREATE INDEX IF NOT EXISTS assets_by_id ON assets (id);
