-- +goose Up
-- Certificate signing keys (RSA, certificates only). The private key is stored
-- encrypted with a key from configuration; the public JWK is kept forever so old
-- certificates keep verifying after rotation.
CREATE TABLE certificate_keys (
    thumbprint  text        PRIMARY KEY,   -- RFC 7638 JWK thumbprint (base64url SHA-256)
    private_enc bytea       NOT NULL,
    public_jwk  jsonb       NOT NULL,
    current     boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz
);
CREATE UNIQUE INDEX certificate_keys_one_current ON certificate_keys (current) WHERE current;

CREATE TABLE status_lists (
    id         integer     PRIMARY KEY,
    size       integer     NOT NULL CHECK (size >= 131072),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE certificates (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        uuid        NOT NULL REFERENCES users (id),
    enrollment_id  uuid        NOT NULL UNIQUE REFERENCES enrollments (id),
    course_id      uuid        NOT NULL REFERENCES courses (id),
    version_id     uuid        NOT NULL REFERENCES course_versions (id),
    key_id         text        NOT NULL REFERENCES certificate_keys (thumbprint),
    learner_name   text        NOT NULL,
    course_title   text        NOT NULL,
    token          text        NOT NULL,
    issued_at      timestamptz NOT NULL,
    status_list_id integer     NOT NULL REFERENCES status_lists (id),
    status_index   integer     NOT NULL CHECK (status_index >= 0),
    revoked_at     timestamptz,
    revoked_reason text,
    revoked_by     uuid        REFERENCES users (id),
    UNIQUE (user_id, version_id),
    UNIQUE (status_list_id, status_index)
);
CREATE INDEX certificates_user_idx ON certificates (user_id, issued_at DESC, id DESC);
CREATE INDEX certificates_revoked_idx ON certificates (status_list_id) WHERE revoked_at IS NOT NULL;

-- +goose Down
DROP TABLE certificates;
DROP TABLE status_lists;
DROP TABLE certificate_keys;
