package notifications

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/jobs"
)

type delivery struct {
	ID          string `db:"id"`
	Kind        string `db:"kind"`
	Title       string `db:"title"`
	Body        string `db:"body"`
	Data        []byte `db:"data"`
	EmailStatus string `db:"email_status"`
	Email       string `db:"email"`
	Name        string `db:"name"`
	Language    string `db:"language"`
	NotifyEmail bool   `db:"notify_email"`
}

// An account without email (a pupil's) gets its notifications in the app
// only. The row lock keeps a second run of the same task (an expired lease) waiting
// until the first has sent and marked the email, and then it finds it sent.
const loadDelivery = `
SELECT n.id, n.kind, n.title, n.body, n.data, n.email_status, coalesce(u.email, '') AS email, u.name, u.language,
	u.notify_email AND u.email IS NOT NULL AS notify_email
FROM notifications n JOIN users u ON u.id = n.user_id
WHERE n.id = $1
FOR UPDATE OF n`

// Deliver handles notification:deliver: it emails a pending notification in
// the user's language, then marks it sent (or logged). It does nothing for a
// notification already delivered or gone, and marks it 'none' when the user
// has turned email off since. A failed send returns the error so asynq
// retries it later; the notification itself is never written twice.
func (m *Jobs) Deliver(ctx context.Context, t *asynq.Task) error {
	var p jobs.NotificationPayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	var sendErr error
	err := postgres.Transact(ctx, m.db, nil, func(tx *sqlx.Tx) error {
		sendErr = nil // a retried transaction sends afresh
		if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '60s'`); err != nil {
			return fmt.Errorf("deliver: %w", err)
		}
		var d delivery
		if err := tx.GetContext(ctx, &d, loadDelivery, p.NotificationID); postgres.IsNoRows(err) {
			m.logger.Info("notification to deliver is gone", "notification_id", p.NotificationID)
			return nil
		} else if err != nil {
			return fmt.Errorf("deliver: load: %w", err)
		}
		if d.EmailStatus != EmailPending {
			return nil
		}
		var status string
		if status, sendErr = m.send(ctx, d); status == "" {
			return sendErr
		}
		return setEmailStatus(ctx, tx, d.ID, status)
	})
	if err != nil {
		return err
	}
	return sendErr
}

// send returns the status to record, or "" to record nothing and retry.
func (m *Jobs) send(ctx context.Context, d delivery) (string, error) {
	if !d.NotifyEmail {
		return EmailNone, nil
	}
	e, err := m.render(d)
	if err != nil {
		return "", err
	}
	err = m.mailer.Send(ctx, e)
	switch {
	case errors.Is(err, ErrRejected):
		m.logger.Warn("email refused for good", "notification_id", d.ID, "error", err)
		return EmailFailed, fmt.Errorf("deliver %s: %w: %w", d.ID, err, asynq.SkipRetry)
	case err != nil:
		return "", fmt.Errorf("deliver %s: %w", d.ID, err)
	}
	return m.mailer.Status(), nil
}

func (m *Jobs) render(d delivery) (Email, error) {
	to := Recipient{Name: d.Name, Language: d.Language}
	msg, ok := Compose(d.Kind, d.Data, to)
	if !ok {
		msg = fallback(d.Title, d.Body, to)
	}
	html, err := msg.HTML()
	if err != nil {
		return Email{}, err
	}
	return Email{ID: d.ID, To: d.Email, ToName: d.Name, Subject: msg.Subject, Text: msg.Text(), HTML: html}, nil
}

func setEmailStatus(ctx context.Context, tx sqlx.ExtContext, id, status string) error {
	const q = `UPDATE notifications SET email_status = $2,
		emailed_at = CASE WHEN $2 IN ('sent', 'logged') THEN now() END WHERE id = $1`
	if _, err := tx.ExecContext(ctx, q, id, status); err != nil {
		return fmt.Errorf("deliver: mark %s: %w", status, err)
	}
	return nil
}
