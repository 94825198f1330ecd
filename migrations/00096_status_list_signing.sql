-- +goose Up
-- A status list credential expires (valid_until, at most seven days after it
-- was signed), so a copy fetched before a revocation cannot hide it for long.
-- The signed credential is kept here: the endpoint serves it, the scheduled
-- job signs it again well before it expires, and a revocation clears it (in
-- its own transaction) so that the next read signs the list with the new bit.
ALTER TABLE status_lists
    ADD COLUMN jws         text,
    ADD COLUMN credential  jsonb,
    ADD COLUMN signed_at   timestamptz,
    ADD COLUMN valid_until timestamptz,
    ADD CONSTRAINT status_lists_signed_whole CHECK (
        (jws IS NULL) = (credential IS NULL) AND (jws IS NULL) = (signed_at IS NULL)
        AND (jws IS NULL) = (valid_until IS NULL) AND (valid_until IS NULL OR valid_until > signed_at));

-- +goose Down
ALTER TABLE status_lists DROP CONSTRAINT status_lists_signed_whole,
    DROP COLUMN valid_until, DROP COLUMN signed_at, DROP COLUMN credential, DROP COLUMN jws;
