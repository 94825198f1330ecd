package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
)

type idleEnrollment struct {
	EnrollmentID string    `db:"enrollment_id"`
	UserID       string    `db:"user_id"`
	Name         string    `db:"name"`
	Language     string    `db:"language"`
	NotifyEmail  bool      `db:"notify_email"`
	IdleSince    time.Time `db:"idle_since"`
	DedupeKey    string    `db:"dedupe_key"`
	CourseSlug   string    `db:"course_slug"`
	CourseTitle  string    `db:"course_title"`
	LessonID     *string   `db:"lesson_id"`
	LessonTitle  *string   `db:"lesson_title"`
}

// One keyset page of active enrollments idle since before $1 (and not before
// $2), after the cursor ($3, $4), whose learner wants reminders and has not had
// one for this idle period. The next lesson is the first lesson of the pinned
// version, in module then lesson order, that the enrollment has not completed;
// titles are in the learner's language when the course has a translation.
// enrollments_idle_idx serves the scan.
const idleEnrollments = `
SELECT e.id AS enrollment_id, e.user_id, u.name, u.language, u.notify_email,
       coalesce(e.last_activity_at, e.enrolled_at) AS idle_since,
       'reminder:' || e.id || ':' || to_char(coalesce(e.last_activity_at, e.enrolled_at) AT TIME ZONE 'UTC',
                                             'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS dedupe_key,
       c.slug AS course_slug, coalesce(cv.translations -> u.language ->> 'title', cv.title) AS course_title,
       nl.id AS lesson_id, nl.title AS lesson_title
FROM enrollments e
JOIN users u ON u.id = e.user_id
JOIN courses c ON c.id = e.course_id
JOIN course_versions cv ON cv.id = e.version_id
LEFT JOIN LATERAL (
    SELECT l.id, coalesce(l.translations -> u.language ->> 'title', l.title) AS title
    FROM lessons l JOIN course_modules m ON m.id = l.module_id
    WHERE l.version_id = e.version_id
      AND NOT EXISTS (SELECT 1 FROM lesson_completions lc WHERE lc.enrollment_id = e.id AND lc.lesson_id = l.id)
    ORDER BY m.position, l.position
    LIMIT 1) nl ON true
WHERE e.status = 'active'
  AND coalesce(e.last_activity_at, e.enrolled_at) < $1
  AND coalesce(e.last_activity_at, e.enrolled_at) >= $2
  AND (coalesce(e.last_activity_at, e.enrolled_at), e.id) > ($3, $4::uuid)
  AND u.notify_reminders
  AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.dedupe_key =
      'reminder:' || e.id || ':' || to_char(coalesce(e.last_activity_at, e.enrolled_at) AT TIME ZONE 'UTC',
                                            'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
ORDER BY coalesce(e.last_activity_at, e.enrolled_at), e.id
LIMIT $5`

const nilUUID = "00000000-0000-0000-0000-000000000000"

// Reminders handles periodic:reminders: every active enrollment idle for
// InactiveAfter gets one reminder naming the course and the next lesson. The
// dedupe key holds the time of the last activity, so a learner gets at most
// one reminder per idle period, and another only after studying again and
// falling idle again. Completed enrollments and learners who turned
// reminders off get none. Enrollments are read in keyset batches.
func (m *Module) Reminders(ctx context.Context, _ *asynq.Task) error {
	now := m.now().UTC()
	cutoff, floor := now.Add(-m.InactiveAfter), now.Add(-m.InactiveAfter-m.MaxIdle)
	cursorAt, cursorID := floor, nilUUID
	sent := 0
	for {
		var batch []idleEnrollment
		if err := m.db.SelectContext(ctx, &batch, idleEnrollments, cutoff, floor, cursorAt, cursorID, m.BatchSize); err != nil {
			return fmt.Errorf("reminders: select: %w", err)
		}
		n, err := m.inTx(ctx, func(tx *sqlx.Tx) (int, error) { return m.remindBatch(ctx, tx, batch) })
		if err != nil {
			return err
		}
		sent += n
		if len(batch) < m.BatchSize {
			break
		}
		last := batch[len(batch)-1]
		cursorAt, cursorID = last.IdleSince, last.EnrollmentID
	}
	m.logger.Info("reminders done", "created", sent)
	return nil
}

func (m *Module) remindBatch(ctx context.Context, tx *sqlx.Tx, batch []idleEnrollment) (int, error) {
	created := 0
	for _, e := range batch {
		d := ReminderData{EnrollmentID: e.EnrollmentID, CourseSlug: e.CourseSlug, CourseTitle: e.CourseTitle,
			URL: m.baseURL + "/v1/courses/" + e.CourseSlug, IdleSince: e.IdleSince.UTC().Format(time.RFC3339)}
		if e.LessonID != nil {
			d.LessonID, d.LessonTitle = *e.LessonID, deref(e.LessonTitle)
		}
		ok, err := create(ctx, tx, e.UserID, KindReminder, e.DedupeKey, d,
			Recipient{Name: e.Name, Language: e.Language}, e.NotifyEmail)
		if err != nil {
			return 0, fmt.Errorf("reminder for enrollment %s: %w", e.EnrollmentID, err)
		}
		if ok {
			created++
		}
	}
	return created, nil
}

// inTx runs fn in a transaction and commits it.
func (m *Module) inTx(ctx context.Context, fn func(tx *sqlx.Tx) (int, error)) (int, error) {
	tx, err := m.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	n, err := fn(tx)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	return n, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
