-- +goose Up
-- Pupils' accounts next to erasure (00080): an erased account has no email
-- and no birth year; a pupil's never had them. One rule says both.
ALTER TABLE users
    DROP CONSTRAINT users_email_unless_managed,
    DROP CONSTRAINT users_birth_year_unless_managed,
    DROP CONSTRAINT users_profile_unless_erased,
    ADD CONSTRAINT users_profile_unless_erased CHECK (erased_at IS NOT NULL OR
        (gender IS NOT NULL AND country IS NOT NULL AND audience IS NOT NULL
         AND (managed OR (email IS NOT NULL AND birth_year IS NOT NULL)))),
    -- An erased pupil keeps no username or age band either.
    ADD CONSTRAINT users_erased_pupil_is_empty CHECK (erased_at IS NULL OR (username IS NULL AND age_band IS NULL));

-- +goose Down
ALTER TABLE users
    DROP CONSTRAINT users_erased_pupil_is_empty,
    DROP CONSTRAINT users_profile_unless_erased,
    ADD CONSTRAINT users_profile_unless_erased CHECK (erased_at IS NOT NULL OR
        (email IS NOT NULL AND gender IS NOT NULL AND birth_year IS NOT NULL AND country IS NOT NULL AND audience IS NOT NULL)),
    ADD CONSTRAINT users_email_unless_managed CHECK (managed OR email IS NOT NULL OR erased_at IS NOT NULL),
    ADD CONSTRAINT users_birth_year_unless_managed CHECK (managed OR birth_year IS NOT NULL OR erased_at IS NOT NULL);
