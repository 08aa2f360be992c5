-- Test keys (kg_test_) restricted per project: test_models is a JSON
-- allow-list of catalogue names ('[]' = no restriction beyond the key's
-- group and scope); test_budget_usd and test_budget_period are one budget
-- shared by all the project's test keys (0 = none).

-- +goose Up
ALTER TABLE projects ADD COLUMN test_models TEXT NOT NULL DEFAULT '[]';
ALTER TABLE projects ADD COLUMN test_budget_usd DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN test_budget_period TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE projects DROP COLUMN test_budget_period;
ALTER TABLE projects DROP COLUMN test_budget_usd;
ALTER TABLE projects DROP COLUMN test_models;
