-- +goose Up
CREATE TABLE cohorts (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text        NOT NULL CHECK (name <> '' AND length(name) <= 200),
    course_id  uuid        NOT NULL REFERENCES courses (id),
    owner_id   uuid        NOT NULL REFERENCES users (id),
    country    char(2)     NOT NULL REFERENCES countries (code),
    starts_on  date        NOT NULL,
    ends_on    date        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on > starts_on)
);
CREATE INDEX cohorts_owner_idx ON cohorts (owner_id, created_at DESC, id DESC);
CREATE INDEX cohorts_created_idx ON cohorts (created_at DESC, id DESC);
CREATE INDEX cohorts_ends_on_idx ON cohorts (ends_on);

-- An enrollment pins the course version current at enrollment time and
-- snapshots the learner's demographics then, so reports never rewrite history.
CREATE TABLE enrollments (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id         uuid        NOT NULL REFERENCES courses (id),
    version_id        uuid        NOT NULL REFERENCES course_versions (id),
    cohort_id         uuid        REFERENCES cohorts (id) ON DELETE SET NULL,
    status            text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed')),
    lessons_completed integer     NOT NULL DEFAULT 0 CHECK (lessons_completed >= 0),
    lessons_total     integer     NOT NULL CHECK (lessons_total >= 0),
    progress_percent  smallint    NOT NULL DEFAULT 0 CHECK (progress_percent BETWEEN 0 AND 100),
    enrolled_at       timestamptz NOT NULL DEFAULT now(),
    last_activity_at  timestamptz,
    completed_at      timestamptz,
    gender            text        NOT NULL,
    audience          text        NOT NULL,
    country           char(2)     NOT NULL REFERENCES countries (code),
    region            text        NOT NULL,
    ldc               boolean     NOT NULL,
    sids              boolean     NOT NULL,
    lldc              boolean     NOT NULL,
    age_band          text        NOT NULL CHECK (age_band IN ('under_15', '15_24', '25_34', '35_44', '45_54', '55_64', '65_plus')),
    UNIQUE (user_id, course_id),
    CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);
CREATE INDEX enrollments_user_idx ON enrollments (user_id, enrolled_at DESC, id DESC);
CREATE INDEX enrollments_course_idx ON enrollments (course_id);
CREATE INDEX enrollments_cohort_idx ON enrollments (cohort_id) WHERE cohort_id IS NOT NULL;
CREATE INDEX enrollments_active_activity_idx ON enrollments (last_activity_at) WHERE status = 'active';

CREATE TABLE cohort_members (
    cohort_id     uuid        NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    enrollment_id uuid        NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    added_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cohort_id, user_id)
);
CREATE INDEX cohort_members_user_idx ON cohort_members (user_id);

-- Every accepted progress event, once. Partitioned by month of occurred_at so the
-- table can hold billions of rows and old months can be detached and archived.
CREATE TABLE progress_events (
    id            uuid        NOT NULL,
    occurred_at   timestamptz NOT NULL,
    user_id       uuid        NOT NULL,
    enrollment_id uuid        NOT NULL,
    lesson_id     uuid        NOT NULL,
    type          text        NOT NULL CHECK (type IN ('lesson_completed')),
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX progress_events_id_idx ON progress_events (id);
CREATE INDEX progress_events_enrollment_idx ON progress_events (enrollment_id, occurred_at);
CREATE TABLE progress_events_default PARTITION OF progress_events DEFAULT;

-- ensure_progress_partitions creates the monthly partitions from the month of
-- from_month through months_ahead months after now(); it is idempotent.
-- +goose StatementBegin
CREATE FUNCTION ensure_progress_partitions(from_month date, months_ahead integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    m       date := date_trunc('month', from_month)::date;
    last    date := (date_trunc('month', now()) + make_interval(months => months_ahead))::date;
    name    text;
    created integer := 0;
BEGIN
    WHILE m <= last LOOP
        name := format('progress_events_%s', to_char(m, 'YYYY_MM'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF progress_events FOR VALUES FROM (%L) TO (%L)',
                           name, m, (m + interval '1 month')::date);
            created := created + 1;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN created;
END;
$$;
-- +goose StatementEnd
SELECT ensure_progress_partitions((date_trunc('month', now()) - interval '24 months')::date, 3);

-- The counted state: one row per completed lesson of an enrollment.
CREATE TABLE lesson_completions (
    enrollment_id uuid        NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    lesson_id     uuid        NOT NULL REFERENCES lessons (id),
    completed_at  timestamptz NOT NULL,
    event_id      uuid        NOT NULL,
    PRIMARY KEY (enrollment_id, lesson_id)
);

CREATE TABLE quiz_attempts (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    quiz_id        uuid        NOT NULL REFERENCES quizzes (id),
    enrollment_id  uuid        NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    user_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    attempt_number integer     NOT NULL CHECK (attempt_number >= 1),
    score          integer     NOT NULL CHECK (score BETWEEN 0 AND 100),
    passed         boolean     NOT NULL,
    answers        jsonb       NOT NULL,
    results        jsonb       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (enrollment_id, quiz_id, attempt_number)
);
CREATE INDEX quiz_attempts_user_idx ON quiz_attempts (user_id, quiz_id, created_at DESC);

-- In-app notifications; dedupe_key makes every writer idempotent.
CREATE TABLE notifications (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         text        NOT NULL,
    title        text        NOT NULL,
    body         text        NOT NULL,
    data         jsonb       NOT NULL DEFAULT '{}',
    dedupe_key   text        NOT NULL UNIQUE,
    email_status text        NOT NULL DEFAULT 'none' CHECK (email_status IN ('none', 'pending', 'sent', 'failed', 'logged')),
    emailed_at   timestamptz,
    read_at      timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);

-- +goose Down
DROP TABLE notifications;
DROP TABLE quiz_attempts;
DROP TABLE lesson_completions;
DROP FUNCTION ensure_progress_partitions(date, integer);
DROP TABLE progress_events;
DROP TABLE cohort_members;
DROP TABLE enrollments;
DROP TABLE cohorts;
