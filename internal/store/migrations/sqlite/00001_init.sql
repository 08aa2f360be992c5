-- +goose Up
CREATE TABLE groups (
    name TEXT PRIMARY KEY,
    models TEXT NOT NULL DEFAULT '[]',
    price_multiplier REAL NOT NULL DEFAULT 1,
    rpm INTEGER NOT NULL DEFAULT 0,
    tpm INTEGER NOT NULL DEFAULT 0,
    managed_by TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);

CREATE TABLE projects (
    name TEXT PRIMARY KEY,
    budget_usd REAL NOT NULL DEFAULT 0,
    budget_period TEXT NOT NULL DEFAULT '',
    managed_by TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE channels (
    name TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    base_url TEXT NOT NULL,
    api_key_sealed TEXT NOT NULL DEFAULT '',
    api_key_env TEXT NOT NULL DEFAULT '',
    models TEXT NOT NULL DEFAULT '[]',
    model_map TEXT NOT NULL DEFAULT '{}',
    groups_json TEXT NOT NULL DEFAULT '[]',
    priority INTEGER NOT NULL DEFAULT 0,
    weight INTEGER NOT NULL DEFAULT 1,
    enabled INTEGER NOT NULL DEFAULT 1,
    managed_by TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);

CREATE TABLE models (
    name TEXT PRIMARY KEY,
    aliases TEXT NOT NULL DEFAULT '[]',
    input_per_mtok REAL NOT NULL DEFAULT 0,
    output_per_mtok REAL NOT NULL DEFAULT 0,
    per_image REAL NOT NULL DEFAULT 0,
    per_video_second REAL NOT NULL DEFAULT 0,
    max_output INTEGER NOT NULL DEFAULT 0,
    managed_by TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    display TEXT NOT NULL,
    env TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    project TEXT NOT NULL,
    group_name TEXT NOT NULL,
    models TEXT NOT NULL DEFAULT '[]',
    allowed_ips TEXT NOT NULL DEFAULT '[]',
    expires_at INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    state_at INTEGER NOT NULL DEFAULT 0,
    state_by TEXT NOT NULL DEFAULT '',
    state_reason TEXT NOT NULL DEFAULT '',
    replaced_by TEXT NOT NULL DEFAULT '',
    grace_until INTEGER NOT NULL DEFAULT 0,
    budget_usd REAL NOT NULL DEFAULT 0,
    budget_period TEXT NOT NULL DEFAULT '',
    rpm INTEGER NOT NULL DEFAULT 0,
    tpm INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX api_keys_project ON api_keys (project);
CREATE INDEX api_keys_updated ON api_keys (updated_at);

CREATE TABLE members (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL DEFAULT '',
    projects TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL
);
CREATE INDEX members_token ON members (token_hash);

CREATE TABLE request_logs (
    request_id TEXT PRIMARY KEY,
    time INTEGER NOT NULL,
    key_id TEXT NOT NULL DEFAULT '',
    key_display TEXT NOT NULL DEFAULT '',
    key_env TEXT NOT NULL DEFAULT '',
    project TEXT NOT NULL DEFAULT '',
    member TEXT NOT NULL DEFAULT '',
    group_name TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    model_served TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL DEFAULT '',
    request_type TEXT NOT NULL DEFAULT '',
    stream INTEGER NOT NULL DEFAULT 0,
    status INTEGER NOT NULL,
    error_code TEXT NOT NULL DEFAULT '',
    failure_reason TEXT NOT NULL DEFAULT '',
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    usage_estimated INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    charged TEXT NOT NULL DEFAULT 'no',
    latency_ms REAL NOT NULL DEFAULT 0,
    ttfb_ms REAL NOT NULL DEFAULT 0,
    source_ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    route TEXT NOT NULL DEFAULT ''
);
CREATE INDEX request_logs_time ON request_logs (time);
CREATE INDEX request_logs_key_time ON request_logs (key_id, time);
CREATE INDEX request_logs_project_time ON request_logs (project, time);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    time INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    source_ip TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_object ON audit_events (object);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE request_logs;
DROP TABLE members;
DROP TABLE api_keys;
DROP TABLE models;
DROP TABLE channels;
DROP TABLE projects;
DROP TABLE groups;
