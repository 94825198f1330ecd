-- +goose Up
-- Serves GET /v1/me/notifications?unread=true: the newest unread notifications of
-- a user without scanning the ones already read.
CREATE INDEX notifications_user_unread_idx ON notifications (user_id, created_at DESC, id DESC) WHERE read_at IS NULL;

-- +goose Down
DROP INDEX notifications_user_unread_idx;
