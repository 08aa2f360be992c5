-- Costly generation (images, video jobs).
--
-- jobs is the persisted state machine of an asynchronous generation job:
-- every transition is a compare-and-set on the previous state; pollers take
-- jobs by lease (lease_owner, lease_until) so two instances never poll one
-- job at once and a dead instance's jobs are taken over. Money: the worst
-- case is charged to the budgets at submit (reserved_nano, in the windows
-- of windows_json), and the terminal transition settles it to the real cost
-- (charged_nano) and credits the rest back in the same transaction.
-- job_ledger keeps one row per job and movement ('reserve', 'final'): its
-- primary key makes every movement happen at most once.
--
-- api_keys.request_types scopes a key to request types ('[]' = all);
-- models.media_json holds image prices by size/quality and video prices by
-- size; projects.max_jobs caps a project's jobs in flight (0 = no cap).

-- +goose Up
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    request_id TEXT NOT NULL,
    project TEXT NOT NULL,
    key_id TEXT NOT NULL,
    key_display TEXT NOT NULL,
    member TEXT NOT NULL DEFAULT '',
    group_name TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL,
    channel TEXT NOT NULL,
    upstream_model TEXT NOT NULL,
    upstream_id TEXT NOT NULL DEFAULT '',
    params_json TEXT NOT NULL DEFAULT '{}',
    seconds INTEGER NOT NULL DEFAULT 0,
    size TEXT NOT NULL DEFAULT '',
    progress INTEGER NOT NULL DEFAULT 0,
    reserved_nano BIGINT NOT NULL DEFAULT 0,
    charged_nano BIGINT NOT NULL DEFAULT 0,
    windows_json TEXT NOT NULL DEFAULT '[]',
    charged TEXT NOT NULL DEFAULT 'no',
    error_code TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT '',
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0,
    next_poll_at BIGINT NOT NULL DEFAULT 0,
    polls INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    started_at BIGINT NOT NULL DEFAULT 0,
    completed_at BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL DEFAULT 0,
    deadline_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, next_poll_at);
CREATE INDEX jobs_project ON jobs (project, created_at);
CREATE INDEX jobs_channel_state ON jobs (channel, state);
CREATE TABLE job_ledger (
    job_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount_nano BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (job_id, kind)
);
ALTER TABLE api_keys ADD COLUMN request_types TEXT NOT NULL DEFAULT '[]';
ALTER TABLE models ADD COLUMN media_json TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN max_jobs INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE projects DROP COLUMN max_jobs;
ALTER TABLE models DROP COLUMN media_json;
ALTER TABLE api_keys DROP COLUMN request_types;
DROP TABLE job_ledger;
DROP TABLE jobs;
