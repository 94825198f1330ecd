-- +goose Up
-- session_version ends every session of an account at once: access tokens
-- carry the version they were issued under, and a role change, a password
-- change or reset, a logout-all or an erasure bumps it.
ALTER TABLE users
    ADD COLUMN email_verified_at timestamptz,
    ADD COLUMN session_version   integer     NOT NULL DEFAULT 1 CHECK (session_version >= 1),
    ADD COLUMN erased_at         timestamptz;

-- An erased account keeps its id (enrollments, certificates and the report
-- rollups are keyed by it, so anonymous statistics keep their counts) and
-- loses everything that says who it was.
ALTER TABLE users
    ALTER COLUMN email DROP NOT NULL,
    ALTER COLUMN gender DROP NOT NULL,
    ALTER COLUMN birth_year DROP NOT NULL,
    ALTER COLUMN country DROP NOT NULL,
    ALTER COLUMN audience DROP NOT NULL,
    DROP CONSTRAINT users_name_check,
    ADD CONSTRAINT users_name_check CHECK (length(name) <= 200 AND (name <> '' OR erased_at IS NOT NULL)),
    ADD CONSTRAINT users_profile_unless_erased CHECK (erased_at IS NOT NULL OR
        (email IS NOT NULL AND gender IS NOT NULL AND birth_year IS NOT NULL AND country IS NOT NULL AND audience IS NOT NULL)),
    ADD CONSTRAINT users_erased_is_empty CHECK (erased_at IS NULL OR
        (email IS NULL AND name = '' AND password_hash = '' AND gender IS NULL AND birth_year IS NULL
         AND country IS NULL AND audience IS NULL AND organization = ''));

-- Single-use tokens emailed to an account's address: password resets and
-- email verifications. Only the SHA-256 of a token is stored; a reset token
-- lives at most an hour.
CREATE TABLE account_tokens (
    token_hash bytea       PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text        NOT NULL CHECK (purpose IN ('password_reset', 'email_verification')),
    email      text        NOT NULL,  -- the address the token was sent to (and, for a verification, proves)
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CHECK (purpose <> 'password_reset' OR expires_at <= created_at + interval '1 hour'),
    CHECK (expires_at > created_at)
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose) WHERE used_at IS NULL;

-- refresh_tokens_family_idx serves the per-request "is this session still
-- open" check; it is keyed by family already.

-- +goose Down
DROP TABLE account_tokens;
DELETE FROM users WHERE erased_at IS NOT NULL;
ALTER TABLE users
    DROP CONSTRAINT users_erased_is_empty,
    DROP CONSTRAINT users_profile_unless_erased,
    DROP CONSTRAINT users_name_check,
    ADD CONSTRAINT users_name_check CHECK (name <> '' AND length(name) <= 200),
    ALTER COLUMN email SET NOT NULL,
    ALTER COLUMN gender SET NOT NULL,
    ALTER COLUMN birth_year SET NOT NULL,
    ALTER COLUMN country SET NOT NULL,
    ALTER COLUMN audience SET NOT NULL,
    DROP COLUMN erased_at,
    DROP COLUMN session_version,
    DROP COLUMN email_verified_at;
