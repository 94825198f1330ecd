-- +goose Up
-- Accessibility metadata (schema.org terms) of course versions and lessons, a
-- video lesson's transcript, and, for the catalogue's accessibility filter, the
-- features every lesson of a version offers.
ALTER TABLE course_versions
    ADD COLUMN accessibility   jsonb,
    ADD COLUMN lesson_features text[] NOT NULL DEFAULT '{}';
ALTER TABLE lessons
    ADD COLUMN accessibility jsonb,   -- as served: the lesson's own, or the course's
    ADD COLUMN transcript    text NOT NULL DEFAULT '';

-- GET /v1/courses?accessibility= asks "does every lesson offer all of these";
-- the containment test is served by this index.
CREATE INDEX course_versions_lesson_features_idx ON course_versions USING gin (lesson_features);

-- +goose Down
DROP INDEX course_versions_lesson_features_idx;
ALTER TABLE lessons DROP COLUMN transcript, DROP COLUMN accessibility;
ALTER TABLE course_versions DROP COLUMN lesson_features, DROP COLUMN accessibility;
