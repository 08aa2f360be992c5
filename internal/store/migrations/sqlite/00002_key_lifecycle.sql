-- +goose Up
-- rotated_from links a replacement key to the key it replaced, so budget
-- history and incident reports can follow a key across rotations.
ALTER TABLE api_keys ADD COLUMN rotated_from TEXT NOT NULL DEFAULT '';

-- once_marks records that something was done exactly once: an idempotent
-- rotation (scope "rotate:<key id>", id = Idempotency-Key, value = new key
-- id) or a notice already sent (scope "expiry-notice").
CREATE TABLE once_marks (
    scope TEXT NOT NULL,
    id TEXT NOT NULL,
    value TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, id)
);
CREATE INDEX once_marks_created ON once_marks (created_at);
CREATE INDEX request_logs_key_code ON request_logs (key_id, error_code);

-- +goose Down
DROP INDEX request_logs_key_code;
DROP TABLE once_marks;
ALTER TABLE api_keys DROP COLUMN rotated_from;
