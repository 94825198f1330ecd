-- +goose Up
-- Every report request: who, when, which parameters.
CREATE TABLE report_audit (
    id         bigserial   PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id),
    endpoint   text        NOT NULL,
    params     jsonb       NOT NULL,
    format     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_audit_user_idx ON report_audit (user_id, created_at DESC);

-- Asynchronous CSV exports; the file is kept in the database so that every API
-- instance can serve it.
CREATE TABLE report_exports (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    requested_by uuid        NOT NULL REFERENCES users (id),
    params       jsonb       NOT NULL,
    status       text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    rows         integer,
    file         bytea,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX report_exports_requester_idx ON report_exports (requested_by, created_at DESC);

-- +goose Down
DROP TABLE report_exports;
DROP TABLE report_audit;
