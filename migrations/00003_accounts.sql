-- +goose Up
CREATE TABLE users (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email            text        NOT NULL CHECK (email <> '' AND length(email) <= 254),
    password_hash    text        NOT NULL,
    name             text        NOT NULL CHECK (name <> '' AND length(name) <= 200),
    roles            text[]      NOT NULL DEFAULT '{learner}'
                     CHECK (roles <@ ARRAY['learner', 'trainer', 'analyst', 'admin'] AND cardinality(roles) >= 1),
    gender           text        NOT NULL CHECK (gender IN ('female', 'male', 'other', 'undisclosed')),
    birth_year       integer     NOT NULL CHECK (birth_year >= 1900),
    country          char(2)     NOT NULL REFERENCES countries (code),
    audience         text        NOT NULL CHECK (audience IN ('youth', 'professional', 'msme')),
    organization     text        NOT NULL DEFAULT '' CHECK (length(organization) <= 200),
    language         text        NOT NULL DEFAULT 'en' CHECK (language IN ('ar', 'en', 'es', 'fr', 'ru', 'zh')),
    notify_email     boolean     NOT NULL DEFAULT true,
    notify_reminders boolean     NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Refresh tokens are opaque; only their SHA-256 is stored. Tokens issued from one
-- login share a family; presenting a rotated token revokes the whole family.
CREATE TABLE refresh_tokens (
    token_hash  bytea       PRIMARY KEY,
    family_id   uuid        NOT NULL,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE users;
