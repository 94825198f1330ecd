-- +goose Up
-- Every progress event id ever accepted, in one unpartitioned table. The
-- events themselves are partitioned by month with (id, occurred_at) as their
-- key, so checking an id there probes every partition; here it is one index
-- probe, and a concurrent batch carrying the same id waits on the primary key
-- and then sees it, so duplicates are refused exactly.
CREATE TABLE progress_event_ids (
    id uuid PRIMARY KEY
);
INSERT INTO progress_event_ids (id) SELECT id FROM progress_events ON CONFLICT DO NOTHING;
-- The primary key (id, occurred_at) already serves lookups by id alone.
DROP INDEX progress_events_id_idx;

-- +goose Down
CREATE INDEX progress_events_id_idx ON progress_events (id);
DROP TABLE progress_event_ids;
