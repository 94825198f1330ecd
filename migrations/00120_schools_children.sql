-- +goose Up
-- Schools and children: pupil accounts a trainer makes (no email, a
-- username, the age band instead of the birth year), the consent recorded
-- for them, their guardians, and the education level of cohorts.

-- A managed account is a pupil's: made by a trainer, signed in with a
-- username, holding the age band only (data minimisation), and disabled
-- (sign_in_disabled_at) when its class ends or consent is withdrawn.
ALTER TABLE users
    ADD COLUMN username            text UNIQUE CHECK (username ~ '^[a-z]+-[a-z]+-[0-9]{2,4}$'),
    ADD COLUMN managed             boolean     NOT NULL DEFAULT false,
    ADD COLUMN age_band            text CHECK (age_band IN ('under_15', '15_24', '25_34', '35_44', '45_54', '55_64', '65_plus')),
    ADD COLUMN sign_in_disabled_at timestamptz,
    ALTER COLUMN email DROP NOT NULL,
    ALTER COLUMN birth_year DROP NOT NULL,
    ADD CONSTRAINT users_pupil_minimal CHECK (NOT managed OR (email IS NULL AND birth_year IS NULL)),
    ADD CONSTRAINT users_email_unless_managed CHECK (managed OR email IS NOT NULL),
    ADD CONSTRAINT users_birth_year_unless_managed CHECK (managed OR birth_year IS NOT NULL);

-- A pupil joins the class its trainer made the account in: the consent
-- ledger below replaces the invitation for them.
ALTER TABLE cohort_members DROP CONSTRAINT cohort_members_joined_via_check,
    ADD CONSTRAINT cohort_members_joined_via_check CHECK (joined_via IN ('added', 'invitation', 'join_code', 'managed'));

-- The consent ledger: why a pupil's account may exist (a guardian's consent
-- collected by the school, or the school's own lawful basis), who recorded
-- it and when, and its withdrawal. Kept with the account.
CREATE TABLE pupil_consents (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    cohort_id    uuid        REFERENCES cohorts (id) ON DELETE SET NULL,
    basis        text        NOT NULL CHECK (basis IN ('guardian', 'school')),
    note         text        NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    recorded_by  uuid        REFERENCES users (id) ON DELETE SET NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    withdrawn_at timestamptz,
    withdrawn_by uuid        REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX pupil_consents_user_idx ON pupil_consents (user_id, recorded_at);

-- One-time codes a trainer gives a pupil's parent or guardian; only the
-- SHA-256 of a code is stored.
CREATE TABLE guardian_codes (
    code_hash  bytea       PRIMARY KEY,
    pupil_id   uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
    used_at    timestamptz,
    used_by    uuid        REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX guardian_codes_pupil_idx ON guardian_codes (pupil_id);

-- Guardians linked to pupils; GET /v1/me/children lists by guardian.
CREATE TABLE guardianships (
    guardian_id uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pupil_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (guardian_id, pupil_id),
    CHECK (guardian_id <> pupil_id)
);
CREATE INDEX guardianships_guardian_idx ON guardianships (guardian_id, linked_at DESC, pupil_id DESC);
CREATE INDEX guardianships_pupil_idx ON guardianships (pupil_id);

-- The education level a cohort serves, snapshotted on its enrollments like
-- the other reporting dimensions (NULL: not stated).
ALTER TABLE cohorts ADD COLUMN education_level text
    CHECK (education_level IN ('primary', 'secondary', 'tertiary', 'adult'));
ALTER TABLE enrollments ADD COLUMN education_level text
    CHECK (education_level IN ('primary', 'secondary', 'tertiary', 'adult'));

-- +goose Down
ALTER TABLE enrollments DROP COLUMN education_level;
ALTER TABLE cohorts DROP COLUMN education_level;
DROP TABLE guardianships;
DROP TABLE guardian_codes;
DROP TABLE pupil_consents;
DELETE FROM users WHERE managed;
ALTER TABLE cohort_members DROP CONSTRAINT cohort_members_joined_via_check,
    ADD CONSTRAINT cohort_members_joined_via_check CHECK (joined_via IN ('added', 'invitation', 'join_code'));
ALTER TABLE users
    DROP CONSTRAINT users_birth_year_unless_managed,
    DROP CONSTRAINT users_email_unless_managed,
    DROP CONSTRAINT users_pupil_minimal,
    ALTER COLUMN birth_year SET NOT NULL,
    ALTER COLUMN email SET NOT NULL,
    DROP COLUMN sign_in_disabled_at,
    DROP COLUMN age_band,
    DROP COLUMN managed,
    DROP COLUMN username;
