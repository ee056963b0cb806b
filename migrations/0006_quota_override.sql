-- An admin's per-account exception to the plan's quota (NULL: the plan's).
ALTER TABLE users ADD COLUMN quota_bytes INTEGER CHECK (quota_bytes IS NULL OR quota_bytes >= 0);
ALTER TABLE users ADD COLUMN quota_jobs INTEGER CHECK (quota_jobs IS NULL OR quota_jobs >= 0);
