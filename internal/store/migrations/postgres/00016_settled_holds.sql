-- budget_holds.settled: a hold whose call has ended stays, at the call's
-- real cost, until the call's request log row is stored: the row's insert
-- adds the cost to budget_spend and deletes the hold in one transaction,
-- so the recorded spend is always the sum of the stored rows, however the
-- process dies (a call killed between its settle and its row leaves a hold
-- that lapses, not spend without a row). Admission counts every unexpired
-- hold, settled or not; what a budget has spent is budget_spend plus its
-- settled holds.

-- +goose Up
ALTER TABLE budget_holds ADD COLUMN settled INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE budget_holds DROP COLUMN settled;
