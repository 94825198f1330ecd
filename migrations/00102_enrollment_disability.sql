-- +goose NO TRANSACTION
-- +goose Up
-- The disability status (Washington Group cut-off) snapshotted at enrollment
-- like the other report dimensions; enrollments made before it are not_stated.
-- A constant default adds the column without rewriting the table; the check
-- is added NOT VALID and validated in its own statement, outside a
-- transaction, so the scan of existing rows does not block writers. Each step
-- can run again after a failure.
ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS disability text NOT NULL DEFAULT 'not_stated';
ALTER TABLE enrollments DROP CONSTRAINT IF EXISTS enrollments_disability_check;
ALTER TABLE enrollments ADD CONSTRAINT enrollments_disability_check
    CHECK (disability IN ('yes', 'no', 'not_stated')) NOT VALID;
ALTER TABLE enrollments VALIDATE CONSTRAINT enrollments_disability_check;

-- +goose Down
ALTER TABLE enrollments DROP COLUMN IF EXISTS disability;
