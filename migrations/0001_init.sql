-- edgepix D1 schema, first migration.
-- Later migrations add the tables of each product line (accounts, assets,
-- jobs, tickets, games); wrangler records applied ones in d1_migrations.

-- Key/value facts about the deployment itself (schema notes, feature flags).
CREATE TABLE IF NOT EXISTS app_meta (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);

INSERT OR IGNORE INTO app_meta (key, value) VALUES ('created_by', 'migrations/0001_init.sql');
