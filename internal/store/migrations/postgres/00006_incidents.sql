-- +goose Up
-- client is the caller's self-declared name (X-Client-Name, X-Title,
-- OpenAI-Organization/-Project), bounded and sanitized: with the source
-- address and user agent it tells apart the services that use one key, so
-- a rotation report can say which of them still hold the old key.
ALTER TABLE request_logs ADD COLUMN client TEXT NOT NULL DEFAULT '';

-- incidents are handoff records: what happened to which keys, what was
-- found and done, and what is left. Lists and evidence snapshots are JSON
-- text; every text field was checked to hold no key or credential.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT 'manual',
    project TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    environment TEXT NOT NULL DEFAULT '',
    deployment TEXT NOT NULL DEFAULT '',
    capability TEXT NOT NULL DEFAULT '',
    symptom TEXT NOT NULL DEFAULT '',
    last_good_at BIGINT NOT NULL DEFAULT 0,
    last_good_request TEXT NOT NULL DEFAULT '',
    key_ids TEXT NOT NULL DEFAULT '[]',
    request_ids TEXT NOT NULL DEFAULT '[]',
    evidence TEXT NOT NULL DEFAULT '[]',
    next_review BIGINT NOT NULL DEFAULT 0,
    resolution TEXT NOT NULL DEFAULT '',
    opened_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    resolved_at BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX incidents_state_review ON incidents (state, next_review);
CREATE INDEX incidents_created ON incidents (created_at);

-- incident_keys links incidents to keys for "is this key already in an
-- open incident" without scanning JSON.
CREATE TABLE incident_keys (
    incident_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    PRIMARY KEY (incident_id, key_id)
);
CREATE INDEX incident_keys_key ON incident_keys (key_id);

-- incident_notes is the append-only timeline of an incident.
CREATE TABLE incident_notes (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    time BIGINT NOT NULL,
    author TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'note',
    text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_notes_incident ON incident_notes (incident_id, time);

-- +goose Down
DROP TABLE incident_notes;
DROP TABLE incident_keys;
DROP TABLE incidents;
ALTER TABLE request_logs DROP COLUMN client;
