-- Prompt caching and reasoning, priced and counted as providers bill them.
--
-- models.cached_input_per_mtok prices prompt tokens read from a provider's
-- cache, models.cache_write_per_mtok those written to it (0 = the input
-- price, so a model that declares neither costs what it did before).
-- request_logs and usage_rollup count the parts of input_tokens read from
-- and written to the cache and the part of output_tokens spent reasoning.

-- +goose Up
ALTER TABLE models ADD COLUMN cached_input_per_mtok DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE models ADD COLUMN cache_write_per_mtok DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE request_logs ADD COLUMN cached_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE request_logs ADD COLUMN cache_write_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE request_logs ADD COLUMN reasoning_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollup ADD COLUMN cached_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollup ADD COLUMN cache_write_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollup ADD COLUMN reasoning_tokens BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE usage_rollup DROP COLUMN reasoning_tokens;
ALTER TABLE usage_rollup DROP COLUMN cache_write_tokens;
ALTER TABLE usage_rollup DROP COLUMN cached_input_tokens;
ALTER TABLE request_logs DROP COLUMN reasoning_tokens;
ALTER TABLE request_logs DROP COLUMN cache_write_tokens;
ALTER TABLE request_logs DROP COLUMN cached_input_tokens;
ALTER TABLE models DROP COLUMN cache_write_per_mtok;
ALTER TABLE models DROP COLUMN cached_input_per_mtok;
