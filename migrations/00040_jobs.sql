-- +goose Up
-- The relay claims unsent rows in created_at order; this partial index serves
-- that scan directly even with a large backlog after a Redis outage.
CREATE INDEX outbox_relay_idx ON outbox (created_at, id) WHERE sent_at IS NULL;
-- The purge deletes the oldest sent rows in batches.
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- Inactivity reminders scan active enrollments by the time of their last
-- activity (or enrollment when there was none yet), in keyset batches.
CREATE INDEX enrollments_idle_idx ON enrollments ((coalesce(last_activity_at, enrolled_at)), id)
    WHERE status = 'active';

-- +goose Down
DROP INDEX enrollments_idle_idx;
DROP INDEX outbox_sent_idx;
DROP INDEX outbox_relay_idx;
