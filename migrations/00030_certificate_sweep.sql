-- +goose Up
-- The certificate sweep looks for completed enrollments without a certificate,
-- oldest completion first; this index serves that scan.
CREATE INDEX enrollments_completed_idx ON enrollments (completed_at) WHERE status = 'completed';

-- +goose Down
DROP INDEX enrollments_completed_idx;
