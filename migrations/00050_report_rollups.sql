-- +goose Up
-- Participation report rollups, kept fresh incrementally by the rollup job.
--
-- Triggers record which enrollments changed (report_changes); the job reads the
-- changed enrollments in one snapshot, compares them with what it counted last
-- time (report_enrollment_state) and applies the difference to three rollups:
--   report_cells          every dimension (course, cohort, month and the
--                         demographic snapshot): additive counts;
--   report_month_cells    demographics and month: distinct learners per cell
--                         plus additive counts;
--   report_learner_cells  demographics only: distinct learners per cell plus
--                         additive counts.
-- A learner whose snapshot differs between enrollments (a "mover": changed
-- country, passed an age band...) is counted in each of their demographic
-- cells; report queries subtract those overlaps exactly using the compact
-- mover tables below.
-- Counts carry no CHECK (>= 0): an upsert of a negative difference is checked
-- before it meets its existing row.

-- Enrollments whose counted state may have changed since the last refresh.
CREATE TABLE report_changes (
    id            bigserial   PRIMARY KEY,
    enrollment_id uuid        NOT NULL,
    changed_at    timestamptz NOT NULL DEFAULT now()
);

-- What the rollups currently count for each enrollment.
CREATE TABLE report_enrollment_state (
    enrollment_id uuid    PRIMARY KEY,
    user_id       uuid    NOT NULL,
    gender        text    NOT NULL,
    region        text    NOT NULL,
    country       char(2) NOT NULL,
    audience      text    NOT NULL,
    age_band      text    NOT NULL,
    ldc           boolean NOT NULL,
    sids          boolean NOT NULL,
    lldc          boolean NOT NULL,
    course_id     uuid    NOT NULL,
    cohort_id     uuid,
    month         date    NOT NULL,
    completed     boolean NOT NULL,
    certified     boolean NOT NULL,
    mover         boolean NOT NULL DEFAULT false
);
CREATE INDEX report_enrollment_state_user_idx ON report_enrollment_state (user_id);

CREATE TABLE report_cells (
    gender       text    NOT NULL,
    region       text    NOT NULL,
    country      char(2) NOT NULL,
    audience     text    NOT NULL,
    age_band     text    NOT NULL,
    ldc          boolean NOT NULL,
    sids         boolean NOT NULL,
    lldc         boolean NOT NULL,
    course_id    uuid    NOT NULL,
    cohort_id    uuid,
    month        date    NOT NULL,
    enrollments  bigint  NOT NULL,
    completions  bigint  NOT NULL,
    certificates bigint  NOT NULL,
    CONSTRAINT report_cells_key UNIQUE NULLS NOT DISTINCT
        (course_id, cohort_id, month, gender, region, country, audience, age_band, ldc, sids, lldc)
);
CREATE INDEX report_cells_empty_idx ON report_cells (course_id) WHERE enrollments = 0;
CREATE INDEX report_cells_cohort_idx ON report_cells (cohort_id) WHERE cohort_id IS NOT NULL;
CREATE INDEX report_cells_month_idx ON report_cells (month);

CREATE TABLE report_month_cells (
    gender       text    NOT NULL,
    region       text    NOT NULL,
    country      char(2) NOT NULL,
    audience     text    NOT NULL,
    age_band     text    NOT NULL,
    ldc          boolean NOT NULL,
    sids         boolean NOT NULL,
    lldc         boolean NOT NULL,
    month        date    NOT NULL,
    learners     bigint  NOT NULL DEFAULT 0,
    enrollments  bigint  NOT NULL DEFAULT 0,
    completions  bigint  NOT NULL DEFAULT 0,
    certificates bigint  NOT NULL DEFAULT 0,
    CONSTRAINT report_month_cells_key UNIQUE (month, gender, region, country, audience, age_band, ldc, sids, lldc)
);
CREATE INDEX report_month_cells_empty_idx ON report_month_cells (month) WHERE enrollments = 0;

CREATE TABLE report_learner_cells (
    gender       text    NOT NULL,
    region       text    NOT NULL,
    country      char(2) NOT NULL,
    audience     text    NOT NULL,
    age_band     text    NOT NULL,
    ldc          boolean NOT NULL,
    sids         boolean NOT NULL,
    lldc         boolean NOT NULL,
    learners     bigint  NOT NULL DEFAULT 0,
    enrollments  bigint  NOT NULL DEFAULT 0,
    completions  bigint  NOT NULL DEFAULT 0,
    certificates bigint  NOT NULL DEFAULT 0,
    CONSTRAINT report_learner_cells_key UNIQUE (gender, region, country, audience, age_band, ldc, sids, lldc)
);
CREATE INDEX report_learner_cells_empty_idx ON report_learner_cells (country) WHERE enrollments = 0;

-- Overlaps of movers, kept compact so that report queries never scan people:
-- movers with exactly two demographic profiles, counted per pair of profiles
-- (a < b); movers with three or more, one row per profile; and learners with
-- several profiles within one month, one row per (month, profile).
CREATE TABLE report_mover_pairs (
    a_gender text NOT NULL, a_region text NOT NULL, a_country char(2) NOT NULL, a_audience text NOT NULL,
    a_age_band text NOT NULL, a_ldc boolean NOT NULL, a_sids boolean NOT NULL, a_lldc boolean NOT NULL,
    b_gender text NOT NULL, b_region text NOT NULL, b_country char(2) NOT NULL, b_audience text NOT NULL,
    b_age_band text NOT NULL, b_ldc boolean NOT NULL, b_sids boolean NOT NULL, b_lldc boolean NOT NULL,
    movers bigint NOT NULL,
    CONSTRAINT report_mover_pairs_key UNIQUE (a_gender, a_region, a_country, a_audience, a_age_band, a_ldc, a_sids, a_lldc,
        b_gender, b_region, b_country, b_audience, b_age_band, b_ldc, b_sids, b_lldc)
);
CREATE INDEX report_mover_pairs_empty_idx ON report_mover_pairs (a_country) WHERE movers = 0;

CREATE TABLE report_mover_profiles (
    user_id  uuid    NOT NULL,
    gender   text    NOT NULL,
    region   text    NOT NULL,
    country  char(2) NOT NULL,
    audience text    NOT NULL,
    age_band text    NOT NULL,
    ldc      boolean NOT NULL,
    sids     boolean NOT NULL,
    lldc     boolean NOT NULL
);
CREATE INDEX report_mover_profiles_user_idx ON report_mover_profiles (user_id);

CREATE TABLE report_month_movers (
    user_id  uuid    NOT NULL,
    month    date    NOT NULL,
    gender   text    NOT NULL,
    region   text    NOT NULL,
    country  char(2) NOT NULL,
    audience text    NOT NULL,
    age_band text    NOT NULL,
    ldc      boolean NOT NULL,
    sids     boolean NOT NULL,
    lldc     boolean NOT NULL
);
CREATE INDEX report_month_movers_user_idx ON report_month_movers (user_id);

-- One row: when the rollups last reflected every committed change (null until
-- the first refresh; reports are then counted from the enrollments directly).
CREATE TABLE report_rollup_state (
    id          boolean     PRIMARY KEY DEFAULT true CHECK (id),
    data_as_of  timestamptz,
    last_run_at timestamptz,
    last_changes integer    NOT NULL DEFAULT 0
);
INSERT INTO report_rollup_state DEFAULT VALUES;

-- Enrollments reached by date filters outside whole months are counted directly.
CREATE INDEX enrollments_enrolled_at_idx ON enrollments (enrolled_at);

-- +goose StatementBegin
CREATE FUNCTION report_log_enrollments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO report_changes (enrollment_id) SELECT id FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO report_changes (enrollment_id) SELECT id FROM old_rows;
    ELSE
        -- Progress updates are frequent and change nothing the reports count.
        INSERT INTO report_changes (enrollment_id)
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.status, n.cohort_id, n.course_id, n.enrolled_at, n.user_id, n.gender, n.audience, n.country,
               n.region, n.ldc, n.sids, n.lldc, n.age_band)
              IS DISTINCT FROM
              (o.status, o.cohort_id, o.course_id, o.enrolled_at, o.user_id, o.gender, o.audience, o.country,
               o.region, o.ldc, o.sids, o.lldc, o.age_band);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION report_log_certificates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO report_changes (enrollment_id) SELECT enrollment_id FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO report_changes (enrollment_id) SELECT enrollment_id FROM old_rows;
    ELSE
        INSERT INTO report_changes (enrollment_id)
        SELECT n.enrollment_id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.revoked_at IS NULL, n.enrollment_id) IS DISTINCT FROM (o.revoked_at IS NULL, o.enrollment_id)
        UNION
        SELECT o.enrollment_id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.enrollment_id <> o.enrollment_id;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER report_enrollments_insert AFTER INSERT ON enrollments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_log_enrollments();
CREATE TRIGGER report_enrollments_update AFTER UPDATE ON enrollments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_log_enrollments();
CREATE TRIGGER report_enrollments_delete AFTER DELETE ON enrollments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_log_enrollments();
CREATE TRIGGER report_certificates_insert AFTER INSERT ON certificates
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_log_certificates();
CREATE TRIGGER report_certificates_update AFTER UPDATE ON certificates
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_log_certificates();
CREATE TRIGGER report_certificates_delete AFTER DELETE ON certificates
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_log_certificates();

-- Enrollments made before this migration are counted by the first refresh.
INSERT INTO report_changes (enrollment_id) SELECT id FROM enrollments;

-- +goose Down
DROP TRIGGER report_certificates_delete ON certificates;
DROP TRIGGER report_certificates_update ON certificates;
DROP TRIGGER report_certificates_insert ON certificates;
DROP TRIGGER report_enrollments_delete ON enrollments;
DROP TRIGGER report_enrollments_update ON enrollments;
DROP TRIGGER report_enrollments_insert ON enrollments;
DROP FUNCTION report_log_certificates();
DROP FUNCTION report_log_enrollments();
DROP INDEX enrollments_enrolled_at_idx;
DROP TABLE report_rollup_state;
DROP TABLE report_month_movers;
DROP TABLE report_mover_profiles;
DROP TABLE report_mover_pairs;
DROP TABLE report_learner_cells;
DROP TABLE report_month_cells;
DROP TABLE report_cells;
DROP TABLE report_enrollment_state;
DROP TABLE report_changes;
