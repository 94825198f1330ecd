package learners

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/jobs"
)

// Reasons an event of a valid batch is rejected.
const (
	rejectUnknownLesson = "unknown lesson"
	rejectNotEnrolled   = "not enrolled in this lesson's course"
	rejectOtherVersion  = "lesson is not in the course version you are enrolled in"
	rejectFuture        = "occurred_at is in the future"
)

// lessonTarget is where a lesson of a batch lands for the learner.
type lessonTarget struct {
	LessonID     string  `db:"lesson_id"`
	Known        bool    `db:"known"`
	EnrollmentID *string `db:"enrollment_id"`
	SameVersion  bool    `db:"same_version"`
}

// RecordProgress applies a validated batch for the user in one transaction and
// a fixed number of statements, whatever the batch size: one resolves every
// lesson to the learner's enrollment, one stores the new events, counts newly
// completed lessons and updates the enrollments, one marks finished
// enrollments completed. An event ID already stored (in any partition) is a
// duplicate and counts nothing; lesson_completions' primary key makes the
// count exact even when copies of a batch race.
func (s *LearningStore) RecordProgress(ctx context.Context, userID string, b ProgressBatch) (ProgressResult, error) {
	events := b.unique()
	var res ProgressResult
	resolve, err := s.resolveStmt.Stmt(ctx, s.db)
	if err != nil {
		return res, err
	}
	insert, err := s.insertStmt.Stmt(ctx, s.db)
	if err != nil {
		return res, err
	}
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		res = ProgressResult{Rejected: []RejectedEvent{}}
		if _, err := tx.ExecContext(ctx, genericPlans); err != nil {
			return fmt.Errorf("plan cache mode: %w", err)
		}
		targets, err := resolveLessons(ctx, tx.StmtxContext(ctx, resolve), userID, events)
		if err != nil {
			return err
		}
		ok := s.triage(events, targets, &res)
		accepted, finished, err := insertEvents(ctx, tx.StmtxContext(ctx, insert), userID, ok, targets)
		if err != nil {
			return err
		}
		res.Accepted = accepted
		res.Duplicates = len(b.Events) - accepted - rejectedCopies(b.Events, res.Rejected)
		_, err = completeEnrollments(ctx, tx, finished)
		return err
	})
	return res, err
}

// genericPlans makes PostgreSQL run the transaction's prepared statements
// with the plan it made once per connection. Left to choose, it plans
// insertEventsSQL again on every call, because a plan for the given arrays
// (one event: one row) always looks cheaper than the generic plan (which
// assumes ten); that planning cost more than running the statement. The
// generic plan probes enrollments by primary key whatever the batch size.
const genericPlans = `SET LOCAL plan_cache_mode = force_generic_plan`

// rejectedCopies counts the events of a batch whose id was rejected, copies
// included, so that a copy of a rejected event is not reported as a duplicate.
func rejectedCopies(events []ProgressEvent, rejected []RejectedEvent) int {
	ids := make(map[string]bool, len(rejected))
	for _, r := range rejected {
		ids[r.ID] = true
	}
	n := 0
	for _, e := range events {
		if ids[e.ID] {
			n++
		}
	}
	return n
}

// resolveLessonsSQL finds, for each lesson id, whether the lesson exists and
// the learner's enrollment in its course, if any.
const resolveLessonsSQL = `SELECT x.lesson_id, l.id IS NOT NULL AS known, e.id AS enrollment_id,
		coalesce(e.version_id = l.version_id, false) AS same_version
	FROM unnest($2::uuid[]) AS x(lesson_id)
	LEFT JOIN lessons l ON l.id = x.lesson_id
	LEFT JOIN course_versions v ON v.id = l.version_id
	LEFT JOIN enrollments e ON e.user_id = $1 AND e.course_id = v.course_id`

// resolveLessons runs resolveLessonsSQL (stmt) for the lessons of events.
func resolveLessons(ctx context.Context, stmt *sqlx.Stmt, userID string, events []ProgressEvent) (map[string]lessonTarget, error) {
	ids := make([]string, 0, len(events))
	for _, e := range events {
		ids = append(ids, e.LessonID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var rows []lessonTarget
	if err := stmt.SelectContext(ctx, &rows, userID, pq.StringArray(ids)); err != nil {
		return nil, fmt.Errorf("resolve lessons: %w", err)
	}
	out := make(map[string]lessonTarget, len(rows))
	for _, r := range rows {
		out[r.LessonID] = r
	}
	return out, nil
}

// triage records the events that cannot be applied in res and returns the rest.
func (s *LearningStore) triage(events []ProgressEvent, targets map[string]lessonTarget, res *ProgressResult) []ProgressEvent {
	latest := s.now().Add(clockSkew)
	ok := make([]ProgressEvent, 0, len(events))
	for _, e := range events {
		t := targets[e.LessonID]
		reason := ""
		switch {
		case !t.Known:
			reason = rejectUnknownLesson
		case t.EnrollmentID == nil:
			reason = rejectNotEnrolled
		case !t.SameVersion:
			reason = rejectOtherVersion
		case e.at.After(latest):
			reason = rejectFuture
		}
		if reason != "" {
			res.Rejected = append(res.Rejected, RejectedEvent{ID: e.ID, Error: reason})
			continue
		}
		ok = append(ok, e)
	}
	return ok
}

// insertEvents stores the events not stored before and applies them to
// lesson_completions and the enrollments' counters in one statement
// (insertEventsSQL, stmt). It returns how many events were new and the active
// enrollments whose every lesson is now completed (only those can become
// completed).
func insertEvents(ctx context.Context, stmt *sqlx.Stmt, userID string, events []ProgressEvent, targets map[string]lessonTarget) (int, []string, error) {
	if len(events) == 0 {
		return 0, nil, nil
	}
	// Sorted by id so that concurrent batches with the same events lock index
	// entries in the same order and wait for each other instead of deadlocking.
	slices.SortFunc(events, func(a, b ProgressEvent) int { return strings.Compare(a.ID, b.ID) })
	n := len(events)
	ids, at, enr, les := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, e := range events {
		ids[i], at[i], enr[i], les[i] = e.ID, e.at.Format("2006-01-02T15:04:05.999999Z07:00"), *targets[e.LessonID].EnrollmentID, e.LessonID
	}
	var out struct {
		Accepted    int            `db:"accepted"`
		Enrollments pq.StringArray `db:"enrollments"`
	}
	if err := stmt.GetContext(ctx, &out, userID, pq.StringArray(ids), pq.StringArray(at), pq.StringArray(enr), pq.StringArray(les)); err != nil {
		return 0, nil, fmt.Errorf("insert events: %w", err)
	}
	return out.Accepted, out.Enrollments, nil
}

// insertEventsSQL claims each event id in progress_event_ids first (one index
// probe; the partitioned events' key includes occurred_at, so ON CONFLICT
// there alone would miss a replay whose time differs) and stores only the
// events whose id it claimed (as plain inserts: every stored event's id is in
// progress_event_ids, so a claimed id cannot be in progress_events, and the
// speculative insertion of ON CONFLICT would cost one more index probe and WAL
// record per event), keeps the earliest completion of each lesson, and adds
// the newly completed lessons to the enrollments, reporting those that have
// every lesson completed so that the completion check runs only for them.
const insertEventsSQL = `WITH input AS (
		SELECT * FROM unnest($2::uuid[], $3::timestamptz[], $4::uuid[], $5::uuid[])
			AS t(id, occurred_at, enrollment_id, lesson_id)
	), fresh AS (
		INSERT INTO progress_event_ids (id) SELECT id FROM input
		ON CONFLICT DO NOTHING
		RETURNING id
	), ev AS (
		INSERT INTO progress_events (id, occurred_at, user_id, enrollment_id, lesson_id, type)
		SELECT DISTINCT ON (i.id) i.id, i.occurred_at, $1, i.enrollment_id, i.lesson_id, 'lesson_completed'
		FROM input i JOIN fresh f ON f.id = i.id
		RETURNING id, occurred_at, enrollment_id, lesson_id
	), lc AS (
		INSERT INTO lesson_completions (enrollment_id, lesson_id, completed_at, event_id)
		SELECT DISTINCT ON (enrollment_id, lesson_id) enrollment_id, lesson_id, occurred_at, id FROM ev
		ORDER BY enrollment_id, lesson_id, occurred_at, id
		ON CONFLICT (enrollment_id, lesson_id) DO UPDATE
			SET completed_at = excluded.completed_at, event_id = excluded.event_id
			WHERE excluded.completed_at < lesson_completions.completed_at
		RETURNING enrollment_id, (xmax = 0) AS inserted
	), counts AS (
		SELECT ev.enrollment_id, max(ev.occurred_at) AS latest,
			(SELECT count(*) FROM lc WHERE lc.enrollment_id = ev.enrollment_id AND lc.inserted) AS added
		FROM ev GROUP BY ev.enrollment_id
	), upd AS (
		UPDATE enrollments e SET lessons_completed = e.lessons_completed + c.added,
			progress_percent = CASE WHEN e.lessons_total = 0 THEN 0
				ELSE least(100, (e.lessons_completed + c.added) * 100 / e.lessons_total) END,
			last_activity_at = greatest(e.last_activity_at, c.latest)
		FROM counts c WHERE e.id = c.enrollment_id
		RETURNING e.id, e.status = 'active' AND e.lessons_completed >= e.lessons_total AS finished_lessons
	)
	SELECT (SELECT count(*) FROM ev) AS accepted,
		coalesce((SELECT array_agg(id) FROM upd WHERE finished_lessons), '{}') AS enrollments`

// completeEnrollments marks completed each of the given active enrollments
// whose every lesson is completed and every quiz passed, and queues its
// certificate in the same transaction. The WHERE status = 'active' makes the
// transition, and so the certificate task, happen once. Callers hold the
// enrollment rows locked (they updated them), so a concurrent attempt or batch
// waits and then sees this one's work.
func completeEnrollments(ctx context.Context, ext sqlx.ExtContext, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	const q = `UPDATE enrollments e SET status = 'completed', completed_at = now(), progress_percent = 100
		WHERE e.id = ANY($1::uuid[]) AND e.status = 'active' AND e.lessons_completed >= e.lessons_total
		AND NOT EXISTS (SELECT 1 FROM quizzes q WHERE q.version_id = e.version_id
			AND NOT EXISTS (SELECT 1 FROM quiz_attempts a WHERE a.enrollment_id = e.id AND a.quiz_id = q.id AND a.passed))
		RETURNING e.id`
	var done []string
	if err := sqlx.SelectContext(ctx, ext, &done, q, pq.StringArray(ids)); err != nil {
		return nil, fmt.Errorf("complete enrollments: %w", err)
	}
	for _, id := range done {
		if _, err := jobs.Enqueue(ctx, ext, jobs.TypeIssueCertificate, jobs.QueueCritical, jobs.EnrollmentPayload{EnrollmentID: id}); err != nil {
			return nil, fmt.Errorf("queue certificate of enrollment %s: %w", id, err)
		}
		if _, err := jobs.Enqueue(ctx, ext, jobs.TypeScheduleSurveys, jobs.QueueDefault, jobs.EnrollmentPayload{EnrollmentID: id}); err != nil {
			return nil, fmt.Errorf("queue surveys of enrollment %s: %w", id, err)
		}
	}
	return done, nil
}
