-- Member budgets and concurrency limits.
--
-- members gain a budget in USD per period, like keys and projects, so a
-- person's calls are held to it whichever of their keys they use.
-- api_keys and groups gain a cap on calls in flight: the key's own value
-- overrides its group's default, which overrides KEYGATE_KEY_CONCURRENCY;
-- 0 means "not set here".

-- +goose Up
ALTER TABLE members ADD COLUMN budget_usd REAL NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN budget_period TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN concurrency INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN concurrency INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE groups DROP COLUMN concurrency;
ALTER TABLE api_keys DROP COLUMN concurrency;
ALTER TABLE members DROP COLUMN budget_period;
ALTER TABLE members DROP COLUMN budget_usd;
