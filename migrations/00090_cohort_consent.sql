-- +goose Up
-- Cohorts with consent: nobody joins a cohort before accepting an invitation
-- or typing the cohort's join code; trainers can end (archive) a cohort.

-- An ended cohort takes no new invitations or joins; its members keep their
-- enrollments and certificates.
ALTER TABLE cohorts ADD COLUMN archived_at timestamptz;
ALTER TABLE cohorts ADD COLUMN updated_at timestamptz;

-- How a member came in: 'invitation' and 'join_code' are the member's own
-- acceptance; 'added' marks rows written by staff without a recorded consent
-- (members added before this migration, fixtures, bulk loads).
ALTER TABLE cohort_members ADD COLUMN joined_via text NOT NULL DEFAULT 'added'
    CHECK (joined_via IN ('added', 'invitation', 'join_code'));

-- One invitation per cohort and address (email_key is the address in lower
-- case, as accounts are matched). It is addressed to an email, never to an
-- account, so inviting tells nothing about who has one; the account whose
-- email matches is the invitee. Re-inviting refreshes the same row.
CREATE TABLE cohort_invitations (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    cohort_id    uuid        NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    email        text        NOT NULL CHECK (email <> '' AND length(email) <= 254),
    email_key    text        NOT NULL CHECK (email_key = lower(email)),
    invited_by   uuid        REFERENCES users (id) ON DELETE SET NULL,
    status       text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz NOT NULL DEFAULT now(),  -- last (re)invitation
    expires_at   timestamptz NOT NULL,
    emailed_at   timestamptz,                         -- last email sent for it
    responded_at timestamptz,
    user_id      uuid        REFERENCES users (id) ON DELETE SET NULL, -- who accepted or declined
    CHECK (expires_at > sent_at),
    CONSTRAINT cohort_invitations_address_key UNIQUE (cohort_id, email_key)
);
-- GET /v1/me/invitations: the caller's pending invitations, by expiry.
CREATE INDEX cohort_invitations_pending_idx ON cohort_invitations (email_key, expires_at DESC, id DESC)
    WHERE status = 'pending';
-- Counting a cohort's pending invitations.
CREATE INDEX cohort_invitations_cohort_pending_idx ON cohort_invitations (cohort_id, expires_at)
    WHERE status = 'pending';

-- A cohort's current join code (at most one): short, typed by learners in a
-- classroom, looked up by its value.
CREATE TABLE cohort_join_codes (
    code       text        PRIMARY KEY CHECK (code ~ '^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$'),
    cohort_id  uuid        NOT NULL UNIQUE REFERENCES cohorts (id) ON DELETE CASCADE,
    created_by uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL CHECK (expires_at > created_at)
);

-- +goose Down
DROP TABLE cohort_join_codes;
DROP TABLE cohort_invitations;
ALTER TABLE cohort_members DROP COLUMN joined_via;
ALTER TABLE cohorts DROP COLUMN updated_at;
ALTER TABLE cohorts DROP COLUMN archived_at;
