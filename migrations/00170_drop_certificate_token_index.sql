-- +goose NO TRANSACTION
-- +goose Up
-- The verifier reads a certificate by the id in its credential, after
-- golang-jwt has checked the token, and compares the stored token whole; no
-- query reads certificates by md5(token) any more.
DROP INDEX CONCURRENTLY IF EXISTS certificates_token_md5_idx;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS certificates_token_md5_idx;
CREATE INDEX CONCURRENTLY certificates_token_md5_idx ON certificates (md5(token));
