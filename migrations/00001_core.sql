-- +goose Up
-- Transactional outbox: domain writes that need follow-up work insert a row here
-- in the same transaction; the relay moves rows to the job queue (row id = task id).
CREATE TABLE outbox (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    task_type    text        NOT NULL CHECK (task_type <> ''),
    payload      jsonb       NOT NULL,
    queue        text        NOT NULL DEFAULT 'default' CHECK (queue IN ('critical', 'default', 'low')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    available_at timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text
);
CREATE INDEX outbox_pending_idx ON outbox (available_at, created_at) WHERE sent_at IS NULL;

-- Secrets generated on first run when configuration leaves them empty, so that
-- several instances started without configuration still share them.
CREATE TABLE app_secrets (
    name       text        PRIMARY KEY,
    value      bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE app_secrets;
DROP TABLE outbox;
