package learners

import (
	"context"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
)

const notificationColumns = `id, kind, title, body, data, read_at, created_at`

// Notifications lists the user's own notifications, newest first, only the
// unread ones when unread is set (a partial index serves that list).
func (s *LearningStore) Notifications(ctx context.Context, userID string, unread bool, after *keyset, limit int) ([]Notification, error) {
	const all = `SELECT ` + notificationColumns + ` FROM notifications
		WHERE user_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4`
	const unreadOnly = `SELECT ` + notificationColumns + ` FROM notifications
		WHERE user_id = $1 AND read_at IS NULL AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4`
	q := all
	if unread {
		q = unreadOnly
	}
	at, id := keysetStart(after)
	var out []Notification
	err := s.db.SelectContext(ctx, &out, q, userID, at, id, limit+1)
	return out, err
}

// MarkNotificationRead marks one of the user's notifications read; marking it
// again keeps the first time. Another user's notification is not found.
func (s *LearningStore) MarkNotificationRead(ctx context.Context, userID, id string) (Notification, error) {
	const q = `UPDATE notifications SET read_at = coalesce(read_at, now())
		WHERE id = $1 AND user_id = $2 RETURNING ` + notificationColumns
	var n Notification
	if err := s.db.GetContext(ctx, &n, q, id, userID); postgres.IsNoRows(err) {
		return n, cc.Errorf(cc.ENOTFOUND, "No such notification.")
	} else if err != nil {
		return n, err
	}
	return n, nil
}
