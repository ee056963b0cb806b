-- Safe-blur policies, per creator, stored in their canonical JSON form
-- (edgepix_core::policy::Policy::to_json).
CREATE TABLE IF NOT EXISTS policies (
    owner       TEXT    NOT NULL,
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 32),
    body        TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (owner, name)
);
