package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
)

type deadlineMember struct {
	CohortID        string    `db:"cohort_id"`
	CohortName      string    `db:"cohort_name"`
	EndsOn          time.Time `db:"ends_on"`
	UserID          string    `db:"user_id"`
	Name            string    `db:"name"`
	Language        string    `db:"language"`
	NotifyEmail     bool      `db:"notify_email"`
	CourseSlug      string    `db:"course_slug"`
	CourseTitle     string    `db:"course_title"`
	ProgressPercent int       `db:"progress_percent"`
}

// One keyset page of members, not yet completed and wanting reminders, of
// cohorts ending between $1 and $2, after the cursor ($3, $4).
const deadlineMembers = `
SELECT co.id AS cohort_id, co.name AS cohort_name, co.ends_on, cm.user_id, u.name, u.language, u.notify_email,
       c.slug AS course_slug, coalesce(cv.translations -> u.language ->> 'title', cv.title) AS course_title,
       e.progress_percent
FROM cohorts co
JOIN cohort_members cm ON cm.cohort_id = co.id
JOIN enrollments e ON e.id = cm.enrollment_id
JOIN users u ON u.id = cm.user_id
JOIN courses c ON c.id = e.course_id
JOIN course_versions cv ON cv.id = e.version_id
WHERE co.ends_on BETWEEN $1 AND $2
  AND co.archived_at IS NULL
  AND e.status = 'active'
  AND u.notify_reminders
  AND (co.id, cm.user_id) > ($3::uuid, $4::uuid)
ORDER BY co.id, cm.user_id
LIMIT $5`

// CohortDeadlines handles periodic:cohort-deadlines (daily): members of a
// cohort (not ended early by its trainer) that ends in DeadlineDays days who have not completed the course get
// a reminder, once per cohort and member. Cohorts ending sooner (but not
// today or earlier) are included too, so a day the job did not run is caught
// up the next day; the dedupe key keeps it to one reminder.
func (m *Module) CohortDeadlines(ctx context.Context, _ *asynq.Task) error {
	today := dateOf(m.now())
	from, to := today.AddDate(0, 0, 1), today.AddDate(0, 0, m.DeadlineDays)
	cursorCohort, cursorUser := nilUUID, nilUUID
	total := 0
	for {
		var batch []deadlineMember
		if err := m.db.SelectContext(ctx, &batch, deadlineMembers, from.Format(time.DateOnly), to.Format(time.DateOnly), cursorCohort, cursorUser, m.BatchSize); err != nil {
			return fmt.Errorf("cohort deadlines: select: %w", err)
		}
		n, err := m.inTx(ctx, func(tx *sqlx.Tx) (int, error) { return m.deadlineBatch(ctx, tx, today, batch) })
		if err != nil {
			return err
		}
		total += n
		if len(batch) < m.BatchSize {
			break
		}
		cursorCohort, cursorUser = batch[len(batch)-1].CohortID, batch[len(batch)-1].UserID
	}
	m.logger.Info("cohort deadline reminders done", "created", total)
	return nil
}

func (m *Module) deadlineBatch(ctx context.Context, tx *sqlx.Tx, today time.Time, batch []deadlineMember) (int, error) {
	created := 0
	for _, r := range batch {
		d := DeadlineData{CohortID: r.CohortID, CohortName: r.CohortName, CourseSlug: r.CourseSlug,
			CourseTitle: r.CourseTitle, EndsOn: r.EndsOn.Format(time.DateOnly),
			DaysLeft: int(dateOf(r.EndsOn).Sub(today).Hours() / 24), ProgressPercent: r.ProgressPercent,
			URL: m.baseURL + "/v1/courses/" + r.CourseSlug}
		key := "cohort_deadline:" + r.CohortID + ":" + r.UserID
		ok, err := create(ctx, tx, r.UserID, KindCohortDeadline, key, d,
			Recipient{Name: r.Name, Language: r.Language}, r.NotifyEmail)
		if err != nil {
			return 0, fmt.Errorf("cohort deadline for %s: %w", key, err)
		}
		if ok {
			created++
		}
	}
	return created, nil
}

// dateOf is the UTC calendar date of t, at midnight.
func dateOf(t time.Time) time.Time {
	y, mo, d := t.UTC().Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}
