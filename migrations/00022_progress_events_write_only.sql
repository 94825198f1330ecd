-- +goose Up
-- The raw event log is written on every sync and read by nothing on the hot
-- path: progress, completion and reports read lesson_completions and
-- enrollments. Its per-enrollment index only slowed every insert (53 bytes a
-- row); an investigation of one enrollment can index a detached or archived
-- month when it needs to.
DROP INDEX progress_events_enrollment_idx;

-- +goose Down
CREATE INDEX progress_events_enrollment_idx ON progress_events (enrollment_id, occurred_at);
