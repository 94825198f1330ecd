package notify

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/jobs"
)

// Notification kinds.
const (
	KindReminder          = "reminder"
	KindCohortDeadline    = "cohort_deadline"
	KindDigest            = "digest"
	KindCertificateIssued = "certificate_issued"
	KindCohortCreated     = "cohort_created"
)

// Email statuses of a notification.
const (
	EmailNone    = "none"    // in-app only
	EmailPending = "pending" // a delivery task is on its way
	EmailSent    = "sent"    // accepted by the SMTP server
	EmailLogged  = "logged"  // SMTP_URL empty: written to the log
	EmailFailed  = "failed"  // the SMTP server refused the recipient for good
)

// Notification is what a writer asks to notify.
type Notification struct {
	UserID    string
	Kind      string
	Title     string // in the user's language
	Body      string // in the user's language
	Data      any    // JSON-encoded into data; the email is rendered from it
	DedupeKey string // one notification per key, ever
	Email     bool   // also email it (if the user still wants email when it is sent)
}

const insertNotification = `
INSERT INTO notifications (user_id, kind, title, body, data, dedupe_key, email_status)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id`

// Create stores n in the caller's transaction and, when it is to be emailed,
// enqueues its delivery through the outbox in the same transaction. A
// notification whose dedupe key exists already is not created again (created
// is false, no outbox row); id is then the existing notification's.
func Create(ctx context.Context, tx sqlx.ExtContext, n Notification) (id string, created bool, err error) {
	data := []byte("{}")
	if n.Data != nil {
		if data, err = json.Marshal(n.Data); err != nil {
			return "", false, fmt.Errorf("notification data: %w", err)
		}
	}
	status := EmailNone
	if n.Email {
		status = EmailPending
	}
	err = sqlx.GetContext(ctx, tx, &id, insertNotification, n.UserID, n.Kind, n.Title, n.Body, string(data), n.DedupeKey, status)
	if postgres.IsNoRows(err) {
		const q = `SELECT id FROM notifications WHERE dedupe_key = $1`
		if err := sqlx.GetContext(ctx, tx, &id, q, n.DedupeKey); err != nil {
			return "", false, fmt.Errorf("existing notification: %w", err)
		}
		return id, false, nil
	} else if err != nil {
		return "", false, fmt.Errorf("create notification: %w", err)
	}
	if n.Email {
		if _, err := jobs.Enqueue(ctx, tx, jobs.TypeDeliverNotification, jobs.QueueDefault,
			jobs.NotificationPayload{NotificationID: id}); err != nil {
			return "", false, err
		}
	}
	return id, true, nil
}

// create composes a notification of kind in the recipient's language and stores it.
func create(ctx context.Context, tx sqlx.ExtContext, userID, kind, key string, data any, to Recipient, email bool) (bool, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return false, fmt.Errorf("notification data: %w", err)
	}
	msg, ok := Compose(kind, raw, to)
	if !ok {
		return false, fmt.Errorf("compose %s notification: incomplete data", kind)
	}
	_, created, err := Create(ctx, tx, Notification{UserID: userID, Kind: kind, Title: msg.Title(),
		Body: msg.Body(), Data: json.RawMessage(raw), DedupeKey: key, Email: email})
	return created, err
}
