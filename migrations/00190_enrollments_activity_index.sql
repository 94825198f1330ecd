-- +goose Up
-- Every progress event rewrites its enrollment's last_activity_at; each index
-- holding that column gets a new entry per event (the row cannot be updated in
-- place, HOT, while an indexed column changes). enrollments_active_activity_idx
-- served no query: the inactivity reminders scan enrollments_idle_idx
-- (coalesce(last_activity_at, enrolled_at), id), and nothing else filters or
-- orders by last_activity_at alone. Dropping it takes one index write off
-- every event.
DROP INDEX enrollments_active_activity_idx;

-- +goose Down
CREATE INDEX enrollments_active_activity_idx ON enrollments (last_activity_at) WHERE status = 'active';
