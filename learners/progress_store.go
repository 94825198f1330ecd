package learners

import (
	"context"
	"fmt"
	"slices"
	"time"

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

// RecordProgress applies a validated batch for the user with one statement,
// whatever the batch size (recordProgressSQL), then completes the enrollments
// whose every lesson is now done, if any.
//
// The statement runs on its own, not in a transaction: PostgreSQL applies it
// whole or not at all, and every round trip costs the database as well as
// the server (BEGIN, COMMIT and a separate lesson lookup around it cost a
// quarter to a half more CPU per write; bench/RESULTS.md, fourth session of
// 2026-12-07). The completion runs afterwards in its own transaction, so a
// failure between the two leaves the lessons stored and the enrollment active
// while the client gets an error; on its resend, whose events are then all
// duplicates, the statement reports the enrollment again (it reports every
// active enrollment of the batch that the batch added nothing to) and the
// completion runs then.
func (s *LearningStore) RecordProgress(ctx context.Context, userID string, b ProgressBatch) (ProgressResult, error) {
	events := b.unique()
	latest := s.now().Add(clockSkew)
	var ids, at, lessons []string
	var resolve []string // every lesson of the batch, each once
	for _, e := range events {
		resolve = append(resolve, e.LessonID)
		if !e.at.After(latest) {
			ids, at, lessons = append(ids, e.ID), append(at, e.at.Format("2006-01-02T15:04:05.999999Z07:00")), append(lessons, e.LessonID)
		}
	}
	slices.Sort(resolve)
	resolve = slices.Compact(resolve)
	stmt, err := s.recordStmt.Stmt(ctx, s.db)
	if err != nil {
		return ProgressResult{}, err
	}
	var rows []recordedLesson
	err = postgres.Retry(ctx, func() error {
		rows = rows[:0]
		return stmt.SelectContext(ctx, &rows, userID, pq.StringArray(resolve),
			pq.StringArray(ids), pq.StringArray(at), pq.StringArray(lessons))
	})
	if err != nil {
		return ProgressResult{}, fmt.Errorf("record progress: %w", err)
	}
	res := ProgressResult{Rejected: []RejectedEvent{}}
	targets := make(map[string]lessonTarget, len(rows))
	for _, r := range rows {
		targets[r.LessonID] = r.lessonTarget
	}
	for _, e := range events {
		if reason := rejection(e, targets[e.LessonID], latest); reason != "" {
			res.Rejected = append(res.Rejected, RejectedEvent{ID: e.ID, Error: reason})
		}
	}
	res.Accepted = rows[0].Accepted
	res.Duplicates = len(b.Events) - res.Accepted - rejectedCopies(b.Events, res.Rejected)
	if finished := rows[0].Finished; len(finished) > 0 {
		err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
			_, err := completeEnrollments(ctx, tx, finished)
			return err
		})
	}
	return res, err
}

// rejection says why an event cannot be applied to its lesson's target, or
// "" when it can: then recordProgressSQL stores it (the statement applies
// the same rules: it is sent only the events not in the future, and stores
// those whose lesson is of the version the learner is enrolled in).
func rejection(e ProgressEvent, t lessonTarget, latest time.Time) string {
	switch {
	case !t.Known:
		return rejectUnknownLesson
	case t.EnrollmentID == nil:
		return rejectNotEnrolled
	case !t.SameVersion:
		return rejectOtherVersion
	case e.at.After(latest):
		return rejectFuture
	}
	return ""
}

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

// recordedLesson is a row of recordProgressSQL: a lesson of the batch, and
// the batch's totals (the same on every row).
type recordedLesson struct {
	lessonTarget
	Accepted int            `db:"accepted"`
	Finished pq.StringArray `db:"finished"`
}

// recordProgressSQL finds, for each lesson of the batch ($2), whether it
// exists and the learner's enrollment in its course (target). It claims the
// id of each event ($3, $4, $5) whose lesson is of the enrolled version in
// progress_event_ids first, in id order so that concurrent copies of a batch
// wait for each other instead of deadlocking (one index probe; the
// partitioned events' key includes occurred_at, so ON CONFLICT there alone
// would miss a replay whose time differs), and stores only the events whose
// id it claimed (as plain inserts: every stored event's id is in
// progress_event_ids, so a claimed id cannot be in progress_events, and the
// speculative insertion of ON CONFLICT would cost one more index probe and
// WAL record per event). It keeps the earliest completion of each lesson and
// adds the newly completed lessons and the latest activity to the
// enrollments' progress rows. It returns a row per lesson with how many
// events were new and the active enrollments of the batch that may now be
// completed (completeEnrollments decides): those whose every lesson is now
// done, and those the batch added nothing to, as a resend whose first send
// stored the lessons but failed to complete (see RecordProgress). Reading
// the progress rows of the latter here instead would add a join that makes
// PostgreSQL re-plan the statement on every call (its generic plan then
// costs more than a custom one by its estimates; 0.7 ms of planning per
// write at a million learners, bench/RESULTS.md, fifth session).
//
// The progress row is what orders concurrent batches of one enrollment: ON
// CONFLICT DO UPDATE waits for the other batch and adds to the row as that
// batch left it, so of two batches bringing the last two lessons at once,
// the second sees every lesson done. A quiz attempt updates the same row
// before it checks the lessons (touchAfterAttempt) for the same reason.
const recordProgressSQL = `WITH target AS (
		SELECT x.lesson_id, l.id IS NOT NULL AS known, e.id AS enrollment_id,
			coalesce(e.version_id = l.version_id, false) AS same_version,
			e.status = 'active' AS active, e.lessons_total
		FROM unnest($2::uuid[]) AS x(lesson_id)
		LEFT JOIN lessons l ON l.id = x.lesson_id
		LEFT JOIN course_versions v ON v.id = l.version_id
		LEFT JOIN enrollments e ON e.user_id = $1 AND e.course_id = v.course_id
	), input AS (
		SELECT i.id, i.occurred_at, t.enrollment_id, i.lesson_id
		FROM unnest($3::uuid[], $4::timestamptz[], $5::uuid[]) AS i(id, occurred_at, lesson_id)
		JOIN target t ON t.lesson_id = i.lesson_id AND t.same_version
	), fresh AS (
		INSERT INTO progress_event_ids (id) SELECT id FROM input ORDER BY id
		ON CONFLICT DO NOTHING
		RETURNING id
	), ev AS (
		INSERT INTO progress_events (id, occurred_at, user_id, enrollment_id, lesson_id, type)
		SELECT i.id, i.occurred_at, $1, i.enrollment_id, i.lesson_id, 'lesson_completed'
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
	), progress AS (
		INSERT INTO enrollment_progress AS p (enrollment_id, lessons_completed, last_activity_at)
		SELECT ev.enrollment_id,
			(SELECT count(*) FROM lc WHERE lc.enrollment_id = ev.enrollment_id AND lc.inserted), max(ev.occurred_at)
		FROM ev GROUP BY ev.enrollment_id ORDER BY ev.enrollment_id
		ON CONFLICT (enrollment_id) DO UPDATE
			SET lessons_completed = p.lessons_completed + excluded.lessons_completed,
				last_activity_at = greatest(p.last_activity_at, excluded.last_activity_at)
		RETURNING p.enrollment_id, p.lessons_completed
	)
	SELECT t.lesson_id, t.known, t.enrollment_id, t.same_version, (SELECT count(*) FROM ev) AS accepted,
		ARRAY(SELECT DISTINCT f.enrollment_id FROM target f LEFT JOIN progress p ON p.enrollment_id = f.enrollment_id
			WHERE f.same_version AND f.active AND (p.enrollment_id IS NULL OR p.lessons_completed >= f.lessons_total)) AS finished
	FROM target t`

// completeEnrollments marks completed each of the given active enrollments
// whose every lesson is completed and every quiz passed, and queues its
// certificate in the same transaction. The WHERE status = 'active' makes the
// transition, and so the certificate task, happen once. Callers run it after
// updating the enrollments' progress rows (RecordProgress once its statement
// committed, an attempt while it holds the row), so of a batch and an attempt
// at the same time, whichever updates the row second sees the other's work.
func completeEnrollments(ctx context.Context, ext sqlx.ExtContext, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	const q = `UPDATE enrollments e SET status = 'completed', completed_at = now()
		WHERE e.id = ANY($1::uuid[]) AND e.status = 'active'
		AND coalesce((SELECT p.lessons_completed FROM enrollment_progress p WHERE p.enrollment_id = e.id), 0) >= e.lessons_total
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
