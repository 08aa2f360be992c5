-- budget_spend is the ledger's durable side: what each budget (a key, a
-- member or a project) spent in one period window, in nano-USD so sums are
-- exact. Instances add their spend as increments, so several gateways on
-- one database never overwrite each other. reserved_nano holds in-flight
-- reservations when the database itself arbitrates (several instances
-- without Redis, or Redis down); reserved_until lets a reservation leaked by
-- a crashed instance lapse instead of holding the budget forever.

-- +goose Up
CREATE TABLE budget_spend (
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    period TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    spent_nano INTEGER NOT NULL DEFAULT 0,
    reserved_nano INTEGER NOT NULL DEFAULT 0,
    reserved_until INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (scope, subject, period, window_start)
);

-- +goose Down
DROP TABLE budget_spend;
