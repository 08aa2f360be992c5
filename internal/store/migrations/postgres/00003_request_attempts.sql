-- The story of each upstream attempt of a request (channel, upstream status,
-- error, duration) as a JSON array, for GET /admin/v1/requests/{request_id}.
-- Empty when the only attempt succeeded.

-- +goose Up
ALTER TABLE request_logs ADD COLUMN attempts_detail TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE request_logs DROP COLUMN attempts_detail;
