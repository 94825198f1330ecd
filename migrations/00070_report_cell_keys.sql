-- +goose Up
-- Cell-key perturbation of the participation reports (see reports/doc.go).
--
-- Every enrollment carries two random keys, drawn once and never shown:
--   record_key   its own, for the enrollment, completion and certificate counts;
--   learner_key  its learner's, the same on all of a learner's enrollments,
--                for the distinct-learner counts.
-- They live on the enrollment rows (not on users) so that the anonymous
-- statistics of an erased learner, whose enrollments stay, keep their keys.
-- learner_record_keys hands out each learner's key once, even to two
-- enrollments inserted at the same time.
CREATE TABLE learner_record_keys (
    user_id    uuid     PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    record_key smallint NOT NULL CHECK (record_key BETWEEN 0 AND 255)
);

ALTER TABLE enrollments
    ADD COLUMN record_key smallint NOT NULL DEFAULT floor(random() * 256)::smallint
        CHECK (record_key BETWEEN 0 AND 255),
    ADD COLUMN learner_key smallint CHECK (learner_key BETWEEN 0 AND 255);

INSERT INTO learner_record_keys (user_id, record_key)
SELECT user_id, floor(random() * 256)::smallint FROM (SELECT DISTINCT user_id FROM enrollments) u;
UPDATE enrollments e SET learner_key = k.record_key FROM learner_record_keys k WHERE k.user_id = e.user_id;
ALTER TABLE enrollments ALTER COLUMN learner_key SET NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION enrollment_learner_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO learner_record_keys (user_id, record_key)
    VALUES (NEW.user_id, floor(random() * 256)::smallint)
    ON CONFLICT (user_id) DO NOTHING;
    SELECT record_key INTO NEW.learner_key FROM learner_record_keys WHERE user_id = NEW.user_id;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER enrollments_learner_key BEFORE INSERT OR UPDATE OF user_id ON enrollments
    FOR EACH ROW EXECUTE FUNCTION enrollment_learner_key();

-- The rollups carry, next to each count, the sum of the keys of the records it
-- counts (cell keys are additive), so that a rollup and a count from the
-- enrollments give the same cell key. They are recounted from the start: the
-- first refresh after this migration counts every enrollment again.
TRUNCATE report_enrollment_state, report_cells, report_month_cells, report_geo_month_cells,
    report_place_month_cells, report_learner_cells, report_mover_pairs, report_mover_profiles,
    report_month_movers, report_changes;
UPDATE report_rollup_state SET data_as_of = NULL;

ALTER TABLE report_enrollment_state
    ADD COLUMN learner_key smallint NOT NULL,
    ADD COLUMN record_key smallint NOT NULL;
CREATE INDEX report_enrollment_state_cohort_idx ON report_enrollment_state (cohort_id) WHERE cohort_id IS NOT NULL;
ALTER TABLE report_cells
    ADD COLUMN learner_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN enrollment_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN completion_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN certificate_keys bigint NOT NULL DEFAULT 0;
ALTER TABLE report_month_cells
    ADD COLUMN learner_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN enrollment_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN completion_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN certificate_keys bigint NOT NULL DEFAULT 0;
ALTER TABLE report_geo_month_cells
    ADD COLUMN learner_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN enrollment_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN completion_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN certificate_keys bigint NOT NULL DEFAULT 0;
ALTER TABLE report_place_month_cells
    ADD COLUMN learner_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN enrollment_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN completion_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN certificate_keys bigint NOT NULL DEFAULT 0;
ALTER TABLE report_learner_cells
    ADD COLUMN learner_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN enrollment_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN completion_keys bigint NOT NULL DEFAULT 0,
    ADD COLUMN certificate_keys bigint NOT NULL DEFAULT 0;
ALTER TABLE report_mover_pairs ADD COLUMN mover_keys bigint NOT NULL DEFAULT 0;
ALTER TABLE report_mover_profiles ADD COLUMN learner_key smallint NOT NULL;
ALTER TABLE report_month_movers ADD COLUMN learner_key smallint NOT NULL;

INSERT INTO report_changes (enrollment_id) SELECT id FROM enrollments;

-- +goose Down
TRUNCATE report_enrollment_state, report_cells, report_month_cells, report_geo_month_cells,
    report_place_month_cells, report_learner_cells, report_mover_pairs, report_mover_profiles,
    report_month_movers, report_changes;
UPDATE report_rollup_state SET data_as_of = NULL;
ALTER TABLE report_month_movers DROP COLUMN learner_key;
ALTER TABLE report_mover_profiles DROP COLUMN learner_key;
ALTER TABLE report_mover_pairs DROP COLUMN mover_keys;
ALTER TABLE report_learner_cells DROP COLUMN learner_keys, DROP COLUMN enrollment_keys,
    DROP COLUMN completion_keys, DROP COLUMN certificate_keys;
ALTER TABLE report_place_month_cells DROP COLUMN learner_keys, DROP COLUMN enrollment_keys,
    DROP COLUMN completion_keys, DROP COLUMN certificate_keys;
ALTER TABLE report_geo_month_cells DROP COLUMN learner_keys, DROP COLUMN enrollment_keys,
    DROP COLUMN completion_keys, DROP COLUMN certificate_keys;
ALTER TABLE report_month_cells DROP COLUMN learner_keys, DROP COLUMN enrollment_keys,
    DROP COLUMN completion_keys, DROP COLUMN certificate_keys;
ALTER TABLE report_cells DROP COLUMN learner_keys, DROP COLUMN enrollment_keys,
    DROP COLUMN completion_keys, DROP COLUMN certificate_keys;
DROP INDEX report_enrollment_state_cohort_idx;
ALTER TABLE report_enrollment_state DROP COLUMN record_key, DROP COLUMN learner_key;
INSERT INTO report_changes (enrollment_id) SELECT id FROM enrollments;
DROP TRIGGER enrollments_learner_key ON enrollments;
DROP FUNCTION enrollment_learner_key();
ALTER TABLE enrollments DROP COLUMN learner_key, DROP COLUMN record_key;
DROP TABLE learner_record_keys;
