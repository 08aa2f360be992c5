-- Channels managed through the admin API: the Azure OpenAI api-version of
-- an azure channel, and the last channel test's report (JSON, '' = never
-- tested).

-- +goose Up
ALTER TABLE channels ADD COLUMN api_version TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN last_test TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE channels DROP COLUMN last_test;
ALTER TABLE channels DROP COLUMN api_version;
