// Package notifications is what the platform tells its users: the in-app
// notifications (the notifications table, listed at /v1/me/notifications)
// and the emails, written in each user's language. It owns the jobs that
// write notifications (inactivity reminders, cohort deadlines, trainer
// digests, the note to a trainer whose cohort was just created), their
// delivery by email (through SMTP_URL, or the log when it is empty), and the
// account and invitation emails, which share its mailer and its texts.
//
// A notification is a row in notifications plus, when it is to be emailed,
// an outbox row of type notification:deliver in the same transaction. Other
// features write theirs with Write inside their own transaction, so a
// certificate and its notification are stored together or not at all. Every
// writer gives a dedupe key, so a rerun job never notifies twice.
package notifications

import (
	"encoding/json"
	"time"
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

// Notification is an in-app notice for one user, as its owner sees it.
type Notification struct {
	ID        string          `db:"id" json:"id"`
	Kind      string          `db:"kind" json:"kind"`
	Title     string          `db:"title" json:"title"`
	Body      string          `db:"body" json:"body"`
	Data      json.RawMessage `db:"data" json:"data"`
	ReadAt    *time.Time      `db:"read_at" json:"read_at"`
	CreatedAt time.Time       `db:"created_at" json:"created_at"`
}

// Draft is a notification a writer asks for.
type Draft struct {
	UserID    string
	Kind      string
	Title     string // in the user's language; Write composes it from Kind and Data
	Body      string // in the user's language; Write composes it from Kind and Data
	Data      any    // JSON-encoded into data; the email is rendered from it
	DedupeKey string // one notification per key, ever
	Email     bool   // also email it (if the user still wants email when it is sent)
}
