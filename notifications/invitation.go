package notifications

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/jobs"
)

// InvitationData is what an invitation email says. It is rendered for the
// address, which may have no account: it is never stored as a notification.
type InvitationData struct {
	TrainerName string `json:"trainer_name"`
	CohortName  string `json:"cohort_name"`
	CourseTitle string `json:"course_title"`
	StartsOn    string `json:"starts_on"`
	EndsOn      string `json:"ends_on"`
	ExpiresOn   string `json:"expires_on"`
	URL         string `json:"url"`
}

// InvitationMessage renders an invitation email in language l; name is the
// invitee's account name, empty when the address has no account.
func InvitationMessage(d InvitationData, name, l string) Message {
	l = lang(l)
	m := Message{Lang: l, Greeting: tr(l, "greeting.anonymous"), Footer: tr(l, "invitation.footer")}
	if name != "" {
		m.Greeting = tr(l, "greeting", "name", name)
	}
	m.Subject = tr(l, "invitation.subject")
	m.Lines = []string{
		tr(l, "invitation.intro", "trainer", plainText(d.TrainerName), "course", d.CourseTitle, "start", d.StartsOn, "end", d.EndsOn),
		tr(l, "invitation.quote", "cohort", quoted(d.CohortName)),
		tr(l, "invitation.how"),
		tr(l, "invitation.expires", "date", d.ExpiresOn),
	}
	m.Action = &Action{Label: tr(l, "invitation.action"), URL: d.URL}
	return m
}

type invitationMail struct {
	ID          string     `db:"id"`
	Email       string     `db:"email"`
	Status      string     `db:"status"`
	SentAt      time.Time  `db:"sent_at"`
	EmailedAt   *time.Time `db:"emailed_at"`
	ExpiresAt   time.Time  `db:"expires_at"`
	Archived    bool       `db:"archived"`
	CohortName  string     `db:"cohort_name"`
	StartsOn    time.Time  `db:"starts_on"`
	EndsOn      time.Time  `db:"ends_on"`
	TrainerName string     `db:"trainer_name"`
	TrainerLang string     `db:"trainer_language"`
	CourseTitle string     `db:"course_title"`
	UserName    *string    `db:"user_name"`
	UserLang    *string    `db:"user_language"`
	NotifyEmail *bool      `db:"notify_email"`
}

// The row lock keeps a second run of the same task waiting until the first
// has sent and marked the email. The invitee's account, when the address has
// one, gives the language and the name.
const loadInvitationMail = `
SELECT i.id, i.email, i.status, i.sent_at, i.emailed_at, i.expires_at, co.archived_at IS NOT NULL AS archived,
       co.name AS cohort_name, co.starts_on, co.ends_on, o.name AS trainer_name, o.language AS trainer_language,
       coalesce(cv.translations -> coalesce(u.language, o.language) ->> 'title', cv.title, c.slug) AS course_title,
       u.name AS user_name, u.language AS user_language, u.notify_email
FROM cohort_invitations i
JOIN cohorts co ON co.id = i.cohort_id
JOIN users o ON o.id = co.owner_id
JOIN courses c ON c.id = co.course_id
LEFT JOIN course_versions cv ON cv.id = c.current_version_id
LEFT JOIN users u ON lower(u.email) = i.email_key
WHERE i.id = $1
FOR UPDATE OF i`

// CohortInvitation handles cohort:invitation: it emails a pending invitation
// (sent or re-sent) to its address, once per sending. An invitation answered,
// expired, of an ended cohort, already emailed since it was last sent, or
// gone is nothing to send; an account that turned email off sees it in the
// app only. A failed send is retried by asynq; a refused address is not.
func (m *Jobs) CohortInvitation(ctx context.Context, t *asynq.Task) error {
	var p jobs.InvitationPayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	var sendErr error
	err := postgres.Transact(ctx, m.db, nil, func(tx *sqlx.Tx) error {
		sendErr = nil // a retried transaction sends afresh
		var d invitationMail
		if err := tx.GetContext(ctx, &d, loadInvitationMail, p.InvitationID); postgres.IsNoRows(err) {
			return nil
		} else if err != nil {
			return fmt.Errorf("invitation: load: %w", err)
		}
		if !m.invitationDue(d) {
			return nil
		}
		if sendErr = m.sendInvitation(ctx, d); sendErr != nil && !errors.Is(sendErr, ErrRejected) {
			return sendErr
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cohort_invitations SET emailed_at = $2 WHERE id = $1`, d.ID, m.now()); err != nil {
			return fmt.Errorf("invitation: mark emailed: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if sendErr != nil {
		m.logger.Warn("invitation email refused for good", "invitation_id", p.InvitationID, "error", sendErr)
		return fmt.Errorf("invitation %s: %w: %w", p.InvitationID, sendErr, asynq.SkipRetry)
	}
	return nil
}

func (m *Jobs) invitationDue(d invitationMail) bool {
	return d.Status == "pending" && !d.Archived && d.ExpiresAt.After(m.now()) &&
		(d.EmailedAt == nil || d.EmailedAt.Before(d.SentAt))
}

// sendInvitation emails d unless its address's account turned email off.
func (m *Jobs) sendInvitation(ctx context.Context, d invitationMail) error {
	if d.NotifyEmail != nil && !*d.NotifyEmail {
		return nil
	}
	name, l := "", d.TrainerLang
	if d.UserName != nil {
		name, l = *d.UserName, *d.UserLang
	}
	msg := InvitationMessage(InvitationData{TrainerName: d.TrainerName, CohortName: d.CohortName,
		CourseTitle: d.CourseTitle, StartsOn: d.StartsOn.Format(time.DateOnly), EndsOn: d.EndsOn.Format(time.DateOnly),
		ExpiresOn: d.ExpiresAt.UTC().Format(time.DateOnly), URL: m.baseURL + "/app/?invitation=" + d.ID}, name, l)
	html, err := msg.HTML()
	if err != nil {
		return err
	}
	// Each sending has its own Message-ID, so a re-sent invitation is a new
	// email while a retried one is recognisably the same.
	id := fmt.Sprintf("%s.%d", d.ID, d.SentAt.UnixMicro())
	return m.mailer.Send(ctx, Email{ID: id, To: d.Email, ToName: name, Subject: msg.Subject, Text: msg.Text(), HTML: html})
}
