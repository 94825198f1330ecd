-- +goose Up
-- Education level (the cohort's, snapshotted on the enrollment by migration
-- 00120; not_stated outside a cohort that states it) as a report dimension,
-- added as disability was in 00103: part of the demographic profile, so a
-- column of the counted state, of every rollup keyed by the profile and of
-- the mover tables. The rollups are recounted from the start.
-- not_stated is stored, as disability's is, so every enrollment has a value.
UPDATE enrollments SET education_level = 'not_stated' WHERE education_level IS NULL;
ALTER TABLE enrollments DROP CONSTRAINT enrollments_education_level_check,
    ALTER COLUMN education_level SET DEFAULT 'not_stated',
    ALTER COLUMN education_level SET NOT NULL,
    ADD CONSTRAINT enrollments_education_level_check
        CHECK (education_level IN ('primary', 'secondary', 'tertiary', 'adult', 'not_stated'));

TRUNCATE report_enrollment_state, report_cells, report_month_cells, report_geo_month_cells,
    report_place_month_cells, report_learner_cells, report_mover_pairs, report_mover_profiles,
    report_month_movers, report_changes;
UPDATE report_rollup_state SET data_as_of = NULL;

ALTER TABLE report_enrollment_state ADD COLUMN education_level text NOT NULL;
ALTER TABLE report_cells ADD COLUMN education_level text NOT NULL,
    DROP CONSTRAINT report_cells_key,
    ADD CONSTRAINT report_cells_key UNIQUE NULLS NOT DISTINCT
        (course_id, cohort_id, month, gender, region, country, audience, age_band, ldc, sids, lldc, disability, education_level);
ALTER TABLE report_month_cells ADD COLUMN education_level text NOT NULL,
    DROP CONSTRAINT report_month_cells_key,
    ADD CONSTRAINT report_month_cells_key UNIQUE (month, gender, region, country, audience, age_band, ldc, sids, lldc, disability, education_level);
ALTER TABLE report_learner_cells ADD COLUMN education_level text NOT NULL,
    DROP CONSTRAINT report_learner_cells_key,
    ADD CONSTRAINT report_learner_cells_key UNIQUE (gender, region, country, audience, age_band, ldc, sids, lldc, disability, education_level);
ALTER TABLE report_mover_pairs ADD COLUMN a_education_level text NOT NULL, ADD COLUMN b_education_level text NOT NULL,
    DROP CONSTRAINT report_mover_pairs_key,
    ADD CONSTRAINT report_mover_pairs_key UNIQUE (a_gender, a_region, a_country, a_audience, a_age_band, a_ldc, a_sids, a_lldc,
        a_disability, a_education_level, b_gender, b_region, b_country, b_audience, b_age_band, b_ldc, b_sids, b_lldc, b_disability, b_education_level);
ALTER TABLE report_mover_profiles ADD COLUMN education_level text NOT NULL;
ALTER TABLE report_month_movers ADD COLUMN education_level text NOT NULL;

-- Changes of an enrollment's education level reach the rollups too.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION report_log_enrollments() RETURNS trigger LANGUAGE plpgsql AS $$
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
               n.region, n.ldc, n.sids, n.lldc, n.age_band, n.disability, n.education_level)
              IS DISTINCT FROM
              (o.status, o.cohort_id, o.course_id, o.enrolled_at, o.user_id, o.gender, o.audience, o.country,
               o.region, o.ldc, o.sids, o.lldc, o.age_band, o.disability, o.education_level);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

INSERT INTO report_changes (enrollment_id) SELECT id FROM enrollments;

-- +goose Down
TRUNCATE report_enrollment_state, report_cells, report_month_cells, report_geo_month_cells,
    report_place_month_cells, report_learner_cells, report_mover_pairs, report_mover_profiles,
    report_month_movers, report_changes;
UPDATE report_rollup_state SET data_as_of = NULL;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION report_log_enrollments() RETURNS trigger LANGUAGE plpgsql AS $$
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
               n.region, n.ldc, n.sids, n.lldc, n.age_band, n.disability)
              IS DISTINCT FROM
              (o.status, o.cohort_id, o.course_id, o.enrolled_at, o.user_id, o.gender, o.audience, o.country,
               o.region, o.ldc, o.sids, o.lldc, o.age_band, o.disability);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- Dropping a column drops the key it is part of; the keys of before come back.
ALTER TABLE report_month_movers DROP COLUMN education_level;
ALTER TABLE report_mover_profiles DROP COLUMN education_level;
ALTER TABLE report_mover_pairs DROP COLUMN a_education_level, DROP COLUMN b_education_level,
    ADD CONSTRAINT report_mover_pairs_key UNIQUE (a_gender, a_region, a_country, a_audience, a_age_band, a_ldc, a_sids, a_lldc,
        a_disability, b_gender, b_region, b_country, b_audience, b_age_band, b_ldc, b_sids, b_lldc, b_disability);
ALTER TABLE report_learner_cells DROP COLUMN education_level,
    ADD CONSTRAINT report_learner_cells_key UNIQUE (gender, region, country, audience, age_band, ldc, sids, lldc, disability);
ALTER TABLE report_month_cells DROP COLUMN education_level,
    ADD CONSTRAINT report_month_cells_key UNIQUE (month, gender, region, country, audience, age_band, ldc, sids, lldc, disability);
ALTER TABLE report_cells DROP COLUMN education_level,
    ADD CONSTRAINT report_cells_key UNIQUE NULLS NOT DISTINCT
        (course_id, cohort_id, month, gender, region, country, audience, age_band, ldc, sids, lldc, disability);
ALTER TABLE report_enrollment_state DROP COLUMN education_level;

ALTER TABLE enrollments DROP CONSTRAINT enrollments_education_level_check,
    ALTER COLUMN education_level DROP NOT NULL,
    ALTER COLUMN education_level DROP DEFAULT;
UPDATE enrollments SET education_level = NULL WHERE education_level = 'not_stated';
ALTER TABLE enrollments ADD CONSTRAINT enrollments_education_level_check
    CHECK (education_level IN ('primary', 'secondary', 'tertiary', 'adult'));

INSERT INTO report_changes (enrollment_id) SELECT id FROM enrollments;
