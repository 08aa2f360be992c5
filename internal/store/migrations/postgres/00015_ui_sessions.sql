-- Dashboard sessions, shared by every instance and kept across restarts.
-- id_hash is the SHA-256 (hex) of the session cookie's value: the cookie
-- itself is never stored, so reading this table signs no one in.
-- fingerprint is a digest of the member's credentials at sign-in (token
-- and password hashes): a re-token or a new password changes it and ends
-- the session. expires_at is the earlier of the idle and the absolute
-- deadline; rows past it are removed.

-- +goose Up
CREATE TABLE ui_sessions (
    id_hash TEXT PRIMARY KEY,
    member_id TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX ui_sessions_expires ON ui_sessions (expires_at);
CREATE INDEX ui_sessions_member ON ui_sessions (member_id);

-- +goose Down
DROP TABLE ui_sessions;
