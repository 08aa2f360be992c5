-- People and access, and usage reports.
--
-- members gain a bcrypt password hash (for the dashboard), a disabled flag
-- and an update time. api_keys gain the member who owns the key, so request
-- logs, usage reports and member budgets can name the person behind a call.
-- usage_rollup keeps per-day usage totals after raw request logs expire
-- (KEYGATE_LOG_RETENTION): the retention job moves expiring rows into it in
-- the same transaction that deletes them, so reports stay exact.

-- +goose Up
ALTER TABLE members ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN member_id TEXT NOT NULL DEFAULT '';
CREATE INDEX api_keys_member ON api_keys (member_id);

CREATE INDEX request_logs_member_time ON request_logs (member, time);
CREATE INDEX request_logs_model_time ON request_logs (model, time);

CREATE TABLE usage_rollup (
    day INTEGER NOT NULL,
    project TEXT NOT NULL,
    key_id TEXT NOT NULL,
    member TEXT NOT NULL,
    model TEXT NOT NULL,
    key_display TEXT NOT NULL DEFAULT '',
    requests INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (day, project, key_id, member, model)
);
CREATE INDEX usage_rollup_key_day ON usage_rollup (key_id, day);
CREATE INDEX usage_rollup_project_day ON usage_rollup (project, day);

-- +goose Down
DROP TABLE usage_rollup;
DROP INDEX request_logs_model_time;
DROP INDEX request_logs_member_time;
DROP INDEX api_keys_member;
ALTER TABLE api_keys DROP COLUMN member_id;
ALTER TABLE members DROP COLUMN updated_at;
ALTER TABLE members DROP COLUMN disabled;
ALTER TABLE members DROP COLUMN password_hash;
