-- +goose Up
-- Counts the catalogue shows for each version, computed once at import.
ALTER TABLE course_versions
    ADD COLUMN module_count integer NOT NULL DEFAULT 0 CHECK (module_count >= 0),
    ADD COLUMN lesson_count integer NOT NULL DEFAULT 0 CHECK (lesson_count >= 0);

-- The catalogue lists live courses in slug order; this index serves that keyset.
CREATE INDEX courses_catalogue_idx ON courses (slug)
    WHERE archived_at IS NULL AND current_version_id IS NOT NULL;

-- The catalogue generation: every change to courses or their versions bumps it,
-- so each API instance can tell, with one cheap read, whether the responses it
-- has cached are still current.
CREATE TABLE catalogue_state (
    id         boolean     PRIMARY KEY DEFAULT true CHECK (id),
    generation bigint      NOT NULL DEFAULT 1,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO catalogue_state DEFAULT VALUES;

-- +goose StatementBegin
CREATE FUNCTION bump_catalogue_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalogue_state SET generation = generation + 1, changed_at = now();
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER courses_catalogue_generation
    AFTER INSERT OR UPDATE OR DELETE ON courses
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_generation();
CREATE TRIGGER course_versions_catalogue_generation
    AFTER INSERT OR UPDATE OR DELETE ON course_versions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_generation();

-- +goose Down
DROP TRIGGER course_versions_catalogue_generation ON course_versions;
DROP TRIGGER courses_catalogue_generation ON courses;
DROP FUNCTION bump_catalogue_generation();
DROP TABLE catalogue_state;
DROP INDEX courses_catalogue_idx;
ALTER TABLE course_versions DROP COLUMN lesson_count, DROP COLUMN module_count;
