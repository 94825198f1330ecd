package surveys

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/jobs"
	"github.com/cybercampus/cybercampus/notifications"
)

// RegisterTasks registers the surveys job handlers: scheduling a completed
// enrollment's surveys, and announcing and reminding the surveys due.
func (h *Handler) RegisterTasks(mux *asynq.ServeMux) {
	mux.HandleFunc(jobs.TypeScheduleSurveys, h.store.ProcessSchedule)
	mux.HandleFunc(jobs.TypeSurveys, h.store.ProcessSurveys)
}

// ProcessSchedule handles jobs.TypeScheduleSurveys, queued in the transaction
// that completes an enrollment. Rerunning it creates nothing new.
func (s *Store) ProcessSchedule(ctx context.Context, t *asynq.Task) error {
	var p jobs.EnrollmentPayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	_, err := s.ScheduleFor(ctx, p.EnrollmentID)
	return err
}

// announcement is a survey to announce or remind, with its addressee.
type announcement struct {
	ID          string `db:"id"`
	Kind        string `db:"kind"`
	UserID      string `db:"user_id"`
	Name        string `db:"name"`
	Language    string `db:"language"`
	Email       bool   `db:"notify_email"`
	Reminders   bool   `db:"notify_reminders"`
	Answered    bool   `db:"answered"`
	CourseSlug  string `db:"course_slug"`
	CourseTitle string `db:"course_title"`
}

const announcementCols = `SELECT s.id, s.kind, s.user_id, u.name, u.language, u.notify_email, u.notify_reminders,
		s.responded_at IS NOT NULL AS answered, c.slug AS course_slug,
		coalesce(v.translations -> u.language ->> 'title', v.title) AS course_title
	FROM surveys s JOIN users u ON u.id = s.user_id JOIN enrollments e ON e.id = s.enrollment_id
	JOIN courses c ON c.id = s.course_id JOIN course_versions v ON v.id = e.version_id `

// Due surveys not yet announced (surveys_undelivered), and announced ones
// still unanswered a while later whose learner wants reminders
// (surveys_unanswered). SKIP LOCKED lets two workers share the work.
const (
	qDue = announcementCols + `WHERE s.delivered_at IS NULL AND s.due_at <= $1
		ORDER BY s.due_at, s.id LIMIT $2 FOR UPDATE OF s SKIP LOCKED`
	qUnanswered = announcementCols + `WHERE s.responded_at IS NULL AND s.reminded_at IS NULL AND s.delivered_at <= $1
		AND u.notify_reminders ORDER BY s.delivered_at, s.id LIMIT $2 FOR UPDATE OF s SKIP LOCKED`
)

// ProcessSurveys handles jobs.TypeSurveys (periodic): every survey that fell
// due is announced once, as a notification and, for learners who want email,
// an email, in the learner's language; a survey still unanswered
// ReminderAfter later is reminded once. Learners who turned reminders off get
// neither (their surveys still wait in GET /v1/me/surveys).
func (s *Store) ProcessSurveys(ctx context.Context, _ *asynq.Task) error {
	now := s.now()
	if err := s.batches(ctx, qDue, now, "delivered_at", s.announce); err != nil {
		return fmt.Errorf("announce surveys: %w", err)
	}
	if err := s.batches(ctx, qUnanswered, now.Add(-ReminderAfter), "reminded_at", s.remind); err != nil {
		return fmt.Errorf("remind surveys: %w", err)
	}
	return nil
}

// batches handles the rows of query in transactions of BatchSize, marking
// each handled row's column with the current time, until none is left.
func (s *Store) batches(ctx context.Context, query string, at time.Time, column string, handle func(context.Context, *sqlx.Tx, announcement) error) error {
	for {
		n := 0
		err := postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
			var rows []announcement
			if err := tx.SelectContext(ctx, &rows, query, at, s.BatchSize); err != nil {
				return err
			}
			n = len(rows)
			for _, a := range rows {
				if err := handle(ctx, tx, a); err != nil {
					return err
				}
				// column is one of two constants of this file, never input.
				if _, err := tx.ExecContext(ctx, `UPDATE surveys SET `+column+` = $2 WHERE id = $1`, a.ID, s.now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || n < s.BatchSize {
			return err
		}
	}
}

func (s *Store) announce(ctx context.Context, tx *sqlx.Tx, a announcement) error {
	if !a.Reminders || a.Answered {
		return nil // marked delivered without a message: opted out, or answered already
	}
	return s.notify(ctx, tx, a, notifications.KindSurvey)
}

func (s *Store) remind(ctx context.Context, tx *sqlx.Tx, a announcement) error {
	return s.notify(ctx, tx, a, notifications.KindSurveyReminder)
}

func (s *Store) notify(ctx context.Context, tx *sqlx.Tx, a announcement, kind string) error {
	d := notifications.SurveyData{SurveyID: a.ID, SurveyKind: a.Kind, CourseSlug: a.CourseSlug, CourseTitle: a.CourseTitle,
		URL: s.baseURL + "/app#/surveys"}
	_, err := notifications.Write(ctx, tx, notifications.Recipient{Name: a.Name, Language: a.Language},
		notifications.Draft{UserID: a.UserID, Kind: kind, Data: d, DedupeKey: kind + ":" + a.ID, Email: a.Email})
	return err
}
