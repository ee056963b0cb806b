-- Protected viewing (docs/protection.md). One row per (owner, asset) that
-- the owner protects: the config in its canonical JSON, the view grid and
-- the signed Merkle root over its tiles (the leaves live in R2 at
-- proofs/{owner}/{asset}).
CREATE TABLE IF NOT EXISTS protections (
    owner       TEXT    NOT NULL,
    asset       TEXT    NOT NULL CHECK (length(asset) = 64),
    config      TEXT    NOT NULL,
    view_width  INTEGER NOT NULL CHECK (view_width > 0),
    view_height INTEGER NOT NULL CHECK (view_height > 0),
    tile        INTEGER NOT NULL CHECK (tile % 16 = 0),
    root        TEXT    NOT NULL CHECK (length(root) = 64),
    signature   TEXT    NOT NULL,
    kid         TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (owner, asset)
);
-- /img/ and /view/ look protections up by asset, whoever owns it.
CREATE INDEX IF NOT EXISTS protections_by_asset ON protections (asset, updated_at);

-- Every view ticket issued: who (viewer session, account if signed in, a
-- hashed IP), when, which asset, the bot score, and the watermark payload
-- that names the ticket in a leak.
CREATE TABLE IF NOT EXISTS view_tickets (
    id          TEXT    PRIMARY KEY,
    asset       TEXT    NOT NULL CHECK (length(asset) = 64),
    owner       TEXT    NOT NULL,
    viewer      TEXT    NOT NULL,
    user_id     TEXT,
    score       INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    reasons     TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    ip_hash     TEXT    NOT NULL,
    user_agent  TEXT    NOT NULL,
    payload     TEXT    NOT NULL CHECK (length(payload) = 16),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
-- Identification reads every ticket of an asset.
CREATE INDEX IF NOT EXISTS view_tickets_by_asset ON view_tickets (asset, created_at);
