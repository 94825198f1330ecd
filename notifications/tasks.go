package notifications

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/jobs"
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
// $2), after the enrollment $3, whose learner wants reminders and has not had
// one for this idle period. The next lesson is the first lesson of the pinned
// version, in module then lesson order, that the enrollment has not completed;
// titles are in the learner's language when the course has a translation.
// The pages walk the enrollments by key: an index on the last activity would
// cost every progress event an index write (00210_enrollment_progress.sql),
// and one walk an hour costs less.
const idleEnrollments = `
SELECT e.id AS enrollment_id, e.user_id, u.name, u.language, u.notify_email, i.idle_since,
       'reminder:' || e.id || ':' || to_char(i.idle_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS dedupe_key,
       c.slug AS course_slug, coalesce(cv.translations -> u.language ->> 'title', cv.title) AS course_title,
       nl.id AS lesson_id, nl.title AS lesson_title
FROM enrollments e
LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id
CROSS JOIN LATERAL (SELECT coalesce(ep.last_activity_at, e.enrolled_at) AS idle_since) i
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
  AND e.id > $3::uuid
  AND i.idle_since < $1
  AND i.idle_since >= $2
  AND u.notify_reminders
  AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.dedupe_key =
      'reminder:' || e.id || ':' || to_char(i.idle_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
ORDER BY e.id
LIMIT $4`

const nilUUID = "00000000-0000-0000-0000-000000000000"

// Reminders handles periodic:reminders: every active enrollment idle for
// InactiveAfter gets one reminder naming the course and the next lesson. The
// dedupe key holds the time of the last activity, so a learner gets at most
// one reminder per idle period, and another only after studying again and
// falling idle again. Completed enrollments and learners who turned
// reminders off get none. Enrollments are read in keyset batches.
func (m *Jobs) Reminders(ctx context.Context, _ *asynq.Task) error {
	now := m.now().UTC()
	cutoff, floor := now.Add(-m.InactiveAfter), now.Add(-m.InactiveAfter-m.MaxIdle)
	cursor := nilUUID
	sent := 0
	for {
		var batch []idleEnrollment
		if err := m.db.SelectContext(ctx, &batch, idleEnrollments, cutoff, floor, cursor, m.BatchSize); err != nil {
			return fmt.Errorf("reminders: select: %w", err)
		}
		var n int
		err := postgres.Transact(ctx, m.db, nil, func(tx *sqlx.Tx) (err error) {
			n, err = m.remindBatch(ctx, tx, batch)
			return err
		})
		if err != nil {
			return err
		}
		sent += n
		if len(batch) < m.BatchSize {
			break
		}
		cursor = batch[len(batch)-1].EnrollmentID
	}
	m.logger.Info("reminders done", "created", sent)
	return nil
}

func (m *Jobs) remindBatch(ctx context.Context, tx *sqlx.Tx, batch []idleEnrollment) (int, error) {
	created := 0
	for _, e := range batch {
		d := ReminderData{EnrollmentID: e.EnrollmentID, CourseSlug: e.CourseSlug, CourseTitle: e.CourseTitle,
			URL: m.baseURL + "/v1/courses/" + e.CourseSlug, IdleSince: e.IdleSince.UTC().Format(time.RFC3339)}
		if e.LessonID != nil {
			d.LessonID, d.LessonTitle = *e.LessonID, deref(e.LessonTitle)
		}
		ok, err := Write(ctx, tx, Recipient{Name: e.Name, Language: e.Language},
			Draft{UserID: e.UserID, Kind: KindReminder, DedupeKey: e.DedupeKey, Data: d, Email: e.NotifyEmail})
		if err != nil {
			return 0, fmt.Errorf("reminder for enrollment %s: %w", e.EnrollmentID, err)
		}
		if ok {
			created++
		}
	}
	return created, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// digestCohortsMax bounds one digest; a trainer with more running cohorts
// sees the ones ending soonest.
const digestCohortsMax = 50

// DigestKeep is how long after its end a cohort still appears in digests.
const DigestKeep = 7 * 24 * time.Hour

type trainer struct {
	ID          string `db:"id"`
	Name        string `db:"name"`
	Language    string `db:"language"`
	NotifyEmail bool   `db:"notify_email"`
}

// One keyset page of the owners of cohorts that ended on or after $1 (and
// were not ended early, archived, by their trainer).
const digestTrainers = `
SELECT u.id, u.name, u.language, u.notify_email
FROM users u
WHERE u.id > $2::uuid
  AND EXISTS (SELECT 1 FROM cohorts co WHERE co.owner_id = u.id AND co.ends_on >= $1 AND co.archived_at IS NULL)
ORDER BY u.id
LIMIT $3`

// A trainer's cohorts with their counts. "Behind" is a member who has not
// completed and whose progress_percent is below the share of the cohort's
// time elapsed on $3 (expected, 0 before the start, 100 after the end);
// "active" is a member with progress since $4 (the last seven days).
const digestCohorts = `
SELECT co.id, co.name, to_char(co.starts_on, 'YYYY-MM-DD') AS starts_on, to_char(co.ends_on, 'YYYY-MM-DD') AS ends_on,
       coalesce(cv.translations -> $5::text ->> 'title', cv.title, c.slug) AS course_title,
       x.expected,
       count(cm.user_id) AS members,
       count(cm.user_id) FILTER (WHERE ep.last_activity_at >= $4) AS active,
       count(cm.user_id) FILTER (WHERE e.status = 'completed') AS completed,
       count(cm.user_id) FILTER (WHERE e.status = 'active'
           AND enrollment_percent(e.status, ep.lessons_completed, e.lessons_total) < x.expected) AS behind
FROM cohorts co
JOIN courses c ON c.id = co.course_id
LEFT JOIN course_versions cv ON cv.id = c.current_version_id
CROSS JOIN LATERAL (SELECT least(100, greatest(0,
    floor(100.0 * ($3::date - co.starts_on) / (co.ends_on - co.starts_on))))::int AS expected) x
LEFT JOIN cohort_members cm ON cm.cohort_id = co.id
LEFT JOIN enrollments e ON e.id = cm.enrollment_id
LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id
WHERE co.owner_id = $1 AND co.ends_on >= $2 AND co.archived_at IS NULL
GROUP BY co.id, cv.id, c.slug, x.expected
ORDER BY co.ends_on, co.id
LIMIT $6`

// Digests handles periodic:digests (weekly): every owner of a cohort still
// running or ended in the last week gets a summary of those cohorts, once per
// ISO week.
func (m *Jobs) Digests(ctx context.Context, _ *asynq.Task) error {
	now := m.now().UTC()
	since := dateOf(now.Add(-DigestKeep)).Format(time.DateOnly)
	year, week := now.ISOWeek()
	weekKey := fmt.Sprintf("%04d-W%02d", year, week)
	cursor, total := nilUUID, 0
	for {
		var batch []trainer
		if err := m.db.SelectContext(ctx, &batch, digestTrainers, since, cursor, m.BatchSize); err != nil {
			return fmt.Errorf("digests: trainers: %w", err)
		}
		for _, t := range batch {
			var n int
			err := postgres.Transact(ctx, m.db, nil, func(tx *sqlx.Tx) (err error) {
				n, err = m.digest(ctx, tx, t, now, weekKey)
				return err
			})
			if err != nil {
				return err
			}
			total += n
		}
		if len(batch) < m.BatchSize {
			break
		}
		cursor = batch[len(batch)-1].ID
	}
	m.logger.Info("digests done", "created", total)
	return nil
}

func (m *Jobs) digest(ctx context.Context, tx *sqlx.Tx, t trainer, now time.Time, week string) (int, error) {
	var cohorts []DigestCohort
	since := dateOf(now.Add(-DigestKeep)).Format(time.DateOnly)
	if err := tx.SelectContext(ctx, &cohorts, digestCohorts, t.ID, since, dateOf(now).Format(time.DateOnly),
		now.Add(-7*24*time.Hour), t.Language, digestCohortsMax); err != nil {
		return 0, fmt.Errorf("digest for %s: %w", t.ID, err)
	}
	if len(cohorts) == 0 {
		return 0, nil
	}
	key := "digest:" + t.ID + ":" + week
	ok, err := Write(ctx, tx, Recipient{Name: t.Name, Language: t.Language},
		Draft{UserID: t.ID, Kind: KindDigest, DedupeKey: key, Data: DigestData{Week: week, Cohorts: cohorts}, Email: t.NotifyEmail})
	if err != nil || !ok {
		return 0, err
	}
	return 1, nil
}

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
       enrollment_percent(e.status, ep.lessons_completed, e.lessons_total) AS progress_percent
FROM cohorts co
JOIN cohort_members cm ON cm.cohort_id = co.id
JOIN enrollments e ON e.id = cm.enrollment_id
LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id
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
func (m *Jobs) CohortDeadlines(ctx context.Context, _ *asynq.Task) error {
	today := dateOf(m.now())
	from, to := today.AddDate(0, 0, 1), today.AddDate(0, 0, m.DeadlineDays)
	cursorCohort, cursorUser := nilUUID, nilUUID
	total := 0
	for {
		var batch []deadlineMember
		if err := m.db.SelectContext(ctx, &batch, deadlineMembers, from.Format(time.DateOnly), to.Format(time.DateOnly), cursorCohort, cursorUser, m.BatchSize); err != nil {
			return fmt.Errorf("cohort deadlines: select: %w", err)
		}
		var n int
		err := postgres.Transact(ctx, m.db, nil, func(tx *sqlx.Tx) (err error) {
			n, err = m.deadlineBatch(ctx, tx, today, batch)
			return err
		})
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

func (m *Jobs) deadlineBatch(ctx context.Context, tx *sqlx.Tx, today time.Time, batch []deadlineMember) (int, error) {
	created := 0
	for _, r := range batch {
		d := DeadlineData{CohortID: r.CohortID, CohortName: r.CohortName, CourseSlug: r.CourseSlug,
			CourseTitle: r.CourseTitle, EndsOn: r.EndsOn.Format(time.DateOnly),
			DaysLeft: int(dateOf(r.EndsOn).Sub(today).Hours() / 24), ProgressPercent: r.ProgressPercent,
			URL: m.baseURL + "/v1/courses/" + r.CourseSlug}
		key := "cohort_deadline:" + r.CohortID + ":" + r.UserID
		ok, err := Write(ctx, tx, Recipient{Name: r.Name, Language: r.Language},
			Draft{UserID: r.UserID, Kind: KindCohortDeadline, DedupeKey: key, Data: d, Email: r.NotifyEmail})
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

type newCohort struct {
	ID          string    `db:"id"`
	Name        string    `db:"name"`
	StartsOn    time.Time `db:"starts_on"`
	EndsOn      time.Time `db:"ends_on"`
	OwnerID     string    `db:"owner_id"`
	OwnerName   string    `db:"owner_name"`
	Language    string    `db:"language"`
	NotifyEmail bool      `db:"notify_email"`
	CourseSlug  string    `db:"course_slug"`
	CourseTitle string    `db:"course_title"`
}

const loadNewCohort = `
SELECT co.id, co.name, co.starts_on, co.ends_on, co.owner_id, u.name AS owner_name, u.language, u.notify_email,
       c.slug AS course_slug, coalesce(cv.translations -> u.language ->> 'title', cv.title, c.slug) AS course_title
FROM cohorts co
JOIN users u ON u.id = co.owner_id
JOIN courses c ON c.id = co.course_id
LEFT JOIN course_versions cv ON cv.id = c.current_version_id
WHERE co.id = $1`

// CohortCreated handles cohort:created: it tells the owning trainer that the
// cohort exists, with its course and dates and how to add members. A cohort
// deleted since is nothing to announce; a rerun finds the notification there.
func (m *Jobs) CohortCreated(ctx context.Context, t *asynq.Task) error {
	var p jobs.CohortPayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	var c newCohort
	if err := m.db.GetContext(ctx, &c, loadNewCohort, p.CohortID); postgres.IsNoRows(err) {
		m.logger.Info("created cohort is gone", "cohort_id", p.CohortID)
		return nil
	} else if err != nil {
		return fmt.Errorf("cohort created: load: %w", err)
	}
	d := CohortCreatedData{CohortID: c.ID, CohortName: c.Name, CourseSlug: c.CourseSlug, CourseTitle: c.CourseTitle,
		StartsOn: c.StartsOn.Format(time.DateOnly), EndsOn: c.EndsOn.Format(time.DateOnly),
		MembersURL: m.baseURL + "/v1/cohorts/" + c.ID + "/members", URL: m.baseURL + "/v1/cohorts/" + c.ID}
	return postgres.Transact(ctx, m.db, nil, func(tx *sqlx.Tx) error {
		_, err := Write(ctx, tx, Recipient{Name: c.OwnerName, Language: c.Language},
			Draft{UserID: c.OwnerID, Kind: KindCohortCreated, DedupeKey: "cohort_created:" + c.ID, Data: d, Email: c.NotifyEmail})
		return err
	})
}
