package notifications

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/internal/web"
	"github.com/cybercampus/cybercampus/jobs"
)

// Store reads and marks a user's own notifications.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a notification store.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

const columns = `id, kind, title, body, data, read_at, created_at`

// List returns the user's own notifications, newest first, only the unread
// ones when unread is set (a partial index serves that list), after the
// keyset position (nil for the first page). It reads limit+1 rows so the
// page knows whether another follows.
func (s *Store) List(ctx context.Context, userID string, unread bool, after *web.Cursor, limit int) ([]Notification, error) {
	const all = `SELECT ` + columns + ` FROM notifications
		WHERE user_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4`
	const unreadOnly = `SELECT ` + columns + ` FROM notifications
		WHERE user_id = $1 AND read_at IS NULL AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4`
	q := all
	if unread {
		q = unreadOnly
	}
	at, id := web.NewestFirst(after)
	var out []Notification
	if err := s.db.SelectContext(ctx, &out, q, userID, at, id, limit+1); err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}

// MarkRead marks one of the user's notifications read; marking it again
// keeps the first time. Another user's notification is not found.
func (s *Store) MarkRead(ctx context.Context, userID, id string) (Notification, error) {
	const q = `UPDATE notifications SET read_at = coalesce(read_at, now())
		WHERE id = $1 AND user_id = $2 RETURNING ` + columns
	var n Notification
	if err := s.db.GetContext(ctx, &n, q, id, userID); postgres.IsNoRows(err) {
		return n, cc.Errorf(cc.ENOTFOUND, "No such notification.")
	} else if err != nil {
		return n, fmt.Errorf("mark notification read: %w", err)
	}
	return n, nil
}

// Write composes a notification of d.Kind from d.Data in the recipient's
// language (its Title and Body) and stores it in the caller's transaction,
// as Create does. It reports whether the notification is new.
func Write(ctx context.Context, tx sqlx.ExtContext, to Recipient, d Draft) (created bool, err error) {
	raw, err := json.Marshal(d.Data)
	if err != nil {
		return false, fmt.Errorf("notification data: %w", err)
	}
	msg, ok := Compose(d.Kind, raw, to)
	if !ok {
		return false, fmt.Errorf("compose %s notification: incomplete data", d.Kind)
	}
	d.Title, d.Body, d.Data = msg.Title(), msg.Body(), json.RawMessage(raw)
	_, created, err = Create(ctx, tx, d)
	return created, err
}

const insertNotification = `
INSERT INTO notifications (user_id, kind, title, body, data, dedupe_key, email_status)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id`

// Create stores d as written in the caller's transaction and, when it is to
// be emailed, enqueues its delivery through the outbox in the same
// transaction. A notification whose dedupe key exists already is not created
// again (created is false, no outbox row); id is then the existing one's.
func Create(ctx context.Context, tx sqlx.ExtContext, d Draft) (id string, created bool, err error) {
	data := []byte("{}")
	if d.Data != nil {
		if data, err = json.Marshal(d.Data); err != nil {
			return "", false, fmt.Errorf("notification data: %w", err)
		}
	}
	status := EmailNone
	if d.Email {
		status = EmailPending
	}
	err = sqlx.GetContext(ctx, tx, &id, insertNotification, d.UserID, d.Kind, d.Title, d.Body, string(data), d.DedupeKey, status)
	if postgres.IsNoRows(err) {
		const q = `SELECT id FROM notifications WHERE dedupe_key = $1`
		if err := sqlx.GetContext(ctx, tx, &id, q, d.DedupeKey); err != nil {
			return "", false, fmt.Errorf("existing notification: %w", err)
		}
		return id, false, nil
	} else if err != nil {
		return "", false, fmt.Errorf("create notification: %w", err)
	}
	if d.Email {
		if _, err := jobs.Enqueue(ctx, tx, jobs.TypeDeliverNotification, jobs.QueueDefault,
			jobs.NotificationPayload{NotificationID: id}); err != nil {
			return "", false, err
		}
	}
	return id, true, nil
}
