-- Per-channel limits as JSON: connect, first-byte and idle timeouts in
-- milliseconds and the cap on concurrent calls; '' means the defaults.

-- +goose Up
ALTER TABLE channels ADD COLUMN limits_json TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE channels DROP COLUMN limits_json;
