-- +goose NO TRANSACTION
-- +goose Up
-- The verifier reads a presented certificate by its token (the whole compact
-- JWS, about 3.4 kB: too wide for a B-tree entry, hence its md5): a token that
-- is byte for byte one we issued, well signed, is answered from its record
-- without decoding the credential (certification.Verifier.issued). Built
-- concurrently: certificates stays writable while it builds. A build that
-- failed leaves an invalid index behind, which the next attempt drops first.
DROP INDEX CONCURRENTLY IF EXISTS certificates_token_md5_idx;
CREATE INDEX CONCURRENTLY certificates_token_md5_idx ON certificates (md5(token));

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS certificates_token_md5_idx;
