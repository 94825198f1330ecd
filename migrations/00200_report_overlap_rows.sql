-- +goose Up
-- Distinct learners counted by inclusion–exclusion inside each learner rollup.
--
-- A learner whose snapshot differs between enrollments (a mover) has several
-- cells in a rollup that counts distinct learners. Until now a report
-- subtracted those overlaps with statements of its own over per-learner
-- tables (report_mover_pairs, report_mover_profiles, report_month_movers),
-- which at a million learners cost more than the rollup scan itself. Now the
-- rollup job writes, next to a mover's own cells, one row per meet of them
-- (their common values, NULL where they differ) carrying the weight
-- inclusion–exclusion gives it in learners and learner_keys. Any grouping then
-- counts each learner once by summing the rows whose grouped and filtered
-- columns are not NULL: one statement per report, over pre-aggregated rows.
-- The key columns of the learner rollups become nullable for those rows; the
-- additive counts of a meet row are zero.
--
-- report_region_cells is the profile without the country: it answers every
-- grouping and filter that does not name a country (gender by region,
-- disability by education level...) from far fewer rows than
-- report_learner_cells.
--
-- The rollups are recounted from the start, as in 00070.
TRUNCATE report_enrollment_state, report_cells, report_month_cells, report_geo_month_cells,
    report_place_month_cells, report_learner_cells, report_mover_pairs, report_mover_profiles,
    report_month_movers, report_changes;
UPDATE report_rollup_state SET data_as_of = NULL;
DROP TABLE report_mover_pairs, report_mover_profiles, report_month_movers;

ALTER TABLE report_learner_cells
    ALTER COLUMN gender DROP NOT NULL, ALTER COLUMN region DROP NOT NULL, ALTER COLUMN country DROP NOT NULL,
    ALTER COLUMN audience DROP NOT NULL, ALTER COLUMN age_band DROP NOT NULL, ALTER COLUMN ldc DROP NOT NULL,
    ALTER COLUMN sids DROP NOT NULL, ALTER COLUMN lldc DROP NOT NULL, ALTER COLUMN disability DROP NOT NULL,
    ALTER COLUMN education_level DROP NOT NULL,
    DROP CONSTRAINT report_learner_cells_key,
    ADD CONSTRAINT report_learner_cells_key UNIQUE NULLS NOT DISTINCT
        (gender, region, country, audience, age_band, ldc, sids, lldc, disability, education_level);
ALTER TABLE report_month_cells
    ALTER COLUMN gender DROP NOT NULL, ALTER COLUMN region DROP NOT NULL, ALTER COLUMN country DROP NOT NULL,
    ALTER COLUMN audience DROP NOT NULL, ALTER COLUMN age_band DROP NOT NULL, ALTER COLUMN ldc DROP NOT NULL,
    ALTER COLUMN sids DROP NOT NULL, ALTER COLUMN lldc DROP NOT NULL, ALTER COLUMN disability DROP NOT NULL,
    ALTER COLUMN education_level DROP NOT NULL,
    DROP CONSTRAINT report_month_cells_key,
    ADD CONSTRAINT report_month_cells_key UNIQUE NULLS NOT DISTINCT
        (month, gender, region, country, audience, age_band, ldc, sids, lldc, disability, education_level);
ALTER TABLE report_geo_month_cells
    ALTER COLUMN gender DROP NOT NULL, ALTER COLUMN region DROP NOT NULL, ALTER COLUMN country DROP NOT NULL,
    ALTER COLUMN ldc DROP NOT NULL, ALTER COLUMN sids DROP NOT NULL, ALTER COLUMN lldc DROP NOT NULL,
    DROP CONSTRAINT report_geo_month_cells_key,
    ADD CONSTRAINT report_geo_month_cells_key UNIQUE NULLS NOT DISTINCT (month, gender, region, country, ldc, sids, lldc);
ALTER TABLE report_place_month_cells
    ALTER COLUMN region DROP NOT NULL, ALTER COLUMN country DROP NOT NULL,
    ALTER COLUMN ldc DROP NOT NULL, ALTER COLUMN sids DROP NOT NULL, ALTER COLUMN lldc DROP NOT NULL,
    DROP CONSTRAINT report_place_month_cells_key,
    ADD CONSTRAINT report_place_month_cells_key UNIQUE NULLS NOT DISTINCT (month, region, country, ldc, sids, lldc);

CREATE TABLE report_region_cells (
    gender           text,
    region           text,
    audience         text,
    age_band         text,
    ldc              boolean,
    sids             boolean,
    lldc             boolean,
    disability       text,
    education_level  text,
    learners         bigint NOT NULL DEFAULT 0,
    enrollments      bigint NOT NULL DEFAULT 0,
    completions      bigint NOT NULL DEFAULT 0,
    certificates     bigint NOT NULL DEFAULT 0,
    learner_keys     bigint NOT NULL DEFAULT 0,
    enrollment_keys  bigint NOT NULL DEFAULT 0,
    completion_keys  bigint NOT NULL DEFAULT 0,
    certificate_keys bigint NOT NULL DEFAULT 0,
    CONSTRAINT report_region_cells_key UNIQUE NULLS NOT DISTINCT
        (gender, region, audience, age_band, ldc, sids, lldc, disability, education_level)
);
CREATE INDEX report_region_cells_empty_idx ON report_region_cells (region) WHERE enrollments = 0;

INSERT INTO report_changes (enrollment_id) SELECT id FROM enrollments;

-- +goose Down
TRUNCATE report_enrollment_state, report_cells, report_month_cells, report_geo_month_cells,
    report_place_month_cells, report_learner_cells, report_changes;
UPDATE report_rollup_state SET data_as_of = NULL;
DROP TABLE report_region_cells;

ALTER TABLE report_place_month_cells
    ALTER COLUMN region SET NOT NULL, ALTER COLUMN country SET NOT NULL,
    ALTER COLUMN ldc SET NOT NULL, ALTER COLUMN sids SET NOT NULL, ALTER COLUMN lldc SET NOT NULL,
    DROP CONSTRAINT report_place_month_cells_key,
    ADD CONSTRAINT report_place_month_cells_key UNIQUE (month, region, country, ldc, sids, lldc);
ALTER TABLE report_geo_month_cells
    ALTER COLUMN gender SET NOT NULL, ALTER COLUMN region SET NOT NULL, ALTER COLUMN country SET NOT NULL,
    ALTER COLUMN ldc SET NOT NULL, ALTER COLUMN sids SET NOT NULL, ALTER COLUMN lldc SET NOT NULL,
    DROP CONSTRAINT report_geo_month_cells_key,
    ADD CONSTRAINT report_geo_month_cells_key UNIQUE (month, gender, region, country, ldc, sids, lldc);
ALTER TABLE report_month_cells
    ALTER COLUMN gender SET NOT NULL, ALTER COLUMN region SET NOT NULL, ALTER COLUMN country SET NOT NULL,
    ALTER COLUMN audience SET NOT NULL, ALTER COLUMN age_band SET NOT NULL, ALTER COLUMN ldc SET NOT NULL,
    ALTER COLUMN sids SET NOT NULL, ALTER COLUMN lldc SET NOT NULL, ALTER COLUMN disability SET NOT NULL,
    ALTER COLUMN education_level SET NOT NULL,
    DROP CONSTRAINT report_month_cells_key,
    ADD CONSTRAINT report_month_cells_key UNIQUE (month, gender, region, country, audience, age_band, ldc, sids, lldc, disability, education_level);
ALTER TABLE report_learner_cells
    ALTER COLUMN gender SET NOT NULL, ALTER COLUMN region SET NOT NULL, ALTER COLUMN country SET NOT NULL,
    ALTER COLUMN audience SET NOT NULL, ALTER COLUMN age_band SET NOT NULL, ALTER COLUMN ldc SET NOT NULL,
    ALTER COLUMN sids SET NOT NULL, ALTER COLUMN lldc SET NOT NULL, ALTER COLUMN disability SET NOT NULL,
    ALTER COLUMN education_level SET NOT NULL,
    DROP CONSTRAINT report_learner_cells_key,
    ADD CONSTRAINT report_learner_cells_key UNIQUE (gender, region, country, audience, age_band, ldc, sids, lldc, disability, education_level);

CREATE TABLE report_mover_pairs (
    a_gender text NOT NULL, a_region text NOT NULL, a_country char(2) NOT NULL, a_audience text NOT NULL,
    a_age_band text NOT NULL, a_ldc boolean NOT NULL, a_sids boolean NOT NULL, a_lldc boolean NOT NULL,
    b_gender text NOT NULL, b_region text NOT NULL, b_country char(2) NOT NULL, b_audience text NOT NULL,
    b_age_band text NOT NULL, b_ldc boolean NOT NULL, b_sids boolean NOT NULL, b_lldc boolean NOT NULL,
    movers bigint NOT NULL,
    mover_keys bigint NOT NULL DEFAULT 0,
    a_disability text NOT NULL, b_disability text NOT NULL,
    a_education_level text NOT NULL, b_education_level text NOT NULL,
    CONSTRAINT report_mover_pairs_key UNIQUE (a_gender, a_region, a_country, a_audience, a_age_band, a_ldc, a_sids, a_lldc,
        a_disability, a_education_level, b_gender, b_region, b_country, b_audience, b_age_band, b_ldc, b_sids, b_lldc,
        b_disability, b_education_level)
);
CREATE INDEX report_mover_pairs_empty_idx ON report_mover_pairs (a_country) WHERE movers = 0;
CREATE TABLE report_mover_profiles (
    user_id uuid NOT NULL, gender text NOT NULL, region text NOT NULL, country char(2) NOT NULL,
    audience text NOT NULL, age_band text NOT NULL, ldc boolean NOT NULL, sids boolean NOT NULL, lldc boolean NOT NULL,
    learner_key smallint NOT NULL, disability text NOT NULL, education_level text NOT NULL
);
CREATE INDEX report_mover_profiles_user_idx ON report_mover_profiles (user_id);
CREATE TABLE report_month_movers (
    user_id uuid NOT NULL, month date NOT NULL, gender text NOT NULL, region text NOT NULL, country char(2) NOT NULL,
    audience text NOT NULL, age_band text NOT NULL, ldc boolean NOT NULL, sids boolean NOT NULL, lldc boolean NOT NULL,
    learner_key smallint NOT NULL, disability text NOT NULL, education_level text NOT NULL
);
CREATE INDEX report_month_movers_user_idx ON report_month_movers (user_id);

INSERT INTO report_changes (enrollment_id) SELECT id FROM enrollments;
