-- +goose Up
-- An enrollment's lessons done and last activity change with every progress
-- event; the rest of the enrollment changes a few times in its life. Kept on
-- enrollments, each event rewrote the whole row: an entry in each of its
-- eight indexes (enrollments_idle_idx holds last_activity_at, so no update
-- could be HOT), its ten CHECK constraints and the report trigger, a third of
-- the write's SQL. Here they are a narrow row of their own whose only index
-- is its key, so an event's update is HOT (the fillfactor leaves room on the
-- page for the new version) and checks almost nothing.
--
-- An enrollment has a row from its first activity (a lesson or a quiz
-- attempt); none means no lesson done and no activity yet. The percentage is
-- derived when read (enrollment_percent), 100 once completed.
--
-- The inactivity reminders scanned enrollments_idle_idx for the enrollments
-- idle within a window; they now walk the active enrollments by key once an
-- hour, which costs less than an index on the activity would cost the events.
--
-- Expand, then contract (deploy/README.md): the version still running during
-- the rollout reads and writes enrollments.lessons_completed,
-- progress_percent and last_activity_at, so they stay for this release and
-- nothing of this version reads or writes them. What that version adds to
-- them reaches enrollment_progress through enrollments_progress_columns (as
-- the lessons it added, so the two versions' counts add up); this version
-- never updates those columns, so the trigger costs it nothing. The next
-- release drops the trigger, the function, enrollments_idle_idx and the three
-- columns, and completes the active enrollments whose lessons are all done
-- and quizzes passed: a batch that the old version took last during the
-- rollout could not see the lessons this version had counted.
CREATE TABLE enrollment_progress (
    enrollment_id     uuid        PRIMARY KEY REFERENCES enrollments (id) ON DELETE CASCADE,
    lessons_completed integer     NOT NULL CHECK (lessons_completed >= 0),
    last_activity_at  timestamptz NOT NULL
) WITH (fillfactor = 70);

-- +goose StatementBegin
CREATE FUNCTION enrollment_progress_from_columns() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO enrollment_progress AS p (enrollment_id, lessons_completed, last_activity_at)
    VALUES (NEW.id, greatest(NEW.lessons_completed - OLD.lessons_completed, 0), coalesce(NEW.last_activity_at, NEW.enrolled_at))
    ON CONFLICT (enrollment_id) DO UPDATE
        SET lessons_completed = p.lessons_completed + excluded.lessons_completed,
            last_activity_at = greatest(p.last_activity_at, excluded.last_activity_at);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- Creating the trigger locks out updates of enrollments until this
-- migration commits, so none falls between the copy below and the trigger.
CREATE TRIGGER enrollments_progress_columns
    AFTER UPDATE OF lessons_completed, last_activity_at ON enrollments FOR EACH ROW
    WHEN (NEW.lessons_completed IS DISTINCT FROM OLD.lessons_completed
          OR NEW.last_activity_at IS DISTINCT FROM OLD.last_activity_at)
    EXECUTE FUNCTION enrollment_progress_from_columns();

INSERT INTO enrollment_progress (enrollment_id, lessons_completed, last_activity_at)
SELECT id, lessons_completed, coalesce(last_activity_at, enrolled_at) FROM enrollments
WHERE lessons_completed > 0 OR last_activity_at IS NOT NULL;

-- The share of an enrollment's lessons done, as a whole percentage: 100 once
-- completed (a course may end on a quiz), 0 for a course without lessons.
-- done is enrollment_progress.lessons_completed, NULL without a row.
CREATE FUNCTION enrollment_percent(status text, done integer, total integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN status = 'completed' THEN 100 WHEN total = 0 THEN 0
        ELSE least(100, coalesce(done, 0) * 100 / total) END;

-- +goose Down
DROP FUNCTION enrollment_percent(text, integer, integer);
DROP TRIGGER enrollments_progress_columns ON enrollments;
DROP FUNCTION enrollment_progress_from_columns();
UPDATE enrollments e SET lessons_completed = p.lessons_completed, last_activity_at = p.last_activity_at
FROM enrollment_progress p WHERE p.enrollment_id = e.id;
UPDATE enrollments SET progress_percent = x.pct
FROM (SELECT id, CASE WHEN status = 'completed' THEN 100 WHEN lessons_total = 0 THEN 0
        ELSE least(100, lessons_completed * 100 / lessons_total) END AS pct FROM enrollments) x
WHERE x.id = enrollments.id AND enrollments.progress_percent <> x.pct;
DROP TABLE enrollment_progress;
