package learners

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/postgres"
)

// LearningStore keeps enrollments, progress and quiz attempts. Its methods
// are in enrollment_store.go, progress_store.go and quiz_store.go.
type LearningStore struct {
	db  *sqlx.DB
	now func() time.Time
	// The statements of the enrollments list, the progress page and the
	// progress write, prepared once: planning the list's five-table join
	// cost several times its execution.
	enrollmentsStmt, courseStmt, recordStmt postgres.Prepared
	// The lessons and quizzes of each course version the progress page shows.
	outlines outlines
}

// NewLearningStore returns a store over db; now is the clock used to judge
// whether an event lies in the future.
func NewLearningStore(db *sqlx.DB, now func() time.Time) *LearningStore {
	if now == nil {
		now = time.Now
	}
	return &LearningStore{db: db, now: now, enrollmentsStmt: postgres.Prepared{Query: enrollmentsSQL},
		courseStmt: postgres.Prepared{Query: courseProgressSQL}, recordStmt: postgres.Prepared{Query: recordProgressSQL}}
}

// CohortStore keeps cohorts, their invitations, join codes and members,
// pupils and guardians. Its methods are in cohort_store.go,
// cohort_invitation_store.go, cohort_join_code_store.go, pupil_store.go and
// guardian_store.go.
type CohortStore struct {
	db  *sqlx.DB
	now func() time.Time
	// sessionsChanged is told, after commit, of every account whose
	// sessions a cohort write ended (pupils of an ended class, a pupil's new
	// password, a withdrawn consent), so that cached session checks forget it.
	sessionsChanged func(ctx context.Context, userID string)
}

// NewCohortStore returns a store over db; now dates invitations, join codes
// and the members' age bands, and sessionsChanged (auth.Sessions.Changed) is
// told of every account whose sessions a cohort write ended.
func NewCohortStore(db *sqlx.DB, now func() time.Time, sessionsChanged func(ctx context.Context, userID string)) *CohortStore {
	if now == nil {
		now = time.Now
	}
	if sessionsChanged == nil {
		sessionsChanged = func(context.Context, string) {}
	}
	return &CohortStore{db: db, now: now, sessionsChanged: sessionsChanged}
}
