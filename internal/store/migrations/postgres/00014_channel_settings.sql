-- Channels managed through the admin API: the Azure OpenAI api-version of
-- an azure channel, and the last channel test's report (JSON, '' = never
-- tested). A request log row says when its model had no price (the row's
-- cost is 0 because nothing was billed, not because the call was free).

-- +goose Up
ALTER TABLE channels ADD COLUMN api_version TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN last_test TEXT NOT NULL DEFAULT '';
ALTER TABLE request_logs ADD COLUMN unpriced INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE request_logs DROP COLUMN unpriced;
ALTER TABLE channels DROP COLUMN last_test;
ALTER TABLE channels DROP COLUMN api_version;
