-- request_logs_key_code (key_id, error_code) goes: every statement that
-- filters on a key also bounds or orders by time, and request_logs_key_time
-- (key_id, time) serves each of them (impact and rotation reports, the log
-- filter by key and code: the code is checked on the key's rows in time
-- order), so the index cost every stored request log row an insert and
-- saved no read (see sqlstore's TestLogReadersUseIndexes for the plans).
-- The other indexes stay: request_id (unique: a replayed spool or a retried
-- batch is stored once, and its spend counted once), time (retention,
-- unfiltered listing), and (key_id | project | member | model, time) for
-- the filters of the log list and the usage report.

-- +goose Up
DROP INDEX IF EXISTS request_logs_key_code;

-- +goose Down
CREATE INDEX IF NOT EXISTS request_logs_key_code ON request_logs (key_id, error_code);
