-- budget_holds: one row per in-flight reservation when the database
-- arbitrates budgets (several instances without Redis, or Redis down).
-- Each hold has its own expiry, so a hold leaked by a killed instance lapses
-- on its own however much traffic follows (the shared reserved_until of
-- budget_spend was pushed forward by every new reservation), and its owner
-- names the instance so a restarted one releases its own at start.
-- budget_spend.reserved_nano and reserved_until are no longer used.

-- +goose Up
CREATE TABLE budget_holds (
    hold_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    period TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    owner TEXT NOT NULL,
    amount_nano BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (hold_id, scope, subject, period, window_start)
);
CREATE INDEX budget_holds_window ON budget_holds (scope, subject, period, window_start, expires_at);
CREATE INDEX budget_holds_owner ON budget_holds (owner);
UPDATE budget_spend SET reserved_nano = 0, reserved_until = 0;

-- +goose Down
DROP TABLE budget_holds;
