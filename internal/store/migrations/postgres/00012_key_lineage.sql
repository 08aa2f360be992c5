-- api_keys.lineage names the rotation lineage a key belongs to: the id of
-- the first key of its chain of rotations ('' = the key's own id). Budgets
-- and rate limits are kept per lineage, so a rotated key and its
-- replacement share them during the grace window.

-- +goose Up
ALTER TABLE api_keys ADD COLUMN lineage TEXT NOT NULL DEFAULT '';
UPDATE api_keys SET lineage = rotated_from WHERE rotated_from <> '';

-- +goose Down
ALTER TABLE api_keys DROP COLUMN lineage;
